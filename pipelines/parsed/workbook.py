"""Open a received file as a workbook, or say in plain words why it is not one.

Everything here happens before python-calamine reads anything: the file's kind is told from its
first bytes; the zip directory's size is read from its end record before Python parses it; every
part's name, compression, declared size and ratio are checked before anything is inflated; then
every XML part is streamed once (`part_scan`) to refuse DTDs and to measure each sheet's grid,
cells and text against the limits. So a hostile attachment is refused, naming the limit, in
bounded time and memory, and cannot reach outside the file.
"""

from __future__ import annotations

import posixpath
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from python_calamine import CalamineWorkbook

from pipelines.parsed import part_scan
from pipelines.parsed.part_scan import (
    CONTENT_TYPES,
    SHARED_STRINGS,
    WORKBOOK,
    WORKBOOK_RELS,
    Refused,
)
from pipelines.parsed.values import ExcelError


@dataclass(frozen=True)
class Limits:
    """Bounds that no genuine return comes near; a file over one is rejected, naming the limit."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_compression_ratio: int = 200
    max_members: int = 1000
    max_rows: int = 20_000  # per sheet, as far down as a cell with a value sits
    max_columns: int = 200
    max_sheets: int = 100
    # calamine copies a shared string into every cell that uses it, and holds a Python object per
    # cell: these two bound what a workbook costs once read, whatever its size on disk.
    max_cells: int = 1_000_000
    max_text_chars: int = 20_000_000


DEFAULT_LIMITS = Limits()


class NotAReturn(Exception):
    """The file cannot be read as a return; the message is for the focal point."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule
        self.message = message


_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
_END_OF_DIRECTORY = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_END = b"PK\x06\x06"
_DIRECTORY_BYTES_PER_PART = 1024  # a directory entry is 46 bytes plus name and extras, ~100 in practice
_SMALLEST_DIRECTORY_ENTRY = 46
_STORED_OR_DEFLATED = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_XML_SUFFIXES = (".xml", ".rels")
# Parts calamine reads besides the sheets (by these fixed names, in any letter case): read whole.
_CALAMINE_READS = frozenset(name.lower() for name in ("xl/styles.xml", "_rels/.rels"))
# The workbook part's content type in an .xlsx, .xltx, .xlsm or .xltm: anything else is not a workbook.
WORKBOOK_CONTENT_TYPES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
        "application/vnd.ms-excel.sheet.macroenabled.main+xml",
        "application/vnd.ms-excel.template.macroenabled.main+xml",
    }
)


# The rule of the `~$` file Office leaves beside a workbook while it is open.
LOCK_FILE = "lock_file"
LOCK_FILE_PREFIX = "~$"
# Office's owner file: Excel writes 165 bytes, Word 162 (Excel's without its last three).
_OWNER_FILE_SIZES = (162, 165)
_OWNER_NAME_FIELD = 54  # the name's length, then the name in the ANSI code page padded with spaces


def sniff(path: Path, file_name: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise NotAReturn unless the bytes look like an .xlsx workbook within limits."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(4096)
    if is_lock_file(file_name, head):
        raise NotAReturn(
            LOCK_FILE,
            "This is an Office lock file, which Excel leaves beside a workbook while the workbook is "
            "open: it holds only the name of whoever has it open, not the return. Please close the "
            "workbook in Excel and send the .xlsx file itself.",
        )
    if size == 0:
        raise NotAReturn("empty_file", "The file is empty (0 bytes). Please send the completed .xlsx form.")
    if size > limits.max_file_bytes:
        raise NotAReturn(
            "too_large", f"The file is {size:,} bytes; the limit is {limits.max_file_bytes:,} bytes."
        )
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
                "This is a text file (a CSV or the like), not the Excel form. Please fill in the .xlsx form.",
            )
        raise NotAReturn(
            "not_a_workbook",
            "This file is not an Excel workbook (.xlsx). "
            "Please save the return in Excel as an Excel Workbook (.xlsx) and send that file.",
        )


def is_lock_file(file_name: str, head: bytes) -> bool:
    """A lock file by its name (`~$KAZ_2021.xlsx`) or by its content (one renamed on the way).

    A `~$` file whose bytes are a workbook (zip) or an Office 97-2003 file is read as what it is:
    the name alone must not turn a real return away as a lock file.
    """
    if head.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        return False
    return file_name.startswith(LOCK_FILE_PREFIX) or _is_owner_file(head)


