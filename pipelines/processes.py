"""Whether a process that left its pid behind (a run's tag, a partial file's name) is still alive."""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: nothing is sent, only whether the pid exists is checked
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True
