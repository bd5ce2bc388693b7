"""Office lock files (`~$KAZ_2023.xlsx`): rejected with a message of their own, told by their name
or by their content; a `~$` file whose bytes are a real workbook is read as what it is."""

from __future__ import annotations

import xlwt

from pipelines.forms.return_writer import write_return
from pipelines.parsed.returns import PARSED, REJECTED, parse_return
from pipelines.parsed.workbook import LOCK_FILE
from pipelines.synthetic.generator import _lock_file
from tests.conftest import sample_return


def rejected_by(path) -> list[tuple[str, str]]:
    parsed = parse_return(path, "s1", path.name)
    assert parsed.status == REJECTED and parsed.cells == []
    return [(f.rule, f.message) for f in parsed.findings if f.action == "reject"]


def test_what_office_writes_beside_an_open_workbook_is_a_lock_file(tmp_path):
    path = tmp_path / "~$KAZ_2023.xlsx"
    path.write_bytes(_lock_file("Focal point KAZ"))
    ((rule, message),) = rejected_by(path)
    assert rule == LOCK_FILE
    assert "lock file" in message and "close the workbook" in message and "send the .xlsx" in message


def test_a_tilde_dollar_file_of_any_other_content_is_a_lock_file_by_its_name(tmp_path):
    for name, data in (("~$KAZ_2023.xlsx", b"lock"), ("~$empty.xlsx", b""), ("~$notes.docx", b"x" * 162)):
        path = tmp_path / name
        path.write_bytes(data)
        assert [rule for rule, _ in rejected_by(path)] == [LOCK_FILE], name


def test_a_lock_file_renamed_on_the_way_is_told_by_its_content(tmp_path):
    path = tmp_path / "KAZ_2023.xlsx"  # `~$` dropped by a mail client or an upload form
    path.write_bytes(_lock_file("Фокусное лицо"))
    assert [rule for rule, _ in rejected_by(path)] == [LOCK_FILE]


def test_bytes_near_the_lock_file_shape_are_not_taken_for_one(tmp_path):
    owner = _lock_file("Focal point KAZ")
    lookalikes = {
        "short.xlsx": owner[:100],
        "names_disagree.xlsx": owner[:54] + b"\x09\x00" + owner[56:],
        "not_padded.xlsx": owner[:30] + b"x" + owner[31:],
    }
    for name, data in lookalikes.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert LOCK_FILE not in {rule for rule, _ in rejected_by(path)}, name


def test_a_tilde_dollar_name_on_a_real_workbook_is_read_as_the_workbook(tmp_path):
    path = write_return(sample_return("KAZ"), tmp_path / "~$KAZ_2023.xlsx")
    parsed = parse_return(path, "s1", path.name)
    assert parsed.status == PARSED, parsed.findings
    assert parsed.cover_value("member_state") == "KAZ"
    assert LOCK_FILE not in {f.rule for f in parsed.findings}


def test_a_tilde_dollar_name_on_a_legacy_workbook_says_what_it_is(tmp_path):
    legacy = xlwt.Workbook()
    legacy.add_sheet("Cover").write(0, 0, "Member State")
    legacy.save(str(tmp_path / "~$KAZ_2023.xls"))
    assert [rule for rule, _ in rejected_by(tmp_path / "~$KAZ_2023.xls")] == ["legacy_xls"]
