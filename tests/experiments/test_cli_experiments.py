"""The experiment commands end to end through ``crisislab.cli.main`` (stand-in model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from crisislab.cli import main

from .toy_experiment import toy


def _file(tmp_path: Path, **changes) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(toy(**changes)), encoding="utf-8")
    return path


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    code = main(argv)
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def test_sweep_json_and_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f, res = _file(tmp_path), str(tmp_path / "res")
    first = _json(capsys, ["sweep", str(f), "-r", res, "-f", "json"])
    assert first["points"] == 24 and first["chunks"] == 8 and first["chunks_computed"] == 8
    assert set(first["outcomes"]) == {"test_by_offer", "isolation"}
    assert first["outcomes"]["isolation"]["coalition_cost"]["mean"] == pytest.approx(0.03, abs=0.005)
    again = _json(capsys, ["sweep", str(f), "-r", res, "-f", "json"])
    assert again["chunks_computed"] == 0 and again["outcomes"] == first["outcomes"]


def test_sensitivity_ranks_the_only_driver_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # in the stand-in, coalition_cost depends on the credibility_decay strength alone
    f = _file(tmp_path, sampler={"method": "sobol", "n": 32, "second_order": False}, chunk_points=20,
              levers={"doctrines": ["isolation"]})
    res = str(tmp_path / "res")
    data = _json(capsys, ["sensitivity", str(f), "-r", res, "-f", "json", "--resamples", "100"])
    rows = data["indices"]["isolation"]["coalition_cost"]
    assert rows[0]["uncertainty"] == "strength:credibility_decay"
    assert rows[0]["ST"] == pytest.approx(1.0, abs=0.05) and rows[0]["S1_low"] <= rows[0]["S1"] <= rows[0]["S1_high"]
    assert all(abs(r["ST"]) < 0.05 for r in rows[1:])
    stored = Path(res) / data["experiment"]
    assert (stored / "manifest.json").exists() and (stored / "analysis" / "sensitivity.json").exists()
    assert main(["sensitivity", str(f), "-r", res]) == 0
    table = capsys.readouterr().out
    assert "coalition_cost under isolation" in table and "ST CI" in table


def test_sensitivity_needs_a_sensitivity_sampler(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sensitivity", str(_file(tmp_path)), "-r", str(tmp_path / "res")]) == 2
    assert "sampler.method" in capsys.readouterr().err


def test_discover_prints_the_box_in_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _file(tmp_path, sampler={"method": "lhs", "n": 250}, runs=20, chunk_points=50,
              levers={"doctrines": ["test_by_offer"]}, uncertainties=[{"name": "prior_sincere", "range": [0.0, 0.6]}, {"name": "paranoia", "range": [0.2, 0.9]}])
    code = main(["discover", str(f), "-r", str(tmp_path / "res"), "--fails-when", "p_war > 0.3", "-d", "test_by_offer"])
    out = capsys.readouterr().out
    assert code == 0, out
    line = next(s for s in out.splitlines() if s.startswith("`test_by_offer` has p_war > 0.3 when"))
    assert "prior_sincere < 0.2" in line and "paranoia > 0.6" in line and "coverage" in line and "density" in line


def test_discover_without_condition_is_an_input_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["discover", str(_file(tmp_path)), "-r", str(tmp_path / "res")]) == 2
    assert "fails_when" in capsys.readouterr().err


def test_robust_and_results_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f, res = _file(tmp_path), str(tmp_path / "res")
    data = _json(capsys, ["robust", str(f), "-r", res, "-f", "json", "-o", "p_war", "-s", "p_war <= 0.3"])
    assert {r["policy"] for r in data["regret"]["p_war"]} == {"test_by_offer", "isolation"}
    assert data["sentences"][0].startswith("By minimax regret on p_war")
    listing = _json(capsys, ["results", "list", "-r", res, "-f", "json"])
    assert [e["experiment_id"] for e in listing] == [data["experiment"]]
    shown = _json(capsys, ["results", "show", data["experiment"], "-r", res, "-f", "json"])
    assert shown["manifest"]["experiment_id"] == data["experiment"] and shown["chunks_done"] == 8
    rows = _json(capsys, ["results", "query", "SELECT count(*) AS n FROM outcomes", "-r", res, "-f", "json"])
    assert rows == [{"n": 480}]
    assert main(["results", "query", "SELECT * FROM nowhere", "-r", res]) == 2
    assert main(["results", "show", "no-such-id", "-r", res]) == 2


def test_bad_experiment_file_exits_2_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("name: x\nlevers: {doctrines: [appeasement]}\n", encoding="utf-8")
    assert main(["sweep", str(f), "-r", str(tmp_path / "res")]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "appeasement" in err and "Traceback" not in err


def test_morris_screening_through_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _file(tmp_path, sampler={"method": "morris", "n": 10, "levels": 4}, chunk_points=10,
              levers={"doctrines": ["isolation"]})
    data = _json(capsys, ["sensitivity", str(f), "-r", str(tmp_path / "res"), "-f", "json", "--resamples", "50"])
    assert data["method"] == "morris" and data["points"] == 40
    rows = data["indices"]["isolation"]["coalition_cost"]
    # coalition_cost = 0.01 + 0.02 * strength over [0.5, 1.5]: one unit of quantile moves it by 0.02
    assert rows[0]["uncertainty"] == "strength:credibility_decay"
    assert rows[0]["mu_star"] == pytest.approx(0.02, rel=1e-6) and rows[0]["sigma"] == pytest.approx(0, abs=1e-9)
    assert all(r["mu_star"] == pytest.approx(0, abs=1e-12) for r in rows[1:])
