"""A worksheet part with its problem cells marked, every other byte as sent.

Each marked cell's `<c>` gets the style index of its own style plus the fill (`s`); a cell with no
`<c>` gets one (and a `<row>` when the row has none), in row and column order. A cell inside a
merged range is marked at the range's top-left cell, the only one that shows. The part gains a
`<legacyDrawing>` for its comments at its place in CT_Worksheet's sequence. `tabSelected` is
removed from the sheet's views: the Issues sheet is the one selected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipelines.feedback.marks import Marked, worst
from pipelines.feedback.xlsx_edit.ooxml import (
    MAIN,
    RELATIONSHIPS,
    Unsupported,
    column_letters,
    require_plain,
    split_ref,
)
from pipelines.feedback.xlsx_edit.splice import (
    Element,
    Splice,
    children,
    declared_prefix,
    declares_prefix,
    opened,
    scan,
    set_attribute,
)
from pipelines.findings import Severity

# CT_Worksheet's children in schema order (ECMA-376 Part 1, 18.3.1.99).
WORKSHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
    "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
    "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
    "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
    "legacyDrawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts", "extLst",
)  # fmt: skip
_AFTER_LEGACY_DRAWING = frozenset(WORKSHEET_ORDER[WORKSHEET_ORDER.index("legacyDrawing") + 1 :])

StyleFor = Callable[[int, Severity], int]  # (the cell's own style, severity) -> the marked style


@dataclass
class MarkedSheet:
    data: bytes
    anchors: dict[str, list[Marked]]  # the cells that carry the marks -> their findings


def unselect(data: bytes) -> bytes | None:
    """The sheet (or chart sheet) without `tabSelected` in its views; None when it had none.
    Only the head of the part is read: the views come before the cells."""
    if b"tabSelected" not in data:  # an attribute's name is always written out: none to remove
        return None
    elements = scan(data, max_depth=2, stop_at="sheetData")
    splice = Splice(data)
    _unselect(elements, splice)
    return splice.result() if splice.changed else None


def _unselect(elements: list[Element], splice: Splice) -> None:
    for element in elements:
        if (
            element.local == "sheetView"
            and element.depth == 2
            and element.attribute("tabSelected") is not None
        ):
            splice.edit_start_tag(element, lambda tag: set_attribute(tag, "tabSelected", None))


def mark_sheet(
    data: bytes, cells: dict[str, list[Marked]], style_for: StyleFor, drawing_rel_id: str
) -> MarkedSheet:
    """Mark `cells` (reference -> findings) in the worksheet `data`; comments go through the
    VML drawing of relationship `drawing_rel_id`."""
    rows = _rows_of(cells)
    root, top, elements, grid = _read_sheet(data, rows)
    anchors = _anchors(cells, grid.merged_ranges())
    if rows is not None and not (anchor_rows := {split_ref(ref)[0] for ref in anchors}) <= rows:
        # A mark moved up to a merged range's top-left cell, in a row whose cells were not kept.
        root, top, elements, grid = _read_sheet(data, rows | anchor_rows)
    splice = Splice(data)
    _unselect(elements, splice)
    _mark_cells(splice, data, grid, anchors, style_for)
    _add_legacy_drawing(splice, data, root, top, drawing_rel_id)
    return MarkedSheet(splice.result(), anchors)


def _rows_of(cells: dict[str, list[Marked]]) -> set[int] | None:
    """The rows of the cells to mark; None (keep every row's cells) if a reference has no row."""
    rows = set()
    for ref in cells:
        digits = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        if not digits.isdigit():
            return None
        rows.add(int(digits))
    return rows


def _read_sheet(data: bytes, rows: set[int] | None) -> tuple[Element, list[Element], list[Element], _Grid]:
    """The sheet scanned, its root, top-level elements and grid; the cells of rows other than
    `rows` (all rows when None) are checked but not kept."""
    prune = _OtherRows(rows) if rows is not None else None
    elements = scan(data, max_depth=3, prune=prune)
    root = elements[0]
    require_plain(root, MAIN, "worksheet", "worksheet")
    top = [elements[i] for i in children(elements, 0)]
    for element in top:
        if element.uri != MAIN or element.local not in WORKSHEET_ORDER or element.prefix is not None:
            raise Unsupported(f"worksheet element <{element.prefix or ''}{element.local}> in {element.uri!r}")
        if element.local == "legacyDrawing":
            raise Unsupported("the sheet already has comments or controls (legacyDrawing)")
    by_name = {element.local: element for element in top}
    if "sheetData" not in by_name:
        raise Unsupported("worksheet without sheetData")
    return root, top, elements, _Grid(elements, by_name, prune.problems if prune is not None else {})


class _OtherRows:
    """Pruning for a sheet's scan: the cells of rows with no mark get no `Element` (a sheet's rows
    hold most of its elements), yet each is checked as a kept cell would be (`_Grid`): it has an
    `r`, within Excel's grid. The first problem of a row is kept, for `_Grid` to raise in order."""

    def __init__(self, rows: set[int]):
        self.rows = rows
        self.problems: dict[int, Unsupported] = {}  # the row's element index -> its first problem

    def prunes(self, element: Element) -> bool:
        if element.local != "row":
            return False
        number = element.attributes.get("r")  # a row without a usable `r` is kept, and refused
        return number is not None and number.isdigit() and int(number) not in self.rows

    def child(self, parent: int, local: str, attributes: dict[str, str]) -> None:
        if local != "c" or parent in self.problems:
            return
        ref = attributes.get("r")
        if ref is None:
            self.problems[parent] = Unsupported("cell without r")
            return
        try:
            split_ref(ref)
        except Unsupported as exc:
            self.problems[parent] = exc


def _anchors(
    cells: dict[str, list[Marked]], merged: list[tuple[int, int, int, int]]
) -> dict[str, list[Marked]]:
    """Reference of the cell that shows each mark -> its findings (a merged range's top-left)."""
    anchors: dict[str, list[Marked]] = {}
    for ref, items in cells.items():
        row, column = split_ref(ref)
        for top, left, bottom, right in merged:
            if top <= row <= bottom and left <= column <= right:
                row, column = top, left
                break
        anchors.setdefault(f"{column_letters(column)}{row}", []).extend(items)
    return anchors


class _Grid:
    """Rows and cells of sheetData by number, the columns' styles and the merged ranges."""

    def __init__(self, elements: list[Element], top: dict[str, Element], problems: dict[int, Unsupported]):
        self.elements = elements
        self.sheet_data = top["sheetData"]
        data_index = self.sheet_data.index
        self.rows: dict[int, Element] = {}
        self.cells: dict[int, dict[int, Element]] = {}
        for i in children(elements, data_index):
            row = elements[i]
            if row.local != "row":
                continue
            number = _number(row.attribute("r"), "row without r")
            if i in problems:  # a row whose cells were checked while scanning, not kept
                raise problems[i]
            self.rows[number] = row
            cells = self.cells.setdefault(number, {})
            for j in children(elements, i):
                cell = elements[j]
                if cell.local == "c":
                    ref = cell.attribute("r")
                    if ref is None:
                        raise Unsupported("cell without r")
                    cells[split_ref(ref)[1]] = cell
        self.column_styles: list[tuple[int, int, int]] = []
        if "cols" in top:
            for i in children(elements, top["cols"].index):
                col = elements[i]
                if col.local == "col" and col.attribute("style"):
                    first, last = _number(col.attribute("min"), "col"), _number(col.attribute("max"), "col")
                    self.column_styles.append((first, last, _number(col.attribute("style"), "col style", 0)))
        self._merge_cells = top.get("mergeCells")

    def merged_ranges(self) -> list[tuple[int, int, int, int]]:
        if self._merge_cells is None:
            return []
        ranges = []
        for i in children(self.elements, self._merge_cells.index):
            ref = self.elements[i].attribute("ref") or ""
            first, _, last = ref.partition(":")
            (top, left), (bottom, right) = split_ref(first), split_ref(last or first)
            ranges.append((top, left, bottom, right))
        return ranges

    def empty_cell_style(self, row: int, column: int) -> int:
        """The style an absent cell shows: its row's when the row has one, else its column's."""
        element = self.rows.get(row)
        if element is not None and element.attribute("customFormat") in ("1", "true"):
            return _number(element.attribute("s"), "row style", 0)
        for first, last, style in self.column_styles:
            if first <= column <= last:
                return style
        return 0


def _number(text: str | None, what: str, default: int | None = None) -> int:
    if text is None and default is not None:
        return default
    if text is None or not text.isdigit():
        raise Unsupported(f"{what}: {text!r}")
    return int(text)


def _mark_cells(
    splice: Splice, data: bytes, grid: _Grid, anchors: dict[str, list[Marked]], style_for: StyleFor
) -> None:
    missing: dict[int, list[tuple[int, bytes]]] = {}  # row -> (column, new <c>) for absent cells
    for ref, items in anchors.items():
        row, column = split_ref(ref)
        severity = worst(items)
        cell = grid.cells.get(row, {}).get(column)
        if cell is not None:
            style = style_for(_number(cell.attribute("s"), "cell style", 0), severity)
            splice.edit_start_tag(cell, lambda tag, style=style: set_attribute(tag, "s", str(style)))
        else:
            style = style_for(grid.empty_cell_style(row, column), severity)
            missing.setdefault(row, []).append((column, f'<c r="{ref}" s="{style}"/>'.encode()))
    new_rows = []
    for row, new_cells in sorted(missing.items()):
        new_cells.sort()
        element = grid.rows.get(row)
        if element is None:
            new_rows.append(
                (row, f'<row r="{row}">'.encode() + b"".join(c for _, c in new_cells) + b"</row>")
            )
            continue
        # `spans` (the row's first:last column, a loading hint) may no longer hold: it is optional.
        tag = set_attribute(data[element.start : element.start_end], "spans", None)
        if element.empty:
            splice.replace(
                element.start, element.start_end, opened(tag) + b"".join(c for _, c in new_cells) + b"</row>"
            )
            continue
        if element.attribute("spans") is not None:
            splice.replace(element.start, element.start_end, tag)
        existing = sorted(grid.cells.get(row, {}).items())
        for column, xml in new_cells:
            after = next((cell for col, cell in existing if col > column), None)
            splice.insert(after.start if after is not None else element.end, xml)
    _insert_rows(splice, data, grid, new_rows)


def _insert_rows(splice: Splice, data: bytes, grid: _Grid, new_rows: list[tuple[int, bytes]]) -> None:
    if not new_rows:
        return
    sheet_data = grid.sheet_data
    if sheet_data.empty:
        tag = data[sheet_data.start : sheet_data.start_end]
        splice.replace(
            sheet_data.start,
            sheet_data.start_end,
            opened(tag) + b"".join(x for _, x in new_rows) + b"</sheetData>",
        )
        return
    existing = sorted(grid.rows.items())
    for row, xml in new_rows:
        after = next((element for number, element in existing if number > row), None)
        splice.insert(after.start if after is not None else sheet_data.end, xml)


def _add_legacy_drawing(splice: Splice, data: bytes, root: Element, top: list[Element], rel_id: str) -> None:
    root_tag = data[root.start : root.start_end]
    prefix = declared_prefix(root_tag, RELATIONSHIPS)
    if prefix is None:  # openpyxl writes sheets without the relationships namespace: declare it
        prefix = next(p for p in ("r", *(f"r{n}" for n in range(1, 100))) if not declares_prefix(root_tag, p))
        splice.edit_start_tag(root, lambda tag: set_attribute(tag, f"xmlns:{prefix}", RELATIONSHIPS))
    after = next((element for element in top if element.local in _AFTER_LEGACY_DRAWING), None)
    splice.insert(
        after.start if after is not None else root.end, f'<legacyDrawing {prefix}:id="{rel_id}"/>'.encode()
    )
