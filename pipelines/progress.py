"""A progress line for long runs from a terminal: `parsing returns [######------] 1200/2000`."""

from __future__ import annotations

import sys
from typing import TextIO


class TerminalProgress:
    """Redraws one line in place when `stream` is a terminal; silent otherwise (logs say the rest)."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30):
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width

    def __call__(self, done: int, total: int) -> None:
        if not total or not self.stream.isatty():
            return
        filled = self.width * done // total
        bar = "#" * filled + "-" * (self.width - filled)
        end = "\n" if done >= total else ""
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total}{end}")
        self.stream.flush()
