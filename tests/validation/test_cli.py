"""``crisislab validate`` and ``crisislab backtest deu3`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crisislab.cli import main
from crisislab.validation.tolerances import load_tolerances


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


def test_validate_facts_only_json(data_dir: Path, capsys):
    assert main(["validate", "--data", str(data_dir), "--format", "json", "--reps", "200", "--facts-only"]) == 0
    out = json.loads(capsys.readouterr().out)
    facts = {f["id"]: f for f in out["facts"]}
    assert round(facts["icb.agreement.mediated"]["value"] * 100, 1) == 62.1
    assert facts["mid.hostlev.war"]["role"] == "holdout"
    assert out["tolerances"]["version"] >= 1


SMALL = ["--crises", "2", "--runs", "12", "--reps", "100"]


@pytest.fixture(scope="module")
def report(data_dir: Path) -> dict:
    import io
    from contextlib import redirect_stdout

    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(["validate", "--data", str(data_dir), "--format", "json", *SMALL]) == 0
    return json.loads(buf.getvalue())


def test_validate_reports_every_fact_with_both_values_and_a_verdict(report):
    tol = load_tolerances()
    rows = {r["fact"]: r for r in report["facts"]}
    assert set(rows) == set(tol.facts)
    assert report["parameters"] == "defaults" and report["tolerances"]["version"] == tol.version
    assert report["family"]["crises"] == 2 and report["family"]["runs_per_crisis"] == 12
    for fid, r in rows.items():
        assert r["role"] == tol.facts[fid].role and r["tolerance"] == tol.facts[fid].tolerance
        assert r["hist_ci_low"] <= r["historical"] <= r["hist_ci_high"]
        if r["result"] == "not simulated":
            assert r["simulated"] is None and r["note"]
        else:
            assert r["result"] == ("pass" if abs(r["simulated"] - r["historical"]) <= r["tolerance"] + 1e-12 else "FAIL")
    assert all(rows[k]["result"] != "not simulated" for k in rows if k.split(".")[0] in {"mid", "ties"})
    assert all(rows[k]["result"] == "not simulated" for k in rows if k.startswith("gsdb."))
    assert {o["ordering"] for o in report["orderings"]} == {o.name for o in tol.orderings}
    assert sum(sum(v.values()) for v in report["summary"].values()) == len(rows)
    assert set(report["by_doctrine"]) == set(report["family"]["doctrines"])


def test_validate_csv_has_historical_and_simulated_columns(data_dir: Path, capsys):
    assert main(["validate", "--data", str(data_dir), "--format", "csv", "--crises", "1", "--runs", "8", "--reps", "50"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == ("fact,role,historical,hist_ci_low,hist_ci_high,n,simulated,sim_ci_low,sim_ci_high,"
                        "tolerance,result,parameters,note")
    assert len(lines) == 1 + 22


def test_validate_calibrated_uses_the_fitted_values(data_dir: Path, capsys):
    from crisislab.validation.calibrate import load_calibration

    assert main(["validate", "--data", str(data_dir), "--format", "json", "--calibrated",
                 "--crises", "1", "--runs", "10", "--reps", "50"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["parameters"] == "calibrated"
    assert out["calibration"]["values"] == load_calibration().values


def test_validate_warns_when_the_calibration_is_stale(data_dir: Path, tmp_path: Path, capsys):
    import yaml

    from crisislab.validation.calibrate import calibration_path, model_fingerprint

    doc = yaml.safe_load(calibration_path().read_text(encoding="utf-8"))
    doc["model_fingerprint"] = "0" * 16
    old = tmp_path / "old.yaml"
    old.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert main(["validate", "--data", str(data_dir), "--format", "json", "--calibration", str(old),
                 "--crises", "1", "--runs", "5", "--reps", "20"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["calibration"]["stale"] is True
    assert "changed since this calibration" in captured.err
    assert model_fingerprint() != "0" * 16


def test_validate_both_writes_a_chart_and_both_reports(data_dir: Path, tmp_path: Path, capsys):
    chart = tmp_path / "facts.svg"
    assert main(["validate", "--data", str(data_dir), "--format", "json", "--both", "--plot", str(chart),
                 "--crises", "1", "--runs", "5", "--reps", "20"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"defaults", "calibrated"}
    assert out["defaults"]["parameters"] == "defaults" and out["calibrated"]["parameters"] == "calibrated"
    text = chart.read_text(encoding="utf-8")
    assert "<svg" in text and "simulated, defaults" in text and "simulated, calibrated" in text
    assert main(["validate", "--data", str(data_dir), "--plot", str(tmp_path / "facts.gif")]) == 2


def test_validate_bad_numbers_exit_2(data_dir: Path):
    assert main(["validate", "--data", str(data_dir), "--crises", "0"]) == 2
    assert main(["validate", "--data", str(data_dir), "--runs", "-3"]) == 2
    assert main(["validate", "--data", str(data_dir), "--jobs", "0"]) == 2
    assert main(["validate", "calibrate", "--data", str(data_dir), "--evals", "0"]) == 2
    assert main(["validate", "calibrate", "--data", str(data_dir), "--scan", "-1"]) == 2


def test_calibrate_command_writes_a_loadable_file(data_dir: Path, tmp_path: Path, capsys):
    from crisislab.validation.calibrate import CAL_PARAMS, load_calibration

    out = tmp_path / "cal.yaml"
    assert main(["validate", "calibrate", "--data", str(data_dir), "--seed", "2", "--crises", "1", "--runs", "10",
                 "--scan", "1", "--evals", "2", "--out", str(out), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["seed"] == 2 and doc["design"]["evaluations_used"] == 2
    assert set(load_calibration(out).values) == set(CAL_PARAMS)
    assert main(["validate", "calibrate", "--data", str(tmp_path / "absent"), "--out", str(out)]) == 2


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


def _deu_file(path: Path, n_props: int = 6, seed: int = 0) -> Path:
    """A small DEU-shaped file: four states and the Commission on two issues per proposal."""
    from crisislab.validation.deu3 import POSITION_COLUMNS, SALIENCE_COLUMNS

    rng = __import__("numpy").random.default_rng(seed)
    head = ["prnr", "isnr", "proc", "counvte", *POSITION_COLUMNS, *SALIENCE_COLUMNS, "rp", "out"]
    lines = ["\t".join(head)]
    present = {"pcom", "pde", "pfr", "pit", "pnl"}
    for p in range(n_props):
        for k in range(2):
            pos = {c: f"{rng.uniform(0, 100):.0f}" if c in present else "" for c in POSITION_COLUMNS}
            sal = {c: f"{rng.uniform(10, 90):.0f}" if "p" + c[1:] in present else "" for c in SALIENCE_COLUMNS}
            row = [f'"d{p:05d}"', f'"d{p:05d}i{k + 1}"', '"CNS"', '"QMV"', *pos.values(), *sal.values(), "",
                   f"{rng.uniform(0, 100):.0f}"]
            lines.append("\t".join(row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_backtest_json_names_every_model_with_its_mae(tmp_path: Path, capsys):
    f = _deu_file(tmp_path / "small.tsv")
    assert main(["backtest", "deu3", str(f), "--format", "json", "--reps", "50", "--folds", "3"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"compromise", "power_compromise", "power_nash", "procedural", "exchange", "stacked"} <= set(doc["models"])
    assert all(isinstance(v["mae"], float) for v in doc["models"].values())
    assert doc["models"]["stacked"]["evaluation"].startswith("cross-validated over whole proposals")
    assert doc["models"]["compromise"]["diff_vs_compromise"] == 0.0 and doc["proposals"] == 6


def test_backtest_fit_on_one_file_and_judge_on_another(tmp_path: Path, capsys):
    train, test = _deu_file(tmp_path / "train.tsv", 8, 1), _deu_file(tmp_path / "test.tsv", 5, 2)
    assert main(["backtest", "deu3", str(test), "--fit", str(train), "--format", "json", "--reps", "50"]) == 0
    a = json.loads(capsys.readouterr().out)
    assert main(["backtest", "deu3", str(train), "--evaluate", str(test), "--format", "json", "--reps", "50"]) == 0
    b = json.loads(capsys.readouterr().out)
    assert a["models"]["stacked"]["mae"] == b["models"]["stacked"]["mae"]
    assert a["models"]["stacked"]["evaluation"] == f"fitted on {train}"
    assert a["fitted_on"] == str(train) and a["proposals"] == 5


@pytest.mark.parametrize("option", ["--fit", "--evaluate"])
def test_backtest_bad_second_file_exits_2_naming_it(tmp_path: Path, capsys, option: str):
    good = _deu_file(tmp_path / "good.tsv")
    assert main(["backtest", "deu3", str(good), option, str(tmp_path / "absent.tsv")]) == 2
    assert "absent.tsv" in capsys.readouterr().err
    bad = tmp_path / "bad.tsv"
    bad.write_text(good.read_text(encoding="utf-8").replace("\t\"QMV\"\t", "\t\"sometimes\"\t", 1), encoding="utf-8")
    assert main(["backtest", "deu3", str(good), option, str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.tsv" in err and "counvte" in err and "line 2" in err and "Traceback" not in err


def test_backtest_fit_and_evaluate_together_exit_2(tmp_path: Path, capsys):
    good = _deu_file(tmp_path / "good.tsv")
    assert main(["backtest", "deu3", str(good), "--fit", str(good), "--evaluate", str(good)]) == 2
    assert "--fit" in capsys.readouterr().err
