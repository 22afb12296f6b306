"""The battery every doctrine inherits (Axelrod style), plus user doctrines."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crisislab import simulate
from crisislab.cli import main
from crisislab.doctrines import PRESETS, Doctrine, get_doctrine
from crisislab.errors import InputError
from crisislab.model.mechanisms.registry import SOURCES, by_name
from crisislab.model.state import Actions, Observation

LEVERS = {f.name for f in fields(Actions)}


class DoctrineBattery:
    """Generic checks; subclasses set ``name``."""

    name: str

    def test_metadata(self):
        d = get_doctrine(self.name)
        assert d.name == self.name
        assert d.source in SOURCES.values(), "source must be one of the four texts, by file name"
        assert d.summary and len(d.summary) > 20
        assert d.levers and set(d.levers) <= LEVERS
        for m in d.mechanisms:
            by_name(m)  # raises KeyError for an unknown mechanism

    def test_levers_declared_are_levers_set(self):
        d = get_doctrine(self.name)
        res = simulate("toy-3", d, runs=5, seed=0)  # reset + act
        assert len(res) == 5
        default = Actions()
        from crisislab.model.engine import initial_state, observe
        from crisislab.model.params import compile_scenario
        from crisislab.model.rng import Streams
        from crisislab.scenario import load_scenario

        p = compile_scenario(load_scenario("toy-3"))
        d.reset(p, 4)
        acts = d.act(observe(initial_state(p, Streams(0, np.arange(4))), p))
        changed = {f.name for f in fields(Actions) if not np.array_equal(np.asarray(getattr(acts, f.name), dtype=object), np.asarray(getattr(default, f.name), dtype=object))}
        assert changed <= set(d.levers), f"sets levers it does not declare: {changed - set(d.levers)}"

    def test_never_sees_the_true_type(self):
        assert "adversary_type" not in {f.name for f in fields(Observation)}

    def test_deterministic_given_seed(self):
        a = simulate("toy-3", self.name, runs=200, seed=9)
        b = simulate("toy-3", self.name, runs=200, seed=9)
        pd.testing.assert_frame_equal(a, b)

    def test_outcomes_within_bounds(self):
        df = simulate("eu-russia", self.name, runs=300, seed=1)
        for col in ("p_war", "p_nuclear_use", "p_settlement", "final_cohesion", "final_frontline_trust", "adversary_legitimacy"):
            assert df[col].between(0, 1).all(), col
        assert df["peak_escalation"].between(0, 7).all()
        assert (df["humanitarian_cost"] >= 0).all() and (df["coalition_cost"] >= 0).all()
        settled = df["p_settlement"] == 1
        assert df.loc[settled, "weeks_to_settlement"].between(1, 52).all()
        assert df.loc[~settled, "weeks_to_settlement"].isna().all()
        assert (df["p_nuclear_use"] <= df["p_war"]).all()

    def test_type_changes_outcomes(self):
        """Doctrines must meet different adversaries differently: outcomes by type differ."""
        df = simulate("toy-3", self.name, runs=1500, seed=4)
        by_type = df.groupby("adversary_type")["peak_escalation"].mean()
        assert by_type["revisionist"] > by_type["sincere_defensive"]


for _name in PRESETS:
    globals()[f"TestDoctrine_{_name}"] = type(f"TestDoctrine_{_name}", (DoctrineBattery,), {"name": _name})


RULES = """
name: cautious-talker
summary: talk while below war once a change is sustained, surge aid at war
defaults: {hotline: true, aid: 0.5}
rules:
  - when: "rung < 4 and verified_weeks >= 2"
    set: {talks: true, high_level: true}
  - when: "rung >= 4 or belief_revisionist > 0.7"
    set: {aid: 1.0}
"""


def test_yaml_rule_doctrine_runs_and_uses_its_rules(tmp_path):
    path = tmp_path / "cautious.yaml"
    path.write_text(RULES)
    d = get_doctrine(str(path))
    assert d.name == "cautious-talker" and set(d.levers) == {"aid", "hotline", "talks", "high_level"}
    df = simulate("toy-3", d, runs=500, seed=2)
    iso = simulate("toy-3", "isolation", runs=500, seed=2)
    assert df["talks_weeks_total"].sum() > 0  # its talk rule fired
    assert iso["talks_weeks_total"].sum() == 0


@pytest.mark.parametrize(
    "text,needle",
    [
        ("name: x\nrules:\n  - when: 'rung >'\n    set: {talks: true}\n", "not a valid expression"),
        ("name: x\nrules:\n  - when: '__import__(1)'\n    set: {talks: true}\n", "Call"),
        ("name: x\nrules:\n  - when: 'rung > 1'\n    set: {teleport: true}\n", "unknown lever"),
        ("name: x\nrules: 5\n", "rules"),
    ],
)
def test_bad_rule_doctrines_exit_2(tmp_path, capsys, text, needle):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        get_doctrine(str(path))
    assert needle in str(info.value)
    assert main(["run", "toy-3", "--doctrine", str(path), "--runs", "3"]) == 2


def test_python_doctrine_from_file(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(
        "import numpy as np\n"
        "from crisislab.doctrines import Doctrine\n"
        "from crisislab.model.state import Actions\n"
        "class Surge(Doctrine):\n"
        "    name = 'surge'\n"
        "    levers = ('aid',)\n"
        "    def act(self, obs):\n"
        "        return Actions(aid=np.where(obs.rung >= 3, 1.0, 0.0))\n"
    )
    d = get_doctrine(f"{path}:Surge")
    assert isinstance(d, Doctrine) and d.name == "surge"
    assert len(simulate("toy-3", d, runs=10, seed=0)) == 10
    with pytest.raises(InputError):
        get_doctrine(f"{path}:Missing")
    with pytest.raises(InputError):
        get_doctrine(str(Path(tmp_path) / "nope.py") + ":X")


def test_unknown_doctrine_parameter():
    with pytest.raises(InputError, match="ratchet"):
        get_doctrine("isolation", ratchet=3)
