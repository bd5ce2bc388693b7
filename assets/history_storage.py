"""Dagster's own sqlite run history, with one SQLAlchemy engine per database file instead of per call.

Dagster's sqlite storages build a new engine for every connection: `SqliteEventLogStorage._connect`
and `SqliteRunStorage.connect` call `create_engine` each time, and an engine starts with an empty
cache of compiled statements. That costs ~1.5 ms of CPU per call, and a cold `make run` makes
~190 of them (every event, pool claim and run update; ~1.3 s of its storage time,
docs/performance.md). Here each database file keeps one engine. It still uses `NullPool`, as
Dagster's does, so every call opens and closes its own sqlite connection: no connection is
shared between threads or survives a fork, and the files, schemas and journal modes are Dagster's
own, so `dagster dev`, the daemon and plain Dagster read the same history.

`assets.instance.open_instance` puts these in the instance when its dagster.yaml names no storage
of its own; a deployment that configures storage keeps exactly what it configured.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.runs import SqliteRunStorage
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.pool import NullPool


class EventLogStorage(SqliteEventLogStorage):
    """Events, one sqlite file per run plus the index: Dagster's class, one engine per file (the
    last few files used: a process that saw many runs does not keep an engine for each)."""

    ENGINES_KEPT = 4

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: dict[str, Engine] = {}
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> EventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # The parent's body, with the engine kept: same lock, same lazy schema creation per file.
        with self._db_lock:
            engine = self._engines.pop(shard, None)
            if engine is None:
                engine = create_engine(
                    self.conn_string_for_shard(shard),
                    poolclass=NullPool,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                )
                if len(self._engines) >= self.ENGINES_KEPT:
                    del self._engines[next(iter(self._engines))]  # the least recently used
            self._engines[shard] = engine  # last: the most recently used
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn


class RunStorage(SqliteRunStorage):
    """Runs and their tags, one sqlite file: Dagster's class, one engine."""

    def __init__(self, conn_string: str, inst_data=None):
        self._engine = create_engine(conn_string, poolclass=NullPool)  # connects only when used
        super().__init__(conn_string, inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> RunStorage:
        return cls.from_local(inst_data=inst_data, **config_value)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self._engine.connect() as conn, conn.begin():
            yield conn
