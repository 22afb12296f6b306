"""``crisislab solve`` on the command line: output, errors, sweeps and plots."""

from __future__ import annotations

import json

import pytest

from crisislab.cli import main


def test_list_shows_every_game(capsys):
    assert main(["solve", "--list", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    names = {g["game"] for g in data}
    assert {"deterrence", "screening", "bargaining", "mediation", "brinkmanship", "power", "mandate"} <= names
    screening = next(g for g in data if g["game"] == "screening")
    assert any(p["parameter"] == "prior_sincere" and p["accepts"] == "a number in (0.0, 1.0)" for p in screening["params"])


def test_screening_prints_equilibria_with_beliefs(capsys):
    assert main(["solve", "screening", "--param", "prior_sincere=0.4", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (eq,) = data["equilibria"]
    assert eq["kind"] == "separating"
    assert eq["beliefs"] == {"after_accept": 1.0, "after_reject": 0.0}
    assert data["summary"]["value_of_offer_best"] == pytest.approx(0.44)


def test_table_output_names_beliefs(capsys):
    assert main(["solve", "screening", "-p", "prior_sincere=0.6"]) == 0
    out = capsys.readouterr().out
    assert "beliefs.after_reject" in out and "semi-separating" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["solve", "screening", "--param", "prior_sincere=1.5"], "--param prior_sincere: found '1.5'; expected a number in (0.0, 1.0)"),
        (["solve", "screening", "--param", "nonsense=1"], "unknown parameter 'nonsense'"),
        (["solve", "screening", "--param", "prior_sincere"], "key=value"),
        (["solve", "bargaining", "--param", "cost_low=0.5", "--param", "cost_high=0.1"], "cost_high (0.1) must be >= cost_low (0.5)"),
        (["solve", "nosuchgame"], "one of: bargaining"),
        (["solve", "deterrence", "--sweep", "permanence=0:2:5"], "--sweep permanence: found 2.0"),
        (["solve", "deterrence", "--sweep", "contacts=0:5:6"], "integers and names cannot be swept"),
        (["solve", "power", "--sweep", "rule=0:1:2"], "cannot sweep"),
        (["solve", "deterrence", "--plot", "x.html"], "--sweep key=lo:hi:n as well"),
    ],
)
def test_bad_input_exits_2_with_a_message(args, needle, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert needle in " ".join(err.split())
    assert "Traceback" not in err


def test_sweep_json_and_plot(tmp_path, capsys):
    out = tmp_path / "statics.html"
    code = main(["solve", "screening", "--sweep", "prior_sincere=0.05:0.95:19", "--plot", str(out), "--format", "json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["sweep"]["values"]) == 19 and len(data["metrics"]["value_of_offer_best"]) == 19
    html = out.read_text()
    assert "plotly" in html.lower() and "value_of_offer_best" in html


def test_sweep_table_shows_a_sample(capsys):
    assert main(["solve", "deterrence", "--sweep", "damage=0:0.5:10000"]) == 0
    out = capsys.readouterr().out
    assert "showing 21 of 10000 points" in " ".join(out.split())


def test_csv_output(capsys):
    assert main(["solve", "bargaining", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("name,kind") and len(lines) == 2


def test_power_table(capsys):
    assert main(["solve", "power", "--param", "rule=qmv", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["equilibria"][0]["member"] == "Germany"
    assert len(data["equilibria"]) == 27
