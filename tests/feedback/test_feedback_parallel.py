"""Feedback folders written on worker processes are the folders one process writes, byte for byte, with
the same log in the same order; a folder that cannot be written stops the step as it did in one process.

Real workbooks, each planted to take one way through the writers: the package editor, the openpyxl
writer (a sender's comment: the editor declines), a file neither can open (CopyFailed, a warning in
the log), a file the parser refused (never opened) and a file gone from the archive."""

from __future__ import annotations

import io
import logging
import multiprocessing
import pickle
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment

from pipelines.feedback import step
from pipelines.feedback.gate import Gate
from pipelines.feedback.sources import Submission
from pipelines.feedback.worker_logs import captured_logs, replay
from pipelines.findings import Finding
from pipelines.forms.return_writer import render_return
from tests.conftest import sample_return
from tests.feedback.test_feedback_package import saved

COPIES = 4  # of each kind of job: enough for the jobs to spread over two workers in batches


def _findings(submission_id: str) -> tuple[Finding, ...]:
    return (
        Finding(
            submission_id,
            "validated",
            "error",
            "report",
            "women_not_above_total",
            "Women > total.",
            "Activities",
            3,
            "B3",
            "participants_women",
            "2000",
        ),  # fmt: skip
        Finding(submission_id, "parsed", "warning", "report", "change_over_50_percent", "A jump.", None),
    )


def _with_senders_comment(data: bytes) -> bytes:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    workbook["Prisons"]["A1"].comment = Comment("Sender's note", "Focal point")  # the editor declines
    return saved(workbook)


def _jobs(tmp_path: Path, out: str) -> list[step.FolderJob]:
    sent = tmp_path / "archive"
    sent.mkdir(exist_ok=True)
    plain = render_return(sample_return("KAZ", 2023), engine="openpyxl")
    kinds = {
        "package": (plain, Gate.READ),  # the package editor
        "openpyxl": (_with_senders_comment(plain), Gate.READ),  # info: through openpyxl
        "broken": (b"PK\x03\x04 not really a zip" * 20, Gate.READ),  # warning: neither writer opens it
        "refused": (plain, Gate.REFUSED),  # never opened
        "gone": (None, Gate.READ),  # not in the archive
    }
    jobs = []
    for n in range(COPIES):
        for kind, (data, gate) in kinds.items():
            submission_id = f"{kind}-{n}"
            original = sent / f"{kind}.xlsx"
            if data is not None:
                original.write_bytes(data)
            submission = Submission(
                submission_id, f"{kind}.xlsx", "00" * 32, "ACCEPTED_WITH_WARNINGS", None, "EN",
                ("Cover", "Activities", "Prisons", "Outcomes"), _findings(submission_id),
            )  # fmt: skip
            folder = tmp_path / out / submission_id
            jobs.append(step.FolderJob(submission, folder, f"digest-{submission_id}", gate, original))
    return jobs


def _files(folder: Path) -> dict[str, object]:
    """Every file's bytes; for a workbook openpyxl saved, its parts but the time it was saved at."""
    return {str(p.relative_to(folder)): _content(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def _content(path: Path) -> object:
    data = path.read_bytes()
    if path.parent.name.startswith("openpyxl-") and path.suffix == ".xlsx":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}
    return data


def _log(caplog) -> list[tuple[str, int, str]]:
    return [
        (r.name, r.levelno, r.getMessage()) for r in caplog.records if r.name.startswith("pipelines.feedback")
    ]


def test_workers_write_the_folders_one_process_writes(tmp_path, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="pipelines.feedback")
    alone = [(o.workbook, o.route) for o in step.written_folders(_jobs(tmp_path, "alone"), workers=1)]
    log_alone = _log(caplog)
    caplog.clear()

    monkeypatch.setattr(step, "PARALLEL_FROM", 2)
    monkeypatch.setattr(step, "BATCH", 2)
    outcomes = step.written_folders(_jobs(tmp_path, "forked"), workers=2)
    forked = [next(outcomes)]
    assert len(multiprocessing.active_children()) == 2  # two workers really write the folders
    forked += list(outcomes)
    forked = [(o.workbook, o.route) for o in forked]

    assert forked == alone
    assert {route for _, route in alone} == {step.Route.PACKAGE, step.Route.OPENPYXL, None}
    assert _log(caplog) == log_alone
    levels = [level for _, level, _ in log_alone]
    assert (
        levels.count(logging.WARNING) == COPIES and levels.count(logging.INFO) == 2 * COPIES
    )  # broken: declined, then failed
    assert _files(tmp_path / "forked") == _files(tmp_path / "alone")
    assert len(_files(tmp_path / "alone")) == COPIES * (3 + 3 + 2 + 2 + 2)  # an xlsx only where one was made


@pytest.mark.parametrize("workers", [1, 2])
def test_a_folder_that_cannot_be_written_stops_the_step_after_the_log_of_those_before(
    tmp_path, caplog, monkeypatch, workers
):
    caplog.set_level(logging.INFO, logger="pipelines.feedback")
    monkeypatch.setattr(step, "PARALLEL_FROM", 2)
    monkeypatch.setattr(step, "BATCH", 2)
    jobs = _jobs(tmp_path, "out")
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("x")
    bad = 7
    jobs[bad] = step.FolderJob(*[getattr(jobs[bad], f) for f in ("submission",)], blocked / "sub", "d",
                               Gate.REFUSED, jobs[bad].original)  # fmt: skip
    with pytest.raises(OSError):
        list(step.written_folders(jobs, workers=workers))
    assert all((job.folder / "feedback.md").exists() for job in jobs[:bad])
    messages = [message for _, _, message in _log(caplog)]
    assert sum("openpyxl.xlsx through openpyxl" in m for m in messages) == 2  # jobs 1 and 6, before it
    assert not multiprocessing.active_children()


def test_a_captured_record_is_plain_and_replays_through_its_own_logger(caplog):
    caplog.set_level(logging.INFO, logger="pipelines.feedback")

    class Unpicklable(Exception):
        def __init__(self, a, b):  # pickle calls Unpicklable(*args): one argument, not two
            super().__init__(f"{a}/{b}")

    with captured_logs("pipelines.feedback") as records:
        logging.getLogger("pipelines.feedback.step").warning("made %s of %d", "one", 2)
        try:
            raise Unpicklable(1, 2)
        except Unpicklable:
            logging.getLogger("pipelines.feedback.workbook").exception("failed")
    assert caplog.records == []  # held, not logged, inside the block
    records = pickle.loads(pickle.dumps(records))  # what a worker sends back
    replay(records)
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        ("pipelines.feedback.step", "made one of 2"),
        ("pipelines.feedback.workbook", "failed"),
    ]
    assert "Unpicklable: 1/2" in caplog.text  # the traceback, as text
