"""Log records made while a job runs, kept and replayed later in the calling process.

A job done on a forked worker must not log there: the handlers it inherited (a file, a stream,
Dagster's) belong to the parent, and the parent's log must read as if every job had run in it,
in the order of the jobs. So records made under `captured_logs` are held, made plain (message
formatted, exception as text: a record's arguments need not pickle), and the parent `replay`s
them through the loggers that made them. A job run in the parent goes through the same path, so
both give the same log.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

_FORMATTER = logging.Formatter()


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(_plain(record))


def _plain(record: logging.LogRecord) -> logging.LogRecord:
    """The record with its message formatted and its exception as text, as QueueHandler does."""
    record = copy.copy(record)
    record.msg = record.getMessage()
    record.args = None
    if record.exc_info:
        record.exc_text = record.exc_text or _FORMATTER.formatException(record.exc_info)
        record.exc_info = None
    return record


@contextmanager
def captured_logs(logger_name: str) -> Iterator[list[logging.LogRecord]]:
    """Hold every record that `logger_name` and the loggers below it make inside the block.

    Records go on to no handler meanwhile; the list is filled as they are made."""
    logger = logging.getLogger(logger_name)
    keep = _Keep()
    propagate = logger.propagate
    handlers = logger.handlers[:]
    logger.handlers = [keep]
    logger.propagate = False
    try:
        yield keep.records
    finally:
        logger.handlers = handlers
        logger.propagate = propagate


def replay(records: Iterable[logging.LogRecord]) -> None:
    """Hand each record to the handlers of the logger that made it, as if it were made now."""
    for record in records:
        logging.getLogger(record.name).handle(record)  # made only where its level was enabled
