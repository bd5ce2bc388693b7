"""`xl/workbook.xml` and `[Content_Types].xml`, read, and edited for the Issues sheet.

The Issues sheet goes first in `<sheets>`, with a sheetId no sheet has (calcChain and others refer
to sheets by sheetId, which therefore stay valid). Defined names scoped to a sheet refer to it by
position (`localSheetId`), so each moves up by one; the workbook opens on the Issues sheet.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.feedback.xlsx_edit.ooxml import (
    CONTENT_TYPES_NS,
    CONTENT_TYPES_PART,
    CT_TEMPLATE,
    CT_WORKBOOK,
    MAIN,
    RELATIONSHIPS,
    WORKBOOK_PART,
    Unsupported,
    require_plain,
)
from pipelines.feedback.xlsx_edit.splice import (
    Element,
    Splice,
    attributes_xml,
    children,
    declared_prefix,
    escape_text,
    opened,
    scan_shared,
    set_attribute,
)

FILTER_DATABASE = "_xlnm._FilterDatabase"  # the name Excel gives an autofilter's range
# What may come before <definedNames> in CT_Workbook: a new one goes after the last of these.
_BEFORE_DEFINED_NAMES = ("fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews",
                         "sheets", "functionGroups", "externalReferences")  # fmt: skip


@dataclass(frozen=True)
class Sheet:
    name: str
    rel_id: str


class WorkbookPart:
    def __init__(self, data: bytes):
        self.data = data
        self.elements = scan_shared(data, max_depth=2)
        root = self.elements[0]
        require_plain(root, MAIN, "workbook", WORKBOOK_PART)
        self.top = {self.elements[i].local: self.elements[i] for i in children(self.elements, 0)}
        if "sheets" not in self.top or self.top["sheets"].empty:
            raise Unsupported(f"{WORKBOOK_PART} lists no sheets")
        self.rel_prefix = declared_prefix(data[root.start : root.start_end], RELATIONSHIPS)
        if self.rel_prefix is None:
            raise Unsupported(f"{WORKBOOK_PART}: relationships namespace not declared on the root")
        self._sheet_elements = [self.elements[i] for i in children(self.elements, self.top["sheets"].index)]
        self.sheets = []
        for element in self._sheet_elements:
            rel_id = element.attribute("id", RELATIONSHIPS)
            if element.local != "sheet" or element.attribute("name") is None or rel_id is None:
                raise Unsupported(f"{WORKBOOK_PART}: a sheet without a name or relationship")
            self.sheets.append(Sheet(element.attribute("name"), rel_id))

    def with_issues_sheet(self, title: str, rel_id: str, filter_range: str | None) -> bytes:
        """The part with sheet `title` first and active; `filter_range` (e.g. `A1:G5`) named as
        its autofilter's range when given."""
        splice = Splice(self.data)
        sheet_ids = [
            int(e.attribute("sheetId") or 0)
            for e in self._sheet_elements
            if (e.attribute("sheetId") or "0").isdigit()
        ]
        attributes = [
            ("name", title),
            ("sheetId", max(sheet_ids, default=0) + 1),
            (f"{self.rel_prefix}:id", rel_id),
        ]
        splice.insert(self.top["sheets"].start_end, f"<sheet{attributes_xml(attributes)}/>".encode())
        self._open_on_first_sheet(splice)
        names = self._shift_local_names(splice)
        if filter_range is not None:
            first, _, last = filter_range.partition(":")
            quoted = title.replace("'", "''")
            reference = f"'{quoted}'!${_dollar(first)}:${_dollar(last)}"
            filter_name = (
                f'<definedName name="{FILTER_DATABASE}" localSheetId="0" hidden="1">'
                f"{escape_text(reference)}</definedName>"
            )
            self._add_defined_name(splice, names, filter_name.encode())
        return splice.result()

    def _open_on_first_sheet(self, splice: Splice) -> None:
        """Every workbook view opens on the first tab (the Issues sheet) and scrolls to it."""
        views = self.top.get("bookViews")
        if views is None:
            return
        for i in children(self.elements, views.index):
            view = self.elements[i]
            present = [name for name in ("activeTab", "firstSheet") if view.attribute(name) is not None]
            if present:
                splice.edit_start_tag(view, lambda tag, names=present: _set_all(tag, names, "0"))

    def _shift_local_names(self, splice: Splice) -> Element | None:
        names = self.top.get("definedNames")
        if names is None:
            return None
        for i in children(self.elements, names.index):
            name = self.elements[i]
            local_id = name.attribute("localSheetId")
            if local_id is None:
                continue
            if not local_id.isdigit():
                raise Unsupported(f"{WORKBOOK_PART}: localSheetId {local_id!r}")
            shifted = str(int(local_id) + 1)
            splice.edit_start_tag(name, lambda tag, s=shifted: set_attribute(tag, "localSheetId", s))
        return names

    def _add_defined_name(self, splice: Splice, names: Element | None, xml: bytes) -> None:
        if names is not None and not names.empty:
            splice.insert(names.start_end, xml)
        elif names is not None:
            tag = self.data[names.start : names.start_end]
            splice.replace(names.start, names.start_end, opened(tag) + xml + b"</definedNames>")
        else:
            before = [self.top[name] for name in _BEFORE_DEFINED_NAMES if name in self.top]
            splice.insert(max(e.end_end for e in before), b"<definedNames>" + xml + b"</definedNames>")


