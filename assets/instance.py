"""Where Dagster keeps run history for a warehouse, set up with the project's instance settings."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

INSTANCE_SETTINGS = Path(__file__).resolve().parent.parent / "deploy" / "dagster.yaml"


def prepare_dagster_home(warehouse: Path) -> Path:
    """`$DAGSTER_HOME`, defaulting to `<warehouse>/.dagster`, holding a dagster.yaml.

    The project's settings (the one-writer pool limit) are copied in only when the home has no
    dagster.yaml: a deployment's own file always wins.
    """
    home = Path(os.environ.setdefault("DAGSTER_HOME", str((warehouse / ".dagster").resolve())))
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copyfile(INSTANCE_SETTINGS, home / "dagster.yaml")
    return home
