"""Read the XML parts of a workbook once, as a stream, before python-calamine sees any of it.

python-calamine builds a sheet as a dense grid and copies a shared string into every cell that
uses it, all before we can count anything. A 5 KB sheet with one cell at XFD1048576, or one
30 KB shared string used by 200,000 cells, asks for hundreds of gigabytes and aborts the whole
process (tests/hostile). So the parts calamine reads are parsed here first with expat, in chunks
(memory bounded by the chunk, not the part), and the workbook is refused, naming the reason, when:

- a part declares a DTD (entity expansion, external entities) or is not UTF-8;
- a part is not well-formed XML, or nests a row or a cell inside a cell (calamine reads the XML
  as a flat stream of tags; with no such nesting, the positions counted here are the ones it uses);
- a sheet has a cell with a value beyond the row or column limit, placed as calamine places it:
  by its `r` attribute, else in the column after the previous cell of the current row;
- the sheets hold more cells with a value, or more text (each shared string counted in every cell
  that uses it, as calamine copies it), than the limits;
- a cell refers to a shared string the workbook does not have.

Parts calamine never reads (theme, document properties, drawings) are read only up to their first
tag: far enough to refuse a DTD, which no return needs anywhere. On the way, the workbook's sheet
list, relationships, content types and error cells (`#DIV/0!`, which calamine reads as empty
strings) are collected.

Messages follow the wording of the rules that existed before this scan (`xml_dtd`, `xml_invalid`,
`sheet_too_large`, `corrupt`, `too_many_parts`), which the feedback catalogue translates.
"""

from __future__ import annotations

import errno
import re
import zipfile
import zlib
from array import array
from dataclasses import dataclass, field
from typing import NoReturn
from xml.parsers import expat

from pipelines.parsed.values import ExcelError

CONTENT_TYPES = "[Content_Types].xml"
WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
SHARED_STRINGS = "xl/sharedStrings.xml"  # calamine reads this fixed path, whatever the relationships say

_CHUNK = 1 << 16
_UTF8_NAMES = {"utf-8", "utf8", "us-ascii"}
_WIDE_STARTS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"<\x00", b"\x00<")  # UTF-16/32
_REF = re.compile(r"([A-Za-z]*)([0-9]+)")
_POSITION_TAGS = ("c", "row", "sheetData")  # tags that move calamine's position: never inside a cell


class Refused(Exception):
    """The workbook is refused before it is read; `rule` and `message` go into the finding."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule
        self.message = message


class _BadOffset(Exception):
    """zipfile was sent to a negative file offset by the directory: the zip is damaged."""


class _PrologRead(Exception):
    """The first tag of a part that is only checked for a DTD: nothing more to read."""


@dataclass(frozen=True)
class ScanLimits:
    max_rows: int
    max_columns: int
    max_cells: int
    max_text_chars: int
    max_sheets: int
    max_relationships: int


@dataclass
class SheetExtent:
    """What calamine will build from one part: its grid's size, its text, its error cells."""

    rows: int = 0  # 1-based row of the lowest cell with a value (0: no cells)
    columns: int = 0
    text_chars: int = 0
    errors: dict[tuple[int, int], ExcelError] = field(default_factory=dict)


@dataclass
class Package:
    """What the scan learnt about the workbook's package, part by part."""

    sheets: list[tuple[str, str | None]] = field(default_factory=list)  # (name, relationship id)
    relationships: dict[str, str] = field(default_factory=dict)  # id -> target
    content_types: dict[str, str] = field(default_factory=dict)  # "/part" or "ext:xml" -> type
    extents: dict[str, SheetExtent] = field(default_factory=dict)  # part name -> extent
    shared_string_lengths: array = field(default_factory=lambda: array("q"))
    text_chars: int = 0  # every shared string once, plus each cell's text (shared strings again)
    cells: int = 0  # cells with a value, in every sheet


