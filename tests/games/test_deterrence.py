"""Deterrence with credibility decay: exact values, thresholds and comparative statics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisislab.games import deterrence, solve
from crisislab.games.deterrence import Params

# (parameters, expected cost, deterred?, permanence threshold, contacts threshold)
TABLE = [
    ({}, 0.2 + 0.15 / (1 - 0.95 * 0.95), True, (1 - 0.15 / 0.8) / 0.95, 2),
    ({"contacts": 3}, 0.2 + 0.15 / (1 - 0.95 * 0.95 * 0.95**3), False, (1 - 0.15 / 0.8) / 0.95, 2),
    ({"gain": 0.1}, 0.2 + 0.15 / (1 - 0.95 * 0.95), True, 0.0, None),  # gain below military cost
    ({"damage": 0.01}, 0.2 + 0.01 / (1 - 0.95 * 0.95), False, (1 - 0.01 / 0.8) / 0.95, -1),  # pi* > 1
    ({"decay": 0.0}, 0.2 + 0.15 / (1 - 0.95 * 0.95), True, (1 - 0.15 / 0.8) / 0.95, None),  # no decay: never broken
]


@pytest.mark.parametrize(("kw", "cost", "deterred", "pi_star", "n_star"), TABLE)
def test_known_values(kw, cost, deterred, pi_star, n_star):
    s = solve("deterrence", **kw).summary
    assert s["expected_cost"] == pytest.approx(cost, rel=1e-12)
    assert s["deterred"] is deterred
    assert s["permanence_threshold"] == pytest.approx(pi_star, rel=1e-12)
    assert s["contacts_threshold"] == n_star


def test_threshold_is_where_the_margin_vanishes():
    p = Params(permanence=0.5)
    s = solve("deterrence", permanence=0.5).summary
    at = solve("deterrence", permanence=s["permanence_threshold"]).summary
    assert p.gain - at["expected_cost"] == pytest.approx(0.0, abs=1e-12)
    assert solve("deterrence", damage=s["damage_threshold"], permanence=0.5).summary["expected_cost"] == pytest.approx(p.gain, abs=1e-12)


def test_logit_choice_matches_formula():
    s = solve("deterrence", contacts=4, rationality=3.0).summary
    margin = 1.0 - s["expected_cost"]
    assert s["p_aggress"] == pytest.approx(1 / (1 + math.exp(-3.0 * margin)), rel=1e-12)


def test_talk_game_spe_picks_most_contacts_that_keep_deterrence():
    eq = solve("deterrence").equilibria[0]
    assert eq["strategies"]["coalition"]["contacts"] == 2
    assert eq["strategies"]["adversary"]["aggress_after_contacts"] == [3, 4, 5]
    assert eq["outcome"] == "deterred"
    # a large talk benefit makes talking worth the aggression it provokes
    eq = solve("deterrence", talk_benefit=0.5).equilibria[0]
    assert eq["strategies"]["coalition"]["contacts"] == 5 and eq["outcome"] == "aggression"


@settings(max_examples=60, deadline=None)
@given(
    pi=st.floats(0.0, 0.98),
    dpi=st.floats(0.001, 0.02),
    damage=st.floats(0.01, 0.5),
    ddamage=st.floats(0.001, 0.1),
    n=st.integers(0, 10),
)
def test_comparative_statics_directions(pi, dpi, damage, ddamage, n):
    """P(aggress) falls in permanence and damage and rises with premature contacts (M05, M06)."""
    base = solve("deterrence", permanence=pi, damage=damage, contacts=n).summary
    assert solve("deterrence", permanence=pi + dpi, damage=damage, contacts=n).summary["p_aggress"] <= base["p_aggress"]
    assert solve("deterrence", permanence=pi, damage=damage + ddamage, contacts=n).summary["p_aggress"] <= base["p_aggress"]
    assert solve("deterrence", permanence=pi, damage=damage, contacts=n + 1).summary["p_aggress"] >= base["p_aggress"]
    cs = base["comparative_statics"]
    assert cs["dp_dpermanence"] <= 0 and cs["dp_ddamage"] <= 0 and cs["dp_dcontact"] >= 0


def test_analytic_derivative_matches_finite_difference():
    h = 1e-6
    a = solve("deterrence", permanence=0.8).summary
    b = solve("deterrence", permanence=0.8 + h).summary
    assert (b["p_aggress"] - a["p_aggress"]) / h == pytest.approx(a["comparative_statics"]["dp_dpermanence"], rel=1e-4)


def test_sweep_equals_pointwise_solutions():
    values = np.linspace(0.5, 1.0, 11)
    m = deterrence.metrics(Params(), "permanence", values)
    for v, pa in zip(values, m["p_aggress"], strict=True):
        assert pa == pytest.approx(solve("deterrence", permanence=float(v)).summary["p_aggress"], rel=1e-12)
    assert np.all(np.diff(m["p_aggress"]) < 0)
