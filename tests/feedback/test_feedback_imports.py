"""The feedback step loads openpyxl (~0.4 s) only when a workbook goes through it: nearly every
feedback.xlsx is written by the package editor, and every run imports the step."""

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import pathlib, sys
import pipelines.feedback.step
from pipelines.feedback.workbook import CopyFailed, copy_with_openpyxl
print("openpyxl" in sys.modules)
try:
    copy_with_openpyxl(b"not a zip", pathlib.Path("never-written.xlsx"), [], "EN")
except CopyFailed:
    print("openpyxl" in sys.modules)
"""


def test_the_feedback_step_imports_no_openpyxl_until_a_workbook_needs_it(tmp_path):
    result = subprocess.run(  # noqa: S603 (our interpreter, our probe)
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env=os.environ | {"PYTHONPATH": str(PROJECT_ROOT)},
    )
    assert result.stdout.split() == ["False", "True"]
