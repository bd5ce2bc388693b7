from __future__ import annotations

from pathlib import Path

import pytest

from tests.validated.planted import parsed_warehouse


@pytest.fixture(scope="package")
def warehouse(tmp_path_factory) -> tuple[Path, list[str]]:
    """Five parsed returns with planted defects (tests/validated/planted.py); read, never written."""
    return parsed_warehouse(tmp_path_factory.mktemp("planted"))
