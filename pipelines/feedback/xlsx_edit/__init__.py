"""The fast feedback.xlsx writer: the sent package edited at the XML level (see `package`).

One module per part it touches (`styles`, `sheet`, `comments`, `issues`, `workbook_part`), over a
byte-position splicer (`splice`), the OOXML names it needs (`ooxml`) and a deterministic zip
writer that copies untouched parts as they are (`zip_parts`).
"""
