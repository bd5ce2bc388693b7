"""The Dagster code location: thin assets that wire `pipelines` steps to resources and report metadata."""
