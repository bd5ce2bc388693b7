"""An analyst in another process, as in real life: one DuckDB connection held open, queried over a pipe.

DuckDB's file locks are between processes; inside one process a second connection to a file open
with another configuration fails for a different reason, so the analyst must be a process of its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_ANALYST = """
import json, sys
import duckdb

connection = duckdb.connect(sys.argv[1], read_only=True)
print(json.dumps("connected"), flush=True)
for line in sys.stdin:
    rows = connection.execute(json.loads(line)).fetchall()
    print(json.dumps(rows, default=str), flush=True)
"""


class Analyst:
    """`with Analyst(path) as analyst:` holds a read-only connection on `path` until the block ends."""

    def __init__(self, database: Path):
        self.database = database
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Analyst:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _ANALYST, str(self.database)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self._answer() == "connected"
        return self

    def query(self, sql: str) -> list[list]:
        assert self.process and self.process.stdin
        self.process.stdin.write(json.dumps(sql) + "\n")
        self.process.stdin.flush()
        return self._answer()

    def is_connected(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _answer(self):
        assert self.process and self.process.stdout and self.process.stderr
        line = self.process.stdout.readline()
        if not line:  # the process ended: its traceback says why
            self.process.wait()
            raise RuntimeError(f"the analyst's process ended: {self.process.stderr.read()}")
        return json.loads(line)

    def __exit__(self, *exc_info) -> None:
        assert self.process and self.process.stdin
        self.process.stdin.close()  # end of input: the analyst closes the connection and exits
        self.process.wait(timeout=60)
        self.process.stdout.close()
        self.process.stderr.close()
