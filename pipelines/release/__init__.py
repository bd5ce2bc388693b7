"""The release layer: warehouse frames -> a published release folder (spec: published-dataset.md).

Plain Python, no Dagster. `publish_release(ReleaseTables(...), releases_dir, release_date=...,
synthetic=...)` writes `releases/<release_id>/` atomically and points `releases/latest` at it.
"""

from pipelines.release.publish import PublishedRelease, ReleaseError, publish_release
from pipelines.release.tables import ReleaseTables

__all__ = ["PublishedRelease", "ReleaseError", "ReleaseTables", "publish_release"]
