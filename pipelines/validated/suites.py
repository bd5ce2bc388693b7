"""A thin wrapper around Great Expectations 1.x: load our JSON suites, validate a frame, return failures.

dagster-ge only supports GE < 1.0, and GE 1.x has no validator or CLI: a suite is validated
through a batch definition of an (ephemeral) context. Suites live in `expectations/*.json`
and name code lists as `$PARAMETER`s, so no code list is ever written twice.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines.reference import codelists, countries
from pipelines.reference import form as vocabulary

EXPECTATIONS_DIR = Path(__file__).resolve().parents[2] / "expectations"
SUITE_NAMES = ("cover", "activities", "prisons", "outcomes")


@dataclass(frozen=True)
class Failure:
    """One failing row of one expectation, with what the suite says to do about it."""

    suite: str
    expectation: str  # expectation type, e.g. expect_column_values_to_be_in_set
    rule: str
    severity: str  # critical | warning
    action: str  # reject | quarantine_row | quarantine_cell | report
    message: str  # template with {value}, {a}, {b}
    cells: tuple[str, ...]  # the fields the failure points at (and quarantines)
    index: dict[str, Any]  # the row's index columns (submission_id, row_no or year) and failing values
    value: Any


@dataclass(frozen=True)
class SuiteSummary:
    suite: str
    rule: str
    column: str
    severity: str
    success: bool
    unexpected_count: int
    element_count: int


def suite_definition(name: str) -> dict:
    return json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text(encoding="utf-8"))


def parameters(current_year: int) -> dict[str, Any]:
    """Every `$PARAMETER` the suites name, from the project's one copy of each list."""
    values: dict[str, Any] = {name: list(codelists.codes(name)) for name in codelists.LIST_NAMES}
    standards = "|".join(re.escape(code) for code in codelists.codes("STANDARD"))
    values["STANDARD_LIST_PATTERN"] = f"^(?:{standards})(?:;(?:{standards}))*$"
    values["MEMBER_STATES"] = list(countries.member_states())
    values["LANGUAGES"] = list(vocabulary.languages())
    values["CURRENT_YEAR"] = current_year
    return values


@cache
def _context():
    import great_expectations as gx  # 3+ s to import: only when something is validated
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


@cache
def _batch_definition(name: str):
    source = _context().data_sources.add_or_update_pandas(f"normsdata_{name}")
    return source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all_rows")


@cache
def expectation_suite(name: str, positions: tuple[int, ...] | None = None):
    """The suite `name`, or only its expectations at `positions`; each expectation's id is
    "<suite>/<position>", so a result names the expectation it belongs to in either."""
    from great_expectations.core import ExpectationSuite

    definition = suite_definition(name)
    expectations = [{**e, "id": f"{name}/{i}"} for i, e in enumerate(definition["expectations"])]
    if positions is not None:
        expectations = [expectations[i] for i in positions]
    return ExpectationSuite(**{**definition, "expectations": expectations})


def _position(outcome) -> int:
    return int(outcome.expectation_config.id.rsplit("/", 1)[1])


# One suite over one frame: the suite's name (the sheet kind), the frame, the columns naming a row.
SuiteCall = tuple[str, pd.DataFrame, list[str]]


def warm_up() -> None:
    """Import GE and build the context and every suite, before the first frame is ready."""
    for name in SUITE_NAMES:
        _batch_definition(name)
        expectation_suite(name)


def validate_all(calls: list[SuiteCall], params: dict[str, Any]) -> tuple[list[Failure], list[SuiteSummary]]:
    """Validate each frame with its suite: the failures and the per-expectation summaries of all."""
    failures: list[Failure] = []
    summaries: list[SuiteSummary] = []
    for name, frame, index in calls:
        found, summary = validate(name, frame, index, params)
        failures.extend(found)
        summaries.extend(summary)
    return failures, summaries


def validate(
    name: str, frame: pd.DataFrame, index_columns: list[str], params: dict[str, Any]
) -> tuple[list[Failure], list[SuiteSummary]]:
    """Validate all rows of one sheet kind, of many submissions: the failures and the summaries."""
    if frame.empty:
        return [], []
    return read_outcomes(name, len(frame), outcomes_of(name, frame, index_columns, params))


