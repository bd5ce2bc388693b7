"""feedback.xlsx made by editing the sent package at the XML level (the fast writer).

Every part is copied byte for byte (compressed bytes included) except those that must change:
`xl/styles.xml` (fills and cloned cell styles), the sheets with problem cells (their cells' `s`,
new `<c>`/`<row>` where a problem cell has none, a `<legacyDrawing>`), those sheets' relationships,
`xl/workbook.xml` (the Issues sheet first and active, `localSheetId`s shifted), its relationships
and `[Content_Types].xml`; sheets whose view is selected lose `tabSelected`. New parts: the Issues
sheet, and a comments part and VML drawing per marked sheet. So whatever the sender put in the
workbook (charts, images, data validation, conditional formats...) survives, and the same inputs
always give the same bytes.

It declines (`Unsupported`, and the openpyxl writer takes over) when the package is unusual in a
way it does not handle:
- the package already has a VML drawing anywhere (comments or form controls; shape ids across
  drawings could clash), or a sheet to mark already has comments or a `<legacyDrawing>`;
- a part it edits is not plain SpreadsheetML: strict OOXML namespaces, a prefixed main namespace
  (`<x:worksheet>`), elements it does not know at the top of a sheet (e.g. `mc:AlternateContent`);
- the workbook is macro-enabled (.xlsm/.xltm: a feedback.xlsx carries no macros), its main part is
  not `xl/workbook.xml`, or its type comes only from a Default;
- a sheet is a dialog or macro sheet, a sheet, styles or relationship part is missing, cells or
  rows without `r`, a style index beyond the styles, a sheet relationship pointing outside;
- the zip cannot be read, or would need zip64.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence

from pipelines.feedback.marks import (
    ISSUES_SHEET,
    Marked,
    cells_to_mark,
    comment_text,
    issues_extent,
    unique_title,
)
from pipelines.feedback.xlsx_edit.comments import Note, comments_xml, vml_xml
from pipelines.feedback.xlsx_edit.issues import issues_sheet_xml
from pipelines.feedback.xlsx_edit.ooxml import (
    CONTENT_TYPES_PART,
    CT_COMMENTS,
    CT_VML_DRAWING,
    CT_WORKSHEET,
    PACKAGE_RELS_PART,
    REL_CHARTSHEET,
    REL_COMMENTS,
    REL_OFFICE_DOCUMENT,
    REL_STYLES,
    REL_VML_DRAWING,
    REL_WORKSHEET,
    WORKBOOK_PART,
    Relationships,
    Unsupported,
    rels_part_of,
)
from pipelines.feedback.xlsx_edit.sheet import mark_sheet, unselect
from pipelines.feedback.xlsx_edit.splice import NotSpliceable
from pipelines.feedback.xlsx_edit.styles import Styles
from pipelines.feedback.xlsx_edit.workbook_part import ContentTypes, WorkbookPart
from pipelines.feedback.xlsx_edit.zip_parts import Package, PackageTooLarge

__all__ = ["Unsupported", "edit_package"]


def edit_package(data: bytes, marked: Sequence[Marked], language: str) -> bytes:
    """The .xlsx `data` with every finding marked at its cell and an Issues sheet first."""
    try:
        return _Editor(data).edit(marked, language)
    except NotSpliceable as exc:
        raise Unsupported(str(exc)) from exc
    except (zipfile.BadZipFile, PackageTooLarge) as exc:
        raise Unsupported(f"zip: {exc}") from exc


class _Editor:
    def __init__(self, data: bytes):
        self.package = Package(data)
        names = self.package.names()
        if any(name.lower().endswith(".vml") for name in names):
            raise Unsupported("the package already has a VML drawing (comments or controls)")
        self.parts: dict[str, str] = {}  # lower-case name -> name as stored, for the parts read
        package_rels = Relationships("", self._read(PACKAGE_RELS_PART))
        if [p.lower() for p in package_rels.targets(REL_OFFICE_DOCUMENT)] != [WORKBOOK_PART]:
            raise Unsupported("the main part is not xl/workbook.xml")
        self.types = ContentTypes(self._read(CONTENT_TYPES_PART))
        self.workbook = WorkbookPart(self._read(WORKBOOK_PART))
        self.workbook_rels = Relationships(WORKBOOK_PART, self._read(rels_part_of(WORKBOOK_PART)))
        styles = self.workbook_rels.targets(REL_STYLES)
        if len(styles) != 1:
            raise Unsupported(f"{len(styles)} styles parts")
        self.styles_part = styles[0]
        self.styles = Styles(self._read(self.styles_part))
        self.taken = {name.lower() for name in names} | self.types.part_names()
        self.replaced: dict[str, bytes] = {}
        self.added: dict[str, bytes] = {}

    def _read(self, part: str) -> bytes:
        stored = self.package.find(part)
        if stored is None:
            raise Unsupported(f"no {part} part")
        self.parts[part.lower()] = stored
        return self.package.read(stored)

    def _replace(self, part: str, data: bytes) -> None:
        self.replaced[self.parts[part.lower()]] = data

    def _new_part(self, pattern: str) -> str:
        n = 1
        while pattern.format(n).lower() in self.taken:
            n += 1
        name = pattern.format(n)
        self.taken.add(name.lower())
        return name

    def edit(self, marked: Sequence[Marked], language: str) -> bytes:
        sheets = []  # (name, part, is a worksheet)
        for sheet in self.workbook.sheets:
            kind, part = self.workbook_rels.part_of(sheet.rel_id)
            if kind not in (REL_WORKSHEET, REL_CHARTSHEET):
                raise Unsupported(f"sheet {sheet.name!r} is of type {kind.rsplit('/', 1)[-1]!r}")
            sheets.append((sheet.name, part, kind == REL_WORKSHEET))
        worksheets = {name for name, _, is_worksheet in sheets if is_worksheet}
        by_sheet: dict[str, dict[str, list[Marked]]] = {}
        for (sheet, ref), items in cells_to_mark(worksheets, marked).items():
            by_sheet.setdefault(sheet, {})[ref] = items
        next_block = 1
        for name, part, _ in sheets:
            data = self._read(part)
            if name in by_sheet:
                next_block = self._mark(part, data, by_sheet[name], language, next_block)
            elif (unselected := unselect(data)) is not None:
                self._replace(part, unselected)
        self._add_issues_sheet(marked, language, worksheets, [name for name, _, _ in sheets])
        self.types.make_workbook_ordinary()
        self._replace(CONTENT_TYPES_PART, self.types.result())
        self._replace(self.styles_part, self.styles.result())
        return self.package.write(self.replaced, self.added)

    def _mark(self, part: str, data: bytes, cells: dict[str, list[Marked]], language: str, block: int) -> int:
        """Mark one sheet's cells and add its comments; returns the next free VML block."""
        rels_part = rels_part_of(part)
        existing = self.package.find(rels_part)
        rels = Relationships(part, self._read(rels_part) if existing else None)
        if rels.targets(REL_COMMENTS) or rels.targets(REL_VML_DRAWING):
            raise Unsupported("a sheet to mark already has comments")
        comments_part = self._new_part("xl/comments{}.xml")
        drawing_part = self._new_part("xl/drawings/vmlDrawing{}.vml")
        drawing_id = rels.add(REL_VML_DRAWING, drawing_part)
        rels.add(REL_COMMENTS, comments_part)
        sheet = mark_sheet(data, cells, self.styles.marked, drawing_id)
        notes = [Note(ref, comment_text(items, language)) for ref, items in sheet.anchors.items()]
        self._replace(part, sheet.data)
        if existing:
            self._replace(rels_part, rels.result())
        else:
            self.added[rels_part] = rels.result()
        self.added[comments_part] = comments_xml(notes)
        self.added[drawing_part], block = vml_xml(notes, block)
        self.types.add_override(comments_part, CT_COMMENTS)
        self.types.add_default("vml", CT_VML_DRAWING)
        return block

    def _add_issues_sheet(
        self, marked: Sequence[Marked], language: str, worksheets: set[str], names: list[str]
    ) -> None:
        part = self._new_part("xl/worksheets/sheet{}.xml")
        self.added[part] = issues_sheet_xml(marked, language, worksheets, self.styles.issues())
        rel_id = self.workbook_rels.add(REL_WORKSHEET, part)
        self._replace(rels_part_of(WORKBOOK_PART), self.workbook_rels.result())
        title = unique_title(names, ISSUES_SHEET)
        extent = issues_extent(len(marked)) if marked else None
        self._replace(WORKBOOK_PART, self.workbook.with_issues_sheet(title, rel_id, extent))
        self.types.add_override(part, CT_WORKSHEET)
