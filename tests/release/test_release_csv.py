"""CSV conventions, byte for byte."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import release_frames as frames

from pipelines.release import layout
from pipelines.release.csv_format import (
    ReleaseDataError,
    format_number,
    neutralise,
    quote,
    read_csv,
    write_csv_bytes,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1162.0, "1162"),
        (87.3, "87.3"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e-05, "0.00001"),
        (1e20, "100000000000000000000"),
        (-0.0, "0"),
        (116.2, "116.2"),
        (np.float64(7.5), "7.5"),
    ],
)
def test_numbers_are_shortest_round_trip_positional(value, text):
    assert format_number(value) == text
    assert float(text) == value


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+ legal aid", "'+ legal aid"),
        ("-5%", "'-5%"),
        ("@home", "'@home"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("'already", "'already"),
    ],
)
def test_neutralise(text, written):
    assert neutralise(text) == written


@pytest.mark.parametrize(
    ("field", "written"),
    [
        ("plain", "plain"),
        ("a,b", '"a,b"'),
        ('say "hi"', '"say ""hi"""'),
        ("two\nlines", '"two\nlines"'),
        ("cr\rhere", '"cr\rhere"'),
        (" spaced ", " spaced "),
        ("", ""),
    ],
)
def test_quote_only_when_needed(field, written):
    assert quote(field) == written


def test_activities_bytes_literally():
    data = write_csv_bytes(layout.ACTIVITIES, frames.activities())
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" not in data
    text = data.decode("utf-8")
    lines = text.split("\n")
    assert lines[0] == (
        "iso3,country,region,subregion,reporting_year,activity_id,thematic_area,activity_type,title,"
        "start_date,end_date,delivery_mode,participants_total,participants_women,beneficiary_group,"
        "standards,partners,submission_id"
    )
    # sorted by primary key; neutralised and quoted; standards sorted; missing = empty
    assert lines[1] == (
        "KAZ,Kazakhstan,Asia,Central Asia,2021,A-01,PRISON_REFORM,TRAINING,"
        '"\'-5% overcrowding, ""pilot""",2021-03-15,2021-03-17,IN_PERSON,25,12,PRISON_STAFF,'
        "BANGKOK_RULES;NELSON_MANDELA_RULES,UNODC;OSCE,KAZ-2021-1"
    )
    assert lines[2] == (
        "KAZ,Kazakhstan,Asia,Central Asia,2021,A-02,ACCESS_TO_JUSTICE,WEBINAR,'+ legal aid clinics,"
        "2021-05-01,,ONLINE,,,,,,KAZ-2021-1"
    )
    assert lines[3].split(",")[8] == "'@home: safe"
    assert lines[4].startswith("KGZ,")
    assert text.endswith("KGZ-2021-1\n")


def test_prisons_bytes_literally():
    text = write_csv_bytes(layout.PRISONS, frames.prisons()).decode("utf-8")
    lines = text.split("\n")
    assert lines[0] == (
        "iso3,country,region,subregion,year,indicator,value,unit,obs_status,derived,reporting_year,submission_id"
    )
    assert (
        "KAZ,Kazakhstan,Asia,Central Asia,2021,PRISONERS_TOTAL,1162,persons,A,false,2021,KAZ-2021-1" in lines
    )
    assert (
        "KAZ,Kazakhstan,Asia,Central Asia,2021,OCCUPANCY_RATE,116.2,percent,A,true,2021,KAZ-2021-1" in lines
    )
    assert (
        "KGZ,Kyrgyzstan,Asia,Central Asia,2021,PRISONERS_JUVENILE,,persons,M,false,2021,KGZ-2021-1" in lines
    )
    assert "KGZ,Kyrgyzstan,Asia,Central Asia,2021,PRISONERS_FOREIGN,,persons,Z,false,2021,KGZ-2021-1" in lines
    keys = [tuple(line.split(",")[i] for i in (0, 4, 5)) for line in lines[1:-1]]
    assert keys == sorted(keys, key=lambda k: (k[0], int(k[1]), k[2]))


def test_outcomes_bytes_neutralise_the_formula_and_keep_numbers():
    text = write_csv_bytes(layout.ASSISTANCE_OUTCOMES, frames.outcomes()).decode("utf-8")
    assert text.split("\n")[1] == (
        "KAZ,Kazakhstan,Asia,Central Asia,2021,1,ACCESS_TO_JUSTICE,PERSONS_ASSISTED,"
        '"\'=HYPERLINK(""http://example.org"",""click"")",87.3,PERCENT,ACHIEVED,A-02,'
        "https://example.org/report.pdf,KAZ-2021-1"
    )
    assert ',1162,CASES,IN_PROGRESS,1,"line one\nline two",KGZ-2021-1\n' in text


