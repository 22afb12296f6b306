"""The ``policy`` and ``events`` commands: formats, exit codes, messages without tracebacks."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from crisislab.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture(autouse=True)
def _no_data_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRISISLAB_DATA", raising=False)


def test_check_explains_the_policy(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "policy", "check", "conditionality", "-f", "json")
    assert code == 0
    data = json.loads(out)
    assert data["valid"] and data["policy"] == "conditionality"
    rules = {r["rule"]: r["meaning"] for r in data["rules"]}
    assert "exactly 0" in rules["preconditions.no_armed_attacks"]
    assert "with no vote" in rules["triggers.disinformation_in_forum"]
    assert "Finland, Estonia, Latvia, Lithuania, Poland" in rules["no_surprises"]
    assert "red lines" in rules["mandate"] and "territory" in rules["mandate"]
    code, out, _ = run(capsys, "policy", "check", "conditionality-no-veto")
    assert code == 0 and "Switched off" in out


def test_check_reports_a_bad_policy_with_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("base: conditionality\nname: bad\nno_surprises: {vote_days: -1}\n")
    code, _, err = run(capsys, "policy", "check", str(bad))
    assert code == 2 and "bad.yaml" in err and "no_surprises.vote_days" in err


def test_schema_and_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "policy", "schema")
    assert code == 0 and json.loads(out)["title"] == "crisislab policy"
    code, out, _ = run(capsys, "policy", "list", "-f", "csv")
    assert code == 0 and out.splitlines()[0].startswith("name,") and "conditionality-no-triggers" in out


def test_replay_verify_explain_round_trip(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    code, out, _ = run(capsys, "policy", "replay", "conditionality", "example", "--ledger", str(ledger), "-f", "json")
    assert code == 0
    data = json.loads(out)
    assert data["counts"]["lines"] == data["counts"]["events"] == 42 and data["counts"]["decisions"] == 28
    fired = [d for d in data["decisions"] if d["decision"] == "trigger_fired"]
    assert [d["why"] for d in fired][0].startswith("disinformation_in_forum: penalty tranche 1 'targeted listings'")
    head = data["head"]
    code, out, _ = run(capsys, "policy", "verify", str(ledger), "--head", head, "-f", "json")
    assert code == 0 and json.loads(out)["ok"] is True
    entry = fired[0]["entry"]
    code, out, _ = run(capsys, "policy", "explain", str(ledger), "--decision", str(entry), "-f", "json")
    ex = json.loads(out)
    assert code == 0 and ex["kind"] == "trigger_fired" and ex["chain"] == "intact up to this entry"
    assert "with no vote" in ex["rule_text"] and len(ex["events"]) == 2 and {e["cameo"] for e in ex["events"]} == {"112", "016"}
    code, out, _ = run(capsys, "policy", "explain", str(ledger), "--decision", str(entry))
    assert code == 0 and "Events that justify it (2)" in out
    code, _, err = run(capsys, "policy", "explain", str(ledger), "--decision", "1")
    assert code == 2 and "replay_start" in err
    code, _, err = run(capsys, "policy", "explain", str(ledger), "--decision", "999")
    assert code == 2 and "1..30" in err
    code, out, _ = run(capsys, "policy", "replay", "conditionality", "example", "--ledger", str(ledger), "-f", "csv", "--limit", "3")
    assert code == 0 and out.splitlines()[0] == "entry,date,decision,rule,why,events,line" and len(out.splitlines()) == 4


def test_verify_names_the_first_bad_entry_with_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    assert run(capsys, "policy", "replay", "conditionality", "example", "--ledger", str(ledger))[0] == 0
    conn = sqlite3.connect(ledger)
    conn.execute("DROP TRIGGER entries_append_only_update")
    conn.execute("UPDATE entries SET body = replace(body, 'talks_denied', 'talks_allowed') WHERE seq = 15")
    conn.commit()
    conn.close()
    code, out, err = run(capsys, "policy", "verify", str(ledger), "-f", "json")
    assert code == 2
    assert json.loads(out)["first_bad_entry"] == 15
    assert "entry 15" in err and "fails verification" in err


def test_replay_of_the_icews_sample(capsys: pytest.CaptureFixture[str], tmp_path: Path, data_dir: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    sample = data_dir / "icews" / "events.2018.sample.tab"
    code, out, _ = run(capsys, "policy", "replay", "conditionality", str(sample), "--ledger", str(ledger), "--cameo", str(data_dir), "-f", "json", "--limit", "0")
    assert code == 0
    data = json.loads(out)
    assert data["counts"] == {"lines": 3705, "events": 3705, "skipped": 0, "decisions": 20, "by_kind": {"talks_denied": 20}}
    # two days of data cannot show 55 days of verified change: every outreach to Moscow is refused for that reason
    assert all(d["rule"] == "preconditions.no_armed_attacks" and "observed" in d["why"] for d in data["decisions"])
    assert {d["line"] for d in data["decisions"]} >= {796, 813}
    assert run(capsys, "policy", "verify", str(ledger))[0] == 0


def test_events_check_and_skip_bad(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    f = tmp_path / "e.csv"
    f.write_text("date,source,target,cameo\n2025-01-06,A,B,190\n2025-01-05,A,B,190\n")
    code, _, err = run(capsys, "events", "check", str(f))
    assert code == 2 and "e.csv" in err and "line 3" in err and "time order" in err
    skip = tmp_path / "bad.jsonl"
    code, out, _ = run(capsys, "events", "check", str(f), "--skip-bad", str(skip), "-f", "json")
    assert code == 0 and json.loads(out)["skipped"] == 1 and skip.exists()
    code, _, err = run(capsys, "policy", "replay", "conditionality", str(tmp_path / "none.csv"), "--ledger", str(tmp_path / "l.sqlite"))
    assert code == 2 and "cannot be found" in err
    code, _, err = run(capsys, "policy", "verify", str(f))
    assert code == 2 and "e.csv" in err


# -- end to end: random lines through `policy replay` never crash and never lose a line ----

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_cell = st.one_of(
    st.sampled_from(["2025-01-06", "2025-01-07", "2025-01-05", "Germany", "Russian Federation", "Estonia", "European Union",
                     "036", "190", "129", "051", "112", "0874", "99", "", "NA", "talks", "-4", "11", "0.7", "2"]),
    st.text(max_size=5),
)
_row = st.lists(_cell, min_size=3, max_size=10).map(lambda c: ",".join(c))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_row, max_size=10))
def test_replay_of_random_lines_accounts_for_every_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: list[str]) -> None:
    events = tmp_path / "fuzz.csv"
    events.write_text("date,source,target,cameo,goldstein,forum,reliability,publisher,agenda\n" + "".join(r + "\n" for r in rows))
    ledger = tmp_path / "fuzz.sqlite"
    ledger.unlink(missing_ok=True)
    bad = tmp_path / "bad.jsonl"
    bad.unlink(missing_ok=True)
    code, out, _ = run(capsys, "policy", "replay", "conditionality", str(events), "--ledger", str(ledger), "--skip-bad", str(bad), "-f", "json")
    assert code == 0
    counts = json.loads(out)["counts"]
    assert counts["events"] + counts["skipped"] == counts["lines"]
    assert counts["skipped"] == (len(bad.read_text().split("\n")) - 1 if bad.exists() else 0)
    assert run(capsys, "policy", "verify", str(ledger))[0] == 0
    strict = run(capsys, "policy", "replay", "conditionality", str(events), "--ledger", str(ledger))[0]
    assert strict == (0 if counts["skipped"] == 0 else 2)
