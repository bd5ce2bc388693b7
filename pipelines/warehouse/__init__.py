"""Warehouse: the DuckDB file, in layers a reader can guess: received, parsed, validated, published."""
