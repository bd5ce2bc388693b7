"""A sheet's comments as two new parts: `xl/commentsN.xml` (the texts) and the legacy VML drawing
Excel needs to show them (`xl/drawings/vmlDrawingN.vml`, one hidden note shape per comment, as
Excel and openpyxl write them).

VML shape ids come in blocks of 1024 per drawing (`o:idmap`); each drawing gets blocks of its own,
so the shapes of two sheets never share an id.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.feedback.marks import COMMENT_AUTHOR, COMMENT_WIDTH, comment_height
from pipelines.feedback.xlsx_edit.ooxml import MAIN, XML_DECLARATION, split_ref
from pipelines.feedback.xlsx_edit.splice import escape_attribute, escape_text

_SHAPES_PER_BLOCK = 1024
_VML_HEAD = (
    '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:x="urn:schemas-microsoft-com:office:excel">'
    '<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{blocks}"/></o:shapelayout>'
    '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
    '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
)
_VML_SHAPE = (
    '<v:shape id="_x0000_s{id}" type="#_x0000_t202" style="position:absolute;margin-left:59.25pt;'
    'margin-top:1.5pt;width:{width}px;height:{height}px;z-index:{z};visibility:hidden" fillcolor="#ffffe1" '
    'o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow color="black" obscured="t"/>'
    '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
    '<div style="text-align:left"></div></v:textbox>'
    '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
    "<x:AutoFill>False</x:AutoFill><x:Row>{row}</x:Row><x:Column>{column}</x:Column></x:ClientData></v:shape>"
)


@dataclass(frozen=True)
class Note:
    ref: str  # the cell, e.g. `C2`
    text: str  # already safe text (marks.comment_text)


def comments_xml(notes: list[Note]) -> bytes:
    body = "".join(
        f'<comment ref="{escape_attribute(note.ref)}" authorId="0"><text>'
        f'<t xml:space="preserve">{escape_text(note.text)}</t></text></comment>'
        for note in notes
    )
    return (
        XML_DECLARATION
        + (
            f'<comments xmlns="{MAIN}"><authors><author>{escape_text(COMMENT_AUTHOR)}</author></authors>'
            f"<commentList>{body}</commentList></comments>"
        ).encode()
    )


def vml_xml(notes: list[Note], first_block: int) -> tuple[bytes, int]:
    """The drawing, and the next free block for the next drawing."""
    blocks = len(notes) // _SHAPES_PER_BLOCK + 1  # ids start at block * 1024 + 1
    shapes = []
    for n, note in enumerate(notes, start=1):
        row, column = split_ref(note.ref)
        shapes.append(
            _VML_SHAPE.format(
                id=first_block * _SHAPES_PER_BLOCK + n,
                width=COMMENT_WIDTH,
                height=comment_height(note.text),
                z=n,
                row=row - 1,
                column=column - 1,
            )  # fmt: skip
        )
    data = ",".join(str(block) for block in range(first_block, first_block + blocks))
    return (_VML_HEAD.format(blocks=data) + "".join(shapes) + "</xml>").encode("utf-8"), first_block + blocks
