"""Open a received file as a workbook, or say in plain words why it is not one.

Everything here happens before any cell is read: the file's kind is told from its first
bytes, the zip directory is checked against limits before anything is inflated, and XML
that declares a DTD is refused, so a hostile attachment cannot exhaust memory or reach out.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import ElementTree as SafeET
from python_calamine import CalamineWorkbook

from pipelines.parsed.values import ExcelError


@dataclass(frozen=True)
class Limits:
    """Bounds that no genuine return comes near; a file over one is rejected, naming the limit."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_compression_ratio: int = 200
    max_members: int = 1000
    max_rows: int = 20_000
    max_columns: int = 200


DEFAULT_LIMITS = Limits()


class NotAReturn(Exception):
    """The file cannot be read as a return; the message is for the focal point."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule
        self.message = message


_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_TAG = re.compile(rb"<c\b([^>]*)>")
_ATTR = re.compile(rb'\b(r|t)="([^"]*)"')
_ERROR_VALUE = re.compile(rb"<v>([^<]*)</v>")


def sniff(path: Path, file_name: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise NotAReturn unless the bytes look like an .xlsx workbook within limits."""
    size = path.stat().st_size
    if size == 0:
        raise NotAReturn("empty_file", "The file is empty (0 bytes). Please send the completed .xlsx form.")
    if size > limits.max_file_bytes:
        raise NotAReturn(
            "too_large", f"The file is {size:,} bytes; the limit is {limits.max_file_bytes:,} bytes."
        )
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(_OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in path.read_bytes():
            raise NotAReturn(
                "password_protected",
                "The workbook is password-protected. Please remove the password and send it again.",
            )
        raise NotAReturn(
            "legacy_xls",
            "This is a legacy Excel 97-2003 (.xls) file. Please save it as .xlsx and send it again.",
        )
    if not head.startswith(_ZIP_MAGIC):
        if file_name.lower().endswith((".csv", ".txt")) or _looks_like_text(head):
            raise NotAReturn(
                "not_a_workbook_text",
                "This is a text (CSV) file, not the Excel form. Please fill in the .xlsx form.",
            )
        raise NotAReturn("not_a_workbook", "This file is not an Excel workbook (.xlsx).")


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in head


@dataclass
class Workbook:
    """A return's workbook, read: cell grids per sheet, with Excel error cells put back in."""

    sheet_names: list[str]
    hidden: set[str]
    _calamine: CalamineWorkbook
    _errors: dict[str, dict[tuple[int, int], ExcelError]] = field(default_factory=dict)
    limits: Limits = DEFAULT_LIMITS

    def grid(self, sheet_name: str) -> list[list[object]]:
        """Rows of values, 0-based, from A1, with error cells as ExcelError.

        python-calamine reads error cells as empty strings, which would make `#DIV/0!` look
        like "not reported"; the errors found in the sheet XML are laid back over the grid.
        """
        sheet = self._calamine.get_sheet_by_name(sheet_name)
        if sheet.total_height > self.limits.max_rows or sheet.total_width > self.limits.max_columns:
            raise NotAReturn(
                "sheet_too_large",
                f"Sheet '{sheet_name}' has {sheet.total_height:,} rows and {sheet.total_width:,} columns; "
                f"the limits are {self.limits.max_rows:,} rows and {self.limits.max_columns:,} columns.",
            )
        rows = [list(row) for row in sheet.to_python(skip_empty_area=False)]
        for (row, col), error in self._errors.get(sheet_name, {}).items():
            while len(rows) <= row:
                rows.append([])
            while len(rows[row]) <= col:
                rows[row].append("")
            rows[row][col] = error
        return rows


def open_workbook(path: Path, file_name: str, limits: Limits = DEFAULT_LIMITS) -> Workbook:
    sniff(path, file_name, limits)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise NotAReturn(
            "corrupt", f"The file is damaged or incomplete and cannot be opened as a workbook ({exc})."
        ) from exc
    with archive:
        _check_members(archive, limits)
        sheet_parts = _sheet_parts(archive)
        errors = {name: _error_cells(archive, part) for name, part in sheet_parts.items()}
    try:
        calamine = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types and plain ValueErrors alike
        raise NotAReturn("unreadable", f"The workbook cannot be read ({type(exc).__name__}: {exc}).") from exc
    hidden = {meta.name for meta in calamine.sheets_metadata if "Visible" not in str(meta.visible)}
    return Workbook(list(calamine.sheet_names), hidden, calamine, errors, limits)


def _check_members(archive: zipfile.ZipFile, limits: Limits) -> None:
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise NotAReturn(
            "too_many_parts", f"The workbook has {len(members):,} parts; the limit is {limits.max_members:,}."
        )
    total = 0
    for member in members:
        name = member.filename
        if name.startswith("/") or ".." in name.split("/") or "\\" in name:
            raise NotAReturn(
                "unsafe_member_path", f"The workbook contains a part with an unsafe path: {name!r}."
            )
        total += member.file_size
        if (
            member.compress_size
            and member.file_size / member.compress_size > limits.max_compression_ratio
            and member.file_size > 1_000_000
        ):
            raise NotAReturn(
                "compression_ratio",
                f"Part {name!r} inflates {member.file_size // max(member.compress_size, 1):,}-fold; "
                f"the limit is {limits.max_compression_ratio}-fold (a zip bomb?).",
            )
        if name.endswith((".xml", ".rels")):
            with archive.open(member) as part:
                head = part.read(4096)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise NotAReturn(
                    "xml_dtd", f"Part {name!r} declares a DTD or entities, which returns never need; refused."
                )
    if total > limits.max_uncompressed_bytes:
        raise NotAReturn(
            "uncompressed_size",
            f"The workbook inflates to {total:,} bytes; "
            f"the limit is {limits.max_uncompressed_bytes:,} bytes.",
        )
    names = {member.filename for member in members}
    if "xl/workbook.xml" not in names:
        raise NotAReturn(
            "not_a_workbook", "The file is a zip archive but not an Excel workbook (no xl/workbook.xml)."
        )


def _read_xml(archive: zipfile.ZipFile, part: str):
    data = archive.read(part)  # _check_members has already refused DTDs in every XML part
    try:
        return SafeET.fromstring(data)
    except Exception as exc:  # defusedxml raises on entities; ParseError on broken XML
        raise NotAReturn("xml_invalid", f"Part {part!r} is not valid XML ({exc}).") from exc


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> zip part of its XML, from workbook.xml and its relationships."""
    workbook = _read_xml(archive, "xl/workbook.xml")
    try:
        rels = _read_xml(archive, "xl/_rels/workbook.xml.rels")
    except KeyError as exc:
        raise NotAReturn("missing_part", "The workbook has no xl/_rels/workbook.xml.rels part.") from exc
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_PKG_REL_NS}Relationship")}
    parts = {}
    for sheet in workbook.iter(f"{_MAIN_NS}sheet"):
        target = targets.get(sheet.get(f"{_REL_NS}id"), "")
        part = (
            target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        )
        parts[sheet.get("name")] = part
    return parts


def _error_cells(archive: zipfile.ZipFile, part: str) -> dict[tuple[int, int], ExcelError]:
    try:
        data = archive.read(part)
    except KeyError:
        return {}
    errors = {}
    for match in _CELL_TAG.finditer(data):
        attrs = dict(_ATTR.findall(match.group(1)))
        if attrs.get(b"t") != b"e" or b"r" not in attrs:
            continue
        self_closing = match.group(1).endswith(b"/")
        cell_end = match.end() if self_closing else data.find(b"</c>", match.end())
        value = _ERROR_VALUE.search(data, match.end(), max(cell_end, match.end()))
        text = value.group(1).decode(errors="replace") if value else "#ERROR"
        errors[_cell_index(attrs[b"r"].decode())] = ExcelError(text)
    return errors


def _cell_index(ref: str) -> tuple[int, int]:
    letters = "".join(ch for ch in ref if ch.isalpha())
    digits = "".join(ch for ch in ref if ch.isdigit())
    col = 0
    for ch in letters.upper():
        col = col * 26 + (ord(ch) - 64)
    return int(digits) - 1, col - 1


def cell_ref(row: int, col: int) -> str:
    """A1 reference of 0-based (row, col)."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"
