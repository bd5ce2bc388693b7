"""The check a release folder passes before it goes live: its files read back from disk and held
against its own datapackage.json, every row, with DuckDB.

A second witness, independent of the code that wrote the files: it knows the release only through
the descriptor and the bytes. For every resource the descriptor lists:

- size and SHA-256 (`bytes`, `hash`), and SHA256SUMS agrees with the files;
- a table (CSV): UTF-8 without BOM, the header is the schema's field names, every line ends with
  `\\n`; DuckDB's CSV reader (strict: a row with too many or too few fields is an error) reads every
  field as text, and SQL checks each against its field: the declared type in the canonical form
  the CSV conventions promise (integers without `+` or leading zeros, numbers positional without
  trailing zeros, `true`/`false`, `YYYY-MM-DD`, `YYYY-MM-DDThh:mm:ssZ`), `required`, `enum`,
  `pattern`, `minimum`, and the primary key unique;
- its Parquet twin (the file resource naming it in `normsdata:same_rows_as`): the same column
  names, the same number of rows, and in every row and column the value the CSV field parses to
  under the declared type. Two writers (our CSV text, pyarrow's Parquet) fed the same typed values
  must agree cell by cell, or the release is not cut.

The tables are checked two at a time, each on a DuckDB connection of its own (DuckDB and hashlib
work without the GIL), and the problems reported in the descriptor's order.

It replaces `frictionless validate` in the pipeline, which checks the same constraints one Python
cell at a time (about 3 s for 40,000 rows; this takes a small fraction of that) and never opens the
Parquet files. The tests still run the frictionless CLI on releases, so datapackage.json stays a
descriptor frictionless accepts. Values reach DuckDB as parameters; the SQL text holds only
expressions of this module and column names read from the descriptor, quoted as identifiers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipelines.fork_pool import workers_available
from pipelines.release.checksums import file_sha256
from pipelines.release.layout import DATAPACKAGE, SHA256SUMS
from pipelines.warehouse.catalog import quote_identifier

# A field's text in the canonical form of its Table Schema type (the CSV conventions), as RE2
# patterns matched against the whole field. Stricter than Table Schema itself, so that text equality
# is value equality (the primary-key check compares text) and a writer drifting from the
# conventions is caught.
CANONICAL = {
    "integer": r"-?(?:0|[1-9][0-9]*)",
    "number": r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?",
    "date": r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    "datetime": r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z",
}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# The value a field's text stands for, for comparing it with the Parquet twin (`{v}`: the field).
PARSED = {
    "string": "{v}",
    "integer": "TRY_CAST({v} AS BIGINT)",
    "number": "TRY_CAST({v} AS DOUBLE)",
    "boolean": "({v} = 'true')",
    "date": "TRY_CAST({v} AS DATE)",
    "datetime": f"try_strptime({{v}}, '{DATETIME_FORMAT}')",
}
EXAMPLES = 3  # offending values shown per failed check
CSV_TABLE, PARQUET_TABLE = "release_csv", "release_parquet"
# Every field as text, exactly as the dialect says: strict (a row with too many or too few fields is
# an error, not padded), read in file order (not in parallel) so rows pair with the Parquet twin's.
READ_CSV = (
    f"CREATE OR REPLACE TEMP TABLE {CSV_TABLE} AS SELECT * FROM read_csv($path, header = true, "  # noqa: S608 (constant)
    "delim = $delim, quote = $quote, escape = $quote, new_line = '\\n', columns = $columns, "
    "auto_detect = false, strict_mode = true, null_padding = false, parallel = false, encoding = 'utf-8')"
)


@dataclass(frozen=True)
class Check:
    """One rule over one field: `failing` is a SQL condition true for the rows that break it."""

    field: str
    rule: str
    failing: str
    parameters: tuple[Any, ...] = ()


def release_problems(folder: Path, expected_rows: Mapping[str, int] | None = None) -> list[str]:
    """What is wrong with the release folder, in words (empty: nothing). `expected_rows`: table
    resource name -> rows its writer wrote, checked against the rows read back.

    The files are hashed, then the tables checked, one per core (hashlib and DuckDB let go of
    the GIL while they work); the problems come back in the descriptor's order all the same."""
    descriptor = json.loads((folder / DATAPACKAGE).read_bytes())
    resources = descriptor.get("resources", [])
    with ThreadPoolExecutor(max_workers=workers_available()) as pool:
        problems: list[str] = []
        digests: dict[str, str] = {}
        hashed = pool.map(lambda resource: _file_digest(folder, resource), resources)
        for resource, digest in zip(resources, hashed, strict=True):
            problems += _file_problems(folder, resource, digest, digests)
        problems += _sha256sums_problems(folder, digests)
        if problems:  # a file that is not the one described: reading its rows would say nothing more
            return problems
        twins = {r["normsdata:same_rows_as"]: r for r in resources if "normsdata:same_rows_as" in r}
        tables = [r for r in resources if r.get("type") == "table"]
        database = duckdb.connect()  # one in-memory database; each table on a connection (cursor) of its own
        started: dict[str, Future[list[str]]] = {}
        try:
            # The largest first, so that the workers finish about together.
            started = {
                resource["name"]: pool.submit(
                    _checked_table,
                    database,
                    folder,
                    resource,
                    twins.get(resource["name"]),
                    (expected_rows or {}).get(resource["name"]),
                )
                for resource in sorted(tables, key=lambda r: -int(r.get("bytes") or 0))
            }
            for resource in tables:
                problems += started[resource["name"]].result()
        finally:  # no worker left running on the database when it closes
            for future in started.values():
                future.cancel()
            wait(started.values())
            database.close()
    return problems


