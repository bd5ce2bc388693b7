"""The release's own check (verify.py): a folder read back from disk and held against its datapackage.json.

Each test breaks one thing in a real release folder. Where the break would also change a size or a
hash, the descriptor and SHA256SUMS are rewritten to match, so that only the row-level check can
notice: the check is shown to look at every row, not just at the checksums.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import release_frames as frames
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.release import ReleaseError, ReleaseTables, publish_release
from pipelines.release.layout import prison_indicators, prison_units
from pipelines.release.publish import verify_folder
from pipelines.release.verify import release_problems

DAY1 = dt.date(2022, 5, 1)


@pytest.fixture
def release(releases) -> Path:
    published = publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=False)
    folder = published.path
    for path in folder.iterdir():
        path.chmod(0o644)
    return folder


def rewrite(folder: Path, name: str, data: bytes) -> None:
    """Replace a file and make datapackage.json and SHA256SUMS agree with its new bytes."""
    (folder / name).write_bytes(data)
    descriptor_path = folder / "datapackage.json"
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        if resource["path"] == name:
            resource["bytes"] = len(data)
            resource["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
    descriptor_path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    names = sorted(p.name for p in folder.iterdir() if p.name != "SHA256SUMS")
    sums = "".join(f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}\n" for n in names)
    (folder / "SHA256SUMS").write_text(sums, encoding="utf-8")


def edit(folder: Path, name: str, old: str, new: str, count: int = 1) -> None:
    text = (folder / name).read_bytes().decode("utf-8")
    assert text.count(old) >= count, f"{old!r} not in {name}"
    rewrite(folder, name, text.replace(old, new, count).encode("utf-8"))


def test_a_published_release_passes(release):
    assert release_problems(release) == []
    verify_folder(release, {"activities": 4, "prisons": 9, "assistance_outcomes": 3, "coverage": 3})


def test_rows_written_and_read_back_must_agree(release):
    with pytest.raises(ReleaseError, match="4 rows read back, 5 written"):
        verify_folder(release, {"activities": 5})


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        # a code outside the code list
        (
            "activities.csv",
            ",PRISON_REFORM,",
            ",NOT_A_CODE,",
            "thematic_area break its enum constraint: 'NOT_A_CODE'",
        ),
        # not three capital letters
        ("activities.csv", "\nKGZ,", "\nKgz,", "iso3 break its pattern constraint: 'Kgz'"),
        # an integer written as a decimal, a number with an exponent, a date and a datetime in other forms
        ("activities.csv", ",25,12,", ",25.0,12,", "participants_total break its type integer: '25.0'"),
        ("prisons.csv", ",1162,", ",1.162e3,", "value break its type number: '1.162e3'"),
        ("activities.csv", ",2021-03-15,", ",15/03/2021,", "start_date break its type date: '15/03/2021'"),
        ("activities.csv", ",2021-03-15,", ",2021-02-30,", "start_date break its type date: '2021-02-30'"),
        (
            "coverage.csv",
            "2022-03-01T10:15:00Z",
            "2022-03-01 10:15:00",
            "received_at break its type datetime",
        ),
        ("prisons.csv", ",false,", ",False,", "derived break its type boolean: 'False'"),
        # below the minimum, a required value missing
        ("activities.csv", ",25,12,", ",-25,12,", "participants_total break its minimum constraint: '-25'"),
        ("coverage.csv", "\nKGZ-2021-1,", "\n,", "submission_id break its required"),
    ],
    ids=[
        "enum",
        "pattern",
        "integer",
        "number",
        "date-form",
        "date-day",
        "datetime",
        "boolean",
        "minimum",
        "required",
    ],
)
def test_a_field_breaking_its_schema_is_found(release, name, old, new, expected):
    edit(release, name, old, new)
    problems = release_problems(release)
    assert any(expected in p for p in problems), problems


def test_problems_in_several_tables_come_in_the_descriptors_order(release):
    """The tables are checked two at a time; what is wrong is still told table by table, in order."""
    edit(release, "coverage.csv", "\nKGZ-2021-1,", "\n,")
    edit(release, "prisons.csv", ",false,", ",False,")
    edit(release, "activities.csv", "\nKGZ,", "\nKgz,")
    problems = release_problems(release)
    resources = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))["resources"]
    order = [r["path"] for r in resources if r.get("type") == "table"]
    tables = [problem.split(":", 1)[0].split(".")[0] + ".csv" for problem in problems]  # a twin: its CSV's
    assert sorted(set(tables)) == ["activities.csv", "coverage.csv", "prisons.csv"]
    assert tables == sorted(tables, key=order.index)
    assert all(release_problems(release) == problems for _ in range(3))


def test_a_duplicate_primary_key_is_found(release):
    text = (release / "prisons.csv").read_text(encoding="utf-8")
    lines = text.split("\n")
    rewrite(release, "prisons.csv", "\n".join([*lines[:2], lines[1], *lines[2:]]).encode("utf-8"))
    problems = release_problems(release)
    key = tuple(lines[1].split(",")[i] for i in (0, 4, 5))
    assert f"prisons.csv: primary key {key!r} occurs 2 times" in problems
    assert "prisons.parquet: 9 rows, its CSV has 10" in problems


def test_a_value_that_differs_from_the_parquet_twin_is_found(release):
    """A valid CSV, but not what was written: only the Parquet twin can tell."""
    edit(release, "prisons.csv", ",PRISONERS_TOTAL,1162,", ",PRISONERS_TOTAL,1163,")
    problems = release_problems(release)
    assert problems == [
        "prisons.parquet: 1 value(s) of value differ from its CSV's, e.g. '1162.0' where the CSV has '1163'"
    ]


def test_the_neutralised_text_must_be_in_both_files(release):
    edit(release, "activities.csv", "'+ legal aid clinics", "+ legal aid clinics")
    assert any("value(s) of title differ" in p for p in release_problems(release))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "KAZ,Kazakhstan,Asia,Central Asia,2021,1,",
            "KAZ,Kazakhstan,Asia,Central Asia,2021,1,x,",
            "cannot read it",
        ),
        ("iso3,country,", "ISO3,country,", "header"),
    ],
    ids=["extra-field", "header"],
)
def test_a_malformed_csv_is_found(release, old, new, expected):
    edit(release, "assistance_outcomes.csv", old, new)
    problems = release_problems(release)
    assert any(expected in p and p.startswith("assistance_outcomes.csv") for p in problems), problems


def test_a_byte_order_mark_and_a_missing_last_newline_are_found(release):
    data = (release / "coverage.csv").read_bytes()
    rewrite(release, "coverage.csv", b"\xef\xbb\xbf" + data[:-1])
    problems = release_problems(release)
    assert "coverage.csv: starts with a byte order mark" in problems
    assert "coverage.csv: the last line does not end with \\n" in problems


def test_a_changed_byte_fails_the_checksums_first(release):
    path = release / "prisons.csv"
    path.write_bytes(path.read_bytes().replace(b",1162,", b",1163,"))
    problems = release_problems(release)
    assert any(p.startswith("prisons.csv: SHA-256 ") and "datapackage.json says" in p for p in problems)
    assert any(p.startswith("prisons.csv: SHA-256 ") and "SHA256SUMS says" in p for p in problems)


def test_files_missing_from_or_foreign_to_sha256sums_are_found(release):
    (release / "notes.txt").write_text("not part of the release")
    (release / "CHANGELOG.md").unlink()
    problems = release_problems(release)
    assert "notes.txt: a file of the release not in SHA256SUMS" in problems
    assert "CHANGELOG.md: in SHA256SUMS but not in the release" in problems


def test_a_release_failing_the_check_never_goes_live(releases):
    """The writer's own check runs before the rename: what it finds stops the publish."""
    first = publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=False)
    bad = frames.corrected_tables()
    prisons = bad.prisons.copy()
    prisons.loc[0, "unit"] = "furlongs"  # not a unit of form.json
    with pytest.raises(ReleaseError, match="unit break its enum constraint: 'furlongs'"):
        publish_release(
            ReleaseTables(bad.activities, prisons, bad.assistance_outcomes, bad.coverage),
            releases,
            release_date=dt.date(2022, 6, 1),
            synthetic=False,
        )
    assert (releases / "latest").resolve() == first.path


