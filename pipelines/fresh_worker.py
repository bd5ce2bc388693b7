"""A worker in a fresh interpreter: requests and replies as pickles over its stdin and stdout.

The pipeline hands its heavy libraries' work to such workers (Great Expectations in
`pipelines/validated/worker.py`, matplotlib in `pipelines/release/overview_worker.py`): the worker
imports the library on another core while the caller goes on, and takes the library's memory with
it when it exits. A fresh interpreter, not a fork: the pipeline's process runs Dagster's threads (a
fork copies only the calling thread, with whatever locks the others held), and a forked child
counts every page it shares with its parent as its own resident memory.

Both ends are here. The caller's `FreshWorker` starts `python -m <module>`, whose `__main__` calls
`run(handle, warm_up)`: the worker warms up (imports its library), then answers each request with
`handle(request)`, one reply per request, in order. A failure in the worker comes back as its
traceback (`WorkerFailed`); a worker that dies closes its stdout, which is raised too, with its exit
status (`WorkerDied`): never a hang. The caller decides whether to fall back or fail.

Prestarting (`assets/run.py`, `make run` only): a worker started before the run's own imports
imports its library on the core that is idle meanwhile. `prestart(worker)` registers it;
`take_prestarted(module)` hands it, once, to the step that needs it (in the process that started
it, and only while it is alive: a dead one is reaped and the step starts its own);
`reap_prestarted()` ends those never taken. Any other launcher (tests, `dagster dev`, the
multiprocess executor) prestarts nothing, and its steps start their own workers as they always did.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, NoReturn

from pipelines import startup_gc

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[1]  # where `python -m pipelines...` finds the code
EXIT_WAIT = 30  # seconds a worker may take to exit once its input is closed, before it is killed


class WorkerError(RuntimeError):
    """A worker failed or died: the message says how."""


class WorkerFailed(WorkerError):
    """The worker raised: the message holds its traceback. It answers further requests."""


class WorkerDied(WorkerError):
    """The worker is gone (killed, crashed, or it closed its output): its exit status is in the message."""


class FreshWorker:
    """One worker process running `python -m module`, from construction to `close()`.

    The process starts (and begins its warm-up) when the object is made.
    """

    def __init__(self, module: str, *, label: str) -> None:
        self.module = module
        self.label = label  # "the ... worker", for messages
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
        command = [sys.executable, "-m", module]
        # stderr is the caller's: the worker's warnings and last words land in the caller's log.
        self._process = subprocess.Popen(  # noqa: S603 (our own interpreter and module, no shell)
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        self._sender: threading.Thread | None = None
        self._send_error: BaseException | None = None

    @property
    def pid(self) -> int:
        return self._process.pid

    def alive(self) -> bool:
        return self._process.poll() is None

    def request(self, request: Any) -> Any:
        """Send `request` and wait for the worker's answer: `handle(request)` computed there."""
        self._write_bytes(pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
        return self.receive()

    def submit(self, request: Any) -> None:
        """Send `request` without waiting, not even for the worker to read it (a worker still warming
        up reads nothing yet, and a pickle larger than a pipe would block); `receive()` collects it.

        The request is pickled here, and a thread writes the bytes in one call, which holds no GIL
        while the pipe drains: a thread pickling into the pipe would need the GIL back for every
        buffer's worth, each time waiting out the busy caller's switch interval (seconds in all)."""
        if self._sender is not None:
            raise RuntimeError(f"{self.label} has a request on its way already")
        message = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)

        def send() -> None:
            try:
                self._write_bytes(message)
            except BaseException as error:  # noqa: BLE001 (kept, raised by receive() in the caller)
                self._send_error = error

        self._sender = threading.Thread(target=send, name=f"send to {self.label}", daemon=True)
        self._sender.start()

    def receive(self) -> Any:
        """The answer to the request sent last; raises WorkerFailed or WorkerDied."""
        process = self._process
        if self._sender is not None:
            self._sender.join()
            self._sender, error, self._send_error = None, self._send_error, None
            if error is not None:
                raise self._died() from error
        try:
            status, payload = pickle.load(process.stdout)  # noqa: S301 (our own worker's reply)
        except (EOFError, pickle.UnpicklingError, ValueError) as error:
            raise self._died() from error
        if status != "ok":
            raise WorkerFailed(f"{self.label} failed:\n{payload}")
        return payload

    def _write_bytes(self, message: bytes) -> None:
        try:
            self._process.stdin.write(message)  # larger than its buffer: written through, in one call
            self._process.stdin.flush()
        except (BrokenPipeError, ValueError) as error:  # ValueError: its pipe was closed meanwhile
            raise self._died() from error

    def _died(self) -> WorkerDied:
        return WorkerDied(f"{self.label} (pid {self.pid}) died: {_exit_status(self._process)}")

    def close(self, kill: bool = False) -> int | None:
        """End the worker and reap it: closing its input ends it; `kill` when the caller gives up on
        it (also when a request is still on its way: the worker may be busy or not reading yet)."""
        process = self._process
        if kill or (self._sender is not None and self._sender.is_alive()):
            process.kill()
        if self._sender is not None:
            self._sender.join()  # the worker is gone or reading: its write ends
            self._sender = None
        for stream in (process.stdin, process.stdout):
            try:
                stream.close()
            except BrokenPipeError:
                pass  # the worker is gone already; unflushed bytes have nowhere to go
        try:
            return process.wait(EXIT_WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()

    def __enter__(self) -> FreshWorker:
        return self

    def __exit__(self, kind, error, trace) -> None:
        self.close(kill=error is not None)


def _exit_status(process: subprocess.Popen) -> str:
    try:
        code = process.wait(EXIT_WAIT)
    except subprocess.TimeoutExpired:
        return "it stopped answering"
    if code < 0:
        return f"killed by signal {-code}"
    return f"exit status {code}; its error output is in the log above"


# --- prestarted workers (make run) ------------------------------------------------------------------

# module -> (the process that started it, the worker). The pid guards a forked child of that process
# (the parse workers are forks): it must neither use nor end its parent's worker.
_prestarted: dict[str, tuple[int, FreshWorker]] = {}


def prestart(worker: FreshWorker) -> None:
    """Keep `worker` for the step that will take it; one per module (an earlier one is ended)."""
    earlier = _prestarted.pop(worker.module, None)
    if earlier is not None and earlier[0] == os.getpid():
        earlier[1].close(kill=True)
    _prestarted[worker.module] = (os.getpid(), worker)


def take_prestarted(module: str) -> FreshWorker | None:
    """The worker prestarted for `module`, now the caller's to use and close; None when there is none
    (another launcher), it was taken already, or it has died meanwhile (reaped here, and said)."""
    entry = _prestarted.get(module)
    if entry is None or entry[0] != os.getpid():
        return None
    del _prestarted[module]
    worker = entry[1]
    if not worker.alive():
        log.warning("%s (pid %s) had died before it was used: %s", worker.label, worker.pid, _reap(worker))
        return None
    log.info("%s: the one started with the run (pid %s)", worker.label, worker.pid)
    return worker


def reap_prestarted() -> None:
    """End every prestarted worker that no step took (nothing to validate, a failed run, Ctrl-C)."""
    for module, (owner, worker) in list(_prestarted.items()):
        if owner == os.getpid():
            del _prestarted[module]
            worker.close(kill=True)  # it holds nothing but its imports; no need to wait for them


def _reap(worker: FreshWorker) -> str:
    code = worker.close()
    return f"killed by signal {-code}" if code is not None and code < 0 else f"exit status {code}"


# --- the worker's side -------------------------------------------------------------------------------


def serve(
    requests: IO[bytes],
    replies: IO[bytes],
    handle: Callable[[Any], Any],
    warm_up: Callable[[], None] | None = None,
) -> None:
    """The worker's loop: `warm_up()` first, then each request answered until the input ends."""
    try:
        if warm_up is not None:
            with startup_gc.paused_then_frozen():  # the library's import: ~0.1-0.2 s of GC otherwise
                warm_up()
        broken = None
    except Exception:  # reported with the first request, where the caller waits for it
        broken = traceback.format_exc()
    while True:
        try:
            request = pickle.load(requests)  # noqa: S301 (sent by our own caller)
        except EOFError:
            return
        if broken:
            reply: tuple[str, Any] = ("error", broken)
        else:
            try:
                reply = ("ok", handle(request))
            except Exception:
                reply = ("error", traceback.format_exc())
        del request  # the caller's data, before the reply is pickled
        pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()


def run(handle: Callable[[Any], Any], warm_up: Callable[[], None] | None = None) -> NoReturn:
    """A worker module's `__main__`: serve stdin until it ends, then leave at once."""
    # stdout carries the replies: anything else printed from here on goes to stderr instead.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, replies, handle, warm_up)
    replies.close()
    # Nothing is left to flush or close: skip the interpreter's teardown of the library (~0.5 s).
    os._exit(0)
