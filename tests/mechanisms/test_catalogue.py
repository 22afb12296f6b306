"""The mechanism catalogue and its tests agree.

* every mechanism in :data:`MECHANISMS` has its directional test, named as its
  ``MechanismInfo.test`` says, in the file of its family (and no test names a mechanism
  that does not exist);
* every mechanism can be switched off in a scenario file (``enabled: false``), and
  switching it off changes some outcome for some doctrine.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.mechanisms.conftest import arm, levers

import crisislab.scenario
from crisislab.model.mechanisms.registry import MECHANISMS
from crisislab.model.params import compile_scenario
from crisislab.scenario import Scenario, load_scenario

HERE = Path(__file__).resolve().parent
TOY = Path(crisislab.scenario.__file__).resolve().parent / "data" / "toy-3.yaml"


@cache
def _test_functions(filename: str) -> frozenset[str]:
    tree = ast.parse((HERE / filename).read_text(encoding="utf-8"))
    return frozenset(n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_"))


@pytest.mark.parametrize("mid", sorted(MECHANISMS))
def test_every_mechanism_has_its_test(mid: str):
    info = MECHANISMS[mid]
    path, _, func = info.test.partition("::")
    assert path == f"tests/mechanisms/test_{info.family}.py"
    assert func == f"test_{info.id.lower()}_{info.name}"
    assert (HERE / Path(path).name).is_file(), f"{mid}: {path} is missing"
    assert func in _test_functions(Path(path).name), f"{mid}: {func} is missing from {path}"


def test_no_test_names_an_unknown_mechanism():
    known = {f"test_{m.id.lower()}_{m.name}": m.family for m in MECHANISMS.values()}
    for family in {m.family for m in MECHANISMS.values()}:
        for name in _test_functions(f"test_{family}.py"):
            if re.match(r"test_m\d\d_", name):
                assert known.get(name) == family, f"test_{family}.py::{name} matches no mechanism of that family"


# --- switching off ----------------------------------------------------------------------


def _switched_off(name: str, tmp_path: Path) -> Scenario:
    """toy-3 written out as a scenario file with ``<name>: {enabled: false}``."""
    text = TOY.read_text(encoding="utf-8")
    assert "\nmechanisms: {}" in text
    text = text.replace("\nmechanisms: {}", f"\nmechanisms:\n  {name}:\n    enabled: false")
    path = tmp_path / f"toy-3-without-{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)


# Candidate (label, doctrine, scenario overrides) on which a mechanism may show: the six
# presets, plus two lever sets for mechanisms no preset reaches (a demobilisation
# precondition, M15; a mandate widened by QMV so that red lines could be traded, M31).
CANDIDATES = {
    "isolation": ("isolation", {}),
    "unilateral_outreach": ("unilateral_outreach", {}),
    "conditionality": ("conditionality", {}),
    "open_channels": ("open_channels", {}),
    "test_by_offer": ("test_by_offer", {}),
    "mediated_offramp": ("mediated_offramp", {}),
    "preconditioned_talks": (levers(talks=True, precondition=0.3), {}),
    "wide_mandate_talks": (
        levers(talks=True, widen_mandate=True, link_agenda=True, mediator=True),
        {"coalition.decision_rule": "qmv"},
    ),
}
RUNS, SEED = 300, 5
# where to look first (any candidate counts; this only saves time)
FIRST = {
    "leverage_dilution": "unilateral_outreach",
    "domestic_exploitation": "open_channels",
    "zero_sum_misreading": "open_channels",
    "frontline_trust": "unilateral_outreach",
    "validation_trap": "open_channels",
    "conditionality_framework": "conditionality",
    "inflexible_preconditions": "preconditioned_talks",
    "dialogue_consistency": "unilateral_outreach",
    "agenda_linkage": "conditionality",
    "forswear_destabilizing": "open_channels",
    "preplanned_responses": "test_by_offer",
    "accession_unanimity": "test_by_offer",
    "mediation": "mediated_offramp",
    "off_ramp": "mediated_offramp",
    "brinkmanship": "mediated_offramp",
    "non_negotiable_concessions": "wide_mandate_talks",
}


def _numeric(df: pd.DataFrame) -> np.ndarray:
    return df.drop(columns=["run"]).select_dtypes(include=["number", "bool"]).to_numpy(dtype=float)


@cache
def _baseline(label: str) -> pd.DataFrame:
    doctrine, overrides = CANDIDATES[label]
    return arm("toy-3", doctrine, runs=RUNS, seed=SEED, overrides=overrides or None)


@pytest.mark.parametrize("mid", sorted(MECHANISMS))
def test_every_mechanism_switches_off_and_matters(mid: str, tmp_path: Path):
    name = MECHANISMS[mid].name
    sc = _switched_off(name, tmp_path)
    p = compile_scenario(sc)
    assert p.on[name] is False and p.s(name) == 0.0
    assert all(p.on[m.name] for m in MECHANISMS.values() if m.name != name)
    first = FIRST.get(name, "isolation")
    for label in [first, *(c for c in CANDIDATES if c != first)]:
        doctrine, overrides = CANDIDATES[label]
        without = arm(sc, doctrine, runs=RUNS, seed=SEED, overrides=overrides or None)
        if not np.array_equal(_numeric(_baseline(label)), _numeric(without), equal_nan=True):
            return
    pytest.fail(f"{mid} {name}: switching it off changed no outcome under any of {', '.join(CANDIDATES)}")
