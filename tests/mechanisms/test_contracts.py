"""Contract tests over every registered mechanism: what it declares it writes is what it
changes. The traces name the mechanism behind every state change, so the declared writes of
each registry row can be checked against what the engine actually does."""

from __future__ import annotations

from collections import defaultdict
from functools import cache

import pytest

from crisislab import trace
from crisislab.doctrines import PRESETS
from crisislab.model.mechanisms.registry import MECHANISMS
from crisislab.model.state import State

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
