"""``crisislab validate`` and ``crisislab backtest deu3`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

from crisislab.cli import main


def test_backtest_missing_file_exits_2(tmp_path: Path, capsys):
    assert main(["backtest", "deu3", str(tmp_path / "absent.csv")]) == 2
    assert "absent.csv" in capsys.readouterr().err


def test_backtest_garbage_file_exits_2(tmp_path: Path, capsys):
    bad = tmp_path / "bad.tsv"
    bad.write_text("pcom\tpep\n1\t2\n", encoding="utf-8")
    assert main(["backtest", "deu3", str(bad)]) == 2
    assert "'pat'" in capsys.readouterr().err


def test_validate_missing_data_folder_exits_2(tmp_path: Path, capsys):
    assert main(["validate", "--data", str(tmp_path / "absent")]) == 2
    assert main(["validate", "--data", str(tmp_path)]) == 2  # exists but holds no icb/ file
    assert "icb1v14.csv" in capsys.readouterr().err


def test_bad_format_exits_2(data_dir: Path):
    assert main(["validate", "--data", str(data_dir), "--format", "xml"]) == 2


def test_validate_json(data_dir: Path, capsys):
    assert main(["validate", "--data", str(data_dir), "--format", "json", "--reps", "200"]) == 0
    out = json.loads(capsys.readouterr().out)
    facts = {f["id"]: f for f in out["facts"]}
    assert round(facts["icb.agreement.mediated"]["value"] * 100, 1) == 62.1
    assert facts["mid.hostlev.war"]["role"] == "holdout"
    assert out["tolerances"]["version"] >= 1
    assert all("simulated" not in k for f in out["facts"] for k in f if k != "simulated_as")


def test_validate_csv(data_dir: Path, capsys):
    assert main(["validate", "--data", str(data_dir), "--format", "csv", "--reps", "100"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("fact,unit,historical,ci_low,ci_high,n,tolerance,role")
    assert len(lines) == 1 + 22


def test_backtest_json_reproduces_readme_baselines(data_dir: Path, capsys):
    path = data_dir / "deu3" / "deu3_dev.csv"
    assert main(["backtest", "deu3", str(path), "--format", "json", "--reps", "200"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["issues_scored"] == 261 and out["rows"] == 272
    assert round(out["models"]["compromise"]["mae"], 2) == 22.71
    assert round(out["models"]["wmedian"]["mae"], 2) == 27.65
    assert set(out["models"]) >= {"compromise", "wmedian", "nash", "eu_model", "mandate"}


def test_backtest_per_issue_csv(data_dir: Path, capsys):
    path = data_dir / "deu3" / "deu3_dev.csv"
    assert main(["backtest", "deu3", str(path), "--format", "csv", "--per-issue", "--models", "compromise,mandate"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "issue,proposal,rule,proc,rp,out,compromise,mandate"
    assert len(lines) == 262


def test_backtest_unknown_model_exits_2(data_dir: Path):
    path = data_dir / "deu3" / "deu3_dev.csv"
    assert main(["backtest", "deu3", str(path), "--models", "oracle"]) == 2
