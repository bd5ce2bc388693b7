"""The Dagster code location: thin assets that wire `pipelines` steps to resources and report metadata.

Asset modules import the domain code (pandas, DuckDB, openpyxl, calamine behind it) inside their
bodies, not at the top: loading the code location then costs Dagster alone. It is loaded by
`dagster dev`'s code server, by every step process of the multiprocess executor and by tooling;
each step pays only for the libraries it uses (tests/assets/test_definitions.py keeps it so).
"""
