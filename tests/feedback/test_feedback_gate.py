"""The gate of feedback.xlsx is the parse step's own verdict on the archived bytes: files its checks
refused are never opened, files it read (or only checked) are. Real receive and parse steps over real
files, no Dagster run needed."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from pipelines import steps
from pipelines.feedback import write_feedback
from pipelines.feedback.gate import Gate, gate_of, parse_gates
from pipelines.findings import Action
from pipelines.parsed.returns import parse_return
from pipelines.received.scan import archive_path
from pipelines.settings import Paths
from pipelines.warehouse import store
from tests.hostile.hostile_files import (
    billion_laughs,
    blank_workbook,
    catalogue,
    legacy_xls,
    valid_return,
    with_rows,
)

# Passes every check, but python-calamine cannot read a cell type it does not know.
CALAMINE_FAILS = b'<row r="60"><c r="A60" t="x"><v>abc</v></c></row>'


def test_the_gate_is_the_parse_steps_verdict_on_the_same_bytes(tmp_path):
    paths = Paths(tmp_path / "inputs", tmp_path / "warehouse")
    paths.inputs.mkdir()
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(valid_return("CHL"))).encrypt("secret", encrypted)
    files = {
        "KAZ_2023.xlsx": (valid_return(), Gate.READ),
        "blank.xlsx": (blank_workbook(), Gate.READ),  # a workbook, not a return (no Cover)
        "odd_cell.xlsx": (with_rows(valid_return("MEX"), CALAMINE_FAILS), Gate.CHECKED),
        "laughs.xlsx": (billion_laughs(), Gate.REFUSED),  # a DTD
        "protected.xlsx": (encrypted.getvalue(), Gate.REFUSED),
        "legacy.xls": (legacy_xls(), Gate.REFUSED),
        "junk.xlsx": (b"\x00 not a workbook" * 10, Gate.REFUSED),
    }
    for name, (data, _gate) in files.items():
        (paths.inputs / name).write_bytes(data)
    shutil.copy(paths.inputs / "blank.xlsx", paths.inputs / "blank copy.xlsx")  # a DUPLICATE: never parsed
    steps.receive_step(paths)
    steps.parse_step(paths)

    with store.reader(paths.database) as connection:
        gates = parse_gates(connection)
        received = dict(connection.execute("SELECT file_name, sha256 FROM received.submissions").fetchall())
        ids = dict(connection.execute("SELECT file_name, submission_id FROM received.submissions").fetchall())
    assert {name: gates.get(received[name]) for name in files} == {name: g for name, (_, g) in files.items()}
    assert gates[received["blank copy.xlsx"]] is Gate.READ  # the original's verdict: same bytes

    # Feedback for every submission with a status of its own (the valid return waits for validation).
    write_feedback(paths)
    made = {name for name in ids if (paths.feedback / ids[name] / "feedback.xlsx").exists()}
    assert made == {"blank.xlsx", "blank copy.xlsx", "odd_cell.xlsx"}
    for name in ("laughs.xlsx", "protected.xlsx", "legacy.xls", "junk.xlsx"):
        assert (paths.feedback / ids[name] / "feedback.md").exists(), name
    assert archive_path(paths.archive, received["laughs.xlsx"]).exists()  # archived, but never opened


@pytest.mark.parametrize(
    "hostile",
    [h for h in catalogue(secret=Path("/nonexistent/secret.txt")) if not h.heavy],
    ids=lambda h: h.file_name,
)
def test_every_file_the_checks_refuse_is_refused_by_the_gate(tmp_path, hostile):
    path = tmp_path / hostile.file_name
    path.write_bytes(hostile.build())
    parsed = parse_return(path, "sub-1", hostile.file_name)
    rules = [f.rule for f in parsed.findings if f.action == Action.REJECT]
    assert rules == [hostile.rule]
    expected = Gate.READ if hostile.rule == "no_cover" else Gate.REFUSED  # no Cover: still a workbook
    assert gate_of(parsed.status, rules) is expected


def test_a_rule_the_gate_does_not_know_refuses():
    assert gate_of("REJECTED", ["some_future_check"]) is Gate.REFUSED
    assert gate_of("REJECTED", ["unreadable", "xml_dtd"]) is Gate.REFUSED
    assert gate_of("REJECTED", []) is Gate.REFUSED
    assert gate_of(None, []) is Gate.REFUSED  # never parsed
