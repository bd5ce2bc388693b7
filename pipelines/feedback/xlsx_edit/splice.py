"""Edit an XML part by byte position, so everything not edited stays exactly as it was sent.

A part is parsed with expat (a real XML parser: well-formedness, namespaces, no DTD) and every
element kept is located by its byte offsets (`CurrentByteIndex`). Edits are then byte ranges
replaced or inserted, applied in one pass. Re-serialising the part with a tree library would
rename namespace prefixes (breaking `mc:Ignorable`), reorder attributes and drop what the library
does not model; splicing touches only the bytes that must change.

Start tags are re-read here with a small pattern to find their end and their attributes: expat
has already said the tag is well-formed, and the pattern honours quotes (a `>` may sit in an
attribute value).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol
from xml.parsers import expat

_START_TAG = re.compile(rb"<[^\s/>]+(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*/?>")
_ATTRIBUTE = re.compile(rb"(\s+)([^\s=/>]+)(\s*=\s*)(\"[^\"]*\"|'[^']*')")
_TAG_CLOSE = re.compile(rb"\s*/?>$")
_CHAR_REFERENCES = {"\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}


class NotSpliceable(Exception):
    """The part is not XML this module can edit safely (not well-formed, a DTD, no root)."""


class Element:
    """One element of a part and where its tags sit: [start, start_end) is the start tag,
    [end, end_end) the end tag; an empty element (`<c r="A1"/>`) has end == end_end == start_end."""

    __slots__ = ("_source", "_start_end", "attributes", "depth", "end", "end_end", "index", "kids", "local",
                 "parent", "prefix", "start", "uri")  # fmt: skip

    def __init__(self, source: bytes, name: tuple[str, str, str | None], attributes: dict[str, str],
                 depth: int, parent: int | None, start: int, index: int) -> None:  # fmt: skip
        self._source = source
        self.uri, self.local, self.prefix = name  # `_split` of the name expat gives
        # `name`, or `uri name prefix` (`uri name` without a prefix) for a namespaced attribute -> value
        self.attributes = attributes
        self.depth = depth  # the root is 0
        self.parent = parent  # index in the scan's element list
        self.start = start
        self._start_end = -1
        self.end = -1
        self.end_end = -1
        self.index = index  # in the scan's element list
        self.kids: list[int] = []  # indexes of the children the scan kept

    @property
    def start_end(self) -> int:
        """Found when first asked: most elements of a sheet are never edited."""
        if self._start_end < 0:
            match = _START_TAG.match(self._source, self.start)
            if match is None:  # cannot happen for a tag expat accepted; never guess
                raise NotSpliceable(f"start tag at byte {self.start} not understood")
            self._start_end = match.end()
        return self._start_end

    @property
    def empty(self) -> bool:
        """Written as one tag (`<row r="6"/>`); `<row r="6"></row>` has an end tag to insert before."""
        return self.end_end == self.start_end

    def attribute(self, name: str, uri: str | None = None) -> str | None:
        if not uri:
            return self.attributes.get(name)
        wanted = f"{uri} {name}"
        for key, value in self.attributes.items():  # the prefix is whatever the file chose
            if key == wanted or key.startswith(wanted) and key[len(wanted)] == " ":
                return value
        return None


class Pruning(Protocol):
    """Which elements just above a scan's `max_depth` keep no children (`prunes`), and what to
    check of each child not kept (`child`: the parent's index, the child's local name and
    attributes), so a scan that keeps fewer elements still sees every one."""

    def prunes(self, element: Element) -> bool: ...

    def child(self, parent: int, local: str, attributes: dict[str, str]) -> None: ...


class _Stop(Exception):
    """Raised from a handler: the scan has seen what it needed."""


class _Refused(Exception):
    """A DTD or an entity declaration: never expected in a package part."""


def scan(
    data: bytes,
    max_depth: int,
    stop_at: str | None = None,
    deep: frozenset[str] = frozenset(),
    prune: Pruning | None = None,
) -> list[Element]:
    """The elements of `data` down to `max_depth` (the root is depth 0), in document order, and
    below that the children of kept elements named in `deep`.

    With `stop_at`, scanning ends at the first start tag of that local name (that element is the
    last one returned, without its end), so the head of a large part costs only its head.
    With `prune`, the children of some elements one level above `max_depth` are not kept (see
    `Pruning`): most rows of a sheet need no `Element` per cell.
    """
    elements: list[Element] = []
    open_stack: list[int | None] = []  # element index per open element, None when not kept
    pruned: set[int] = set()  # kept elements whose children are only shown to `prune.child`
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.namespace_prefixes = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_args):
        raise _Refused

    names: dict[str, tuple[str, str, str | None]] = {}  # a part uses a few names, again and again

    def start(name: str, attributes: dict[str, str]) -> None:
        depth = len(open_stack)
        parent = open_stack[-1] if open_stack else None
        if depth > max_depth and (parent is None or elements[parent].local not in deep):
            open_stack.append(None)
            return
        split = names.get(name)
        if split is None:
            split = names[name] = _split(name)
        if parent in pruned:
            prune.child(parent, split[1], attributes)
            open_stack.append(None)
            return
        index = len(elements)
        element = Element(data, split, attributes, depth, parent, parser.CurrentByteIndex, index)
        elements.append(element)
        if parent is not None:
            elements[parent].kids.append(index)
        open_stack.append(index)
        if stop_at is not None and element.local == stop_at:
            raise _Stop
        if prune is not None and depth == max_depth - 1 and prune.prunes(element):
            pruned.add(index)

    def end(_name: str) -> None:
        index = open_stack.pop()
        if index is None:
            return
        element = elements[index]
        position = parser.CurrentByteIndex  # after an empty element's `/>`, else at its `</`
        if data[position - 2 : position] == b"/>" and element.start_end == position:
            element.end = element.end_end = position
        else:
            element.end = position
            element.end_end = data.index(b">", position) + 1

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except _Stop:
        pass
    except _Refused as exc:
        raise NotSpliceable("a DTD or an entity declaration") from exc
    except expat.ExpatError as exc:
        raise NotSpliceable(f"not well-formed XML ({exc})") from exc
    if not elements:
        raise NotSpliceable("no root element")
    return elements


_SHARED_PARTS = 32  # scans kept by `scan_shared`: a few parts per template in use
_SHARED_PART_SIZE = 64 * 1024  # bytes: a larger part is scanned every time (and not kept)
_shared: OrderedDict[tuple, list[Element]] = OrderedDict()


def scan_shared(data: bytes, max_depth: int, deep: frozenset[str] = frozenset()) -> list[Element]:
    """`scan`, kept for the next part with the same bytes: the parts a form's template gives every
    return (styles, workbook, relationships, content types) are often identical, byte for byte,
    from one return to the next. The elements are shared: the callers only read them."""
    if len(data) > _SHARED_PART_SIZE:
        return scan(data, max_depth, deep=deep)
    key = (data, max_depth, deep)
    elements = _shared.get(key)
    if elements is None:
        elements = _shared[key] = scan(data, max_depth, deep=deep)
        if len(_shared) > _SHARED_PARTS:
            _shared.popitem(last=False)
    else:
        _shared.move_to_end(key)
    return elements


def _split(name: str) -> tuple[str, str, str | None]:
    parts = name.split(" ")
    if len(parts) == 1:
        return "", parts[0], None
    return parts[0], parts[1], parts[2] if len(parts) > 2 else None


def children(elements: list[Element], parent: int) -> list[int]:
    """Indexes of the direct children of `elements[parent]` that the scan kept."""
    return elements[parent].kids


def declared_prefix(start_tag: bytes, uri: str) -> str | None:
    """The prefix a start tag declares for `uri` (`xmlns:r="..."` -> `r`), or None."""
    for _space, name, _eq, quoted in _ATTRIBUTE.findall(start_tag):
        if name.startswith(b"xmlns:") and unescape(quoted[1:-1]) == uri:
            return name[6:].decode()
    return None


def declares_prefix(start_tag: bytes, prefix: str) -> bool:
    wanted = f"xmlns:{prefix}".encode()
    return any(name == wanted for _space, name, _eq, _quoted in _ATTRIBUTE.findall(start_tag))


def set_attribute(start_tag: bytes, name: str, value: str | None) -> bytes:
    """The start tag with attribute `name` (as written, prefix included) set, or removed if None."""
    raw_name = name.encode()
    for match in _ATTRIBUTE.finditer(start_tag):
        if match.group(2) == raw_name:
            if value is None:
                return start_tag[: match.start()] + start_tag[match.end() :]
            quoted = b'"' + escape_attribute(value).encode() + b'"'
            return start_tag[: match.start(4)] + quoted + start_tag[match.end(4) :]
    if value is None:
        return start_tag
    close = _TAG_CLOSE.search(start_tag)
    if close is None:  # a start tag always ends with > or />
        raise NotSpliceable(f"not a start tag: {start_tag[:40]!r}")
    added = b" " + raw_name + b'="' + escape_attribute(value).encode() + b'"'
    return start_tag[: close.start()] + added + start_tag[close.start() :]


def opened(empty_tag: bytes) -> bytes:
    """`<row r="5"/>` -> `<row r="5">`: an empty element's tag, made a start tag to take content."""
    return empty_tag[: empty_tag.rindex(b"/")].rstrip() + b">"


