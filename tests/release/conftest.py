from pathlib import Path

import pytest


@pytest.fixture
def releases(tmp_path: Path) -> Path:
    """A releases folder as the pipeline would use it (not created yet)."""
    return tmp_path / "warehouse" / "releases"
