"""The only code that writes the DuckDB file: one method per layer, each a single transaction.

DuckDB allows one read-write process per file, so a Store is opened for the duration of one
step and closed; readers (the release, analysts) open the file read-only or use a snapshot.
Values always travel as parameters or registered frames, never inside SQL text.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import time
import uuid
from collections.abc import Collection, Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from pipelines.findings import FINDING_COLUMNS, Action, Finding, Severity
from pipelines.parsed.returns import ParsedReturn
from pipelines.received.scan import ReceivedFile, returning_submission_id
from pipelines.reference import countries
from pipelines.reference import form as vocabulary
from pipelines.validated.validate import Validated
from pipelines.warehouse import catalog

SQL_DIR = Path(__file__).with_name("sql")
PUBLISHED_TABLES = ("activities", "prisons", "assistance_outcomes", "coverage")
# The data tables a year partition replaces, and the year that places a row in a partition.
YEAR_COLUMNS = {"activities": "reporting_year", "assistance_outcomes": "reporting_year", "prisons": "year"}
# An analyst who opened the pipeline's own file (read-only, to see why something was not
# published) holds DuckDB's lock on it: a scheduled run waits this long for them to close it.
LOCK_WAIT_VARIABLE = "NORMSDATA_LOCK_WAIT_SECONDS"
DEFAULT_LOCK_WAIT_SECONDS = 120.0

log = logging.getLogger(__name__)


class WarehouseBusy(RuntimeError):
    """Another process kept the DuckDB file open for longer than a writer waits."""


def _sql(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")


@contextlib.contextmanager
def writer(database: Path, lock_wait: float | None = None) -> Iterator[Store]:
    """The one read-write connection; `lock_wait` seconds (default: $NORMSDATA_LOCK_WAIT_SECONDS, else
    120) for another process to let go of the file, then WarehouseBusy."""
    database.parent.mkdir(parents=True, exist_ok=True)
    connection = _connect_for_writing(database, lock_wait_seconds() if lock_wait is None else lock_wait)
    try:
        store = Store(connection)
        store.ensure_schema()
        yield store
    finally:
        connection.close()


def lock_wait_seconds() -> float:
    value = os.environ.get(LOCK_WAIT_VARIABLE, "").strip()
    try:
        return max(0.0, float(value)) if value else DEFAULT_LOCK_WAIT_SECONDS
    except ValueError:
        raise ValueError(f"{LOCK_WAIT_VARIABLE} must be a number of seconds, not {value!r}") from None


def _connect_for_writing(database: Path, wait: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait
    pause, waiting = 0.1, False
    while True:
        try:
            return duckdb.connect(str(database))
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():  # a damaged or unreadable file: no point in waiting
                raise
            left = deadline - time.monotonic()
            if left <= 0:
                raise WarehouseBusy(
                    f"{database} stayed open in another process for {wait:g} s, so this run cannot write "
                    f"it (DuckDB allows one process to write a file while nobody else has it open). "
                    f"Close that connection (analysts: query releases/latest/normsdata.duckdb instead), "
                    f"or set {LOCK_WAIT_VARIABLE} to wait longer. DuckDB said: {exc}"
                ) from exc
            if not waiting:
                waiting = True
                log.warning(
                    "%s is open in another process; waiting up to %g s for it: %s", database, wait, exc
                )
            time.sleep(min(pause, left))
            pause = min(pause * 2, 2.0)


@contextlib.contextmanager
def reader(database: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(database), read_only=True)
    try:
        yield connection
    finally:
        connection.close()


class Store:
    def __init__(self, connection: duckdb.DuckDBPyConnection):
        self.db = connection

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.db.begin()
        try:
            yield self.db
        except BaseException:
            self.db.rollback()
            raise
        self.db.commit()

    def ensure_schema(self) -> None:
        with self.transaction() as db:
            db.execute(_sql("schema.sql"))

    def _insert(self, table: str, frame: pd.DataFrame | pa.Table) -> None:
        empty = frame.num_rows == 0 if isinstance(frame, pa.Table) else frame.empty
        if empty:
            return
        name = f"frame_{uuid.uuid4().hex}"
        self.db.register(name, frame)
        try:
            self.db.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {name}")  # noqa: S608 (names, no values)
        finally:
            self.db.unregister(name)

    def _replace_rows(self, table: str, submission_ids: list[str], frame: pd.DataFrame | pa.Table) -> None:
        self.db.execute(
            f"DELETE FROM {table} WHERE submission_id IN (SELECT unnest(?))",  # noqa: S608
            [submission_ids],
        )
        self._insert(table, frame)

    # --- received ---------------------------------------------------------------------------

    def fingerprints(self) -> dict[str, str]:
        """rel_path -> "size:mtime_ns:sha256" of the newest submission at each path."""
        rows = self.db.execute(
            "SELECT rel_path, fingerprint || ':' || sha256 FROM received.submissions "
            "QUALIFY row_number() OVER (PARTITION BY rel_path ORDER BY received_at DESC) = 1"
        ).fetchall()
        return dict(rows)

    def record_received(self, files: list[ReceivedFile]) -> list[str]:
        """Register files never seen before; returns their submission ids. Same bytes as an
        earlier file = DUPLICATE of the earliest submission with those bytes, also when they come
        back to a path that held other bytes meanwhile."""
        known = {
            row[0] for row in self.db.execute("SELECT submission_id FROM received.submissions").fetchall()
        }
        newest_at_path = {
            path: fingerprint.rsplit(":", 1)[1] for path, fingerprint in self.fingerprints().items()
        }
        first_by_hash = dict(
            self.db.execute(
                "SELECT sha256, arg_min(submission_id, received_at) FROM received.submissions "
                "WHERE duplicate_of IS NULL GROUP BY sha256"
            ).fetchall()
        )
        new_rows, findings = [], []
        for received in sorted(files, key=lambda f: (f.received_at, f.rel_path)):
            if received.submission_id in known:
                if newest_at_path.get(received.rel_path, received.sha256) == received.sha256:
                    continue  # the file we have
                received = dataclasses.replace(received, submission_id=returning_submission_id(received))
                if received.submission_id in known:
                    continue
            known.add(received.submission_id)
            original = first_by_hash.get(received.sha256)
            if original is None:
                first_by_hash[received.sha256] = received.submission_id
            else:
                findings.append(
                    Finding(
                        received.submission_id,
                        "received",
                        Severity.WARNING,
                        Action.REPORT,
                        "duplicate",
                        f"The same bytes were already received as submission {original}; "
                        "this copy adds nothing.",
                    )
                )
            new_rows.append(
                {
                    "submission_id": received.submission_id,
                    "rel_path": received.rel_path,
                    "file_name": received.file_name,
                    "size_bytes": received.size_bytes,
                    "received_at": received.received_at.replace(tzinfo=None),
                    "fingerprint": received.fingerprint,
                    "sha256": received.sha256,
                    "duplicate_of": original,
                    "status": "DUPLICATE" if original else "RECEIVED",
                }
            )
        with self.transaction():
            self._insert("received.submissions", pd.DataFrame(new_rows))
            self._insert("received.findings", _findings_frame(findings))
        return [row["submission_id"] for row in new_rows]

    def pending(self, status: str) -> list[tuple[str, str, str]]:
        """(submission_id, sha256, file_name) of submissions waiting in `status`, oldest first."""
        return self.db.execute(
            "SELECT submission_id, sha256, file_name FROM received.submissions WHERE status = ? "
            "ORDER BY received_at, rel_path",
            [status],
        ).fetchall()

    def status_counts(self) -> dict[str, int]:
        return dict(
            self.db.execute("SELECT status, count(*) FROM received.submissions GROUP BY status").fetchall()
        )

    # --- parsed -----------------------------------------------------------------------------

    def save_parsed(self, results: list[ParsedReturn]) -> None:
        if not results:
            return
        ids = [result.submission_id for result in results]
        # Arrow, as the workers sent them (`ParsedReturn.cell_table`): no Python object per value. One
        # chunk: DuckDB scans a table of a hundred small slices at twice the cost.
        cells = pa.concat_tables([result.cell_table() for result in results]).combine_chunks()
        returns = pd.DataFrame(
            [
                {
                    "submission_id": r.submission_id,
                    "status": r.status,
                    "language": r.language,
                    **{f"{kind}_sheet": r.sheets.get(kind) for kind in vocabulary.SHEET_KINDS},
                }
                for r in results
            ]
        )
        findings = _findings_frame([finding for result in results for finding in result.findings])
        statuses = pd.DataFrame({"submission_id": ids, "status": [r.status for r in results]})
        with self.transaction():
            self._replace_rows("parsed.cells", ids, cells)
            self._replace_rows("parsed.returns", ids, returns)
            self._replace_rows("parsed.findings", ids, findings)
            self._set_status(statuses)

    def _set_status(self, statuses: pd.DataFrame) -> None:
        name = f"statuses_{uuid.uuid4().hex}"
        self.db.register(name, statuses)
        try:
            self.db.execute(
                f"UPDATE received.submissions s SET status = n.status FROM {name} n "  # noqa: S608
                "WHERE s.submission_id = n.submission_id"
            )
        finally:
            self.db.unregister(name)

    def cells_of(self, submission_ids: list[str]) -> pd.DataFrame:
        """The parsed cells of some submissions, in sheet order (the validator's "first cell" is the
        first of this order). Fetched as Arrow: a text repeated in many cells (a submission id, a
        sheet's name, a field) becomes one Python string, not one per cell, at half the CPU of `.df()`.
        """
        cells = (
            self.db.sql(
                "SELECT * FROM parsed.cells WHERE submission_id IN (SELECT unnest($ids)) "
                "ORDER BY submission_id, sheet_kind, row_no, col_no",
                params={"ids": submission_ids},
            )
            .to_arrow_table()
            .to_pandas()
        )
        cells["year"] = cells["year"].astype("Int32")  # as `.df()` gives it: Arrow makes a float of it
        return cells

    def parse_findings_of(self, submission_ids: list[str]) -> list[Finding]:
        frame = self.db.execute(
            "SELECT * FROM parsed.findings WHERE submission_id IN (SELECT unnest(?))", [submission_ids]
        ).df()
        return [
            Finding(**{k: (None if pd.isna(v) else v) for k, v in row.items()})
            for row in frame.to_dict("records")
        ]

    # --- validated --------------------------------------------------------------------------

    def save_validated(self, batch_id: str, validated: Validated) -> None:
        ids = list(validated.statuses)
        validation_findings = [f for f in validated.findings if f.stage == "validated"]
        summaries = pd.DataFrame([vars(s) for s in validated.summaries])
        if not summaries.empty:
            summaries.insert(0, "batch_id", batch_id)
        with self.transaction():
            self._replace_rows("validated.covers", ids, validated.covers)
            self._replace_rows("validated.activities", ids, validated.activities)
            self._replace_rows("validated.outcomes", ids, validated.outcomes)
            self._replace_rows("validated.prison_values", ids, validated.prison_values)
            self._replace_rows("validated.findings", ids, _findings_frame(validation_findings))
            self._insert("validated.suite_results", summaries)
            self._set_status(
                pd.DataFrame({"submission_id": ids, "status": [validated.statuses[i] for i in ids]})
            )
            # With the results, not after them: the years to publish must survive whatever follows.
            self.db.execute(
                "INSERT OR IGNORE INTO validated.unpublished_years SELECT unnest(?::INTEGER[])",
                [self.years_affected_by(ids)],
            )

    # --- published --------------------------------------------------------------------------

    def publish(self, years: Collection[int] | None = None) -> dict[str, int]:
        """Refresh the published layer in one transaction; returns row counts per table.

        The bookkeeping (current submissions, coverage) is always rebuilt whole. The data tables
        are replaced only for `years` (activities and outcomes by reporting year, prisons by the
        year observed), or entirely when `years` is None: a year partition in Dagster.
        """
        with self.transaction() as db:
            self._load_reference()
            db.execute(_sql("coverage.sql"))
            db.execute(_sql("tables.sql"))
            for table, year_column in YEAR_COLUMNS.items():
                self._replace_years(table, year_column, years)
            self._mark_published(years)
            catalog.document(db)  # views and COMMENT ON, after the tables they describe are rebuilt
            return {
                table: db.execute(f"SELECT count(*) FROM published.{table}").fetchone()[0]  # noqa: S608
                for table in PUBLISHED_TABLES
            }

    def publish_coverage(self) -> int:
        """Only the bookkeeping: which submission is current, and what became of every file."""
        with self.transaction() as db:
            self._load_reference()
            db.execute(_sql("coverage.sql"))
            catalog.document(db)  # CREATE OR REPLACE dropped the bookkeeping tables' comments
            return db.execute("SELECT count(*) FROM published.coverage").fetchone()[0]

    def _replace_years(self, table: str, year_column: str, years: Collection[int] | None) -> None:
        """published.<table> := next_<table> for `years` (all years when None), other years untouched."""
        # Table and column names come from YEAR_COLUMNS, never from input.
        if years is None:
            self.db.execute(f"CREATE OR REPLACE TABLE published.{table} AS SELECT * FROM next_{table}")  # noqa: S608
            return
        self.db.execute(
            f"CREATE TABLE IF NOT EXISTS published.{table} AS SELECT * FROM next_{table} LIMIT 0"  # noqa: S608
        )
        wanted = sorted(set(years))
        self.db.execute(f"DELETE FROM published.{table} WHERE list_contains(?, {year_column})", [wanted])  # noqa: S608
        self.db.execute(
            f"INSERT INTO published.{table} SELECT * FROM next_{table} "  # noqa: S608
            f"WHERE list_contains(?, {year_column})",
            [wanted],
        )

    def _mark_published(self, years: Collection[int] | None) -> None:
        """Years no longer waiting to be published: `years` (all when None). Call it only inside the
        transaction that publishes them."""
        if years is None:
            self.db.execute("DELETE FROM validated.unpublished_years")
        else:
            self.db.execute(
                "DELETE FROM validated.unpublished_years WHERE list_contains(?, year)", [sorted(set(years))]
            )

    def unpublished_years(self) -> list[int]:
        return unpublished_years(self.db)

    def years_affected_by(self, submission_ids: list[str]) -> list[int]:
        """The year partitions newly accepted submissions change: their reporting year, and every
        year observed in a return for the same state and reporting year (their own prison columns
        and those of the return they supersede). A rejected return changes only the coverage."""
        rows = self.db.execute(
            """
            WITH decided AS (
                SELECT c.iso3, c.reporting_year
                FROM validated.covers c JOIN received.submissions s USING (submission_id)
                WHERE list_contains(?, c.submission_id) AND s.status IN ('ACCEPTED', 'ACCEPTED_WITH_WARNINGS')
            ), siblings AS (
                SELECT c.submission_id FROM validated.covers c JOIN decided USING (iso3, reporting_year)
            )
            SELECT reporting_year FROM decided
            UNION SELECT v.year FROM validated.prison_values v JOIN siblings USING (submission_id)
            ORDER BY 1
            """,
            [submission_ids],
        ).fetchall()
        return [row[0] for row in rows]

    def _load_reference(self) -> None:
        members = [countries.country_info(iso3) for iso3 in countries.member_states()]
        frame = pd.DataFrame(
            [
                {"iso3": c.iso3, "name": c.name, "region": c.region, "subregion": c.subregion, "m49": c.m49}
                for c in members
            ]
        )
        self.db.execute("DELETE FROM reference.countries")
        self._insert("reference.countries", frame)
        indicators = [
            {"code": code, "unit": spec["unit"], "derived": False, "numerator": None, "denominator": None}
            for code, spec in vocabulary.indicators().items()
        ]
        indicators += [
            {
                "code": code,
                "unit": spec["unit"],
                "derived": True,
                "numerator": spec["numerator"],
                "denominator": spec["denominator"],
            }
            for code, spec in vocabulary.derived_indicators().items()
        ]
        self.db.execute(
            "CREATE OR REPLACE TABLE reference.indicators (code VARCHAR, unit VARCHAR, derived BOOLEAN, "
            "numerator VARCHAR, denominator VARCHAR)"
        )
        self._insert("reference.indicators", pd.DataFrame(indicators))
        self.db.execute(
            "CREATE OR REPLACE VIEW reference.derived_indicators AS "
            "SELECT * FROM reference.indicators WHERE derived"
        )


def _findings_frame(findings: list[Finding]) -> pd.DataFrame:
    return pd.DataFrame([finding.as_record() for finding in findings], columns=FINDING_COLUMNS)


def published_frames(connection: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    return {
        table: connection.execute(f"SELECT * FROM published.{table}").df()  # noqa: S608 (fixed names)
        for table in PUBLISHED_TABLES
    }


def quarantine_counts(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {
        table: connection.execute(f"SELECT count(*) FROM validated.{table} WHERE quarantined").fetchone()[0]  # noqa: S608
        for table in ("activities", "outcomes", "prison_values")
    }


def unpublished_years(connection: duckdb.DuckDBPyConnection) -> list[int]:
    """The year partitions validated returns changed and no publish has rebuilt since."""
    return [
        row[0]
        for row in connection.execute("SELECT year FROM validated.unpublished_years ORDER BY 1").fetchall()
    ]


SYNTHETIC_MARK = "SYNTHETIC"


def is_synthetic(connection: duckdb.DuckDBPyConnection) -> bool:
    """A release built from any synthetic return is a demo release and must say so."""
    row = connection.execute(
        "SELECT count(*) FROM validated.covers c JOIN published.current_submissions USING (submission_id) "
        "WHERE upper(c.institution) LIKE '%' || ? || '%'",
        [SYNTHETIC_MARK],
    ).fetchone()
    return bool(row and row[0])
