"""publish_release end to end on real folders: frictionless, sha256sum, idempotence, changelog, crashes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import release_frames as frames
from release_frames import FRICTIONLESS, REPO, spec_tables

from pipelines.release import PublishedRelease, ReleaseError, ReleaseTables, publish_release
from pipelines.release import publish as publish_module
from pipelines.release.csv_format import ReleaseDataError, read_csv
from pipelines.release.layout import DATA_TABLES

DAY1 = dt.date(2022, 5, 1)
DAY2 = dt.date(2022, 6, 1)


def listing(folder: Path) -> list[tuple]:
    """Everything under a folder: path, kind, size, mtime, link target."""
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            st = path.lstat()
            target = os.readlink(path) if path.is_symlink() else None
            out.append((str(path.relative_to(folder)), st.st_mode, st.st_size, st.st_mtime_ns, target))
    return sorted(out)


def visible(releases: Path) -> list[str]:
    return sorted(p.name for p in releases.iterdir() if not p.name.startswith("."))


def frictionless_validate(release: Path) -> subprocess.CompletedProcess:
    assert FRICTIONLESS.is_file(), f"frictionless CLI not found at {FRICTIONLESS}"
    return subprocess.run(
        [str(FRICTIONLESS), "validate", "--json", "datapackage.json"],
        cwd=release,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_first_release_folder(releases):
    published = publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=True)
    assert isinstance(published, PublishedRelease)
    assert published.created
    assert published.release_id == f"2022-05-01-{published.content_hash[:8]}"
    assert published.path == releases / published.release_id
    assert os.readlink(releases / "latest") == published.release_id  # relative symlink
    assert visible(releases) == sorted([published.release_id, "latest"])
    assert sorted(p.name for p in published.path.iterdir()) == [
        "CHANGELOG.md",
        "README.md",
        "SHA256SUMS",
        "activities.csv",
        "activities.parquet",
        "assistance_outcomes.csv",
        "assistance_outcomes.parquet",
        "changes.csv",
        "changes.parquet",
        "coverage.csv",
        "coverage.parquet",
        "datapackage.json",
        "prisons.csv",
        "prisons.parquet",
    ]
    data = b"".join((published.path / name).read_bytes() for name in sorted(t.file_name for t in DATA_TABLES))
    assert hashlib.sha256(data).hexdigest() == published.content_hash


def test_frictionless_cli_validates_the_release(releases):
    published = publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=True)
    result = frictionless_validate(published.path)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["valid"] is True
    tasks = {task["name"]: task for task in report["tasks"]}
    tables = {"activities", "prisons", "assistance_outcomes", "coverage", "changes"}
    assert set(tasks) == tables | {f"{name}_parquet" for name in tables}
    assert {tasks[f"{name}_parquet"]["type"] for name in tables} == {"file"}
    assert tasks["prisons"]["stats"]["rows"] == 9
    # and through `latest`, as the public would
    result = frictionless_validate(releases / "latest")
    assert result.returncode == 0, result.stdout + result.stderr


def test_frictionless_notices_a_tampered_file(releases):
    """The check is not vacuous: a changed byte breaks the declared hash."""
    published = publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=False)
    path = published.path / "prisons.csv"
    path.chmod(0o644)
    path.write_bytes(path.read_bytes().replace(b",1162,", b",1163,"))
    result = frictionless_validate(published.path)
    assert result.returncode != 0
    assert "hash" in result.stdout


def test_sha256sums_check(releases):
    published = publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=True)
    result = subprocess.run(
        ["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=published.path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = (published.path / "SHA256SUMS").read_text().splitlines()
    names = [line.split("  ", 1)[1] for line in lines]
    assert names == sorted(p.name for p in published.path.iterdir() if p.name != "SHA256SUMS")
    for line in lines:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((published.path / name).read_bytes()).hexdigest() == digest


def test_datapackage_descriptor(releases):
    published = publish_release(
        frames.base_tables(),
        releases,
        release_date=DAY1,
        synthetic=True,
        extra_metadata={"homepage": "https://example.org/normsdata"},
    )
    descriptor = json.loads((published.path / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert "profile" not in descriptor
    assert descriptor["version"] == "1"
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    assert descriptor["normsdata:release_id"] == published.release_id
    assert descriptor["normsdata:synthetic"] is True
    assert "SYNTHETIC" in descriptor["title"]
    assert descriptor["homepage"] == "https://example.org/normsdata"
    resources = {r["name"]: r for r in descriptor["resources"]}
    names = ("activities", "prisons", "assistance_outcomes", "coverage", "changes")
    assert [r["path"] for r in descriptor["resources"]] == [
        *(f"{name}.csv" for name in names),
        *(f"{name}.parquet" for name in names),
    ]
    for resource in resources.values():
        assert resource["$schema"] == "https://datapackage.org/profiles/2.0/dataresource.json"
        data = (published.path / resource["path"]).read_bytes()
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert resource["bytes"] == len(data)
        if resource["path"].endswith(".csv"):
            assert resource["type"] == "table"
            assert resource["format"] == "csv"
            assert resource["mediatype"] == "text/csv"
            assert resource["encoding"] == "utf-8"
            assert resource["schema"]["missingValues"] == [""]
        else:  # the Parquet twin points at the CSV resource whose schema describes it
            assert resource["type"] == "file"
            assert resource["format"] == "parquet"
            assert resource["mediatype"] == "application/vnd.apache.parquet"
            assert resources[resource["normsdata:same_rows_as"]]["path"] == resource["path"].replace(
                ".parquet", ".csv"
            )
    activities = {f["name"]: f for f in resources["activities"]["schema"]["fields"]}
    assert resources["activities"]["schema"]["primaryKey"] == ["iso3", "reporting_year", "activity_id"]
    assert activities["activity_id"]["constraints"]["required"] is True
    assert "PRISON_REFORM" in activities["thematic_area"]["constraints"]["enum"]
    assert "enum" not in activities["title"].get("constraints", {})


def test_real_release_is_marked_not_synthetic(releases):
    published = publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=False)
    descriptor = json.loads((published.path / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["normsdata:synthetic"] is False
    assert "SYNTHETIC" not in descriptor["title"]
    with pytest.raises(ValueError, match="resources"):
        publish_release(
            frames.corrected_tables(),
            releases,
            release_date=DAY2,
            synthetic=False,
            extra_metadata={"resources": []},
        )


def test_csv_files_in_the_release_are_as_the_conventions_say(releases):
    published = publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=True)
    outcomes = (published.path / "assistance_outcomes.csv").read_bytes().decode("utf-8")
    assert outcomes.startswith(
        "iso3,country,region,subregion,reporting_year,outcome_no,outcome_area,result_type,description,value,"
        "unit,status,activity_id,evidence,submission_id\n"
    )
    rows = read_csv(published.path / "assistance_outcomes.csv")
    assert rows[0]["description"].startswith("'=HYPERLINK(")
    titles = [row["title"] for row in read_csv(published.path / "activities.csv")]
    assert titles[:3] == ['\'-5% overcrowding, "pilot"', "'+ legal aid clinics", "'@home: safe"]
    for file_name, (columns, _) in spec_tables().items():
        header = (published.path / file_name).read_text(encoding="utf-8").split("\n", 1)[0]
        assert tuple(header.split(",")) == columns


def test_second_publish_of_the_same_frames_changes_nothing(releases):
    first = publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=True)
    before = listing(releases)
    again = publish_release(frames.base_tables(), releases, release_date=DAY2, synthetic=True)
    assert again == PublishedRelease(first.release_id, first.path, False, first.content_hash)
    assert listing(releases) == before


def test_changed_frames_make_a_second_release_and_the_changelog_says_what_changed(releases):
    first = publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=False)
    first_listing = listing(first.path)
    second = publish_release(frames.corrected_tables(), releases, release_date=DAY2, synthetic=False)
    assert second.created
    assert second.release_id != first.release_id
    assert second.release_id.startswith("2022-06-01-")
    assert os.readlink(releases / "latest") == second.release_id
    assert visible(releases) == sorted([first.release_id, second.release_id, "latest"])
    assert listing(first.path) == first_listing  # a published release is never touched again

    changelog = (second.path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"Compared with the previous release, {first.release_id}." in changelog
    assert "- KAZ 2021 PRISONERS_TOTAL: 1162 (A) -> 1170 (E), revised by `KAZ-2021-2`" in changelog
    assert "- KAZ 2021 OCCUPANCY_RATE (derived): 116.2 (A) -> 117 (A), revised by `KAZ-2021-2`" in changelog
    assert "- `KAZ-2021-2` (KAZ 2021): ACCEPTED" in changelog
    assert "- `KAZ-2021-1` (KAZ 2021), superseded by `KAZ-2021-2`" in changelog
    assert "| activities.csv | 4 | 5 |" in changelog
    assert "| KAZ | 3 -> 4 | 2 |" in changelog
    assert "## Returns rejected (0)" in changelog

    changes = read_csv(second.path / "changes.csv")
    revised = [c for c in changes if c["change"] == "value_revised" and c["indicator"] == "PRISONERS_TOTAL"]
    assert [(c["field"], c["old"], c["new"], c["submission_id"]) for c in revised] == [
        ("obs_status", "A", "E", "KAZ-2021-2"),
        ("value", "1162", "1170", "KAZ-2021-2"),
    ]
    assert {c["change"] for c in changes} >= {"submission_added", "submission_superseded", "row_count"}
    assert frictionless_validate(second.path).returncode == 0

    first_changelog = (first.path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "First release" in first_changelog
    assert "- `BAD-1` (state and year not read)" in first_changelog


def test_changelog_is_deterministic(tmp_path):
    texts = []
    for run in ("a", "b"):
        releases = tmp_path / run
        publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=False)
        published = publish_release(frames.corrected_tables(), releases, release_date=DAY2, synthetic=False)
        texts.append({p.name: p.read_bytes() for p in published.path.iterdir()})
    assert texts[0] == texts[1]


def test_moving_back_to_an_existing_release(releases):
    first = publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=False)
    publish_release(frames.corrected_tables(), releases, release_date=DAY1, synthetic=False)
    back = publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=False)
    assert back == PublishedRelease(first.release_id, first.path, False, first.content_hash)
    assert os.readlink(releases / "latest") == first.release_id


def test_failed_rename_leaves_latest_and_next_publish_cleans_up(releases, monkeypatch):
    first = publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=False)

    def broken_rename(src, dst):
        raise OSError("disk went away")

    with monkeypatch.context() as patch:
        patch.setattr(os, "rename", broken_rename)
        with pytest.raises(OSError, match="disk went away"):
            publish_release(frames.corrected_tables(), releases, release_date=DAY2, synthetic=False)
    assert os.readlink(releases / "latest") == first.release_id
    leftovers = [p.name for p in releases.iterdir() if p.name.startswith(".partial-")]
    assert len(leftovers) == 1
    assert visible(releases) == sorted([first.release_id, "latest"])

    second = publish_release(frames.corrected_tables(), releases, release_date=DAY2, synthetic=False)
    assert second.created
    assert not [p for p in releases.iterdir() if p.name.startswith((".partial-", "latest.tmp-"))]
    assert os.readlink(releases / "latest") == second.release_id
    assert "1162 (A) -> 1170 (E)" in (second.path / "CHANGELOG.md").read_text(encoding="utf-8")


def test_writer_failing_half_way_leaves_latest(releases, monkeypatch):
    first = publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=False)
    real_write = publish_module._write_file
    written = []

    def write_then_fail(path, data):
        if len(written) == 3:
            raise OSError("no space left on device")
        written.append(path.name)
        real_write(path, data)

    with monkeypatch.context() as patch:
        patch.setattr(publish_module, "_write_file", write_then_fail)
        with pytest.raises(OSError, match="no space left"):
            publish_release(frames.corrected_tables(), releases, release_date=DAY2, synthetic=False)
    assert os.readlink(releases / "latest") == first.release_id
    assert (releases / "latest" / "SHA256SUMS").is_file()
    partial = next(p for p in releases.iterdir() if p.name.startswith(".partial-"))
    assert sorted(p.name for p in partial.iterdir()) == sorted(written)
    assert not (partial / "SHA256SUMS").exists()

    publish_release(frames.corrected_tables(), releases, release_date=DAY2, synthetic=False)
    assert not partial.exists()


def test_frame_the_writer_rejects_publishes_nothing(releases):
    first = publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=False)
    before = listing(releases)
    bad = frames.corrected_tables()
    broken = bad.prisons.astype({"year": object})
    broken.at[0, "year"] = "2021/22"
    with pytest.raises(ReleaseDataError):
        publish_release(
            ReleaseTables(bad.activities, broken, bad.assistance_outcomes, bad.coverage),
            releases,
            release_date=DAY2,
            synthetic=False,
        )
    assert listing(releases) == before
    assert os.readlink(releases / "latest") == first.release_id


def test_a_code_outside_the_code_list_fails_validation_and_never_goes_live(releases):
    first = publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=False)
    bad = frames.corrected_tables()
    activities = bad.activities.copy()
    activities.loc[0, "thematic_area"] = "NOT_A_CODE"
    with pytest.raises(ReleaseError, match="NOT_A_CODE|constraint"):
        publish_release(
            ReleaseTables(activities, bad.prisons, bad.assistance_outcomes, bad.coverage),
            releases,
            release_date=DAY2,
            synthetic=False,
        )
    assert os.readlink(releases / "latest") == first.release_id
    assert visible(releases) == sorted([first.release_id, "latest"])


def test_a_killed_publisher_leaves_only_a_dot_folder_that_the_next_publish_removes(releases, tmp_path):
    """A real crash: a child process dies (os._exit) right before the rename."""
    first = publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=False)
    pickled = tmp_path / "tables.pkl"
    pickled.write_bytes(pickle.dumps(frames.corrected_tables()))
    script = textwrap.dedent(
        f"""
        import datetime, os, pickle, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from pipelines.release import publish_release
        os.rename = lambda src, dst: os._exit(9)
        tables = pickle.loads(open({str(pickled)!r}, "rb").read())
        publish_release(tables, {str(releases)!r}, release_date=datetime.date(2022, 6, 1), synthetic=False)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 9, result.stderr
    assert os.readlink(releases / "latest") == first.release_id
    assert any(p.name.startswith(".partial-") for p in releases.iterdir())

    second = publish_release(frames.corrected_tables(), releases, release_date=DAY2, synthetic=False)
    assert second.created
    assert not any(p.name.startswith(".partial-") for p in releases.iterdir())
    assert visible(releases) == sorted([first.release_id, second.release_id, "latest"])


def test_stale_partial_folders_and_temporary_links_are_removed(releases):
    first = publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=False)
    stale = releases / ".partial-2022-06-01-deadbeef-99999"
    stale.mkdir()
    (stale / "prisons.csv").write_text("half")
    os.symlink(first.release_id, releases / "latest.tmp-99999")
    again = publish_release(frames.base_tables(), releases, release_date=DAY2, synthetic=False)
    assert not again.created
    assert not stale.exists()
    assert not (releases / "latest.tmp-99999").is_symlink()
    assert visible(releases) == sorted([first.release_id, "latest"])


def test_latest_that_is_not_a_symlink_is_not_replaced(releases):
    (releases / "latest").mkdir(parents=True)
    with pytest.raises(ReleaseError, match="not a symlink"):
        publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=False)
    assert visible(releases) == ["latest"]