def _checked_table(
    database: duckdb.DuckDBPyConnection,
    folder: Path,
    resource: Mapping[str, Any],
    twin: Mapping[str, Any] | None,
    expected_rows: int | None,
) -> list[str]:
    """`_table_problems` on a connection of its own to `database` (its temporary tables its own)."""
    connection = database.cursor()
    try:
        connection.execute("SET TimeZone = 'UTC'")  # Parquet timestamps are UTC; compare them as such
        return _table_problems(connection, folder, resource, twin, expected_rows)
    finally:
        connection.close()


def _file_digest(folder: Path, resource: Mapping[str, Any]) -> str | None:
    """The SHA-256 of the resource's file, None when it is not a regular file of the release."""
    path = folder / resource["path"]
    if path.is_symlink() or not path.is_file():
        return None
    return file_sha256(path)


def _file_problems(
    folder: Path, resource: Mapping[str, Any], digest: str | None, digests: dict[str, str]
) -> list[str]:
    path = folder / resource["path"]
    if digest is None:
        return [f"{resource['path']}: listed in {DATAPACKAGE} but not a file of the release"]
    digests[resource["path"]] = digest
    problems = []
    if resource.get("bytes") != path.stat().st_size:
        problems.append(
            f"{resource['path']}: {path.stat().st_size} bytes, {DATAPACKAGE} says {resource.get('bytes')}"
        )
    if resource.get("hash") != f"sha256:{digest}":
        problems.append(f"{resource['path']}: SHA-256 {digest}, {DATAPACKAGE} says {resource.get('hash')}")
    return problems


def _sha256sums_problems(folder: Path, digests: Mapping[str, str]) -> list[str]:
    sums = folder / SHA256SUMS
    if not sums.is_file():
        return [f"{SHA256SUMS} is missing"]
    listed = dict(reversed(line.split("  ", 1)) for line in sums.read_text(encoding="utf-8").splitlines())
    present = {p.name for p in folder.iterdir()} - {SHA256SUMS}
    problems = [
        f"{name}: a file of the release not in {SHA256SUMS}" for name in sorted(present - set(listed))
    ]
    problems += [f"{name}: in {SHA256SUMS} but not in the release" for name in sorted(set(listed) - present)]
    for name in sorted(set(listed) & present):
        digest = digests.get(name) or file_sha256(folder / name)
        if listed[name] != digest:
            problems.append(f"{name}: SHA-256 {digest}, {SHA256SUMS} says {listed[name]}")
    return problems