def _set_all(tag: bytes, names: list[str], value: str) -> bytes:
    for name in names:
        tag = set_attribute(tag, name, value)
    return tag


def _dollar(ref: str) -> str:
    """`G5` -> `G$5` (the caller adds the leading `$`)."""
    letters = ref.rstrip("0123456789")
    return f"{letters}${ref[len(letters) :]}"


class ContentTypes:
    """`[Content_Types].xml`: the workbook's own type, and overrides and defaults added."""

    def __init__(self, data: bytes):
        self.data = data
        self.splice = Splice(data)
        elements = scan_shared(data, max_depth=1)
        root = elements[0]
        require_plain(root, CONTENT_TYPES_NS, "Types", CONTENT_TYPES_PART)
        if root.empty:
            raise Unsupported(f"{CONTENT_TYPES_PART} declares nothing")
        self._end = root.end
        self.defaults: dict[str, str] = {}
        self.overrides: dict[str, Element] = {}
        for i in children(elements, 0):
            element = elements[i]
            if element.local == "Default":
                self.defaults[(element.attribute("Extension") or "").lower()] = (
                    element.attribute("ContentType") or ""
                )
            elif element.local == "Override":
                self.overrides[(element.attribute("PartName") or "").lower()] = element
        self._added: list[str] = []

    def part_names(self) -> set[str]:
        """Lower-case part names with an override (no leading slash)."""
        return {name.lstrip("/") for name in self.overrides}

    def make_workbook_ordinary(self) -> None:
        """An .xltx comes back as the ordinary .xlsx its name says; macro-enabled kinds never get here."""
        element = self.overrides.get(f"/{WORKBOOK_PART}")
        declared = element.attribute("ContentType") if element is not None else None
        if declared == CT_TEMPLATE:
            self.splice.edit_start_tag(element, lambda tag: set_attribute(tag, "ContentType", CT_WORKBOOK))
        elif declared != CT_WORKBOOK:
            raise Unsupported(f"the workbook part is declared as {declared!r}")

    def add_override(self, part: str, content_type: str) -> None:
        self._added.append(
            f"<Override{attributes_xml([('PartName', '/' + part), ('ContentType', content_type)])}/>"
        )

    def add_default(self, extension: str, content_type: str) -> None:
        if extension.lower() not in self.defaults:
            self.defaults[extension.lower()] = content_type
            self._added.append(
                f"<Default{attributes_xml([('Extension', extension), ('ContentType', content_type)])}/>"
            )

    def result(self) -> bytes:
        self.splice.insert(self._end, "".join(self._added).encode())
        return self.splice.result()
