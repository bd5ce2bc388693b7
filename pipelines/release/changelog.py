"""CHANGELOG.md and its machine-readable twin (changes.csv): what changed since the previous release.

Compares the new release's tables, as the text its CSVs hold, with the previous release folder's
CSVs (None for the first release). Comparing written text keeps it exact: the CSV format is
canonical, so two values differ in text exactly when they differ. Facts:

- coverage rows added since, now SUPERSEDED, now REJECTED (and, should it ever happen, removed);
- prison values revised (same iso3, year, indicator; other value or obs_status), old -> new, with the
  submission that revised it; prison values added (an observation the previous release lacked: not
  listed for a first release, where prisons.csv itself is the list); prison values withdrawn;
- rows per table, previous -> now;
- activities and outcomes per state, previous -> now, for the states whose counts changed.

Everything is sorted, nothing depends on the clock: same inputs, same text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from operator import itemgetter
from pathlib import Path

from pipelines.release.changelog_input import (
    COMPARED_COLUMNS,
    COUNTED_TABLES,
    Records,
    Side,
    TextColumns,
    compared_records,
    read_release_columns,
    read_release_tables,
    sides,
)
from pipelines.release.layout import (
    CHANGE_KINDS,
    CHANGES,
    COVERAGE,
    DATA_TABLES,
    PRISONS,
)

# Re-exported: what callers of this module have read from it.
__all__ = [
    "COMPARED_COLUMNS",
    "Change",
    "Changelog",
    "Records",
    "TextColumns",
    "build_changelog",
    "compare",
    "compared_records",
    "read_release_tables",
    "render_markdown",
]


@dataclass(frozen=True)
class Change:
    """One fact of the changelog; a row of changes.csv (same columns, as text, "" when not applicable)."""

    change: str
    table: str
    iso3: str = ""
    reporting_year: str = ""
    year: str = ""
    indicator: str = ""
    submission_id: str = ""
    field: str = ""
    old: str = ""
    new: str = ""

    def as_row(self) -> list[str]:
        return [getattr(self, f.name) for f in fields(self)]  # `astuple` deep-copies: 10x slower


if tuple(f.name for f in fields(Change)) != CHANGES.column_names:
    raise AssertionError("Change must mirror layout.CHANGES")


@dataclass(frozen=True)
class Changelog:
    markdown: str
    changes: list[Change]


def _int_or(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return -1


def _sort_key(change: Change) -> tuple:
    return (
        CHANGE_KINDS.index(change.change),
        [t.name for t in (*DATA_TABLES, CHANGES)].index(change.table),
        change.iso3,
        _int_or(change.reporting_year),
        change.reporting_year,
        _int_or(change.year),
        change.year,
        change.indicator,
        change.submission_id,
        change.field,
        change.old,
        change.new,
    )


def _by_key(rows: Records, key: Sequence[str]) -> dict[tuple[str, ...], Mapping[str, str]]:
    """The records by their key (the last of equal keys wins). Every record holds every compared
    column (`changelog_input`), the key's among them."""
    if len(key) == 1:
        (name,) = key
        return {(row[name],): row for row in rows}
    get = itemgetter(*key)
    return {get(row): row for row in rows}


def _empty_side() -> Side:
    return Side(
        rows=dict.fromkeys((t.name for t in DATA_TABLES), 0),
        per_state={t.name: Counter() for t in COUNTED_TABLES},
        records={t.name: [] for t in DATA_TABLES},
    )