def test_coverage_received_at_is_utc_datetime_and_empty_iso3():
    text = write_csv_bytes(layout.COVERAGE, frames.coverage()).decode("utf-8")
    lines = text.split("\n")
    assert lines[1].startswith("BAD-1,notes.docx,")
    assert ",2022-03-03T00:00:00Z,,,REJECTED,,0,0,0,0,0,0,1,0" in lines[1]
    assert lines[2].split(",")[3] == "2022-03-01T10:15:00Z"  # naive timestamps are UTC in the warehouse
    assert lines[3].split(",")[1] == "'-KGZ_2021.xlsx"


def test_read_back_gives_the_written_text(tmp_path):
    path = tmp_path / "assistance_outcomes.csv"
    path.write_bytes(write_csv_bytes(layout.ASSISTANCE_OUTCOMES, frames.outcomes()))
    rows = read_csv(path)
    assert rows[0]["description"] == "'" + frames.HYPERLINK
    assert rows[2]["evidence"] == "line one\nline two"
    assert rows[1]["value"] == ""


def test_writing_is_deterministic_whatever_the_row_and_column_order():
    frame = frames.activities()
    shuffled = frame.sample(frac=1, random_state=7)[list(reversed(frame.columns))].reset_index(drop=True)
    assert write_csv_bytes(layout.ACTIVITIES, frame) == write_csv_bytes(layout.ACTIVITIES, shuffled)


def test_standards_as_a_list_are_joined_sorted():
    frame = frames.activities()
    frame["standards"] = frame["standards"].astype(object)
    frame.at[0, "standards"] = ["TOKYO_RULES", "BANGKOK_RULES"]
    text = write_csv_bytes(layout.ACTIVITIES, frame).decode()
    assert ",BANGKOK_RULES;TOKYO_RULES," in text


def test_dates_as_pandas_datetimes():
    frame = frames.activities()
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    assert write_csv_bytes(layout.ACTIVITIES, frame) == write_csv_bytes(
        layout.ACTIVITIES, frames.activities()
    )


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("participants_total", 1.5, "expected an integer"),
        ("start_date", "15/03/2021", "expected a date"),
        ("title", 12, "expected text"),
        ("reporting_year", None, "missing primary key"),
    ],
)
def test_values_it_cannot_write_faithfully_are_refused(column, value, message):
    frame = frames.activities().astype({column: object})
    frame.at[0, column] = value
    with pytest.raises(ReleaseDataError, match=message):
        write_csv_bytes(layout.ACTIVITIES, frame)


def test_duplicate_primary_key_and_wrong_columns_are_refused():
    frame = frames.activities()
    with pytest.raises(ReleaseDataError, match="duplicate primary key"):
        write_csv_bytes(layout.ACTIVITIES, pd.concat([frame, frame.iloc[:1]]))
    with pytest.raises(ReleaseDataError, match="missing: \\['partners'\\]"):
        write_csv_bytes(layout.ACTIVITIES, frame.drop(columns=["partners"]))
    with pytest.raises(ReleaseDataError, match="not in the layout: \\['notes'\\]"):
        write_csv_bytes(layout.ACTIVITIES, frame.assign(notes="x"))


def test_infinite_number_is_refused():
    frame = frames.prisons()
    frame.loc[0, "value"] = float("inf")
    with pytest.raises(ReleaseDataError, match="infinite"):
        write_csv_bytes(layout.PRISONS, frame)


def test_empty_table_is_its_header():
    frame = frames.outcomes().iloc[0:0]
    assert (
        write_csv_bytes(layout.ASSISTANCE_OUTCOMES, frame)
        == (",".join(layout.ASSISTANCE_OUTCOMES.column_names) + "\n").encode()
    )


def test_date_objects_of_any_kind():
    frame = frames.activities()
    frame["end_date"] = frame["end_date"].astype(object)
    frame.at[0, "end_date"] = dt.datetime(2021, 5, 3, 12, 0)
    frame.at[1, "end_date"] = np.datetime64("2021-03-17")
    text = write_csv_bytes(layout.ACTIVITIES, frame).decode()
    assert ",2021-05-01,2021-05-03,ONLINE," in text
    assert ",2021-03-15,2021-03-17,IN_PERSON," in text
