from dagster import MaterializeResult, MetadataValue, asset

from assets import names
from assets.resources import NormsdataPaths
from pipelines import steps


@asset(name=names.RELEASE, deps=[names.PUBLISHED], group_name=names.GROUP_RELEASE)
def release(normsdata: NormsdataPaths) -> MaterializeResult:
    """The open-data release: CSVs, datapackage.json, CHANGELOG.md and SHA256SUMS under releases/."""
    published = steps.release_step(normsdata.paths())
    return MaterializeResult(
        metadata={
            "release_id": published.release_id,
            "new_release": published.created,
            "path": MetadataValue.path(str(published.path)),
        }
    )