def compare(now: Side, previous: Side | None) -> list[Change]:
    """The changes from `previous` (None: first release) to `now`, sorted."""
    first = previous is None
    prev = previous or _empty_side()
    changes: list[Change] = []

    # Coverage
    now_cov = _by_key(now.records[COVERAGE.name], COVERAGE.primary_key)
    old_cov = _by_key(prev.records[COVERAGE.name], COVERAGE.primary_key)
    for (sid,), row in now_cov.items():
        before = old_cov.get((sid,))
        common = {"table": COVERAGE.name, "iso3": row["iso3"], "reporting_year": row["reporting_year"]}
        old_status = before.get("status", "") if before else ""
        if before is None:
            changes.append(
                Change("submission_added", submission_id=sid, field="status", new=row["status"], **common)
            )
        for status, kind in (("SUPERSEDED", "submission_superseded"), ("REJECTED", "submission_rejected")):
            if row["status"] == status and old_status != status:
                changes.append(
                    Change(kind, submission_id=sid, field="status", old=old_status, new=status, **common)
                )
    for (sid,), row in old_cov.items():
        if (sid,) not in now_cov:
            changes.append(
                Change(
                    "submission_removed",
                    COVERAGE.name,
                    iso3=row.get("iso3", ""),
                    reporting_year=row.get("reporting_year", ""),
                    submission_id=sid,
                    field="status",
                    old=row.get("status", ""),
                )
            )

    # Prison values
    now_pr = _by_key(now.records[PRISONS.name], PRISONS.primary_key)
    old_pr = _by_key(prev.records[PRISONS.name], PRISONS.primary_key)
    for key, row in now_pr.items():
        before = old_pr.get(key)
        iso3, year, indicator = key
        if before is None:
            if not first:
                changes += [
                    Change(
                        "value_added",
                        PRISONS.name,
                        iso3=iso3,
                        reporting_year=row["reporting_year"],
                        year=year,
                        indicator=indicator,
                        submission_id=row["submission_id"],
                        field=field,
                        new=row[field],
                    )
                    for field in ("value", "obs_status")
                ]
            continue
        for field in ("value", "obs_status"):
            if before.get(field, "") != row[field]:
                changes.append(
                    Change(
                        "value_revised",
                        PRISONS.name,
                        iso3=iso3,
                        reporting_year=row["reporting_year"],
                        year=year,
                        indicator=indicator,
                        submission_id=row["submission_id"],
                        field=field,
                        old=before.get(field, ""),
                        new=row[field],
                    )
                )
    for key, row in old_pr.items():
        if key not in now_pr:
            iso3, year, indicator = key
            changes.append(
                Change(
                    "value_removed",
                    PRISONS.name,
                    iso3=iso3,
                    reporting_year=row.get("reporting_year", ""),
                    year=year,
                    indicator=indicator,
                    submission_id=row.get("submission_id", ""),
                    field="value",
                    old=row.get("value", ""),
                )
            )

    # Rows per table
    for table in DATA_TABLES:
        old = "" if first else str(prev.rows[table.name])
        changes.append(Change("row_count", table.name, field="rows", old=old, new=str(now.rows[table.name])))

    # Activities and outcomes per state
    for table in COUNTED_TABLES:
        now_n, old_n = now.per_state[table.name], prev.per_state[table.name]
        for iso3 in sorted(set(now_n) | set(old_n)):
            if now_n[iso3] != old_n[iso3]:
                changes.append(
                    Change(
                        "state_count",
                        table.name,
                        iso3=iso3,
                        field="rows",
                        old=str(old_n[iso3]),
                        new=str(now_n[iso3]),
                    )
                )

    return sorted(changes, key=_sort_key)


def _obs(value: str, obs_status: str) -> str:
    shown = value if value else "empty"
    return f"{shown} ({obs_status})" if obs_status else shown


def _submission_line(c: Change, extra: str = "") -> str:
    where = " ".join(p for p in (c.iso3, c.reporting_year) if p) or "state and year not read"
    return f"- `{c.submission_id}` ({where}){extra}"


def _added_values_lines(added: Sequence[Change]) -> list[str]:
    """Prison values added, one line per state and submission: how many, for which years."""
    groups: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for c in added:
        groups.setdefault((c.iso3, c.submission_id), set()).add((c.year, c.indicator))
    total = sum(len(keys) for keys in groups.values())
    lines = [f"## Prison values added ({total})", ""]
    for (iso3, submission_id), keys in sorted(groups.items()):
        years = ", ".join(sorted({year for year, _ in keys}, key=lambda y: (_int_or(y), y)))
        noun = "value" if len(keys) == 1 else "values"
        lines.append(f"- {iso3}: {len(keys)} {noun} for {years}, from `{submission_id}`")
    if not groups:
        lines.append("None.")
    return [*lines, ""]


