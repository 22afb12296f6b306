"""Event ingestion: layouts, the ICEWS sample, line-numbered errors, --skip-bad, no lost line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisislab.errors import InputError
from crisislab.policy.cameo import load_table, roots_table
from crisislab.policy.events import EventReader, read_events, write_events_csv

HEADER = "date,source,target,cameo,goldstein,forum,reliability,publisher,agenda\n"
GOOD = "2025-01-06,Russian Federation,Ukraine,190,,,,Agency A,\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_icews_sample_is_read_in_its_native_layout(data_dir: Path) -> None:
    table = load_table(data_dir)
    events, stats = read_events(data_dir / "icews" / "events.2018.sample.tab", table)
    assert stats.layout == "icews"
    assert (stats.lines, stats.events, stats.skipped) == (3705, 3705, 0)
    assert (stats.as_dict()["first_date"], stats.as_dict()["last_date"]) == ("2018-06-01", "2018-06-02")
    first = events[0]
    assert (first.source, first.target, first.code, first.g10, first.publisher, first.eid, first.line) == (
        "Bangladesh", "Vietnam", "040", 10, "Vietnam News Agency Bulletin", "32889836", 2)
    russia = [e for e in events if "Russian Federation" in (e.source, e.target)]
    assert len(russia) == 333  # as stated in the data README
    # a missing Source Country falls back to the Source Name
    assert any(e.source == "European Union" for e in events)


def test_csv_jsonl_and_tsv_give_the_same_events(tmp_path: Path) -> None:
    table = roots_table()
    csv_p = _write(tmp_path, "e.csv", HEADER + GOOD + '2025-01-07,European Union,Russian Federation,036,4,talks,0.8,"Agency, B",arms_control\n')
    rows = [
        {"date": "2025-01-06", "source": "Russian Federation", "target": "Ukraine", "cameo": "190", "publisher": "Agency A"},
        {"Event Date": "2025-01-07", "Source": "European Union", "target": "Russian Federation", "CAMEO Code": "036", "Intensity": 4,
         "channel": "talks", "reliability": 0.8, "publisher": "Agency, B", "agenda": "arms_control"},
    ]
    jl = _write(tmp_path, "e.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    tsv = _write(tmp_path, "e.tsv", HEADER.replace(",", "\t") + GOOD.replace(",", "\t")
                 + "2025-01-07\tEuropean Union\tRussian Federation\t036\t4\ttalks\t0.8\tAgency, B\tarms_control\n")
    a, _ = read_events(csv_p, table)
    b, _ = read_events(jl, table)
    c, _ = read_events(tsv, table)
    strip = lambda evs: [(e.day, e.source, e.target, e.code, e.g10, e.reliability, e.publisher, e.forum, e.agenda) for e in evs]  # noqa: E731
    assert strip(a) == strip(b) == strip(c)
    assert a[0].g10 == -100  # missing Goldstein -> the CAMEO weight of 190 (root table: -10)
    assert a[1].forum == "talks" and a[1].reliability == 0.8 and a[1].publisher == "Agency, B"


def test_gdelt_column_names_are_understood(tmp_path: Path) -> None:
    p = _write(tmp_path, "g.csv", "GLOBALEVENTID,SQLDATE,Actor1CountryCode,Actor2CountryCode,EventCode,GoldsteinScale,SOURCEURL\n"
               "1,20250106,RUS,UKR,190,-10,http://x\n")
    [e], _ = read_events(p, roots_table())
    assert (e.source, e.target, e.code, e.g10, e.publisher, e.eid) == ("RUS", "UKR", "190", -100, "http://x", "1")


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("2025-13-06,Russian Federation,Ukraine,190,,,,A,\n", "date '2025-13-06'"),
        ("2025-01-06,Russian Federation,Ukraine,2199,,,,A,\n", "CAMEO code '2199'"),
        ("2025-01-06,Russian Federation,Ukraine,36,,,,A,\n", "leading zeros"),
        ("2025-01-06,,Ukraine,190,,,,A,\n", "no source actor"),
        ("2025-01-06,Russian Federation,Ukraine,190,-11,,,A,\n", "Goldstein score '-11'"),
        ("2025-01-06,Russian Federation,Ukraine,190,,,1.5,A,\n", "reliability '1.5'"),
        ("2025-01-06,Russian Federation,Ukraine,190\n", "4 fields"),
        ("2025-01-05,Russian Federation,Ukraine,190,,,,A,\n", "after an event dated 2025-01-06"),
        ("\n", "an empty line"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, line: str, found: str) -> None:
    table = roots_table()
    p = _write(tmp_path, "bad.csv", HEADER + GOOD + line + GOOD.replace("01-06", "01-09"))
    with pytest.raises(InputError) as info:
        read_events(p, table)
    msg = str(info.value)
    assert str(p) in msg and "line 3" in msg and found in msg
    # with --skip-bad the line is set aside and the rest is read
    skip = tmp_path / "bad-lines.jsonl"
    events, stats = read_events(p, table, skip_bad=skip)
    assert (stats.lines, stats.events, stats.skipped) == (3, 2, 1)
    [rec] = [json.loads(x) for x in skip.read_text().splitlines()]
    assert rec["line"] == 3 and found in rec["found"] + rec["expected"] and rec["file"] == str(p)


def test_unknown_code_needs_the_full_table(tmp_path: Path, data_dir: Path) -> None:
    p = _write(tmp_path, "e.csv", HEADER + "2025-01-06,Russian Federation,Ukraine,1127,,,,A,\n")
    [e], _ = read_events(p, roots_table())  # 1127 has a valid form and root
    assert e.g10 == -20
    with pytest.raises(InputError, match="CAMEO code '1127'"):
        read_events(p, load_table(data_dir))


def test_missing_columns_and_files(tmp_path: Path) -> None:
    p = _write(tmp_path, "e.csv", "date,source,goldstein\n2025-01-06,X,1\n")
    with pytest.raises(InputError) as info:
        read_events(p, roots_table())
    assert "line 1 (header)" in str(info.value) and "target, cameo" in str(info.value)
    with pytest.raises(InputError, match="cannot be found"):
        read_events(tmp_path / "nope.csv", roots_table())
    with pytest.raises(InputError, match="empty file"):
        read_events(_write(tmp_path, "empty.csv", ""), roots_table())
    with pytest.raises(InputError, match="written as a int"):
        read_events(_write(tmp_path, "e.jsonl", '{"date": "2025-01-06", "source": "a", "target": "b", "cameo": 190}\n'), roots_table())


def test_not_utf8_is_a_bad_line_not_a_crash(tmp_path: Path) -> None:
    p = tmp_path / "e.csv"
    p.write_bytes((HEADER + GOOD).encode() + b"2025-01-07,Russ\xffia,Ukraine,190,,,,A,\n" + GOOD.replace("06", "08").encode())
    with pytest.raises(InputError, match="line 3.*not UTF-8"):
        read_events(p, roots_table())
    _, stats = read_events(p, roots_table(), skip_bad=tmp_path / "skip.jsonl")
    assert (stats.events, stats.skipped) == (2, 1)


def test_export_round_trip(tmp_path: Path) -> None:
    src = _write(tmp_path, "e.csv", HEADER + GOOD + "2025-01-07,European Union,Russian Federation,036,4,talks,0.8,B,arms_control\n")
    events, _ = read_events(src, roots_table())
    out = tmp_path / "out.csv"
    with out.open("w") as fh:
        assert write_events_csv(fh, events) == 2
    again, _ = read_events(out, roots_table())
    assert [(e.day, e.source, e.code, e.g10, e.forum, e.reliability, e.agenda) for e in again] == [
        (e.day, e.source, e.code, e.g10, e.forum, e.reliability, e.agenda) for e in events]


# -- fuzzing: random lines never crash the reader and never get lost -----------------------

_cell = st.one_of(
    st.sampled_from(["2025-01-06", "2025-01-07", "20250108", "2024-02-30", "NA", "", "036", "19", "190", "0871", "1999", "x",
                     "Russian Federation", "Ukraine", "-10", "10.5", "0.5", "nan", "talks", '"', "\t"]),
    st.text(max_size=6),
)
_line = st.lists(_cell, min_size=0, max_size=11).map(lambda cells: ",".join(cells))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_line, max_size=12), jsonl=st.booleans())
def test_random_lines_are_read_or_set_aside_never_lost(tmp_path: Path, lines: list[str], jsonl: bool) -> None:
    if jsonl:
        body = "".join(
            json.dumps(dict(zip(["date", "source", "target", "cameo", "goldstein"], ln.split(","), strict=False))) + "\n"
            if i % 3 else ln + "\n" for i, ln in enumerate(lines))
        p = tmp_path / "fuzz.jsonl"
    else:
        body = HEADER + "".join(ln + "\n" for ln in lines)
        p = tmp_path / "fuzz.csv"
    p.write_text(body, encoding="utf-8")
    skip = tmp_path / "skip.jsonl"
    skip.unlink(missing_ok=True)
    reader = EventReader(p, roots_table(), skip_bad=skip)
    n = sum(1 for _ in reader)
    s = reader.stats
    assert n == s.events and s.events + s.skipped == s.lines
    written = skip.read_text().split("\n")[:-1] if skip.exists() else []
    assert len(written) == s.skipped
    try:
        strict = sum(1 for _ in EventReader(p, roots_table()))
        assert s.skipped == 0 and strict == n
    except InputError as exc:
        assert s.skipped > 0 and str(p) in str(exc)