def _text_problems(path: Path, names: Sequence[str]) -> list[str]:
    """What DuckDB's reader forgives: a BOM, another header, a last line without `\\n`."""
    with open(path, "rb") as handle:
        head = handle.readline()
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(size - 1, 0))
        last = handle.read(1)
    problems = []
    if head.startswith(b"\xef\xbb\xbf"):
        problems.append(f"{path.name}: starts with a byte order mark")
    expected = (",".join(names) + "\n").encode("utf-8")
    if head != expected:
        problems.append(f"{path.name}: header {head!r}, the schema's fields are {expected!r}")
    if last != b"\n":
        problems.append(f"{path.name}: the last line does not end with \\n")
    return problems


def _field_checks(field: Mapping[str, Any], true_false: tuple[list[str], list[str]]) -> Iterator[Check]:
    name, kind = field["name"], field.get("type", "string")
    v = quote_identifier(name)
    present = f"{v} IS NOT NULL"
    constraints = field.get("constraints", {})
    if constraints.get("required"):
        yield Check(name, "required", f"{v} IS NULL")
    if kind == "boolean":
        values = [*field.get("trueValues", true_false[0]), *field.get("falseValues", true_false[1])]
        yield Check(name, "type boolean", f"{present} AND NOT list_contains(?, {v})", (values,))
    elif kind in CANONICAL:
        parsed = PARSED[kind].format(v=v)
        yield Check(
            name,
            f"type {kind}",
            f"{present} AND NOT (regexp_full_match({v}, ?) AND {parsed} IS NOT NULL)",
            (CANONICAL[kind],),
        )
    elif kind != "string":
        yield Check(name, f"type {kind} (not a type of release layout 1)", "true")
    if "enum" in constraints:
        yield Check(
            name, "enum constraint", f"{present} AND NOT list_contains(?, {v})", (constraints["enum"],)
        )
    if "pattern" in constraints:
        yield Check(
            name,
            "pattern constraint",
            f"{present} AND NOT regexp_full_match({v}, ?)",
            (constraints["pattern"],),
        )
    if "minimum" in constraints and kind in ("integer", "number"):
        yield Check(
            name,
            "minimum constraint",
            f"{present} AND TRY_CAST({v} AS DOUBLE) < ?",
            (float(constraints["minimum"]),),
        )


def _table_problems(
    connection: duckdb.DuckDBPyConnection,
    folder: Path,
    resource: Mapping[str, Any],
    twin: Mapping[str, Any] | None,
    expected_rows: int | None,
) -> list[str]:
    path = folder / resource["path"]
    schema = resource.get("schema", {})
    fields = schema.get("fields", [])
    names = [f["name"] for f in fields]
    problems = _text_problems(path, names)
    if problems:
        return problems
    dialect = resource.get("dialect", {})
    try:
        connection.execute(
            READ_CSV,
            {
                "path": str(path),
                "delim": dialect.get("delimiter", ","),
                "quote": dialect.get("quoteChar", '"'),
                "columns": dict.fromkeys(names, "VARCHAR"),
            },
        )
    except duckdb.Error as exc:
        return [f"{path.name}: DuckDB cannot read it as the CSV {DATAPACKAGE} describes: {exc}"]
    rows = connection.execute(f"SELECT count(*) FROM {CSV_TABLE}").fetchone()[0]  # noqa: S608 (module constant)
    if expected_rows is not None and rows != expected_rows:
        problems.append(f"{path.name}: {rows} rows read back, {expected_rows} written")
    problems += _constraint_problems(connection, path.name, fields, schema.get("primaryKey", []))
    if twin is not None:
        problems += _twin_problems(connection, folder / twin["path"], fields, rows)
    return problems


