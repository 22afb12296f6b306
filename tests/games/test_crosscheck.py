"""Cross-checks against an independent solver (Gambit via pygambit), Gambit-style tables.

Every finite game is written as a Gambit extensive-form game and solved by Gambit; the
equilibria are compared with ours over tables of parameter points.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pygambit")

from crisislab.games import bargaining, brinkmanship, deterrence, mediation, screening  # noqa: E402
from crisislab.games import crosscheck as cc  # noqa: E402

# ----------------------------------------------------------------------------- deterrence

DETERRENCE_POINTS = [
    {},
    {"talk_benefit": 0.5},
    {"damage": 0.02},
    {"permanence": 0.99, "decay": 0.2, "max_contacts": 8},
    {"gain": 0.1, "max_contacts": 3},
]


@pytest.mark.parametrize("kw", DETERRENCE_POINTS)
def test_deterrence_spe_matches_gambit_logit_limit(kw):
    p = deterrence.Params(**kw)
    ours = deterrence.talk_game(p)
    g = cc.logit_limit(cc.deterrence_tree(p))
    assert g[f"contacts|{ours['contacts']}"] == pytest.approx(1.0, abs=1e-6)
    for n, aggress in enumerate(ours["aggress_after"]):
        if n == ours["contacts"]:  # on the path: Gambit's limit is exact to its tolerance
            assert g[f"aggress|{n}"] == pytest.approx(1.0 if aggress else 0.0, abs=1e-6)
        else:  # off the path the logit branch converges slowly; the choice must still agree
            assert (g[f"aggress|{n}"] > 0.5) is aggress


@pytest.mark.parametrize(("contacts", "lam"), [(0, 4.0), (3, 4.0), (6, 1.0), (2, 10.0)])
def test_deterrence_logit_choice_matches_gambit_qre(contacts, lam):
    p = deterrence.Params(contacts=contacts, rationality=lam)
    g = cc.logit_at(cc.deterrence_choice_tree(p), lam)
    assert g["aggress"] == pytest.approx(deterrence.solve(p).summary["p_aggress"], abs=1e-6)


# ----------------------------------------------------------------------------- screening

SCREENING_POINTS = [
    {"prior_sincere": 0.4},
    {"prior_sincere": 0.6},
    {"prior_sincere": 0.8},
    {"prior_sincere": 0.4, "aggressive_deal": 0.1, "sincere_status_quo": 0.5},
    {"prior_sincere": 0.3, "aggressive_deal": 0.1},
    {"prior_sincere": 0.7, "aggressive_deal": 0.1},
    {"coalition_status_quo_sincere": -0.9},
    {"prior_sincere": 0.25, "sincere_war": 0.9, "aggressive_deal": 0.3, "aggressive_war": -0.4},
]
rng = np.random.default_rng(20260601)
for _ in range(10):
    vals = rng.uniform(-1, 1, 12).round(3)
    names = [n for n in screening.Params.model_fields if n not in ("prior_sincere", "offer_cost")]
    SCREENING_POINTS.append({"prior_sincere": round(float(rng.uniform(0.05, 0.95)), 3), **dict(zip(names, map(float, vals), strict=True))})


def _contains(component: dict, g: dict) -> bool:
    a_s = component["strategies"]["sincere"]["accept"]
    a_g = component["strategies"]["aggressive"]["accept"]
    r = component["strategies"]["coalition"]["respond_after_reject"]
    lo, hi = (r[0], r[1]) if isinstance(r, list) else (r, r)
    return abs(a_s - g["a_sincere"]) < 1e-9 and abs(a_g - g["a_aggressive"]) < 1e-9 and lo - 1e-9 <= g["respond"] <= hi + 1e-9


@pytest.mark.parametrize("kw", SCREENING_POINTS)
def test_screening_pbe_set_matches_gambit(kw):
    p = screening.Params(**kw)
    ours = screening.solve(p).equilibria
    gambit = cc.screening_pbe(p)
    assert gambit, "Gambit found no perfect Bayesian equilibrium"
    for g in gambit:  # every Gambit equilibrium lies in one of our components, with our payoff
        match = [c for c in ours if _contains(c, g)]
        assert match, (g, [c["kind"] for c in ours])
        assert match[0]["payoffs"]["coalition"] + p.offer_cost == pytest.approx(g["coalition_payoff"], abs=1e-9)
    for c in ours:  # every component of ours contains a Gambit equilibrium
        assert any(_contains(c, g) for g in gambit), (c["kind"], gambit)


# ----------------------------------------------------------------------------- bargaining

BARGAINING_POINTS = [
    {"types": 5},
    {"types": 4, "cost_coalition": 0.3},
    {"types": 4, "p_win": 0.7, "cost_low": 0.0, "cost_high": 0.5},
    {"types": 6, "cost_coalition": 0.02, "cost_high": 0.6},
]


@pytest.mark.parametrize("kw", BARGAINING_POINTS)
def test_bargaining_offer_matches_gambit(kw):
    p = bargaining.Params(**kw)
    d = bargaining.discrete(p)
    u = np.array(d["coalition_value_by_offer"])
    best = set(np.flatnonzero(np.isclose(u, u.max(), atol=1e-12)))
    g = cc.logit_limit(cc.bargaining_tree(p))
    mass = {j: g[f"offer|{j}"] for j in range(p.types)}
    assert sum(m for j, m in mass.items() if j in best) == pytest.approx(1.0, abs=1e-6)
    j = d["offer_index"]
    for k in range(p.types):  # the adversary's replies to our offer
        assert g[f"accept|{j}|{k}"] == pytest.approx(1.0 if k in d["accepting_types"] else 0.0, abs=1e-6)


# ----------------------------------------------------------------------------- mediation

MEDIATION_POINTS = [
    {},
    {"mediator_bias": 0.3},
    {"mediator_bias": 0.52},
    {"mediator_accuracy": 1.0, "peace_weight": 0.0, "mediator_bias": 0.6},
    {"mediator_accuracy": 0.6},
    {"prior_strong": 0.7},
    {"prior_strong": 0.5, "mediator_accuracy": 0.8, "peace_weight": 0.2, "mediator_bias": 0.9},
]


@pytest.mark.parametrize("kw", MEDIATION_POINTS)
def test_mediation_outcomes_match_gambit(kw):
    p = mediation.Params(**kw)
    sol = mediation.solve(p)
    generous = 1.0 if sol.equilibria[0]["strategies"]["coalition"]["after_any_message"] == "generous" else 0.0
    ours = {(generous, generous)}
    if sol.summary["credible"]:
        ours.add((1.0, 0.0))
    assert cc.mediation_outcomes(p) == ours


# ----------------------------------------------------------------------------- brinkmanship

BRINK_POINTS = [
    {},
    {"prior_resolute": 0.3},
    {"stake_coalition": 2.0, "prior_resolute": 0.2},
    {"rungs": 6, "prior_resolute": 0.1},
    {"rungs": 7, "risk_step": 0.03, "prior_resolute": 0.05},
    {"risk_step": 0.3},
    {"stake_adversary": 0.1, "cost_irresolute": 3.0},
]


@pytest.mark.parametrize("kw", BRINK_POINTS)
def test_brinkmanship_matches_gambit_sequential_equilibrium(kw):
    p = brinkmanship.Params(**kw)
    ours = brinkmanship.behaviour(p)
    g = cc.logit_limit(cc.brinkmanship_tree(p))
    for k, prob in ours["irresolute"].items():
        if ours["reach"][k] > 1e-9:
            assert g[f"escalate|I{k}"] == pytest.approx(prob, abs=2e-4), k
    for k, prob in ours["coalition"].items():
        if ours["reach"][k] > 1e-9:
            assert g[f"escalate|C{k}"] == pytest.approx(prob, abs=2e-4), k
    for k in ours["irresolute"]:
        if ours["reach"][k] > 1e-9:
            assert g[f"escalate|R{k}"] == pytest.approx(1.0, abs=1e-6)
