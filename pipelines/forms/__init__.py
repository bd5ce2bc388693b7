"""The return form as data: what a member state fills in, independent of any workbook."""
