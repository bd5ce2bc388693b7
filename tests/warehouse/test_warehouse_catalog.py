"""The data dictionary without Dagster: comments generated from the layout, quoted safely, complete."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.reference import codelists
from pipelines.reference import form as vocabulary
from pipelines.release import layout
from pipelines.warehouse import catalog, descriptions, store
from tests.warehouse.dictionary import comments

AWKWARD = "it's \"quoted\", back\\slash, ünïcödé; -- not a comment */ 'x'"


@pytest.fixture
def empty_published(tmp_path: Path) -> Path:
    """A warehouse with no submission, published: every table exists, empty."""
    database = tmp_path / "normsdata.duckdb"
    with store.writer(database) as warehouse:
        warehouse.publish()
    return database


def test_a_literal_survives_the_round_trip_through_comment_on():
    with duckdb.connect() as connection:
        connection.execute("CREATE TABLE t (a INTEGER)")
        connection.execute(f"COMMENT ON TABLE t IS {catalog.sql_literal(AWKWARD)}")
        connection.execute(f"COMMENT ON COLUMN t.a IS {catalog.sql_literal(AWKWARD)}")
        assert connection.execute("SELECT comment FROM duckdb_tables()").fetchone()[0] == AWKWARD
        assert connection.execute("SELECT comment FROM duckdb_columns()").fetchone()[0] == AWKWARD
    with pytest.raises(ValueError):
        catalog.sql_literal("nul \x00")


def test_comment_on_still_takes_no_parameter():
    """Why sql_literal exists: if DuckDB starts accepting a parameter here, switch to it."""
    with duckdb.connect() as connection:
        connection.execute("CREATE TABLE t (a INTEGER)")
        with pytest.raises(duckdb.ParserException):
            connection.execute("COMMENT ON TABLE t IS ?", ["text"])


def test_release_columns_are_described_by_the_layout_with_their_codes():
    documented = {entry.qualified_name: entry for entry in descriptions.documented_objects()}
    for table in layout.DATA_TABLES:
        entry = documented[f"published.{table.name}"]
        assert table.description in entry.description
        assert list(entry.columns) == list(table.column_names)
        for column in table.columns:
            assert entry.columns[column.name].startswith(column.description), column.name
    activities = documented["published.activities"].columns
    for code in codelists.codes("THEMATIC_AREA"):
        assert f"{code} ({codelists.label('THEMATIC_AREA', code, 'EN')})" in activities["thematic_area"]
    for code in codelists.codes("STANDARD"):
        assert code in activities["standards"]
    indicators = documented["published.prisons"].columns["indicator"]
    for code, spec in {**vocabulary.indicators(), **vocabulary.derived_indicators()}.items():
        assert f"{code} ({spec['EN']})" in indicators
    # The layout's own text already names every status: no list repeated after it.
    assert documented["published.coverage"].columns["status"] == layout.COVERAGE.column("status").description


def test_the_sdg_view_describes_the_indicator_the_form_calls_16_3_2():
    sdg = vocabulary.derived_indicators()[descriptions.SDG_16_3_2]
    assert "16.3.2" in sdg["EN"]
    assert f"'{descriptions.SDG_16_3_2}'" in catalog.VIEWS_SQL.read_text(encoding="utf-8")
    view = next(entry for entry in descriptions.documented_objects() if entry.name == "sdg_16_3_2")
    assert sdg["numerator"] in view.columns["unsentenced_detainees"]
    assert sdg["denominator"] in view.columns["prison_population"]


def test_publish_documents_every_table_view_and_column(empty_published: Path):
    with store.reader(empty_published) as connection:
        assert catalog.catalog_gaps(connection) == []
        found = comments(connection)
        views = {
            row[0]
            for row in connection.execute(
                "SELECT view_name FROM duckdb_views() WHERE NOT internal"
            ).fetchall()
        }
    assert {"sdg_16_3_2", "coverage_by_year_region", "latest_prison_figures"} <= views
    assert "published.sdg_16_3_2.obs_status" in found and "reference.countries.region" in found
    assert {name: text for name, text in found.items() if not (text or "").strip()} == {}


def test_comments_survive_a_second_publish_and_the_coverage_only_refresh(empty_published: Path):
    with store.writer(empty_published) as warehouse:
        warehouse.publish([2023])  # a year partition: tables kept, rows replaced
        warehouse.publish_coverage()  # CREATE OR REPLACE of the bookkeeping tables
    with store.reader(empty_published) as connection:
        assert catalog.catalog_gaps(connection) == []
        assert all((text or "").strip() for text in comments(connection).values())


def test_views_wait_for_the_tables_they_read():
    """On a warehouse without published tables yet, documenting creates no view and fails nothing."""
    with duckdb.connect() as connection:
        connection.execute("CREATE SCHEMA published; CREATE SCHEMA reference")
        connection.execute("CREATE TABLE reference.countries (iso3 VARCHAR, name VARCHAR)")
        catalog.document(connection)
        assert connection.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchone()[0] == 0
        described = connection.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'countries'"
        ).fetchall()
    assert dict(described) == {
        "iso3": layout.PRISONS.column("iso3").description,
        "name": layout.PRISONS.column("country").description,
    }


def test_gaps_name_what_is_undescribed_and_what_is_described_but_missing(empty_published: Path):
    with duckdb.connect(str(empty_published)) as connection:
        connection.execute("CREATE TABLE published.scratch (x INTEGER)")  # nobody described it
        connection.execute("ALTER TABLE published.prisons ADD COLUMN note VARCHAR")
        connection.execute("DROP VIEW published.latest_prison_figures")
        gaps = catalog.catalog_gaps(connection)
    assert "published.scratch: not described" in gaps
    assert "published.prisons.note: not described" in gaps
    assert "published.latest_prison_figures: described, does not exist" in gaps
    assert len(gaps) == 3


def test_the_views_read_only_the_published_and_reference_schemas():
    """They must work unchanged in the snapshot, which holds nothing else."""
    read = catalog.tables_read_by_views()
    assert {schema for schema, _ in read} <= set(descriptions.DOCUMENTED_SCHEMAS)
    assert ("published", "prisons") in read and ("reference", "countries") in read
    assert not {name for _, name in read} & {"sdg_16_3_2", "coverage_by_year_region"}
    sql = catalog.VIEWS_SQL.read_text(encoding="utf-8").lower()
    for schema in ("received.", "parsed.", "validated."):
        assert schema not in sql
