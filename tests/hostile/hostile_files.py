"""Hostile and broken files, built byte by byte from a valid return, each with the outcome it must get.

Every builder starts from a real return written by the project's writer and plants one defect,
named in its docstring. `catalogue()` pairs each file with the rule its rejection must carry and a
phrase its message must contain (the limit or the part it names); the unit tests parse each file
with `parse_return`, the end-to-end test drops them all into one inputs folder.
"""

from __future__ import annotations

import io
import random
import struct
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile

from pipelines.forms.return_writer import render_return
from pipelines.parsed.workbook import DEFAULT_LIMITS
from tests.conftest import sample_return

COVER = "xl/worksheets/sheet1.xml"  # the writer's part for each sheet, in the form's order
ACTIVITIES = "xl/worksheets/sheet2.xml"
SHARED_STRINGS = "xl/sharedStrings.xml"
WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
CONTENT_TYPES = "[Content_Types].xml"
THEME = "xl/theme/theme1.xml"
SECRET_MARKER = "NORMSDATA-SECRET-7f3a"  # what an external entity would pull in if it were expanded

# Ten levels of ten: expanded, `&lol9;` is 10^9 copies of "lol" (3 GB).
BILLION_LAUGHS = (
    '<!DOCTYPE worksheet [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    + "]>"
)


def valid_return(iso3: str = "KAZ", year: int = 2023, engine: str = "openpyxl") -> bytes:
    """A clean return. The openpyxl engine writes inline strings, xlsxwriter shared strings."""
    return render_return(sample_return(iso3, year), engine=engine)