TEXT = st.text(alphabet=st.sampled_from(list("ab é,\"'\n\r\t=+-@;")), min_size=1, max_size=8)


@st.composite
def valid_prisons(draw) -> pd.DataFrame:
    """Prison rows within the schema, with the values a writer could get wrong: any non-negative
    double, text that needs quoting or neutralising, missing values."""
    keys = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["KAZ", "KGZ"]),
                st.integers(-3000, 3000),
                st.sampled_from(prison_indicators()),
            ),
            unique=True,
            min_size=1,
            max_size=20,
        )
    )
    rows = [
        {
            "iso3": iso3,
            "country": draw(st.one_of(st.none(), TEXT)),
            "region": draw(st.one_of(st.none(), TEXT)),
            "subregion": draw(st.one_of(st.none(), TEXT)),
            "year": year,
            "indicator": indicator,
            "value": draw(st.one_of(st.none(), st.floats(min_value=0, allow_infinity=False))),
            "unit": draw(st.sampled_from([None, *prison_units()])),
            "obs_status": draw(st.sampled_from([None, "A", "E", "P", "M", "Z"])),
            "derived": draw(st.booleans()),
            "reporting_year": draw(st.one_of(st.none(), st.integers(-(2**62), 2**62))),
            "submission_id": draw(TEXT),
        }
        for iso3, year, indicator in keys
    ]
    frame = pd.DataFrame(rows)
    return frame.astype({"year": "Int64", "value": "float64", "derived": "bool", "reporting_year": "Int64"})


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(valid_prisons())
def test_whatever_the_writer_writes_within_the_schema_passes(prisons):
    """No false alarm: the check must never stop a release that is right (it runs on every publish)."""
    base = frames.base_tables()
    tables = ReleaseTables(base.activities, prisons, base.assistance_outcomes, base.coverage)
    with tempfile.TemporaryDirectory() as tmp:
        published = publish_release(tables, Path(tmp), release_date=DAY1, synthetic=False, validate=False)
        assert release_problems(published.path, {"prisons": len(prisons)}) == []