def unescape(raw: bytes) -> str:
    """An attribute value as written -> its text (only for values this module compares)."""
    text = raw.decode()
    if "&" not in text:
        return text
    parser = expat.ParserCreate()
    found: dict[str, str] = {}
    parser.StartElementHandler = lambda _name, attributes: found.update(attributes)
    parser.Parse(b"<a v=" + b'"' + raw.replace(b'"', b"&quot;") + b'"/>', True)
    return found["v"]


def escape_text(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r", "&#13;")  # a raw CR would be read back as a line feed


def escape_attribute(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return (
        "".join(_CHAR_REFERENCES.get(ch, ch) for ch in text) if any(ch in text for ch in "\t\n\r") else text
    )


def attributes_xml(attributes: Iterable[tuple[str, object]]) -> str:
    """` name="value"` for each pair whose value is not None, escaped."""
    return "".join(
        f' {name}="{escape_attribute(str(value))}"' for name, value in attributes if value is not None
    )


@dataclass
class Splice:
    """Byte edits of one part: each replaces [start, end) with new bytes (start == end inserts).
    Insertions at the same position keep the order they were added in."""

    data: bytes

    def __post_init__(self) -> None:
        self._edits: list[tuple[int, int, int, bytes]] = []

    def replace(self, start: int, end: int, new: bytes) -> None:
        self._edits.append((start, end, len(self._edits), new))

    def insert(self, position: int, new: bytes) -> None:
        self.replace(position, position, new)

    def edit_start_tag(self, element: Element, edit: Callable[[bytes], bytes]) -> None:
        self.replace(element.start, element.start_end, edit(self.data[element.start : element.start_end]))

    @property
    def changed(self) -> bool:
        return bool(self._edits)

    def result(self) -> bytes:
        out, position = [], 0
        for start, end, _order, new in sorted(self._edits):
            if start < position:
                raise NotSpliceable(f"overlapping edits at byte {start}")
            out += [self.data[position:start], new]
            position = end
        out.append(self.data[position:])
        return b"".join(out)
