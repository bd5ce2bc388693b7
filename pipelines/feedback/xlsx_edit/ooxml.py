"""Names and small parts of the Office Open XML package the feedback editor reads and writes:
namespaces, relationship and content types, relationship parts, part paths, cell references."""

from __future__ import annotations

import posixpath
import re
from functools import lru_cache

from pipelines.feedback.xlsx_edit.splice import Splice, attributes_xml, children, opened, scan_shared

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"

REL_OFFICE_DOCUMENT = f"{RELATIONSHIPS}/officeDocument"
REL_WORKSHEET = f"{RELATIONSHIPS}/worksheet"
REL_CHARTSHEET = f"{RELATIONSHIPS}/chartsheet"
REL_STYLES = f"{RELATIONSHIPS}/styles"
REL_COMMENTS = f"{RELATIONSHIPS}/comments"
REL_VML_DRAWING = f"{RELATIONSHIPS}/vmlDrawing"

_SPREADSHEETML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
CT_WORKBOOK = f"{_SPREADSHEETML}.sheet.main+xml"
CT_TEMPLATE = f"{_SPREADSHEETML}.template.main+xml"
CT_WORKSHEET = f"{_SPREADSHEETML}.worksheet+xml"
CT_COMMENTS = f"{_SPREADSHEETML}.comments+xml"
CT_VML_DRAWING = "application/vnd.openxmlformats-officedocument.vmlDrawing"

CONTENT_TYPES_PART = "[Content_Types].xml"
PACKAGE_RELS_PART = "_rels/.rels"
WORKBOOK_PART = "xl/workbook.xml"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

MAX_ROW = 1_048_576
MAX_COLUMN = 16_384
_REF = re.compile(r"^([A-Z]{1,3})([1-9]\d{0,6})$")


class Unsupported(Exception):
    """The package is unusual in a way the editor does not handle: the openpyxl writer takes over."""


@lru_cache(maxsize=8192)  # every cell of a marked sheet is looked up; the same few thousand recur
def split_ref(ref: str) -> tuple[int, int]:
    """`C12` -> (12, 3): 1-based row and column, within Excel's grid."""
    match = _REF.match(ref.upper())
    if not match:
        raise Unsupported(f"cell reference {ref!r}")
    column = 0
    for letter in match.group(1):
        column = column * 26 + ord(letter) - 64
    row = int(match.group(2))
    if row > MAX_ROW or column > MAX_COLUMN:
        raise Unsupported(f"cell reference {ref!r} is outside Excel's grid")
    return row, column


def column_letters(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def rels_part_of(part: str) -> str:
    """`xl/worksheets/sheet1.xml` -> `xl/worksheets/_rels/sheet1.xml.rels`."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


@lru_cache(maxsize=256)  # posixpath.relpath asks for the working directory each time
def _relative(part: str, folder: str) -> str:
    return posixpath.relpath(part, folder)


def resolve(source_part: str, target: str) -> str:
    """A relationship's target as a part name (no leading slash), from the part that owns it."""
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def require_plain(element, uri: str, local: str, part: str) -> None:
    """The element is `local` in namespace `uri`, written without a prefix: what the editor writes."""
    if element.uri != uri or element.local != local:
        raise Unsupported(f"{part}: root <{element.local}> in {element.uri or 'no namespace'!r}")
    if element.prefix is not None:
        raise Unsupported(f"{part}: prefixed elements ({element.prefix}:{element.local})")


class Relationships:
    """A relationships part (`_rels/*.rels`), read, and new relationships appended to it."""

    def __init__(self, source_part: str, data: bytes | None):
        self.source_part = source_part
        self.data = data
        self.splice = Splice(data) if data is not None else None
        self.by_id: dict[str, tuple[str, str, bool]] = {}  # id -> (type, target, external)
        self._added: list[str] = []
        if data is None:
            return
        elements = scan_shared(data, max_depth=1)
        root = elements[0]
        require_plain(root, PACKAGE_RELATIONSHIPS, "Relationships", rels_part_of(source_part))
        self._root = root
        for index in children(elements, 0):
            rel = elements[index]
            if rel.local != "Relationship":
                continue
            external = (rel.attribute("TargetMode") or "").lower() == "external"
            self.by_id[rel.attribute("Id") or ""] = (
                rel.attribute("Type") or "",
                rel.attribute("Target") or "",
                external,
            )

    def targets(self, rel_type: str) -> list[str]:
        """Parts this part points to with relationships of `rel_type`."""
        return [
            resolve(self.source_part, target)
            for kind, target, external in self.by_id.values()
            if kind == rel_type and not external
        ]

    def part_of(self, rel_id: str) -> tuple[str, str]:
        """(type, part name) of relationship `rel_id`."""
        if rel_id not in self.by_id:
            raise Unsupported(f"no relationship {rel_id!r} in {rels_part_of(self.source_part)}")
        kind, target, external = self.by_id[rel_id]
        if external:
            raise Unsupported(f"relationship {rel_id!r} points outside the package")
        return kind, resolve(self.source_part, target)

    def add(self, rel_type: str, target_part: str) -> str:
        """Append a relationship to `target_part`; returns its new id."""
        n = 1
        while f"rId{n}" in self.by_id:
            n += 1
        rel_id = f"rId{n}"
        target = _relative(target_part, posixpath.dirname(self.source_part) or ".")
        self.by_id[rel_id] = (rel_type, target, False)
        self._added.append(
            f"<Relationship{attributes_xml([('Id', rel_id), ('Type', rel_type), ('Target', target)])}/>"
        )
        return rel_id

    def result(self) -> bytes:
        added = "".join(self._added).encode()
        if self.splice is None:
            return (
                XML_DECLARATION
                + f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'.encode()
                + added
                + b"</Relationships>"
            )
        root = self._root
        if root.empty:  # `<Relationships .../>`: opened to take the new ones
            tag = self.data[root.start : root.start_end]
            added = opened(tag) + added + b"</Relationships>"
            self.splice.replace(root.start, root.start_end, added)
        else:
            self.splice.insert(root.end, added)
        return self.splice.result()
