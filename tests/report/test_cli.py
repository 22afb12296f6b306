"""`crisislab report`: exit codes, what it writes, PNG/SVG export."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest

from crisislab.cli import main
from crisislab.errors import InputError
from crisislab.report.export import ExportUnavailable, available, export_figures, parse_formats

from .conftest import SEED


def test_report_command_writes_html_and_lists_sections(compare_parquet, tmp_path, capsys):
    out = tmp_path / "r.html"
    code = main(["report", str(compare_parquet), "-o", str(out), "--scenario", "toy-3", "--seed", str(SEED),
                 "--trajectory-runs", "20", "--attribution-runs", "0", "--format", "json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["output"] == str(out)
    by_id = {s["section"]: s for s in data["sections"]}
    assert by_id["escalation"]["figures"].startswith("escalation-fan")
    assert "switched off" in by_id["attribution"]["note"]
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "Paired differences against isolation" in text


def test_report_command_bad_inputs_exit_2(compare_parquet, tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing.parquet"), "-o", str(tmp_path / "a.html")]) == 2
    assert main(["report", str(compare_parquet), "-o", str(tmp_path / "a.txt"), "--scenario", "toy-3", "--seed", str(SEED)]) == 2
    assert main(["report", str(compare_parquet), "-o", str(tmp_path / "a.html"), "--scenario", "toy-3", "--seed", "99"]) == 2
    err = capsys.readouterr().err
    assert "does not match the scenario and seed" in err and "Traceback" not in err
    assert main(["report", str(compare_parquet), "-o", str(tmp_path / "a.html"), "--scenario", "toy-3", "--seed", str(SEED),
                 "--metrics", "p_war,nonsense"]) == 2
    assert not (tmp_path / "a.html").exists()


def test_report_of_an_experiment_folder(experiment_dir, tmp_path, capsys):
    out = tmp_path / "e.html"
    assert main(["report", str(experiment_dir), "-o", str(out), "--format", "csv"]) == 0
    csv = capsys.readouterr().out
    assert "sensitivity,Sensitivity analysis,sensitivity" in csv
    assert "discovery,Scenario discovery (PRIM),prim" in csv


def test_figure_formats_are_validated():
    assert parse_formats("png, SVG") == ["png", "svg"]
    with pytest.raises(InputError):
        parse_formats("gif")


def test_static_export_writes_real_png_and_svg(tmp_path):
    ok, why = available()
    if not ok:
        with pytest.raises(ExportUnavailable, match="unavailable"):
            export_figures([("f", go.Figure())], tmp_path)
        pytest.skip(f"static export unavailable here: {why}")
    fig = go.Figure(go.Scatter(x=[0, 1, 2], y=[2, 0, 1]), layout={"height": 300})
    paths = export_figures([("tiny", fig)], tmp_path, ["png", "svg"], width=400)
    assert [p.name for p in paths] == ["tiny.png", "tiny.svg"]
    assert (tmp_path / "tiny.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "tiny.svg").read_bytes()[:200]


def test_report_draws_the_decisions_of_a_policy_ledger(compare_parquet, tmp_path, capsys):
    ledger = tmp_path / "decisions.sqlite"
    assert main(["policy", "replay", "conditionality", "example", "--ledger", str(ledger), "--format", "json"]) == 0
    replayed = json.loads(capsys.readouterr().out)
    n = replayed["counts"]["decisions"]
    assert n > 0
    out = tmp_path / "p.html"
    assert main(["report", str(compare_parquet), "-o", str(out), "--scenario", "toy-3", "--seed", str(SEED), "--no-resimulate",
                 "--ledger", str(ledger), "--format", "json"]) == 0
    sections = {s["section"]: s for s in json.loads(capsys.readouterr().out)["sections"]}
    assert sections["policy"]["figures"] == "policy-timeline"
    html = out.read_text(encoding="utf-8")
    assert html.count("<td>talks_denied</td>") == replayed["counts"]["by_kind"].get("talks_denied", 0)
    assert main(["report", str(compare_parquet), "-o", str(out), "--no-resimulate", "--ledger", str(tmp_path / "none.sqlite")]) == 2