def render_markdown(
    changes: Sequence[Change],
    now: Side,
    previous: Side | None,
    *,
    release_id: str,
    previous_release_id: str | None,
    synthetic: bool,
) -> str:
    by_kind: dict[str, list[Change]] = {kind: [] for kind in CHANGE_KINDS}
    for c in changes:
        by_kind[c.change].append(c)
    lines = [f"# Changelog of release {release_id}", ""]
    if synthetic:
        lines += [
            "**Synthetic demo data**: built from synthetic returns, not data reported by any member state.",
            "",
        ]
    if previous_release_id is None:
        lines += ["First release: there is no previous release to compare with.", ""]
    else:
        lines += [f"Compared with the previous release, {previous_release_id}.", ""]

    lines += ["## Rows per table", "", "| file | previous | now |", "|---|---:|---:|"]
    for c in by_kind["row_count"]:
        file_name = next(t.file_name for t in DATA_TABLES if t.name == c.table)
        lines.append(f"| {file_name} | {c.old or '-'} | {c.new} |")
    lines.append("")

    superseded_by = {row["submission_id"]: row.get("superseded_by", "") for row in now.records[COVERAGE.name]}
    sections = (
        ("submission_added", "Returns added", lambda c: f": {c.new}"),
        (
            "submission_superseded",
            "Returns now superseded",
            lambda c: f", superseded by `{superseded_by[c.submission_id]}`"
            if superseded_by.get(c.submission_id)
            else "",
        ),
        ("submission_rejected", "Returns rejected", lambda c: f" (was {c.old})" if c.old else ""),
        ("submission_removed", "Returns no longer listed", lambda c: f" (was {c.old})" if c.old else ""),
    )
    for kind, heading, extra in sections:
        items = by_kind[kind]
        if kind == "submission_removed" and not items:
            continue
        lines += [f"## {heading} ({len(items)})", ""]
        lines += [_submission_line(c, extra(c)) for c in items] or ["None."]
        lines.append("")

    # Prison revisions: one line per value, value and obs_status together.
    now_pr = _by_key(now.records[PRISONS.name], PRISONS.primary_key)
    old_pr = _by_key(previous.records[PRISONS.name] if previous else [], PRISONS.primary_key)
    revised = sorted(
        {(c.iso3, c.year, c.indicator) for c in by_kind["value_revised"]},
        key=lambda k: (k[0], _int_or(k[1]), k[1], k[2]),
    )
    lines += [f"## Prison values revised ({len(revised)})", ""]
    for key in revised:
        old, new = old_pr[key], now_pr[key]
        derived = " (derived)" if new.get("derived") == "true" else ""
        lines.append(
            f"- {key[0]} {key[1]} {key[2]}{derived}: {_obs(old.get('value', ''), old.get('obs_status', ''))}"
            f" -> {_obs(new['value'], new['obs_status'])}, revised by `{new['submission_id']}`"
        )
    if not revised:
        lines.append("None.")
    lines.append("")
    if previous is not None:
        lines += _added_values_lines(by_kind["value_added"])
    if by_kind["value_removed"]:
        lines += [f"## Prison values withdrawn ({len(by_kind['value_removed'])})", ""]
        for c in by_kind["value_removed"]:
            old = old_pr[(c.iso3, c.year, c.indicator)]
            shown = _obs(c.old, old.get("obs_status", ""))
            lines.append(f"- {c.iso3} {c.year} {c.indicator}: {shown} (was from `{c.submission_id}`)")
        lines.append("")

    lines += ["## Activities and outcomes per state", ""]
    per_state: dict[str, dict[str, Change]] = {}
    for c in by_kind["state_count"]:
        per_state.setdefault(c.iso3, {})[c.table] = c
    if per_state:
        counts = {
            t.name: (now.per_state[t.name], previous.per_state[t.name] if previous else Counter())
            for t in COUNTED_TABLES
        }
        lines += [
            "States whose counts changed (previous -> now); other states are unchanged.",
            "",
            "| state | activities | outcomes |",
            "|---|---:|---:|",
        ]
        for iso3 in sorted(per_state):
            cells = []
            for t in COUNTED_TABLES:
                now_n, old_n = counts[t.name]
                cells.append(
                    f"{old_n[iso3]} -> {now_n[iso3]}" if old_n[iso3] != now_n[iso3] else str(now_n[iso3])
                )
            lines.append(f"| {iso3} | {cells[0]} | {cells[1]} |")
    else:
        lines.append("No change.")
    lines.append("")
    return "\n".join(lines)


def build_changelog(
    current_columns: Mapping[str, TextColumns],
    previous_folder: Path | None,
    *,
    release_id: str,
    previous_release_id: str | None = None,
    synthetic: bool = False,
) -> Changelog:
    """CHANGELOG.md text and the change records, comparing the new tables with the previous release folder.

    `current_columns`: table name -> column name -> field texts as written in the CSV (at least the
    `COMPARED_COLUMNS`). Only the rows that differ between the two releases are compared one by one
    (`changelog_input.sides`): the cost follows what changed.
    """
    previous_columns = read_release_columns(previous_folder) if previous_folder is not None else None
    if previous_folder is not None and previous_release_id is None:
        previous_release_id = previous_folder.name
    now, previous = sides(current_columns, previous_columns)
    changes = compare(now, previous)
    markdown = render_markdown(
        changes,
        now,
        previous,
        release_id=release_id,
        previous_release_id=previous_release_id,
        synthetic=synthetic,
    )
    return Changelog(markdown=markdown, changes=changes)
