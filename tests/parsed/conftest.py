"""Shared by the tests of parsing on worker processes."""

from __future__ import annotations

from pathlib import Path

from pipelines.parsed import parallel
from pipelines.synthetic.generator import MANIFEST_FILE, generate


def synthetic_jobs(folder: Path, states: list[str]) -> list[parallel.Job]:
    """Parse jobs for every file the generator writes for `states` (2022-2023) into `folder`:
    drifted returns, planted errors and the files that are not returns at all."""
    generate(folder, range(2022, 2024), seed=20261128, states=states)
    files = sorted(p for p in folder.iterdir() if p.name != MANIFEST_FILE)
    return [(path, f"s{i:03d}", path.name) for i, path in enumerate(files)]