def _is_owner_file(head: bytes) -> bool:
    """The owner's name twice: its length and ANSI text padded with spaces to 54 bytes, then its
    length again and its UTF-16 text: a shape no form, text file or archive has."""
    if len(head) not in _OWNER_FILE_SIZES:
        return False
    length, field = head[0], _OWNER_NAME_FIELD
    if (
        not 0 < length < field
        or head[1 + length : field].strip(b" ")
        or head[field : field + 2] != bytes([length, 0])
    ):
        return False
    try:
        name = head[field + 2 : field + 2 + 2 * length].decode("utf-16-le")
    except UnicodeDecodeError:
        return False
    return len(name) == length and name.isprintable()


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
        try:
            sheet = self._calamine.get_sheet_by_name(sheet_name)
        except Exception as exc:  # a cell calamine cannot read (`t=" s"`) surfaces only here
            raise calamine_failed(exc) from exc
        if sheet.total_height > self.limits.max_rows or sheet.total_width > self.limits.max_columns:
            raise NotAReturn(
                "sheet_too_large",
                f"Sheet '{sheet_name}' has {sheet.total_height:,} rows and {sheet.total_width:,} columns; "
                f"the limits are {self.limits.max_rows:,} rows and {self.limits.max_columns:,} columns.",
            )
        try:
            rows = [list(row) for row in sheet.to_python(skip_empty_area=False)]
        except Exception as exc:
            raise calamine_failed(exc) from exc
        for (row, col), error in self._errors.get(sheet_name, {}).items():
            while len(rows) <= row:
                rows.append([])
            while len(rows[row]) <= col:
                rows[row].append("")
            rows[row][col] = error
        return rows


def open_workbook(path: Path, file_name: str, limits: Limits = DEFAULT_LIMITS) -> Workbook:
    sniff(path, file_name, limits)
    _check_directory_size(path, limits)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise NotAReturn(
            "corrupt",
            f"The file is damaged or incomplete and cannot be opened as a workbook ({exc}). "
            "Please open the return in Excel, save it again and send the new file.",
        ) from exc
    with archive:
        members = _check_members(archive, limits)
        try:
            package, sheet_parts = _scan_parts(archive, members, limits)
        except Refused as exc:
            raise NotAReturn(exc.rule, exc.message) from exc
    errors = {name: package.extents[part].errors for name, part in sheet_parts.items()}
    try:
        calamine = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types and plain ValueErrors alike
        raise calamine_failed(exc) from exc
    hidden = {meta.name for meta in calamine.sheets_metadata if "Visible" not in str(meta.visible)}
    return Workbook(list(calamine.sheet_names), hidden, calamine, errors, limits)


# The rule of a file that passed every check but that python-calamine could not read.
UNREADABLE = "unreadable"


def calamine_failed(exc: Exception) -> NotAReturn:
    """calamine could not read what passed every check before it: `unreadable`, with its reason."""
    return NotAReturn(UNREADABLE, f"The workbook cannot be read ({type(exc).__name__}: {exc}).")


