"""Brinkmanship: sequential equilibrium of the alternating escalation game."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisislab.games import brinkmanship, solve
from crisislab.games.brinkmanship import Params


def test_default_path_has_mixing_and_rising_critical_beliefs():
    eq = solve("brinkmanship").equilibria[0]
    path = eq["path"]
    coal = [r for r in path if r["mover"] == "coalition"]
    # beliefs in the coalition's stages sit at its critical beliefs, which rise up the ladder
    assert [r["belief_resolute"] for r in coal] == pytest.approx([r["critical_belief"] for r in coal])
    assert coal[0]["critical_belief"] < coal[1]["critical_belief"]
    # closed form: m_4 = x_4 * 1, m_2 = x_2 * m_4 with x_j = ((1-r_j) v - r_j c) / ((1-r_j)(v + r_{j+1} c))
    v, c = 1.5, 2.0
    x4 = ((1 - 0.2) * v - 0.2 * c) / ((1 - 0.2) * (v + 1.0 * c))
    x2 = ((1 - 0.1) * v - 0.1 * c) / ((1 - 0.1) * (v + 0.15 * c))
    assert coal[1]["critical_belief"] == pytest.approx(x4)
    assert coal[0]["critical_belief"] == pytest.approx(x2 * x4)
    # the irresolute type is indifferent when it mixes: its payoff is 0
    assert eq["payoffs"]["irresolute"] == pytest.approx(0.0, abs=1e-12)
    # the last rung is never climbed by the irresolute type
    assert path[-1]["escalate"]["irresolute"] == 0.0


@settings(max_examples=60, deadline=None)
@given(
    rungs=st.integers(2, 9),
    step=st.floats(0.01, 0.5),
    prior=st.floats(0.02, 0.98),
    v=st.floats(0.2, 3.0),
    c=st.floats(0.2, 5.0),
)
def test_outcomes_are_a_probability_distribution(rungs, step, prior, v, c):
    s = solve("brinkmanship", rungs=rungs, risk_step=step, prior_resolute=prior, stake_coalition=v, cost_coalition=c).summary
    total = s["p_catastrophe"] + s["p_adversary_backs_down"] + s["p_coalition_backs_down"]
    assert total == pytest.approx(1.0, abs=1e-9)
    assert min(s["p_catastrophe"], s["p_adversary_backs_down"], s["p_coalition_backs_down"]) >= -1e-12


def test_more_likely_resolve_makes_the_coalition_back_down_more():
    m = brinkmanship.metrics(Params(), "prior_resolute", np.linspace(0.01, 0.6, 60))
    assert np.all(np.diff(m["p_coalition_backs_down"]) >= -1e-12)
    assert np.all(np.diff(m["p_adversary_backs_down"]) <= 1e-12)


def test_riskier_rungs_end_crises_sooner():
    lo = solve("brinkmanship", risk_step=0.02).summary
    hi = solve("brinkmanship", risk_step=0.15).summary
    assert hi["expected_end_stage"] < lo["expected_end_stage"]


def test_when_risk_outweighs_the_stake_the_coalition_yields_at_once():
    s = solve("brinkmanship", stake_coalition=0.1, cost_coalition=5.0).summary
    assert s["p_coalition_backs_down"] == pytest.approx(1 - 0.05)  # only the first rung's risk is run
    assert s["p_catastrophe"] == pytest.approx(0.05)


def test_sweep_equals_pointwise():
    vals = np.linspace(0.02, 0.3, 8)
    m = brinkmanship.metrics(Params(), "risk_step", vals)
    for v, pc in zip(vals, m["p_catastrophe"], strict=True):
        assert pc == pytest.approx(solve("brinkmanship", risk_step=float(v)).summary["p_catastrophe"], abs=1e-12)