def _constraint_problems(
    connection: duckdb.DuckDBPyConnection,
    file_name: str,
    fields: Sequence[Mapping[str, Any]],
    primary_key: Sequence[str],
) -> list[str]:
    true_false = (["true", "True", "TRUE", "1"], ["false", "False", "FALSE", "0"])  # Table Schema defaults
    checks = [check for field in fields for check in _field_checks(field, true_false)]
    problems = []
    if checks:
        # One pass over the table: how many rows break each check.
        counts = connection.execute(
            "SELECT "  # noqa: S608 (this module's expressions over quoted field names)
            + ", ".join(f"count(*) FILTER (WHERE {c.failing})" for c in checks)
            + f" FROM {CSV_TABLE}",
            [p for c in checks for p in c.parameters],
        ).fetchone()
        for check, count in zip(checks, counts, strict=True):
            if count:
                examples = connection.execute(
                    f"SELECT DISTINCT {quote_identifier(check.field)} FROM {CSV_TABLE} "  # noqa: S608 (as above)
                    f"WHERE {check.failing} LIMIT {EXAMPLES}",
                    list(check.parameters),
                ).fetchall()
                shown = ", ".join(repr(value) for (value,) in examples)
                problems.append(
                    f"{file_name}: {count} value(s) of {check.field} break its {check.rule}: {shown}"
                )
    if primary_key:
        key = ", ".join(quote_identifier(k) for k in primary_key)
        duplicates = connection.execute(
            f"SELECT {key}, count(*) FROM {CSV_TABLE} GROUP BY ALL HAVING count(*) > 1 LIMIT {EXAMPLES}"  # noqa: S608 (as above)
        ).fetchall()
        for *values, count in duplicates:
            problems.append(f"{file_name}: primary key {tuple(values)!r} occurs {count} times")
    return problems


def _twin_problems(
    connection: duckdb.DuckDBPyConnection, path: Path, fields: Sequence[Mapping[str, Any]], rows: int
) -> list[str]:
    """The Parquet twin holds, row by row, the values the CSV's fields parse to."""
    try:
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE {PARQUET_TABLE} AS SELECT * FROM read_parquet(?)",  # noqa: S608 (module constant)
            [str(path)],
        )
    except duckdb.Error as exc:
        return [f"{path.name}: DuckDB cannot read it as Parquet: {exc}"]
    columns = [row[0] for row in connection.execute(f"DESCRIBE {PARQUET_TABLE}").fetchall()]
    names = [f["name"] for f in fields]
    if columns != names:
        return [f"{path.name}: columns {columns}, its CSV's are {names}"]
    twin_rows = connection.execute(f"SELECT count(*) FROM {PARQUET_TABLE}").fetchone()[0]  # noqa: S608 (module constant)
    if twin_rows != rows:
        return [f"{path.name}: {twin_rows} rows, its CSV has {rows}"]
    differ = []
    for field in fields:
        v = quote_identifier(field["name"])
        parsed = PARSED.get(field.get("type", "string"), "{v}").format(v=f"c.{v}")
        twin_value = f"p.{v}::TIMESTAMP" if field.get("type") == "datetime" else f"p.{v}"
        differ.append(f"{parsed} IS DISTINCT FROM {twin_value}")
    # Both tables were read in file order; POSITIONAL JOIN pairs row n with row n.
    pairs = f"FROM {CSV_TABLE} c POSITIONAL JOIN {PARQUET_TABLE} p"
    counts = connection.execute(
        "SELECT " + ", ".join(f"count(*) FILTER (WHERE {d})" for d in differ) + f" {pairs}"  # noqa: S608 (as above)
    ).fetchone()
    problems = []
    for field, condition, count in zip(fields, differ, counts, strict=True):
        if count:
            v = quote_identifier(field["name"])
            csv_text, twin_text = connection.execute(
                f"SELECT c.{v}, p.{v}::VARCHAR {pairs} WHERE {condition} LIMIT 1"  # noqa: S608 (as above)
            ).fetchone()
            problems.append(
                f"{path.name}: {count} value(s) of {field['name']} differ from its CSV's,"
                f" e.g. {twin_text!r} where the CSV has {csv_text!r}"
            )
    return problems