def outcomes_of(name: str, frame: pd.DataFrame, index_columns: list[str], params: dict[str, Any]) -> list:
    """GE's result for every expectation of the suite, the failing rows of those that failed.

    In two GE calls, because GE's cost is mostly per expectation and per metric it computes,
    whatever the rows: asking every expectation only whether it holds (BOOLEAN_ONLY) costs half of
    asking each for its failing rows (COMPLETE). So the whole suite is asked first, and only the
    expectations that failed are asked again, for their rows; most expectations hold in most
    batches. An expectation with `mostly` can hold with failing rows, so it is always asked again;
    any other that holds reads the same either way: no failing row, every row counted.
    """
    verdicts = results_of(name, expectation_suite(name), frame, params, {"result_format": "BOOLEAN_ONLY"})
    failed = {_position(outcome) for outcome in verdicts if not outcome.success}
    again = tuple(sorted(failed | _tolerant(name)))
    if not again:
        return verdicts
    detailed = {
        _position(outcome): outcome
        for outcome in results_of(
            name, expectation_suite(name, again), frame, params, complete_format(index_columns)
        )
    }
    return [detailed.get(_position(outcome), outcome) for outcome in verdicts]


def _tolerant(name: str) -> set[int]:
    """The positions of the suite's expectations that may hold with failing rows (`mostly`)."""
    expectations = suite_definition(name)["expectations"]
    return {i for i, expectation in enumerate(expectations) if "mostly" in expectation.get("kwargs", {})}


def complete_format(index_columns: list[str]) -> dict:
    """Every failing row, named by its index columns."""
    return {"result_format": "COMPLETE", "unexpected_index_column_names": index_columns}


def read_outcomes(name: str, rows: int, outcomes: list) -> tuple[list[Failure], list[SuiteSummary]]:
    """Our failures and summaries from GE's results for the suite `name` over `rows` rows."""
    failures, summaries = [], []
    for outcome in outcomes:
        config = outcome.expectation_config
        meta = config.meta or {}
        kwargs = config.kwargs
        column = kwargs.get("column") or kwargs.get("column_A") or ",".join(kwargs.get("column_list", []))
        details = outcome.result or {}
        summaries.append(
            SuiteSummary(
                name,
                meta.get("rule", config.type),
                column,
                str(config.severity.value),
                bool(outcome.success),
                int(details.get("unexpected_count") or 0),
                int(details.get("element_count") or rows),
            )
        )
        error = _raised(outcome.exception_info)
        if error is not None:
            raise RuntimeError(f"expectation {config.type} on {column} failed to run: {error}")
        if outcome.success:
            continue
        for entry in details.get("unexpected_index_list") or []:
            failures.append(
                Failure(
                    name,
                    config.type,
                    meta.get("rule", config.type),
                    str(config.severity.value),
                    meta.get("action", "report"),
                    meta.get("message", config.type),
                    tuple(meta.get("cells") or ()),
                    dict(entry),
                    _failing_value(kwargs, entry),
                )
            )
    return failures, summaries


def results_of(name: str, suite, frame: pd.DataFrame, params: dict[str, Any], result_format: dict) -> list:
    """One GE validation of `frame` with `suite` (of the sheet kind `name`): its results."""
    batch = _batch_definition(name).get_batch(batch_parameters={"dataframe": frame})
    try:
        return batch.validate(suite, expectation_parameters=params, result_format=result_format).results
    finally:
        _forget_frame(batch)


def _raised(exception_info: dict | None) -> str | None:
    """The message of the error that kept an expectation from running, if one did.

    GE 1.x gives it flat ({"raised_exception": True, "exception_message": ...}) for a single
    expectation but, in a suite's results, per metric ({metric id: {"raised_exception": ...}}):
    reading only the flat form, an expectation on a missing column counted as failed by no row.
    """
    if not exception_info:
        return None
    infos = [exception_info] if "raised_exception" in exception_info else list(exception_info.values())
    for info in infos:
        if isinstance(info, dict) and info.get("raised_exception"):
            return str(info.get("exception_message") or "no message")
    return None


def _forget_frame(batch) -> None:
    """Drop GE's own reference to the frame just validated.

    The data source's execution engine keeps its last batch (our whole frame) until the next
    validation replaces it: memory the steps after validation, the release among them, can use.
    """
    manager = getattr(getattr(batch.data, "execution_engine", None), "batch_manager", None)
    if manager is not None:
        manager.batch_data_cache.clear()
        manager.reset_batch_cache()


def _failing_value(kwargs: dict, entry: dict) -> Any:
    """The value(s) one failing row holds in the expectation's columns, read from its index entry.

    Not from `unexpected_list`: GE 1.x stops that list at 200 values (MAX_RESULT_RECORDS), even
    with result_format COMPLETE, while `unexpected_index_list` names every failing row together
    with the expectation's own columns. Pairing the two lists lost every failure after the 200th.
    """
    if "column" in kwargs:
        return entry.get(kwargs["column"])
    if "column_A" in kwargs:
        return entry.get(kwargs["column_A"]), entry.get(kwargs["column_B"])
    return {name: entry.get(name) for name in kwargs.get("column_list", [])}
