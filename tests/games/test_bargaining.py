"""Crisis bargaining (Fearon 1995) and mediated bargaining (Kydd 2003)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisislab.games import bargaining, mediation, solve

# (parameters, optimal offer, P(war)) from x* = p - (c_high - c_A)/2 and P(war) = (p - x* - c_low)/(c_high - c_low)
TABLE = [
    ({}, 0.5 - (0.35 - 0.1) / 2, (0.5 - (0.5 - 0.125) - 0.05) / 0.3),
    ({"cost_coalition": 0.2}, 0.5 - 0.15 / 2, (0.5 - 0.425 - 0.05) / 0.3),
    ({"cost_coalition": 0.3}, 0.5 - 0.05, 0.0),  # corner: c_A >= c_high - 2 c_low -> buy everyone off
    ({"cost_low": 0.2, "cost_high": 0.2}, 0.3, 0.0),  # complete information: no war
]


@pytest.mark.parametrize(("kw", "offer", "p_war"), TABLE)
def test_closed_form_table(kw, offer, p_war):
    s = solve("bargaining", **kw).summary
    assert s["offer"] == pytest.approx(offer, abs=1e-12)
    assert s["p_war"] == pytest.approx(max(0.0, p_war), abs=1e-12)


def test_offer_maximises_expected_utility_on_a_grid():
    p = bargaining.Params(p_win=0.6, cost_coalition=0.05, cost_low=0.0, cost_high=0.4)
    s = bargaining.solve(p).summary
    xs = np.linspace(0, 1, 100_001)
    g = np.clip((p.cost_high - p.p_win + xs) / (p.cost_high - p.cost_low), 0, 1)
    u = (1 - xs) * g + (1 - p.p_win - p.cost_coalition) * (1 - g)
    assert s["coalition_value"] == pytest.approx(u.max(), abs=1e-8)
    assert s["offer"] == pytest.approx(xs[u.argmax()], abs=1e-4)


def test_many_types_converge_to_the_continuous_solution():
    cont = solve("bargaining").summary
    fine = solve("bargaining", types=200).summary
    assert fine["p_war"] == pytest.approx(cont["p_war"], abs=0.01)
    assert fine["offer"] == pytest.approx(cont["offer"], abs=0.005)


@settings(max_examples=50, deadline=None)
@given(c1=st.floats(0.0, 0.6), dc=st.floats(0.001, 0.3))
def test_war_less_likely_when_war_costs_the_coalition_more(c1, dc):
    a = solve("bargaining", cost_coalition=c1).summary["p_war"]
    b = solve("bargaining", cost_coalition=c1 + dc).summary["p_war"]
    assert b <= a + 1e-12


def test_more_uncertainty_more_war():
    m = bargaining.metrics(bargaining.Params(cost_low=0.05), "cost_high", np.linspace(0.05, 0.6, 56))
    assert m["p_war"][0] == 0.0 and np.all(np.diff(m["p_war"]) >= -1e-12) and m["p_war"][-1] > 0.3


# ----------------------------------------------------------------------------- mediation


def test_perfectly_informed_mediator_needs_bias_of_one_half():
    """Kydd (2003): an unbiased peace-seeking mediator is not credible; leaning to the advised side is."""
    s = solve("mediation", mediator_accuracy=1.0, peace_weight=0.0).summary
    assert s["bias_interval"] == pytest.approx([0.5, 1.0])
    assert solve("mediation", mediator_accuracy=1.0, peace_weight=0.0, mediator_bias=0.49).summary["credible"] is False
    assert solve("mediation", mediator_accuracy=1.0, peace_weight=0.0, mediator_bias=0.51).summary["credible"] is True


def test_credible_mediation_lowers_war_to_the_signal_error_rate():
    s = solve("mediation").summary
    assert s["credible"] is True
    assert s["p_war_without_mediator"] == pytest.approx(0.3)  # stingy on the prior: strong types fight
    assert s["p_war_with_mediator"] == pytest.approx(0.3 * (1 - 0.9))
    assert s["coalition_value_with_mediator"] > s["coalition_value_without_mediator"]


def test_pro_adversary_mediator_is_ignored():
    s = solve("mediation", mediator_bias=0.2).summary
    assert s["credible"] is False and s["p_war_with_mediator"] == s["p_war_without_mediator"]
    assert len(solve("mediation", mediator_bias=0.2).equilibria) == 1


def test_peace_weight_raises_the_bias_needed():
    lo = [solve("mediation", peace_weight=w).summary["bias_interval"][0] for w in (0.0, 0.05, 0.1)]
    assert lo[0] < lo[1] < lo[2]


@settings(max_examples=60, deadline=None)
@given(b=st.floats(0, 1), th=st.floats(0.5, 1.0), w=st.floats(0, 0.3), q=st.floats(0.05, 0.95))
def test_credibility_matches_a_direct_incentive_check(b, th, w, q):
    p = mediation.Params(mediator_bias=b, mediator_accuracy=th, peace_weight=w, prior_strong=q)
    s = mediation.solve(p).summary
    xg, xs = p.p_win - p.cost_strong, p.p_win - p.cost_weak
    war_c = 1 - p.p_win - p.cost_coalition

    def u_mediator(strong_prob, generous):
        if generous:
            return b * (1 - xg) + (1 - b) * xg
        return b * ((1 - strong_prob) * (1 - xs) + strong_prob * war_c) + (1 - b) * ((1 - strong_prob) * xs + strong_prob * (p.p_win - p.cost_strong)) - w * strong_prob

    def coalition_generous(s_):
        return 1 - xg >= (1 - s_) * (1 - xs) + s_ * war_c

    s_hi = q * th / (q * th + (1 - q) * (1 - th))
    s_lo = q * (1 - th) / (q * (1 - th) + (1 - q) * th)
    direct = coalition_generous(s_hi) and not coalition_generous(s_lo) and u_mediator(s_lo, False) >= u_mediator(s_lo, True) and u_mediator(s_hi, True) >= u_mediator(s_hi, False)
    assert s["credible"] is direct
    # advice the coalition acts on never lowers its expected value (it may raise the risk of
    # war: a coalition generous on the prior turns stingy after a 'weak' signal)
    assert s["coalition_value_with_mediator"] >= s["coalition_value_without_mediator"] - 1e-12
