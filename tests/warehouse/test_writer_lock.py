"""The one writer and an analyst who opened the pipeline's own file: the writer waits, then says why."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from pipelines.warehouse import store
from tests.warehouse.analyst import Analyst


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "normsdata.duckdb"
    with store.writer(path):  # creates the file and its schemas
        pass
    return path


def test_a_writer_waits_for_a_reader_in_another_process_to_close_the_file(
    database: Path, caplog: pytest.LogCaptureFixture
):
    analyst = Analyst(database).__enter__()
    closing = threading.Timer(0.5, analyst.__exit__, (None, None, None))
    closing.start()
    try:
        with caplog.at_level(logging.WARNING, logger=store.__name__):
            with store.writer(database, lock_wait=120) as warehouse:
                assert not analyst.is_connected()  # in only once the analyst had let go
                warehouse.db.execute("CREATE TABLE written AS SELECT 1 AS one")
    finally:
        closing.join()
    assert "open in another process; waiting up to 120 s" in caplog.text


def test_a_writer_that_waited_long_enough_says_what_holds_it_and_what_to_do(database: Path):
    with Analyst(database) as analyst:
        with pytest.raises(store.WarehouseBusy) as raised:
            with store.writer(database, lock_wait=0.3):
                pass
        assert analyst.query("SELECT 42") == [[42]]  # the analyst was never disturbed
    message = str(raised.value)
    assert "stayed open in another process for 0.3 s" in message
    assert "releases/latest/normsdata.duckdb" in message and store.LOCK_WAIT_VARIABLE in message
    assert "lock" in message.lower()  # DuckDB's own words, with the process that holds it


def test_the_wait_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(store.LOCK_WAIT_VARIABLE, raising=False)
    assert store.lock_wait_seconds() == store.DEFAULT_LOCK_WAIT_SECONDS
    monkeypatch.setenv(store.LOCK_WAIT_VARIABLE, "7.5")
    assert store.lock_wait_seconds() == 7.5
    monkeypatch.setenv(store.LOCK_WAIT_VARIABLE, "-3")
    assert store.lock_wait_seconds() == 0
    monkeypatch.setenv(store.LOCK_WAIT_VARIABLE, "two minutes")
    with pytest.raises(ValueError, match="must be a number of seconds"):
        store.lock_wait_seconds()
