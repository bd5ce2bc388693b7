"""What keeps the .xlsx packages we write byte-reproducible, shared by every writer of them (the
return writer, templates, feedback workbooks) without importing any of them."""

ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # the zip format's earliest date: no clock time in any entry
