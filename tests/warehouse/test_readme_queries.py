"""Every example of the README's "Querying the warehouse" runs, on a warehouse built by a real run.

SQL blocks run statement by statement through a read-only connection: on the pipeline's file, and
on the snapshot as well unless they read the pipeline-only schemas. The Python block runs as it
stands, in a fresh interpreter, with the snapshot's path put where the README's path is. The DuckDB
CLI is not installed here, so its blocks are checked for the paths they open.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.release.layout import SNAPSHOT
from pipelines.release.publish import LATEST
from pipelines.settings import DATABASE_FILE, Paths

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Querying the warehouse"
DEMO_WAREHOUSE = "warehouse/demo"  # the Makefile's DEMO_WAREHOUSE
SNAPSHOT_PATH = f"{DEMO_WAREHOUSE}/releases/{LATEST}/{SNAPSHOT.file_name}"
PIPELINE_ONLY = re.compile(r"\b(received|parsed|validated)\.")


def blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index(SECTION) :]
    section = section[: section.find("\n## ", len(SECTION))]
    return re.findall(rf"^```{language}\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)


def statements() -> list[str]:
    return [statement.query for block in blocks("sql") for statement in duckdb.extract_statements(block)]


def test_the_section_has_the_examples_this_test_runs():
    assert len(statements()) >= 6
    assert len(blocks("python")) == 1
    assert SNAPSHOT_PATH in blocks("python")[0]


def test_the_cli_examples_open_the_files_the_pipeline_writes():
    opened = [line.split()[-1] for block in blocks("sh") for line in block.splitlines() if "duckdb" in line]
    assert opened == [SNAPSHOT_PATH, f"{DEMO_WAREHOUSE}/{DATABASE_FILE}"]
    makefile = (README.parent / "Makefile").read_text(encoding="utf-8")
    assert re.search(rf"^DEMO_WAREHOUSE\s*:?=\s*{re.escape(DEMO_WAREHOUSE)}\s*$", makefile, re.MULTILINE)


@pytest.mark.parametrize("statement", statements(), ids=lambda s: s.strip().splitlines()[0][:60])
def test_each_sql_example_runs_and_finds_rows(statement: str, analysts_run: Paths, analysts_snapshot: Path):
    databases = [analysts_run.database]
    if not PIPELINE_ONLY.search(statement):
        databases.append(analysts_snapshot)
    for database in databases:
        with duckdb.connect(str(database), read_only=True) as connection:
            assert connection.execute(statement).fetchall(), f"no rows on {database.name}"


def test_the_python_example_runs_as_written(analysts_snapshot: Path, tmp_path: Path):
    code = blocks("python")[0].replace(SNAPSHOT_PATH, str(analysts_snapshot))
    # A fresh interpreter in an empty folder: no relative path can find a real demo warehouse.
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "KAZ" in done.stdout and "2023" in done.stdout
