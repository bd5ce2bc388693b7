"""The one entry point: every asset, check and resource of normsdata (workspace.yaml points here)."""

import os

from dagster import Definitions, EnvVar

from assets.parsed import parsed_returns
from assets.received import received_submissions
from assets.release import release
from assets.resources import NormsdataPaths
from assets.validated import validated_returns
from assets.warehouse import published_primary_keys_unique, published_tables, published_tables_not_empty
from pipelines.settings import DEFAULT_INPUTS, DEFAULT_WAREHOUSE


def _setting(variable: str, default: str):
    """EnvVar when the deployment sets it (resolved at run time, shown in the UI), else the default."""
    return EnvVar(variable) if variable in os.environ else default


defs = Definitions(
    assets=[received_submissions, parsed_returns, validated_returns, published_tables, release],
    asset_checks=[published_primary_keys_unique, published_tables_not_empty],
    resources={
        "normsdata": NormsdataPaths(
            inputs_dir=_setting("NORMSDATA_INPUTS", DEFAULT_INPUTS),
            warehouse_dir=_setting("NORMSDATA_WAREHOUSE", DEFAULT_WAREHOUSE),
        )
    },
)