def local(name: str) -> str:
    """`x:row` -> `row`: calamine matches tags by local name, whatever the prefix."""
    return name.rpartition(":")[2]


def column_letters(col: int) -> str:
    """0-based column index -> `A`, `Z`, `AA`."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def parse_ref(ref: str) -> tuple[int, int | None] | None:
    """`B12` -> (11, 1), `12` -> (11, None): 0-based, as calamine reads `r`; None if malformed.

    Every cell of a sheet names its position, and the same few thousand positions recur from one
    return to the next: short references are remembered (a bounded table, so a hostile sheet of
    distinct references costs time, never memory).
    """
    parsed = _REFS_SEEN.get(ref, _NOT_SEEN)
    if parsed is _NOT_SEEN:
        parsed = _parse_ref(ref)
        if len(ref) <= _REF_REMEMBERED_CHARS and len(_REFS_SEEN) < _REFS_REMEMBERED:
            _REFS_SEEN[ref] = parsed
    return parsed


_REFS_REMEMBERED = 1 << 14  # ~4 MB at most; a return has a few thousand cells
_REF_REMEMBERED_CHARS = 10  # `XFD1048576`, the last cell Excel has
_REFS_SEEN: dict[str, tuple[int, int | None] | None] = {}
_NOT_SEEN = object()


def _parse_ref(ref: str) -> tuple[int, int | None] | None:
    match = _REF.fullmatch(ref)
    if not match or int(match.group(2)) == 0:
        return None
    col = None
    if match.group(1):
        col = 0
        for ch in match.group(1).upper():
            col = col * 26 + (ord(ch) - 64)
        col -= 1
    return int(match.group(2)) - 1, col


class _PartReader:
    """One part, parsed as a stream: refuses DTDs and foreign encodings, counts cells as calamine
    places them, and collects what the package needs (sheets, relationships, content types,
    shared strings) when this part is the one that holds them."""

    def __init__(self, name: str, package: Package, limits: ScanLimits, sheet: str | None, prolog_only: bool):
        self.name = name
        self.sheet = sheet or name  # for messages: the sheet's name if the workbook gives it one
        self.package = package
        self.limits = limits
        self.extent = SheetExtent()
        lower = name.lower()
        self.collect_sheets = lower == WORKBOOK.lower()
        self.collect_rels = lower == WORKBOOK_RELS.lower()
        self.collect_types = lower == CONTENT_TYPES.lower()
        self.collect_strings = lower == SHARED_STRINGS.lower()
        # calamine's cell reader: a flat state machine over start and end tags
        self.sheet_data = 0  # 0 before <sheetData>, 1 inside it, 2 after it (calamine stops there)
        self.row_index = 0
        self.col_index = 0
        self.cell: tuple[int, int] | None = None  # position of the cell being read
        self.cell_type: str | None = None
        self.cell_has_value = False
        self.cell_v: list[str] | None = None  # text of <v> in a shared-string or error cell
        self.in_v = False
        # calamine's shared-string reader
        self.in_si = False
        self.si_chars = 0
        self.in_t = False

        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.buffer_size = _CHUNK
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._dtd
        parser.EntityDeclHandler = self._dtd
        parser.ExternalEntityRefHandler = self._dtd
        parser.XmlDeclHandler = self._declaration
        self.parser = parser
        # Most parts are sheets and most of a sheet is cells: each kind of part gets handlers that
        # do only what it needs, swapped as the part moves on (calamine's own reader is a flat loop
        # over tags; a Python callback per tag is what this scan costs).
        self._special = self.collect_sheets or self.collect_rels or self.collect_types
        if prolog_only:
            self._handle(self._prolog_start)
        elif self.collect_strings:
            self._handle(self._strings_start, self._strings_end, self._strings_text)
        elif self._special:
            self._handle(self._start, self._end, self._text)
        else:
            self._handle(self._seek_sheet_data)

    def _handle(self, start=None, end=None, text=None) -> None:
        """Point the parser at these tag and text handlers (None: that event needs nothing)."""
        self.parser.StartElementHandler = start
        self.parser.EndElementHandler = end
        self.parser.CharacterDataHandler = text

    # --- the stream ----------------------------------------------------------------------------

    def read(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> SheetExtent:
        try:
            with self._open(archive, info) as stream:
                first = True
                while chunk := stream.read(_CHUNK):
                    if first and chunk.startswith(_WIDE_STARTS):
                        self._invalid("encoded as UTF-16 or UTF-32; spreadsheet programs write UTF-8")
                    first = False
                    self.parser.Parse(chunk, False)
                self.parser.Parse(b"", True)
        except _PrologRead:
            pass
        except expat.ExpatError as exc:
            self._invalid(f"{expat.errors.messages[exc.code]}, line {exc.lineno}")
        except (zipfile.BadZipFile, zlib.error, EOFError, _BadOffset) as exc:
            raise Refused(
                "corrupt",
                "The file is damaged or incomplete and cannot be opened as a workbook "
                f"(part {self.name!r}: {exc}). "
                "Please open the return in Excel, save it again and send the new file.",
            ) from exc
        finally:
            # The parser holds this reader's handlers and the reader the parser: dropped here, both
            # (and the parser's 64 KB buffer) go at once instead of waiting for the cycle collector.
            self.parser = None
        return self.extent

    def _open(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo):
        try:
            return archive.open(info)
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
            # a directory whose offsets point before the file's start: zipfile seeks to a negative offset
            raise _BadOffset(f"its header offset is invalid ({exc.strerror})") from exc

    def _invalid(self, detail: str) -> NoReturn:
        raise Refused("xml_invalid", f"Part {self.name!r} is not valid XML ({detail}).")

    # --- prolog: no DTD, UTF-8 only --------------------------------------------------------------

    def _dtd(self, *_args) -> None:
        raise Refused(
            "xml_dtd", f"Part {self.name!r} declares a DTD or entities, which returns never need; refused."
        )

    def _declaration(self, _version, encoding, _standalone) -> None:
        if encoding and encoding.lower() not in _UTF8_NAMES:
            self._invalid(f"encoded as {encoding}; spreadsheet programs write UTF-8")

    # --- tags: the general case (package parts, and anything odd) ----------------------------------

    def _prolog_start(self, _tag: str, _attrs: dict[str, str]) -> None:
        raise _PrologRead

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        name = local(tag)
        if self.sheet_data == 1:
            self._sheet_start(tag, attrs)
        elif name == "sheetData" and self.sheet_data == 0:
            self.sheet_data = 1
        if self.collect_strings:
            self._start_in_strings(name)
        if self.collect_sheets and name == "sheet":
            self._add_sheet(attrs)
        elif self.collect_rels and name == "Relationship":
            self._add_relationship(attrs)
        elif self.collect_types and name in ("Default", "Override"):
            self._add_content_type(name, attrs)

    def _end(self, tag: str) -> None:
        if self.sheet_data == 1:
            self._sheet_end(tag)
        if self.collect_strings:
            self._end_in_strings(local(tag))

    def _text(self, data: str) -> None:
        if self.cell is not None:
            self._sheet_text(data)
        if self.in_si and self.in_t:
            self.si_chars += len(data)

    # --- a sheet: nothing to do before <sheetData> or after it -------------------------------------

    def _seek_sheet_data(self, tag: str, _attrs: dict[str, str]) -> None:
        if tag.endswith("sheetData") and local(tag) == "sheetData":
            self.sheet_data = 1
            self._handle(self._sheet_start, self._sheet_end, self._sheet_text)

    # --- cells, as calamine's cell reader walks them -------------------------------------------------

    def _sheet_start(self, tag: str, attrs: dict[str, str]) -> None:
        name = tag.rpartition(":")[2] if ":" in tag else tag  # local(tag), inlined: once per tag
        cell = self.cell
        if cell is not None:  # inside a cell, whatever starts is read as its value
            if name in _POSITION_TAGS:
                self._invalid(f"a <{name}> inside a cell, which no spreadsheet program writes")
            if not self.cell_has_value:
                self.cell_has_value = True
                self._place(*cell)
            if name == "v":
                self.in_v = True
        elif name == "c":
            ref = attrs.get("r")
            if ref is None:
                self.cell = (self.row_index, self.col_index)
            else:
                parsed = parse_ref(ref)
                if parsed is None or parsed[1] is None:
                    self._invalid(f"a cell at {ref!r}, which is not a cell reference")
                self.cell = parsed
                self.col_index = parsed[1]
            cell_type = self.cell_type = attrs.get("t")
            self.cell_has_value = False
            self.cell_v = [] if cell_type == "s" or cell_type == "e" else None
            self.in_v = False
        elif name == "row":
            ref = attrs.get("r")
            if ref is not None:
                parsed = parse_ref(ref)
                if parsed is None:
                    self._invalid(f"a row numbered {ref!r}")
                self.row_index = parsed[0]
        elif name == "sheetData":
            self._invalid("a <sheetData> inside <sheetData>")

    def _sheet_end(self, tag: str) -> None:
        name = tag.rpartition(":")[2] if ":" in tag else tag
        if self.cell is not None:
            if name == "v":
                self.in_v = False
            elif name == "c":
                self._end_cell()
        elif name == "row":
            self.row_index += 1
            self.col_index = 0
        elif name == "sheetData":
            self.sheet_data = 2
            if not (self._special or self.collect_strings):
                self._handle()  # calamine reads no further: expat only checks the rest is well-formed

    def _sheet_text(self, data: str) -> None:
        if self.cell is not None:
            if self.in_v and self.cell_v is not None:
                self.cell_v.append(data)
            else:
                self._add_text(len(data))

    def _end_cell(self) -> None:
        cell = self.cell
        assert cell is not None
        if self.cell_v is not None and self.cell_has_value:
            text = "".join(self.cell_v)
            if self.cell_type == "s":
                self._add_shared_string(text.strip(), cell)
            else:
                self._add_text(len(text))
                self.extent.errors[cell] = ExcelError(text or "#ERROR")
        self.cell = None
        self.cell_v = None
        self.col_index += 1

    def _place(self, row: int, col: int) -> None:
        """A cell with a value at (row, col): calamine's grid reaches at least this far."""
        package, extent, limits = self.package, self.extent, self.limits
        package.cells += 1
        if package.cells > limits.max_cells:
            raise Refused(
                "too_many_cells",
                f"The workbook's sheets hold more than {limits.max_cells:,} cells with a value "
                f"(counted up to cell {column_letters(col)}{row + 1} of sheet '{self.sheet}'); "
                f"the limit is {limits.max_cells:,}.",
            )
        if row >= extent.rows:
            extent.rows = row + 1
        if col >= extent.columns:
            extent.columns = col + 1
        if extent.rows > limits.max_rows or extent.columns > limits.max_columns:
            raise Refused(
                "sheet_too_large",
                f"Sheet '{self.sheet}' has {extent.rows:,} rows and {extent.columns:,} columns; "
                f"the limits are {limits.max_rows:,} rows and {limits.max_columns:,} columns.",
            )

    def _add_shared_string(self, text: str, cell: tuple[int, int]) -> None:
        if not text:
            return  # calamine: an empty <v> in a shared-string cell is an empty cell
        index = int(text) if text.isdigit() else 0  # calamine reads an unparsable index as 0
        lengths = self.package.shared_string_lengths
        if index >= len(lengths):
            self._invalid(
                f"cell {column_letters(cell[1])}{cell[0] + 1} uses shared string {index:,}, "
                f"but {SHARED_STRINGS} holds {len(lengths):,}"
            )
        self._add_text(lengths[index])

    def _add_text(self, chars: int) -> None:
        self.extent.text_chars += chars
        package = self.package
        package.text_chars += chars
        if package.text_chars > self.limits.max_text_chars:
            raise Refused(
                "text_too_large",
                f"The workbook holds more than {self.limits.max_text_chars:,} characters of text "
                f"once each shared string is counted in every cell that uses it (reached in {self.sheet!r}); "
                f"the limit is {self.limits.max_text_chars:,}.",
            )

    # --- shared strings, as calamine's reader collects them ------------------------------------------

    def _strings_start(self, tag: str, attrs: dict[str, str]) -> None:
        name = tag.rpartition(":")[2] if ":" in tag else tag
        if name == "sheetData":  # cells in the shared-strings part: read it the general way from here
            self._handle(self._start, self._end, self._text)
            self._start(tag, attrs)
        else:
            self._start_in_strings(name)

    def _strings_end(self, tag: str) -> None:
        self._end_in_strings(tag.rpartition(":")[2] if ":" in tag else tag)

    def _strings_text(self, data: str) -> None:
        if self.in_si and self.in_t:
            self.si_chars += len(data)

    def _start_in_strings(self, name: str) -> None:
        if not self.in_si:
            if name == "si":
                self.in_si, self.si_chars = True, 0
            return
        if name == "si":
            self._invalid("a shared string inside another")
        elif name == "t":
            if self.in_t:
                self._invalid("text inside text")
            self.in_t = True

    def _end_in_strings(self, name: str) -> None:
        if not self.in_si:
            return
        if name == "t":
            self.in_t = False
        elif name == "si":
            # Every <si> is one string to calamine 0.9.1, even an empty one (`<si/>`): the indexes
            # must line up, or a cell would be counted with another string's length.
            self.in_si = False
            self.package.shared_string_lengths.append(self.si_chars)  # phonetic text included: an upper bound
            self._add_text(self.si_chars)  # calamine holds every shared string, used or not

    # --- package metadata ----------------------------------------------------------------------------

    def _add_sheet(self, attrs: dict[str, str]) -> None:
        sheets = self.package.sheets
        if len(sheets) >= self.limits.max_sheets:
            raise Refused(
                "too_many_sheets",
                f"The workbook has more than {self.limits.max_sheets:,} sheets; "
                f"the limit is {self.limits.max_sheets:,}.",
            )
        rel_id = attrs.get("r:id", attrs.get("relationships:id"))  # the two prefixes calamine knows
        sheets.append((attrs.get("name", ""), rel_id))

    def _add_relationship(self, attrs: dict[str, str]) -> None:
        relationships = self.package.relationships
        if len(relationships) >= self.limits.max_relationships:
            self._too_many_parts(len(relationships) + 1)
        relationships.setdefault(attrs.get("Id", ""), attrs.get("Target", ""))

    def _add_content_type(self, name: str, attrs: dict[str, str]) -> None:
        types = self.package.content_types
        if len(types) >= 2 * self.limits.max_relationships:  # one Override per part, plus Defaults
            self._too_many_parts(len(types) + 1)
        if name == "Default":
            types.setdefault(f"ext:{attrs.get('Extension', '').lower()}", attrs.get("ContentType", ""))
        else:
            types.setdefault(attrs.get("PartName", "").lower(), attrs.get("ContentType", ""))

    def _too_many_parts(self, count: int) -> None:
        raise Refused(
            "too_many_parts",
            f"The workbook has {count:,} parts; the limit is {self.limits.max_relationships:,}.",
        )


def read_part(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    package: Package,
    limits: ScanLimits,
    *,
    sheet: str | None = None,
    prolog_only: bool = False,
) -> SheetExtent:
    """Stream one part through the checks; its extent is recorded in `package.extents`.

    `sheet`: the sheet this part holds, for messages. `prolog_only`: a part calamine never reads,
    checked only up to its first tag (no DTD).
    """
    extent = _PartReader(info.filename, package, limits, sheet, prolog_only).read(archive, info)
    package.extents[info.filename] = extent
    return extent
