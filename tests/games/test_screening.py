"""Screening by a conditional offer: perfect Bayesian equilibria, beliefs, value of the offer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


@settings(max_examples=80, deadline=None)
@given(prior=st.floats(0.02, 0.98), pays=st.lists(payoff, min_size=12, max_size=12))
def test_every_reported_equilibrium_is_perfect_bayesian(prior, pays):
    names = [n for n in Params.model_fields if n not in ("prior_sincere", "offer_cost")]
    p = Params(prior_sincere=prior, **dict(zip(names, pays, strict=True)))
    sol = screening.solve(p)
    assert sol.summary["n_equilibria"] >= 1  # generic finite games have an equilibrium
    for eq in sol.equilibria:
        _check_pbe(p, eq)


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
