"""The country tables' cache on disk: the very tables the libraries give, and only ever for the sources
it was built from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.reference import countries, tables_cache


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An empty cache folder of this test's own; the module's tables forgotten before and after."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    countries._tables.cache_clear()
    countries._regexes.cache_clear()
    yield tmp_path / "normsdata"
    countries._tables.cache_clear()
    countries._regexes.cache_clear()


def _cached_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("countries-*.json"))


def test_the_tables_read_from_the_cache_are_the_tables_the_libraries_give(cache):
    built = countries._tables()  # nothing cached yet: built, then stored
    (stored,) = _cached_files(cache)
    countries._tables.cache_clear()
    loaded = countries._tables()  # read back from the file
    assert loaded is not built
    assert loaded == countries._build_tables()
    assert loaded.info["KGZ"].m49 == 417 and isinstance(loaded.info["KGZ"].m49, int)
    # the lookups answer from it as from a fresh build, the regexes included
    assert countries.resolve_member_state("Turkey") == "TUR"
    assert countries.resolve_member_state("Bolivie (État plurinational de)") == "BOL"
    assert countries.country_name("KGZ", "RU") == "Кыргызстан"
    assert stored.name == f"countries-{tables_cache.fingerprint(Path(countries.__file__))}.json"


def test_a_cache_of_other_sources_is_never_read(cache):
    countries._tables()
    (stored,) = _cached_files(cache)
    data = json.loads(stored.read_text(encoding="utf-8"))
    data["tables"]["info"]["KGZ"][1] = "Tampered"  # what a cache built from other sources could say
    stored.write_text(json.dumps(data), encoding="utf-8")
    countries._tables.cache_clear()
    assert countries.country_info("KGZ").name == "Tampered"  # same key: read (this is the cache's promise)
    data["key"] = "0" * 64  # the file says it was built from something else
    stored.write_text(json.dumps(data), encoding="utf-8")
    countries._tables.cache_clear()
    assert countries.country_info("KGZ").name == "Kyrgyzstan"  # ignored, built afresh and stored again
    assert json.loads(stored.read_text(encoding="utf-8"))["key"] == stored.stem.removeprefix("countries-")


def test_the_key_changes_with_the_source_and_a_stale_cache_is_removed(cache, tmp_path):
    source = tmp_path / "countries.py"
    source.write_bytes(Path(countries.__file__).read_bytes())
    key = tables_cache.fingerprint(source)
    source.write_bytes(source.read_bytes().replace(b'"KGZ": {"RU": "', b'"KGZ": {"RU": "X'))  # an edit
    assert tables_cache.fingerprint(source) != key
    tables_cache.store(key, {"members": []})
    tables_cache.store(tables_cache.fingerprint(source), {"members": []})
    assert [p.stem for p in _cached_files(cache)] == [f"countries-{tables_cache.fingerprint(source)}"]
    assert tables_cache.load(key) is None


def test_a_damaged_cache_file_is_built_again(cache):
    countries._tables()
    (stored,) = _cached_files(cache)
    stored.write_text('{"key": "', encoding="utf-8")  # cut short, as a full disk would leave it
    countries._tables.cache_clear()
    assert len(countries.member_states()) == 193
    assert json.loads(stored.read_text(encoding="utf-8"))["tables"]["members"][0] == "AFG"


def test_a_cache_folder_that_cannot_be_written_costs_only_a_build(cache):
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("a file where the folder should be")
    assert len(countries.member_states()) == 193
    assert cache.is_file()


def test_nothing_is_cached_when_a_library_version_cannot_be_told(cache, monkeypatch):
    monkeypatch.setattr(tables_cache, "_LIBRARIES", (*tables_cache._LIBRARIES, "no_such_library_here"))
    assert tables_cache.fingerprint(Path(countries.__file__)) is None
    assert len(countries.member_states()) == 193  # built from the libraries, as before the cache
    assert not cache.exists() or _cached_files(cache) == []
