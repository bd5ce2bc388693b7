"""`xl/styles.xml` with what feedback.xlsx needs added, the sender's styles left as they were.

A marked cell keeps everything of its own style (number format, font, border, alignment,
protection) and gains a fill: its `<xf>` is cloned with the fill of its severity, once per
(original style, severity). The Issues sheet gets a bold header, wrapped text, a link font and
the two fills. New fonts are clones of the workbook's default font, so they keep its face and
size. Every list that grows gets its `count` updated.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.feedback.marks import FILLS, LINK_COLOR
from pipelines.feedback.xlsx_edit.ooxml import MAIN, Unsupported, require_plain
from pipelines.feedback.xlsx_edit.splice import Element, Splice, children, opened, scan_shared, set_attribute
from pipelines.findings import Severity

PART = "xl/styles.xml"
_WRAP = b'<alignment vertical="top" wrapText="1"/>'


@dataclass(frozen=True)
class IssuesStyles:
    """Style indexes (`s`) of the Issues sheet's cells."""

    header: int
    text: int
    link: int
    severity: dict[Severity, int]


class Styles:
    def __init__(self, data: bytes):
        self.data = data
        self.splice = Splice(data)
        elements = scan_shared(data, max_depth=2, deep=frozenset({"font"}))  # a font's children: cloned
        self.elements = elements
        require_plain(elements[0], MAIN, "styleSheet", PART)
        lists = {elements[i].local: i for i in children(elements, 0) if elements[i].uri == MAIN}
        for needed in ("fonts", "fills", "borders", "cellStyleXfs", "cellXfs"):
            if needed not in lists:
                raise Unsupported(f"{PART} has no <{needed}>")
        self._lists = {name: lists[name] for name in ("fonts", "fills", "cellXfs")}
        self._items = {name: self._children_named(index, name[:-1] if name != "cellXfs" else "xf")
                       for name, index in self._lists.items()}  # fmt: skip
        if not self._items["fonts"] or len(self._items["fills"]) < 2 or not self._items["cellXfs"]:
            raise Unsupported(f"{PART}: fewer fonts, fills or cell styles than Excel requires")
        if not self._children_named(lists["cellStyleXfs"], "xf") or not self._children_named(
            lists["borders"], "border"
        ):
            raise Unsupported(f"{PART}: no cell style or border to refer to")
        self._new: dict[str, list[bytes]] = {"fonts": [], "fills": [], "cellXfs": []}
        self._fills: dict[Severity, int] = {}
        self._marked: dict[tuple[int, Severity], int] = {}
        self._issues: IssuesStyles | None = None

    def _children_named(self, parent: int, local: str) -> list[Element]:
        return [self.elements[i] for i in children(self.elements, parent) if self.elements[i].local == local]

    def _append(self, kind: str, xml: bytes) -> int:
        self._new[kind].append(xml)
        return len(self._items[kind]) + len(self._new[kind]) - 1

    def fill(self, severity: Severity) -> int:
        if severity not in self._fills:
            rgb = f"FF{FILLS[severity]}"
            colours = f'<fgColor rgb="{rgb}"/><bgColor rgb="{rgb}"/>'
            xml = f'<fill><patternFill patternType="solid">{colours}</patternFill></fill>'
            self._fills[severity] = self._append("fills", xml.encode())
        return self._fills[severity]

    def marked(self, style: int, severity: Severity) -> int:
        """The index of cell style `style` with the fill of `severity`."""
        key = (style, severity)
        if key not in self._marked:
            xfs = self._items["cellXfs"]
            if not 0 <= style < len(xfs):
                raise Unsupported(f"a cell refers to style {style}; {PART} has {len(xfs)}")
            xf = xfs[style]
            start = self.data[xf.start : xf.start_end]
            start = set_attribute(set_attribute(start, "fillId", str(self.fill(severity))), "applyFill", "1")
            self._marked[key] = self._append("cellXfs", start + self.data[xf.start_end : xf.end_end])
        return self._marked[key]

    def issues(self) -> IssuesStyles:
        if self._issues is None:
            bold = self._append("fonts", self._default_font(drop={"b"}, add=b"<b/>"))
            link = self._default_font(drop={"color", "u"}, add=f'<u/><color rgb="FF{LINK_COLOR}"/>'.encode())
            link_font = self._append("fonts", link)

            def xf(font: int = 0, fill: int = 0, wrap: bool = True) -> int:
                applied = (' applyFont="1"' if font else "") + (' applyFill="1"' if fill else "")
                head = f'<xf numFmtId="0" fontId="{font}" fillId="{fill}" borderId="0" xfId="0"{applied}'
                if not wrap:
                    return self._append("cellXfs", f"{head}/>".encode())
                return self._append("cellXfs", f'{head} applyAlignment="1">'.encode() + _WRAP + b"</xf>")

            self._issues = IssuesStyles(
                header=xf(font=bold, wrap=False),
                text=xf(),
                link=xf(font=link_font),
                severity={severity: xf(fill=self.fill(severity)) for severity in FILLS},
            )
        return self._issues

    def _default_font(self, drop: set[str], add: bytes) -> bytes:
        """A copy of font 0 without its `drop` children, with `add` first inside it."""
        font = self._items["fonts"][0]
        start = self.data[font.start : font.start_end]
        if font.empty:
            return opened(start) + add + b"</font>"
        index = font.index
        inner, position = [], font.start_end
        for child in (self.elements[i] for i in children(self.elements, index)):
            if child.local in drop:
                inner.append(self.data[position : child.start])
                position = child.end_end
        inner.append(self.data[position : font.end])
        return start + add + b"".join(inner) + self.data[font.end : font.end_end]

    def result(self) -> bytes:
        for kind, index in self._lists.items():
            new = self._new[kind]
            if not new:
                continue
            element = self.elements[index]
            count = str(len(self._items[kind]) + len(new))
            self.splice.edit_start_tag(element, lambda tag, count=count: set_attribute(tag, "count", count))
            self.splice.insert(element.end, b"".join(new))
        return self.splice.result()
