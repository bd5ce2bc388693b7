"""Where normsdata reads and writes, derived from the two folders a deployment sets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_INPUTS = "inputs"
DEFAULT_WAREHOUSE = "warehouse"
DATABASE_FILE = "normsdata.duckdb"


@dataclass(frozen=True)
class Paths:
    inputs: Path
    warehouse: Path

    @property
    def database(self) -> Path:
        return self.warehouse / DATABASE_FILE

    @property
    def archive(self) -> Path:
        """Received bytes, stored by sha256 so nothing sent is ever lost or overwritten."""
        return self.warehouse / "archive"

    @property
    def releases(self) -> Path:
        return self.warehouse / "releases"

    @property
    def feedback(self) -> Path:
        return self.warehouse / "feedback"

    def ensure(self) -> None:
        for folder in (self.warehouse, self.archive, self.releases, self.feedback):
            folder.mkdir(parents=True, exist_ok=True)
