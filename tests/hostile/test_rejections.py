"""Every hostile or broken file, parsed on its own: rejected with the exact rule and a message that
names the limit, part or reason; nothing expanded, extracted or read from outside the file."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from pipelines.parsed.returns import PARSED, REJECTED, parse_return
from pipelines.parsed.workbook import Limits
from tests.hostile import hostile_files as hf

CATALOGUE = hf.catalogue(Path("/nonexistent/secret.txt"))


def parse(tmp_path: Path, file_name: str, data: bytes, limits: Limits | None = None):
    path = tmp_path / file_name
    path.write_bytes(data)
    return parse_return(path, "s1", file_name, *([limits] if limits else []))


def rejection(parsed) -> tuple[str, str]:
    assert parsed.status == REJECTED, parsed.findings
    assert parsed.cells == []
    (finding,) = [f for f in parsed.findings if f.action == "reject"]
    return finding.rule, finding.message


@pytest.mark.parametrize("hostile", [h for h in CATALOGUE if not h.heavy], ids=lambda h: h.file_name)
def test_each_hostile_file_is_rejected_with_its_reason(tmp_path, hostile):
    rule, message = rejection(parse(tmp_path, hostile.file_name, hostile.build()))
    assert rule == hostile.rule, message
    assert hostile.mentions in message, message


def test_the_control_return_parses(tmp_path):
    # Every hostile file above is this return plus one planted defect.
    for engine in ("openpyxl", "xlsxwriter"):
        assert parse(tmp_path, f"KAZ_2023_{engine}.xlsx", hf.valid_return(engine=engine)).status == PARSED


def test_an_external_entity_never_reads_the_file_it_names(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text(hf.SECRET_MARKER, encoding="utf-8")
    parsed = parse(tmp_path, "xxe.xlsx", hf.external_entity(secret))
    assert rejection(parsed)[0] == "xml_dtd"
    assert hf.SECRET_MARKER not in repr(parsed)  # not in a cell, a finding or a sheet name


def test_a_huge_zip_directory_is_refused_before_python_builds_it(tmp_path):
    path = tmp_path / "directory.xlsx"
    path.write_bytes(hf.huge_directory(200_000))
    tracemalloc.start()
    try:
        parsed = parse_return(path, "s1", path.name)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert rejection(parsed)[0] == "too_many_parts"
    assert peak < 20 * 1024 * 1024  # zipfile's 200,000 ZipInfo objects alone take ~90 MB


@pytest.mark.parametrize(
    ("limits", "rule", "mentions"),
    [
        (Limits(max_cells=50), "too_many_cells", "limit is 50"),  # the sample return holds ~100 cells
        (Limits(max_text_chars=500), "text_too_large", "limit is 500"),
        (Limits(max_sheets=3), "too_many_sheets", "limit is 3"),  # it has 4
        (Limits(max_members=5), "too_many_parts", "limit is 5"),
        (Limits(max_columns=5), "sheet_too_large", "5 columns"),
        (Limits(max_uncompressed_bytes=10_000), "uncompressed_size", "limit is 10,000 bytes"),
        (Limits(max_file_bytes=1000), "too_large", "limit is 1,000 bytes"),
    ],
    ids=["cells", "text", "sheets", "parts", "columns", "uncompressed", "file_size"],
)
def test_every_limit_is_enforced_and_named(tmp_path, limits, rule, mentions):
    for engine in ("openpyxl", "xlsxwriter"):
        found, message = rejection(parse(tmp_path, "KAZ_2023.xlsx", hf.valid_return(engine=engine), limits))
        assert (found, mentions in message) == (rule, True), message


def test_a_zip_slip_member_is_never_written_anywhere(tmp_path):
    inputs = tmp_path / "in" / "box"
    inputs.mkdir(parents=True)
    parse(inputs, "slip.xlsx", hf.member_path("../../evil.txt")())
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["box", "in", "slip.xlsx"]
