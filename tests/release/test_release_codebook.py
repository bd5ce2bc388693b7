"""README.md, the codebook: every file, column and code, derived indicators, licence, citation, warning."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import release_frames as frames

from pipelines.reference import codelists
from pipelines.reference.form import derived_indicators, indicators
from pipelines.release import publish_release
from pipelines.release.codebook import SDG_INDICATORS, SYNTHETIC_WARNING
from pipelines.release.layout import (
    ALL_TABLES,
    CHANGE_KIND_MEANINGS,
    COVERAGE_STATUS_MEANINGS,
    OBS_STATUS_MEANINGS,
    PRISONS,
    prison_units,
)

DAY1 = dt.date(2022, 5, 1)


def publish(releases: Path, *, synthetic: bool, **options) -> Path:
    published = publish_release(
        frames.base_tables(), releases, release_date=DAY1, synthetic=synthetic, validate=False, **options
    )
    return published.path


def section(text: str, heading: str) -> str:
    """The body under a Markdown heading, up to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = text.index(f"\n{heading}\n") + len(heading) + 2
    ends = [m.start() for m in re.finditer(rf"^#{{1,{len(level)}}} ", text[start:], flags=re.M)]
    return text[start : start + ends[0]] if ends else text[start:]


def test_every_column_of_every_table_is_described_in_its_table_section(releases):
    readme = (publish(releases, synthetic=False) / "README.md").read_text(encoding="utf-8")
    for table in ALL_TABLES:
        body = section(readme, f"### {table.file_name}")
        described = re.findall(r"^\| `(\w+)` \| (\w+) \|", body, flags=re.M)
        assert described == [(c.name, c.type) for c in table.columns], table.name
        for column in table.columns:
            assert column.description in body
        if table.primary_key:
            assert "Primary key: " + ", ".join(f"`{k}`" for k in table.primary_key) in body
        assert f"`{table.parquet_file_name}`" in body


def test_every_code_appears_with_its_labels_in_the_four_languages(releases):
    readme = (publish(releases, synthetic=False) / "README.md").read_text(encoding="utf-8")
    used = {c.enum or c.list_of for t in ALL_TABLES for c in t.columns if c.enum or c.list_of}
    form_lists = used & set(codelists.LIST_NAMES)
    assert form_lists == set(codelists.LIST_NAMES)  # every code list of the form is in some column
    for list_name in form_lists:
        body = section(readme, f"### {list_name}")
        for code in codelists.codes(list_name):
            labels = [codelists.label(list_name, code, lang) for lang in ("EN", "FR", "ES", "RU")]
            assert f"| `{code}` | " + " | ".join(labels) + " |" in body, (list_name, code)
    for heading, meanings in [
        ("### Observation status (OBS_STATUS)", OBS_STATUS_MEANINGS),
        ("### Coverage status (COVERAGE_STATUS)", COVERAGE_STATUS_MEANINGS),
        ("### Kinds of change (CHANGE_KIND)", CHANGE_KIND_MEANINGS),
    ]:
        body = section(readme, heading)
        for code, meaning in meanings.items():
            assert f"| `{code}` | {meaning} |" in body
    body = section(readme, "### PRISON_INDICATOR")
    for code in PRISONS.column("indicator").enum_values():
        spec = indicators().get(code) or derived_indicators()[code]
        assert f"| `{code}` | {spec['EN']} | {spec['unit']} |" in body
    body = section(readme, "### PRISON_UNIT")
    for unit in prison_units():
        assert f"| `{unit}` |" in body


def test_derived_indicators_are_defined_from_form_json_and_sdg_16_3_2_from_its_un_metadata(releases):
    readme = (publish(releases, synthetic=False) / "README.md").read_text(encoding="utf-8")
    derived = section(readme, "## Derived indicators")
    for code, spec in derived_indicators().items():
        formula = f"`{code}` = `{spec['numerator']}` / `{spec['denominator']}` x 100, in {spec['unit']}"
        assert formula in derived
    sdg = section(readme, "### UNSENTENCED_SHARE: SDG indicator 16.3.2")
    assert "`UNSENTENCED_SHARE` = `PRISONERS_UNSENTENCED` / `PRISONERS_TOTAL` x 100" in sdg
    assert "Unsentenced detainees as a proportion of overall prison population" in sdg
    assert (
        "The total number of persons held in detention who have not yet been sentenced, as a percentage "
        "of the total number of persons held in detention, on a specified date." in sdg
    )
    assert "https://unstats.un.org/sdgs/metadata/files/Metadata-16-03-02.pdf" in sdg


def test_the_sdg_metadata_matches_the_indicator_form_json_derives():
    """16.3.2 is unsentenced over total: the indicator it is attached to must be computed so."""
    assert set(SDG_INDICATORS) <= set(derived_indicators())
    spec = derived_indicators()["UNSENTENCED_SHARE"]
    assert (spec["numerator"], spec["denominator"]) == ("PRISONERS_UNSENTENCED", "PRISONERS_TOTAL")
    assert SDG_INDICATORS["UNSENTENCED_SHARE"].number == "16.3.2"


def test_licence_and_citation_are_the_ones_datapackage_json_states(releases):
    folder = publish(releases, synthetic=False, extra_metadata={"homepage": "https://example.org/normsdata"})
    readme = (folder / "README.md").read_text(encoding="utf-8")
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    licence = descriptor["licenses"][0]
    assert f"- [{licence['title']}]({licence['path']}) (`{licence['name']}`)" in section(readme, "## Licence")
    citation = descriptor["normsdata:citation"]
    assert section(readme, "## How to cite").strip() == citation
    assert descriptor["normsdata:release_id"] in citation
    assert "https://example.org/normsdata" in citation
    assert licence["title"] in citation


def test_every_file_of_the_release_is_in_the_files_table(releases):
    folder = publish(releases, synthetic=False)
    files = section((folder / "README.md").read_text(encoding="utf-8"), "## Files")
    listed = re.findall(r"^\| `([^`]+)` \|", files, flags=re.M)
    assert sorted(listed) == sorted(p.name for p in folder.iterdir())


def test_the_demo_warning_stands_at_the_top_exactly_when_the_release_is_synthetic(tmp_path):
    demo = (publish(tmp_path / "demo", synthetic=True) / "README.md").read_text(encoding="utf-8")
    real = (publish(tmp_path / "real", synthetic=False) / "README.md").read_text(encoding="utf-8")
    assert demo.splitlines()[2] == SYNTHETIC_WARNING
    assert demo.count(SYNTHETIC_WARNING) == 1
    assert "synthetic" not in real.lower()


def test_the_codebook_is_the_same_for_the_same_release(tmp_path):
    first = (publish(tmp_path / "a", synthetic=True) / "README.md").read_bytes()
    second = (publish(tmp_path / "b", synthetic=True) / "README.md").read_bytes()
    assert first == second