def part(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def repack(
    data: bytes,
    *,
    replace: dict[str, bytes] | None = None,
    drop: tuple[str, ...] = (),
    add: list[tuple[str, bytes]] | None = None,
    stored: tuple[str, ...] = (),
    compression: dict[str, int] | None = None,
) -> bytes:
    """The same zip with parts replaced, dropped or added (in order, duplicates allowed)."""
    replace, compression = replace or {}, compression or {}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")  # "Duplicate name": planted on purpose
        for info in source.infolist():
            if info.filename not in drop:
                method = zipfile.ZIP_STORED if info.filename in stored else compression.get(info.filename)
                target.writestr(
                    info.filename, replace.get(info.filename, source.read(info)), compress_type=method
                )
        for name, payload in add or []:
            target.writestr(name, payload, compress_type=compression.get(name))
    return out.getvalue()


def with_rows(data: bytes, rows: bytes, sheet: str = ACTIVITIES) -> bytes:
    """`rows` appended to the end of a sheet's <sheetData>."""
    xml = part(data, sheet)
    return repack(data, replace={sheet: xml.replace(b"</sheetData>", rows + b"</sheetData>")})


def with_prolog(xml: bytes, prolog: str, *, use: str | None = None, where: bytes = b"") -> bytes:
    """A DTD (or anything) put before the root element; `use` replaces `where` to use an entity."""
    body = xml.replace(where, use.encode(), 1) if use else xml
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + prolog.encode() + body


def _directory_entries(data: bytes):
    """(offset of central directory entry, offset of local header, name) for every part."""
    position = data.find(b"PK\x01\x02")
    while position != -1:
        name_length, extra_length, comment_length = struct.unpack_from("<3H", data, position + 28)
        (local,) = struct.unpack_from("<L", data, position + 42)
        yield position, local, data[position + 46 : position + 46 + name_length].decode()
        position = data.find(b"PK\x01\x02", position + 46 + name_length + extra_length + comment_length)


def patch_entry(
    data: bytes, name: str, *, declared_size: int | None = None, flags: int | None = None
) -> bytes:
    """Rewrite what the zip's headers say about a part (both its directory entry and local header)."""
    out = bytearray(data)
    for directory, local, entry_name in list(_directory_entries(data)):
        if entry_name != name:
            continue
        if declared_size is not None:
            struct.pack_into("<L", out, directory + 24, declared_size)
            struct.pack_into("<L", out, local + 22, declared_size)
        if flags is not None:
            struct.pack_into("<H", out, directory + 8, flags)
            struct.pack_into("<H", out, local + 6, flags)
    return bytes(out)


# --- XML attacks ----------------------------------------------------------------------------------


def billion_laughs() -> bytes:
    """Entity expansion in the Activities sheet: `&lol9;` where a header should be."""
    data = valid_return()
    xml = with_prolog(
        part(data, ACTIVITIES), BILLION_LAUGHS, use="<t>&lol9;</t>", where=b"<t>Activity ID</t>"
    )
    return repack(data, replace={ACTIVITIES: xml})


def billion_laughs_late() -> bytes:
    """The same, with 5,000 bytes of comment before the DTD: past any check of the first 4 KB."""
    data = valid_return()
    xml = with_prolog(
        part(data, ACTIVITIES),
        "<!--" + " " * 5000 + "-->" + BILLION_LAUGHS,
        use="<t>&lol9;</t>",
        where=b"<t>Activity ID</t>",
    )
    return repack(data, replace={ACTIVITIES: xml})


def external_entity(secret: Path) -> bytes:
    """XXE: a shared string defined as the contents of a local file (`secret`)."""
    data = valid_return(engine="xlsxwriter")
    xml = with_prolog(
        part(data, SHARED_STRINGS),
        f'<!DOCTYPE sst [<!ENTITY leak SYSTEM "{secret.as_uri()}">]>',
        use="<t>&leak;</t>",
        where=b"<t>Member State</t>",
    )
    return repack(data, replace={SHARED_STRINGS: xml})


def parameter_entity() -> bytes:
    """An external parameter entity in workbook.xml, fetched from the network if ever resolved."""
    data = valid_return()
    xml = with_prolog(
        part(data, WORKBOOK),
        '<!DOCTYPE workbook [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>',
    )
    return repack(data, replace={WORKBOOK: xml})


def dtd_in_utf16() -> bytes:
    """The billion laughs in a UTF-16 sheet: invisible to a byte search for `<!DOCTYPE`."""
    data = valid_return()
    body = part(data, ACTIVITIES).decode().replace("<t>Activity ID</t>", "<t>&lol9;</t>")
    xml = ('<?xml version="1.0" encoding="UTF-16"?>' + BILLION_LAUGHS + body).encode("utf-16")
    return repack(data, replace={ACTIVITIES: xml})


def dtd_in_theme() -> bytes:
    """A DTD in the theme, a part no reader of ours uses: refused all the same."""
    data = valid_return()
    return repack(data, replace={THEME: with_prolog(part(data, THEME), BILLION_LAUGHS)})


def undeclared_entity() -> bytes:
    """An entity reference with no DTD to define it."""
    data = valid_return()
    xml = part(data, ACTIVITIES).replace(b"<t>Activity ID</t>", b"<t>&lol9;</t>")
    return repack(data, replace={ACTIVITIES: xml})


# --- zip bombs and giant sheets ----------------------------------------------------------------------


def zip_bomb() -> bytes:
    """The Activities sheet padded with 64 MB of spaces: ~64 KB compressed, a 1,000-fold ratio."""
    data = valid_return()
    xml = part(data, ACTIVITIES)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename != ACTIVITIES:
                target.writestr(info.filename, source.read(info))
                continue
            with target.open(ACTIVITIES, "w", force_zip64=True) as sheet:
                head, _, tail = xml.partition(b"</sheetData>")
                sheet.write(head)
                for _ in range(64):
                    sheet.write(b" " * (1 << 20))
                sheet.write(b"</sheetData>" + tail)
    return out.getvalue()


def lying_sizes() -> bytes:
    """A 1.6 MB stored part whose headers claim 300 MB (ratio 187, under the ratio limit)."""
    noise = random.Random(7).randbytes(1_600_000)
    data = repack(valid_return(), add=[("xl/media/padding.bin", noise)], stored=("xl/media/padding.bin",))
    return patch_entry(data, "xl/media/padding.bin", declared_size=300 * 1024 * 1024)


def far_cell() -> bytes:
    """One value at XFD1048576, the last cell of a sheet: calamine would build a 17-billion-cell grid."""
    return with_rows(valid_return(), b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')


def far_row() -> bytes:
    """One value at row 1,000,000 of column A."""
    return with_rows(valid_return(), b'<row r="1000000"><c r="A1000000"><v>1</v></c></row>')


def rows_without_numbers(rows: int = DEFAULT_LIMITS.max_rows + 1) -> bytes:
    """20,001 rows with no `r` attribute: placed one below the other, past the row limit."""
    return with_rows(valid_return(), b"<row><c><v>1</v></c></row>" * rows)


def shared_string_bomb(cells: int = 40_000) -> bytes:
    """One 30,000-character shared string used by 40,000 cells (1.2 billion characters once copied)."""
    data = valid_return(engine="xlsxwriter")
    strings = part(data, SHARED_STRINGS)
    index = strings.count(b"<si>")
    strings = strings.replace(b"</sst>", b"<si><t>" + b"ABCDEFGHIJ" * 3000 + b"</t></si></sst>")
    rows = b"".join(
        b'<row r="%d">' % row + b'<c t="s"><v>%d</v></c>' % index * 10 + b"</row>"
        for row in range(6, 6 + cells // 10)
    )
    sheet = part(data, ACTIVITIES).replace(b"</sheetData>", rows + b"</sheetData>")
    return repack(data, replace={SHARED_STRINGS: strings, ACTIVITIES: sheet})


def many_cells(cells: int = DEFAULT_LIMITS.max_cells + 1, columns: int = 60) -> bytes:
    """More cells with a value than the limit, inside the row and column limits."""
    rows = []
    for row in range(cells // columns + 1):
        values = "".join(f"<c><v>{row * columns + col}</v></c>" for col in range(columns))
        rows.append(f'<row r="{row + 6}">{values}</row>')
    return with_rows(valid_return(), "".join(rows).encode())


def many_parts(extra: int = DEFAULT_LIMITS.max_members) -> bytes:
    """A valid return plus `extra` empty parts: more parts than the limit."""
    return repack(valid_return(), add=[(f"customXml/item{i}.xml", b"") for i in range(extra)])


def huge_directory(entries: int = 200_000) -> bytes:
    """A zip whose central directory lists `entries` parts, all pointing at one tiny local header.

    Python's zipfile would build an object per entry (~90 MB for 200,000) before anyone could count.
    """
    name = b"x.xml"
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name
    entry = struct.pack(
        "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0, 0, 0
    )
    directory = (entry + name) * entries
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, len(directory), len(local), 0)
    return local + directory + end


def many_sheets() -> bytes:
    """101 sheets, all pointing at the Cover's part."""
    data = valid_return()
    sheets = "".join(
        f'<sheet name="S{i}" sheetId="{i + 10}" r:id="rId1" />' for i in range(DEFAULT_LIMITS.max_sheets + 1)
    )
    xml = part(data, WORKBOOK).replace(b"</sheets>", sheets.encode() + b"</sheets>")
    return repack(data, replace={WORKBOOK: xml})


# --- archive tricks ------------------------------------------------------------------------------------


def member_path(name: str) -> Callable[[], bytes]:
    def build() -> bytes:
        return repack(valid_return(), add=[(name, b"planted by a hostile workbook")])

    build.__doc__ = f"A part named {name!r}: written there by anyone who extracts the zip naively."
    return build


def duplicate_part() -> bytes:
    """xl/workbook.xml twice: Python reads the last, calamine the first."""
    data = valid_return()
    return repack(data, add=[(WORKBOOK, part(data, WORKBOOK).replace(b'name="Cover"', b'name="Other"'))])


def duplicate_part_other_case() -> bytes:
    """XL/WORKBOOK.XML beside xl/workbook.xml: calamine finds parts whatever their case."""
    data = valid_return()
    return repack(data, add=[(WORKBOOK.upper(), part(data, WORKBOOK))])


# --- broken workbooks ----------------------------------------------------------------------------------


def empty() -> bytes:
    """Zero bytes."""
    return b""


def random_bytes() -> bytes:
    """4 KB of noise."""
    return random.Random(3).randbytes(4096)


def truncated() -> bytes:
    """The first half of a valid return (a download that stopped)."""
    data = valid_return()
    return data[: len(data) // 2]


def zip_of_text() -> bytes:
    """A zip holding a text file."""
    return _zip({"readme.txt": b"not a workbook"})


def word_document() -> bytes:
    """A Word document (.docx) renamed .xlsx."""
    return _zip(
        {
            CONTENT_TYPES: b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            b'<Override PartName="/word/document.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
            "word/document.xml": b'<w:document xmlns:w="http://schemas.openxmlformats.org/'
            b'wordprocessingml/2006/main"><w:body/></w:document>',
        }
    )


def wrong_content_type() -> bytes:
    """A workbook whose content types declare its main part a Word document."""
    data = valid_return()
    types = part(data, CONTENT_TYPES).replace(
        b"spreadsheetml.sheet.main+xml", b"wordprocessingml.document.main+xml"
    )
    return repack(data, replace={CONTENT_TYPES: types})


def dropped(name: str) -> Callable[[], bytes]:
    def build() -> bytes:
        engine = "xlsxwriter" if name == SHARED_STRINGS else "openpyxl"
        return repack(valid_return(engine=engine), drop=(name,))

    build.__doc__ = f"A return without its part {name}."
    return build


def bad_checksum() -> bytes:
    """A stored (uncompressed) sheet with one byte changed after the checksum was written."""
    data = bytearray(repack(valid_return(), stored=(ACTIVITIES,)))
    at = data.index(b"Activity ID")
    data[at] = ord("a")
    return bytes(data)


def zip_password_flag() -> bytes:
    """The Cover's part marked as encrypted with a zip password."""
    return patch_entry(valid_return(), COVER, flags=0x1)


def lzma_part() -> bytes:
    """The Cover's part compressed with LZMA, which no spreadsheet program writes."""
    return repack(valid_return(), compression={COVER: zipfile.ZIP_LZMA})


def password_protected() -> bytes:
    """Excel's own encryption: an OLE container holding an EncryptedPackage."""
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(valid_return())).encrypt("secret", encrypted)
    return encrypted.getvalue()


def legacy_xls() -> bytes:
    """An Excel 97-2003 file."""
    book = xlwt.Workbook()
    book.add_sheet("Cover").write(0, 0, "Member State")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_text() -> bytes:
    """The Activities table saved as CSV."""
    return b"Activity ID,Thematic area\nACT-1,PRISON_REFORM\n"


def blank_workbook() -> bytes:
    """A valid workbook with one empty sheet and no Cover."""
    out = io.BytesIO()
    openpyxl.Workbook().save(out)
    return out.getvalue()


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, payload in parts.items():
            archive.writestr(name, payload)
    return out.getvalue()


@dataclass(frozen=True)
class Hostile:
    file_name: str
    build: Callable[[], bytes]
    rule: str  # the rejection's rule
    mentions: str  # a phrase the message must contain: the limit, the part or the reason
    heavy: bool = False  # large to build or to refuse: exercised end to end only

    @property
    def what(self) -> str:
        return (self.build.__doc__ or "").strip().splitlines()[0]


def catalogue(secret: Path) -> list[Hostile]:
    """Every hostile or broken file and the exact outcome it must get. `secret`: a file outside the
    inputs whose contents an external entity tries to pull in."""
    limits = DEFAULT_LIMITS
    return [
        # 1. XML attacks: never expanded, the file refused unread
        Hostile("billion_laughs.xlsx", billion_laughs, "xml_dtd", f"'{ACTIVITIES}' declares a DTD"),
        Hostile("billion_laughs_late.xlsx", billion_laughs_late, "xml_dtd", f"'{ACTIVITIES}' declares a DTD"),
        Hostile("xxe_local_file.xlsx", lambda: external_entity(secret), "xml_dtd", f"'{SHARED_STRINGS}'"),
        Hostile("xxe_parameter_entity.xlsx", parameter_entity, "xml_dtd", f"'{WORKBOOK}' declares a DTD"),
        Hostile("dtd_utf16.xlsx", dtd_in_utf16, "xml_invalid", "UTF-16"),
        Hostile("dtd_in_theme.xlsx", dtd_in_theme, "xml_dtd", f"'{THEME}' declares a DTD"),
        Hostile("undeclared_entity.xlsx", undeclared_entity, "xml_invalid", "undefined entity"),
        # 2. zip bombs and giant sheets: refused before inflating, naming the limit
        Hostile(
            "zip_bomb.xlsx", zip_bomb, "compression_ratio", f"limit is {limits.max_compression_ratio}-fold"
        ),
        Hostile(
            "lying_sizes.xlsx",
            lying_sizes,
            "uncompressed_size",
            f"limit is {limits.max_uncompressed_bytes:,} bytes",
        ),
        Hostile("far_cell.xlsx", far_cell, "sheet_too_large", f"limits are {limits.max_rows:,} rows"),
        Hostile("far_row.xlsx", far_row, "sheet_too_large", "1,000,000 rows"),
        Hostile(
            "rows_without_numbers.xlsx",
            rows_without_numbers,
            "sheet_too_large",
            f"{limits.max_rows + 1:,} rows",
        ),
        Hostile(
            "shared_string_bomb.xlsx",
            shared_string_bomb,
            "text_too_large",
            f"limit is {limits.max_text_chars:,}",
        ),
        Hostile(
            "many_cells.xlsx", many_cells, "too_many_cells", f"limit is {limits.max_cells:,}", heavy=True
        ),
        Hostile("many_parts.xlsx", many_parts, "too_many_parts", f"limit is {limits.max_members:,}"),
        Hostile("huge_directory.xlsx", huge_directory, "too_many_parts", f"limit is {limits.max_members:,}"),
        Hostile("many_sheets.xlsx", many_sheets, "too_many_sheets", f"limit is {limits.max_sheets:,}"),
        # 3. archive tricks: never extracted
        Hostile("zip_slip.xlsx", member_path("../../evil.txt"), "unsafe_member_path", "'../../evil.txt'"),
        Hostile(
            "absolute_member.xlsx", member_path("/tmp/evil.txt"), "unsafe_member_path", "'/tmp/evil.txt'"
        ),
        Hostile("backslash_member.xlsx", member_path("..\\..\\evil.txt"), "unsafe_member_path", "evil.txt"),
        Hostile("duplicate_part.xlsx", duplicate_part, "unsafe_member_path", "appears twice"),
        Hostile("duplicate_part_case.xlsx", duplicate_part_other_case, "unsafe_member_path", "appears twice"),
        # 4. broken workbooks
        Hostile("empty.xlsx", empty, "empty_file", "0 bytes"),
        Hostile("noise.xlsx", random_bytes, "not_a_workbook", "not an Excel workbook"),
        Hostile("truncated.xlsx", truncated, "corrupt", "damaged or incomplete"),
        Hostile("zip_of_text.xlsx", zip_of_text, "not_a_workbook", "no xl/workbook.xml"),
        Hostile("word_document.xlsx", word_document, "not_a_workbook", "no xl/workbook.xml"),
        Hostile("wrong_content_type.xlsx", wrong_content_type, "not_a_workbook", "wordprocessingml"),
        Hostile("no_workbook_part.xlsx", dropped(WORKBOOK), "not_a_workbook", "no xl/workbook.xml"),
        Hostile("no_relationships.xlsx", dropped(WORKBOOK_RELS), "missing_part", WORKBOOK_RELS),
        Hostile("no_content_types.xlsx", dropped(CONTENT_TYPES), "missing_part", CONTENT_TYPES),
        Hostile("no_sheet_part.xlsx", dropped(ACTIVITIES), "missing_part", ACTIVITIES),
        Hostile("no_shared_strings.xlsx", dropped(SHARED_STRINGS), "xml_invalid", SHARED_STRINGS),
        Hostile("bad_checksum.xlsx", bad_checksum, "corrupt", "Bad CRC-32"),
        Hostile("zip_password.xlsx", zip_password_flag, "password_protected", "password"),
        Hostile("lzma_part.xlsx", lzma_part, "corrupt", "method 14"),
        Hostile("password_protected.xlsx", password_protected, "password_protected", "password"),
        Hostile("legacy.xls", legacy_xls, "legacy_xls", ".xls"),
        Hostile("activities.csv", csv_text, "not_a_workbook_text", "CSV"),
        Hostile("blank_workbook.xlsx", blank_workbook, "no_cover", "no Cover sheet"),
    ]
