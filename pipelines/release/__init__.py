"""The release layer: warehouse frames -> a published release folder (spec: published-dataset.md).

Plain Python, no Dagster. `publish_release(ReleaseTables(...), releases_dir, release_date=...,
synthetic=..., attachments=..., overview=...)` writes `releases/<release_id>/` atomically and points
`releases/latest` at it: per table a CSV and its Parquet twin, changes.csv and CHANGELOG.md,
datapackage.json, the README.md codebook, the prepared attachments, SHA256SUMS.
"""

from pipelines.release.publish import PublishedRelease, ReleaseError, publish_release
from pipelines.release.tables import ReleaseTables

__all__ = ["PublishedRelease", "ReleaseError", "ReleaseTables", "publish_release"]