def _check_directory_size(path: Path, limits: Limits) -> None:
    """Refuse a zip whose central directory could list more parts than the limit.

    Python's zipfile builds an object for every directory entry before anything can be counted:
    50 MB of directory are a million entries and ~450 MB of memory. The end record says how many
    bytes the directory takes, so this is read first (a file with no end record is left to
    zipfile, which says it is not a zip).
    """
    size = path.stat().st_size
    with path.open("rb") as handle:
        tail_start = max(0, size - (22 + 0xFFFF))
        handle.seek(tail_start)
        tail = handle.read()
        end = len(tail) - 22 if tail[-22:-18] == _END_OF_DIRECTORY else tail.rfind(_END_OF_DIRECTORY)
        if end < 0 or len(tail) - end < 22:
            return
        _, _, _, _, entries, directory_bytes, _, _ = struct.unpack_from("<4s4H2LH", tail, end)
        locator = end - 20
        if locator >= 0 and tail[locator : locator + 4] == _ZIP64_LOCATOR:
            (zip64_end,) = struct.unpack_from("<Q", tail, locator + 8)
            handle.seek(zip64_end)
            record = handle.read(56)
            if len(record) == 56 and record[:4] == _ZIP64_END:
                entries, directory_bytes = struct.unpack_from("<QQ", record, 32)
    if entries > limits.max_members or directory_bytes > limits.max_members * _DIRECTORY_BYTES_PER_PART:
        parts = max(entries, directory_bytes // _SMALLEST_DIRECTORY_ENTRY)  # what zipfile would build
        raise NotAReturn(
            "too_many_parts", f"The workbook has {parts:,} parts; the limit is {limits.max_members:,}."
        )


def _check_members(archive: zipfile.ZipFile, limits: Limits) -> dict[str, zipfile.ZipInfo]:
    """Names, compression and declared sizes of every part, before any is inflated.

    Returns the parts by lower-case name: calamine finds a part by its name in any letter case.
    """
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise NotAReturn(
            "too_many_parts", f"The workbook has {len(members):,} parts; the limit is {limits.max_members:,}."
        )
    by_name: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for member in members:
        name = member.filename
        if name.startswith("/") or ".." in name.split("/") or "\\" in name or "\x00" in name or ":" in name:
            raise NotAReturn(
                "unsafe_member_path", f"The workbook contains a part with an unsafe path: {name!r}."
            )
        if name.lower() in by_name:  # Python reads the last of two, calamine the first: never both
            raise NotAReturn(
                "unsafe_member_path",
                f"The workbook contains a part with an unsafe path: {name!r} (it appears twice).",
            )
        by_name[name.lower()] = member
        if member.flag_bits & 0x1:  # a zip password on the parts, not Excel's own encryption
            raise NotAReturn(
                "password_protected",
                "The workbook is password-protected. Please remove the password and send it again.",
            )
        if member.compress_type not in _STORED_OR_DEFLATED:
            raise NotAReturn(
                "corrupt",
                "The file is damaged or incomplete and cannot be opened as a workbook "
                f"(part {name!r} is compressed with method {member.compress_type}, "
                "which spreadsheet programs never use). "
                "Please open the return in Excel, save it again and send the new file.",
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
    if total > limits.max_uncompressed_bytes:
        raise NotAReturn(
            "uncompressed_size",
            f"The workbook inflates to {total:,} bytes; "
            f"the limit is {limits.max_uncompressed_bytes:,} bytes.",
        )
    if WORKBOOK.lower() not in by_name:
        raise NotAReturn(
            "not_a_workbook",
            "The file is a zip archive but not an Excel workbook (no xl/workbook.xml). "
            "Please save the return in Excel as an Excel Workbook (.xlsx) and send that file.",
        )
    return by_name


def _scan_parts(
    archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], limits: Limits
) -> tuple[part_scan.Package, dict[str, str]]:
    """Stream every part calamine may read as XML; returns the package and sheet name -> part.

    The order matters: content types and relationships say what the parts are, the shared
    strings must be known before the cells that use them are counted.
    """
    scan_limits = part_scan.ScanLimits(
        max_rows=limits.max_rows,
        max_columns=limits.max_columns,
        max_cells=limits.max_cells,
        max_text_chars=limits.max_text_chars,
        max_sheets=limits.max_sheets,
        max_relationships=limits.max_members,
    )
    package = part_scan.Package()
    done: set[str] = set()

    def read(info: zipfile.ZipInfo, sheet: str | None = None, prolog_only: bool = False) -> None:
        part_scan.read_part(archive, info, package, scan_limits, sheet=sheet, prolog_only=prolog_only)
        done.add(info.filename)

    for required in (CONTENT_TYPES, WORKBOOK_RELS):
        if required.lower() not in members:
            raise NotAReturn("missing_part", f"The workbook has no {required} part.")
    read(members[CONTENT_TYPES.lower()])
    _check_content_type(package)
    read(members[WORKBOOK_RELS.lower()])
    read(members[WORKBOOK.lower()])
    sheet_parts = {}
    for name, rel_id in package.sheets:
        target = package.relationships.get(rel_id or "")
        member = _sheet_member(target, members) if target else None
        if member is None:
            missing = _calamine_path(target) if target else f"relationship {rel_id!r} of sheet {name!r}"
            raise NotAReturn("missing_part", f"The workbook has no {missing} part.")
        sheet_parts[name] = member.filename
    if SHARED_STRINGS.lower() in members:
        read(members[SHARED_STRINGS.lower()])
    sheet_of = {part: name for name, part in sheet_parts.items()}
    for info in archive.infolist():
        if info.filename in done:
            continue
        if info.filename in sheet_of or info.filename.lower() in _CALAMINE_READS:
            read(info, sheet_of.get(info.filename))
        elif info.filename.lower().endswith(_XML_SUFFIXES):
            read(info, prolog_only=True)
    return package, sheet_parts


def _check_content_type(package: part_scan.Package) -> None:
    declared = package.content_types.get("/" + WORKBOOK.lower()) or package.content_types.get("ext:xml")
    if (declared or "").lower() not in WORKBOOK_CONTENT_TYPES:
        raise NotAReturn(
            "not_a_workbook",
            "The file is a zip archive but not an Excel workbook "
            f"(its main part is declared as {declared or 'nothing'!r}). "
            "Please save the return in Excel as an Excel Workbook (.xlsx) and send that file.",
        )


def _calamine_path(target: str) -> str:
    """The part calamine opens for a sheet's relationship target (it does not resolve `..`)."""
    if target.startswith("/xl/"):
        return target[1:]
    if target.startswith("xl/"):
        return target
    return f"xl/{target}"


def _sheet_member(target: str, members: dict[str, zipfile.ZipInfo]) -> zipfile.ZipInfo | None:
    """The part a sheet's relationship target names, found as calamine finds it, else normalised."""
    normalised = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
    return members.get(_calamine_path(target).lower()) or members.get(normalised.lower())


def cell_ref(row: int, col: int) -> str:
    """A1 reference of 0-based (row, col)."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"
