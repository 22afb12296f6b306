"""Reduction tests: the simulator with everything but the game's assumptions switched off.

The screening game (M19) is reproduced in the simulator by a scenario with exactly two
adversary types (weights = the prior), each accepting the conditional offer with its
equilibrium probability, every mechanism but ``screening_offer`` switched off, the weekly
intelligence signal made uninformative, and one offer (``test_by_offer`` with no
re-offer). The simulated acceptance rate must match the game's equilibrium probability
of acceptance within the Monte Carlo confidence interval, and the coalition's belief
after each answer must be the game's posterior.
"""

from __future__ import annotations

import math

import pytest

from crisislab.games import solve

api = pytest.importorskip("crisislab.api")
from crisislab.model.mechanisms.registry import MECHANISMS  # noqa: E402
from crisislab.scenario import load_scenario  # noqa: E402

RUNS = 10_000


def reduced_scenario(prior: float, a_sincere: float, a_aggressive: float):
    base = load_scenario("toy-3")
    t0 = base.adversary.types[0].model_dump()
    types = [
        {**t0, "name": "sincere", "weight": prior, "p_accept_offer": a_sincere},
        {**t0, "name": "aggressive", "weight": 1 - prior, "p_accept_offer": a_aggressive},
    ]
    mech: dict = {m.name: False for m in MECHANISMS.values() if m.name != "screening_offer"}
    mech["screening_offer"] = {"params": {"signal_noise": 1e6}}
    return base.with_overrides({"adversary.types": types, "mechanisms": mech, "horizon_weeks": 3})


@pytest.mark.parametrize(("prior", "kind"), [(0.4, "separating"), (0.6, "semi_separating_sincere_mixes"), (0.6, "separating")])
def test_simulated_acceptance_and_beliefs_match_the_equilibrium(prior, kind):
    eq = next(e for e in solve("screening", prior_sincere=prior).equilibria if e["kind"] == kind)
    a_s = eq["strategies"]["sincere"]["accept"]
    a_g = eq["strategies"]["aggressive"]["accept"]
    df = api.simulate(reduced_scenario(prior, a_s, a_g), "test_by_offer", runs=RUNS, seed=11, doctrine_params={"reoffer_every": 10_000})
    want = eq["outcome"]["p_accept"]
    got = df["offer_accepted"].mean()
    se = math.sqrt(want * (1 - want) / RUNS)
    assert abs(got - want) <= 4 * se + 1e-12, (got, want, se)
    # the coalition's posterior after each answer is the game's
    sincere = df["adversary_type"] == "sincere"
    belief_sincere = df["belief_true_type"].where(sincere, 1 - df["belief_true_type"])
    accepted = df["offer_accepted"] == 1
    if accepted.any():
        assert belief_sincere[accepted].mean() == pytest.approx(eq["beliefs"]["after_accept"], abs=1e-4)
    assert belief_sincere[~accepted].mean() == pytest.approx(eq["beliefs"]["after_reject"], abs=1e-4)
