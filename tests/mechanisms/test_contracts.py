"""Contract tests over every registered mechanism: what it declares it writes is what it
changes, and switching it off is strength 0 unless its registry entry says what more it removes. The traces name the mechanism behind every state change, so the declared writes of
each registry row can be checked against what the engine actually does."""

from __future__ import annotations

from collections import defaultdict
from functools import cache

import numpy as np
import pytest

from crisislab import simulate, trace
from crisislab.doctrines import PRESETS
from crisislab.model.mechanisms.registry import MECHANISMS, OFF_RULES
from crisislab.model.state import State
from crisislab.scenario import load_scenario

RUNS_PER_DOCTRINE = 3


@cache
def _changed() -> dict[str, set[str]]:
    """(mechanism id -> state variables it changed) over every doctrine on both shipped
    scenarios, a few runs each."""
    seen: dict[str, set[str]] = defaultdict(set)
    for scenario in ("toy-3", "eu-russia"):
        for doctrine in PRESETS:
            for run in range(RUNS_PER_DOCTRINE):
                t = trace(scenario, doctrine, run=run, seed=1)
                for mid, variable in t[["mechanism", "variable"]].drop_duplicates().itertuples(index=False):
                    seen[mid].add(variable)
    return seen


@pytest.mark.parametrize("mid", sorted(MECHANISMS))
def test_declared_writes_are_state(mid: str):
    fields = set(State.field_names())
    unknown = [w for w in MECHANISMS[mid].writes if w not in fields]
    assert not unknown, f"{mid} declares writes that are not state variables: {unknown}"


@pytest.mark.parametrize("mid", sorted(MECHANISMS))
def test_a_mechanism_changes_only_what_it_declares(mid: str):
    undeclared = _changed().get(mid, set()) - set(MECHANISMS[mid].writes)
    assert not undeclared, f"{mid} {MECHANISMS[mid].name} changed {sorted(undeclared)}, not among its declared writes"


def test_the_traces_see_most_mechanisms_act():
    # the check above is only as good as the runs it sees: most mechanisms must act in them
    acting = {m for m in _changed() if m in MECHANISMS}
    assert len(acting) >= 0.75 * len(MECHANISMS), sorted(set(MECHANISMS) - acting)


def _numeric(df) -> np.ndarray:
    return df.drop(columns=["run"]).select_dtypes(include=["number", "bool"]).to_numpy(dtype=float)


SWITCH_DOCTRINES = ("isolation", "conditionality", "unilateral_outreach", "mediated_offramp", "test_by_offer", "open_channels")


def _off_and_zero(name: str, doctrine: str) -> tuple[np.ndarray, np.ndarray]:
    sc = load_scenario("toy-3")
    off = sc.with_overrides({f"mechanisms.{name}.enabled": False})
    zero = sc.with_overrides({f"mechanisms.{name}.strength": 0.0})
    return _numeric(simulate(off, doctrine, runs=200, seed=2)), _numeric(simulate(zero, doctrine, runs=200, seed=2))


@pytest.mark.parametrize("mid", sorted(m for m in MECHANISMS if m not in OFF_RULES))
def test_strength_zero_is_off(mid: str):
    name = MECHANISMS[mid].name
    for doctrine in SWITCH_DOCTRINES:
        a, b = _off_and_zero(name, doctrine)
        assert np.array_equal(a, b, equal_nan=True), f"{mid} {name}: strength 0 and off differ under {doctrine}; declare it in OFF_RULES"


@pytest.mark.parametrize("mid", sorted(OFF_RULES))
def test_off_removes_a_rule_that_strength_zero_keeps(mid: str):
    name = MECHANISMS[mid].name
    assert any(not np.array_equal(*_off_and_zero(name, d), equal_nan=True) for d in SWITCH_DOCTRINES), (
        f"{mid} {name}: strength 0 and off give the same runs; remove it from OFF_RULES")
