"""Screening by a conditional offer: perfect Bayesian equilibria, beliefs, value of the offer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from crisislab.games import screening, solve
from crisislab.games.screening import Params

# Gambit-style table: parameters -> the equilibria (kind, P(accept | sincere), P(accept | aggressive),
# P(respond | reject), posterior after reject), computed by hand from the payoffs.
DEFAULTS = Params()
TABLE = [
    ({"prior_sincere": 0.4}, {("separating", 1.0, 0.0, 1.0, 0.0)}),
    (
        {"prior_sincere": 0.6},
        {
            ("pooling_reject", 0.0, 0.0, 0.0, 0.6),
            ("separating", 1.0, 0.0, 1.0, 0.0),
            # sincere indifferent at r = 0.2/1.3; mu_reject = 1/2 needs a_S = 1 - 0.5*0.4/(0.6*0.5)
            ("semi_separating_sincere_mixes", 1 - 0.4 / 0.6, 0.0, 0.2 / 1.3, 0.5),
        },
    ),
    # aggressive type prefers a deal to war (d_G > w_G): with the sincere type always
    # accepting, the aggressive type accepts too -> pooling on accept
    ({"prior_sincere": 0.4, "aggressive_deal": 0.1, "sincere_status_quo": 0.5}, {("pooling_accept", 1.0, 1.0, 1.0, None)}),
    # the coalition always prefers to respond after a rejection (war beats status quo for both types)
    ({"coalition_status_quo_sincere": -0.9}, {("separating", 1.0, 0.0, 1.0, 0.0)}),
]


def _eq_set(sol):
    out = set()
    for e in sol.equilibria:
        r = e["strategies"]["coalition"]["respond_after_reject"]
        r = r[1] if isinstance(r, list) else r
        mu = e["beliefs"]["after_reject"]
        out.add((e["kind"], round(e["strategies"]["sincere"]["accept"], 9), round(e["strategies"]["aggressive"]["accept"], 9), round(r, 9), None if isinstance(mu, str) else round(mu, 9)))
    return out


@pytest.mark.parametrize(("kw", "expected"), TABLE)
def test_equilibrium_table(kw, expected):
    got = _eq_set(solve("screening", **kw))
    want = {(k, round(a, 9), round(b, 9), round(r, 9), None if m is None else round(m, 9)) for k, a, b, r, m in expected}
    assert got == want


def test_prior_04_is_screening_and_offer_pays():
    s = solve("screening", prior_sincere=0.4)
    (eq,) = s.equilibria
    assert eq["beliefs"] == {"after_accept": 1.0, "after_reject": 0.0}  # the answer reveals the type
    # value of the offer: (0.4*0.5 + 0.6*(-0.5)) - max(respond, hold back on the prior)
    assert eq["value_of_offer"] == pytest.approx((0.4 * 0.5 + 0.6 * -0.5) - max(0.4 * -0.6 + 0.6 * -0.5, 0.4 * -0.1 + 0.6 * -1.0))
    assert eq["strategies"]["coalition"]["offer"] is True


def _check_pbe(p: Params, eq: dict) -> None:
    """Verify an equilibrium from first principles (independent of the solver's algebra)."""
    a_s = eq["strategies"]["sincere"]["accept"]
    a_g = eq["strategies"]["aggressive"]["accept"]
    r = eq["strategies"]["coalition"]["respond_after_reject"]
    rs = r if isinstance(r, list) else [r, r]
    for rr in rs:
        for a, d, w, sq in ((a_s, p.sincere_deal, p.sincere_war, p.sincere_status_quo), (a_g, p.aggressive_deal, p.aggressive_war, p.aggressive_status_quo)):
            gain = d - (rr * w + (1 - rr) * sq)
            if a == 1:
                assert gain >= -1e-12
            elif a == 0:
                assert gain <= 1e-12
            else:
                assert abs(gain) < 1e-9
    rej = p.prior_sincere * (1 - a_s) + (1 - p.prior_sincere) * (1 - a_g)
    if rej > 0:
        mu = p.prior_sincere * (1 - a_s) / rej
        assert eq["beliefs"]["after_reject"] == pytest.approx(mu)
        adv = mu * (p.coalition_war_sincere - p.coalition_status_quo_sincere) + (1 - mu) * (p.coalition_war_aggressive - p.coalition_status_quo_aggressive)
        if rs[0] == 1:
            assert adv >= -1e-12
        elif rs[0] == 0:
            assert adv <= 1e-12
        else:
            assert abs(adv) < 1e-9
    acc = 1 - rej
    if acc > 0:
        assert eq["beliefs"]["after_accept"] == pytest.approx(p.prior_sincere * a_s / acc)


payoff = st.floats(-1.0, 1.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(prior=st.floats(0.02, 0.98), pays=st.lists(payoff, min_size=12, max_size=12))
def test_every_reported_equilibrium_is_perfect_bayesian(prior, pays):
    names = [n for n in Params.model_fields if n not in ("prior_sincere", "offer_cost")]
    p = Params(prior_sincere=prior, **dict(zip(names, pays, strict=True)))
    sol = screening.solve(p)
    assert sol.summary["n_equilibria"] >= 1  # every finite game has a perfect Bayesian equilibrium
    for eq in sol.equilibria:
        _check_pbe(p, eq)


# Degenerate payoffs (exact ties). Each listed equilibrium carries its whole interval of
# sustaining responses; for every response r, the equilibria with r are the mixtures of the
# listed adversary strategies whose interval contains r. (Gambit's enumeration, used by the
# cross-check on generic points, lists the extreme points of the strategic form's
# equilibrium set; when both types are indifferent at the same response these include
# mixtures of the two separating strategies, P(accept | sincere) + P(accept | aggressive) = 1,
# which lie inside those mixtures but are not extreme in behaviour strategies.)
R_S = 0.2 / 1.3  # sincere type indifferent at the defaults
DEGENERATE = [
    # falsifying example found by the property test: the sincere type and the coalition are
    # indifferent whatever happens, the aggressive type strictly rejects
    (
        {"prior_sincere": 0.5, "aggressive_deal": -1.0, **{n: 0.0 for n in Params.model_fields if n not in ("prior_sincere", "offer_cost", "aggressive_deal")}},
        {("pooling_reject", 0.0, 0.0, (0.0, 1.0), 0.5), ("separating", 1.0, 0.0, (0.0, 1.0), 0.0)},
    ),
    # all payoffs zero: everything is an equilibrium; the four pure profiles span it
    (
        {"prior_sincere": 0.5, **{n: 0.0 for n in Params.model_fields if n not in ("prior_sincere", "offer_cost")}},
        {
            ("pooling_accept", 1.0, 1.0, (0.0, 1.0), None),
            ("pooling_reject", 0.0, 0.0, (0.0, 1.0), 0.5),
            ("separating", 1.0, 0.0, (0.0, 1.0), 0.0),
            ("separating_reverse", 0.0, 1.0, (0.0, 1.0), 1.0),
        },
    ),
    # sincere type indifferent between accepting and rejecting when the coalition holds back
    # (deal = status quo): at r = 0 it may accept with any probability up to 1/3 (posterior
    # after a rejection >= mu* = 1/2)
    (
        {"prior_sincere": 0.6, "sincere_deal": 0.8},
        {
            ("pooling_reject", 0.0, 0.0, (0.0, 0.0), 0.6),
            ("semi_separating_sincere_mixes", 1 / 3, 0.0, (0.0, 0.0), 0.5),
            ("separating", 1.0, 0.0, (1.0, 1.0), 0.0),
        },
    ),
    # aggressive type indifferent between accepting and rejecting whatever the coalition does:
    # its semi-separating mixture is sustained by every response under which the sincere type rejects
    (
        {"prior_sincere": 0.4, "aggressive_deal": 0.0, "aggressive_war": 0.0, "aggressive_status_quo": 0.0},
        {
            ("pooling_accept", 1.0, 1.0, (R_S, 1.0), None),
            ("separating", 1.0, 0.0, (1.0, 1.0), 0.0),
            ("separating_reverse", 0.0, 1.0, (0.0, 0.0), 1.0),
            ("semi_separating_aggressive_mixes", 0.0, 1 / 3, (0.0, R_S), 0.5),
        },
    ),
]


def _interval(eq: dict) -> tuple[float, float]:
    r = eq["strategies"]["coalition"]["respond_after_reject"]
    return (r[0], r[1]) if isinstance(r, list) else (r, r)


def _is_pbe(p: Params, a_s: float, a_g: float, r: float, tol: float = 1e-9) -> bool:
    """First-principles test of one profile (off-path belief after a rejection free)."""
    for a, d, w, sq in ((a_s, p.sincere_deal, p.sincere_war, p.sincere_status_quo), (a_g, p.aggressive_deal, p.aggressive_war, p.aggressive_status_quo)):
        gain = d - (r * w + (1 - r) * sq)
        if (a > 0 and gain < -tol) or (a < 1 and gain > tol):
            return False
    A = p.coalition_war_sincere - p.coalition_status_quo_sincere
    B = p.coalition_war_aggressive - p.coalition_status_quo_aggressive
    rej = p.prior_sincere * (1 - a_s) + (1 - p.prior_sincere) * (1 - a_g)
    mus = [p.prior_sincere * (1 - a_s) / rej] if rej > 0 else list(np.linspace(0, 1, 101))
    return any((r == 0 or mu * A + (1 - mu) * B >= -tol) and (r == 1 or mu * A + (1 - mu) * B <= tol) for mu in mus)


def _is_mixture(point: tuple[float, float], profiles: list[tuple[float, float]]) -> bool:
    if not profiles:
        return False
    n = len(profiles)
    a_eq = np.vstack([np.array(profiles).T, np.ones(n)])
    res = linprog(np.zeros(n), A_eq=a_eq, b_eq=[point[0], point[1], 1.0], bounds=[(0, None)] * n, method="highs")
    return res.status == 0


@pytest.mark.parametrize(("kw", "expected"), DEGENERATE)
def test_degenerate_payoffs_list_every_extreme_equilibrium(kw, expected):
    p = Params(**kw)
    sol = screening.solve(p)
    got = set()
    for e in sol.equilibria:
        _check_pbe(p, e)
        lo, hi = _interval(e)
        mu = e["beliefs"]["after_reject"]
        got.add((e["kind"], round(e["strategies"]["sincere"]["accept"], 9), round(e["strategies"]["aggressive"]["accept"], 9), (round(lo, 9), round(hi, 9)), None if isinstance(mu, str) else round(mu, 9)))
    want = {(k, round(a, 9), round(b, 9), (round(lo, 9), round(hi, 9)), None if m is None else round(m, 9)) for k, a, b, (lo, hi), m in expected}
    assert got == want
    # complete: every equilibrium on a grid (with the tie values) is a mixture of listed ones
    grid = sorted({k / 12 for k in range(13)} | {R_S, 1 / 3})
    for a_s in grid:
        for a_g in grid:
            for r in grid:
                if _is_pbe(p, a_s, a_g, r):
                    listed = [(e["strategies"]["sincere"]["accept"], e["strategies"]["aggressive"]["accept"]) for e in sol.equilibria if _interval(e)[0] - 1e-9 <= r <= _interval(e)[1] + 1e-9]
                    assert _is_mixture((a_s, a_g), listed), (a_s, a_g, r)


def test_degenerate_outcomes_and_payoffs_are_intervals_when_the_response_is_free():
    p = Params(prior_sincere=0.4, aggressive_deal=0.0, aggressive_war=0.0, aggressive_status_quo=0.0)
    (semi,) = [e for e in screening.solve(p).equilibria if e["kind"] == "semi_separating_aggressive_mixes"]
    p_reject = 0.4 + 0.6 * (2 / 3)
    assert semi["outcome"]["p_war"] == pytest.approx([0.0, p_reject * R_S])
    # sincere rejects: status quo 0.8 at r = 0, down to 0.8 - 1.3 r_S = 0.6 (its deal value) at r_S
    assert semi["payoffs"]["sincere"] == pytest.approx([0.6, 0.8])
    assert semi["payoffs"]["aggressive"] == 0.0
    # the coalition is indifferent after a rejection: one payoff for the whole interval
    assert isinstance(semi["payoffs"]["coalition"], float)


def test_an_offer_worth_exactly_zero_is_flagged_as_a_tie():
    sol = solve("screening", **{n: 0.0 for n in Params.model_fields if n not in ("prior_sincere", "offer_cost")})
    assert all(e["value_of_offer"] == 0 and e["strategies"]["coalition"]["offer"] for e in sol.equilibria)
    assert any("not offering" in n for n in sol.notes)


def test_value_of_offer_as_a_function_of_the_prior():
    priors = np.linspace(0.05, 0.95, 19)
    m = screening.metrics(Params(), "prior_sincere", priors)
    # the separating equilibrium exists at every prior for the defaults...
    assert np.all(m["separating_exists"] == 1)
    # ...and multiplicity (pooling on reject, semi-separating) appears once the prior exceeds mu* = 1/2
    assert np.all(m["n_equilibria"][priors < 0.5] == 1) and np.all(m["n_equilibria"][priors > 0.5] == 3)
    # the best value equals the pointwise solution
    for pr, v in zip(priors, m["value_of_offer_best"], strict=True):
        assert v == pytest.approx(solve("screening", prior_sincere=float(pr)).summary["value_of_offer_best"])
