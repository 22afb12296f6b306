"""An analytic stand-in model with the simulator's signature, for testing experiment plumbing.

``toy_simulate`` reads a few scenario quantities (the prior share of sincere adversary
types, the weighted mean paranoia, the ``credibility_decay`` strength and the decision rule)
and draws per-run outcomes from simple closed forms. It is *not* a model of anything: its
only purpose is to exercise sampling, backends, the store and the analyses quickly and
with known answers. Select it in an experiment file with ``model: toy``.

Known structure (used by tests): under ``test_by_offer`` the war probability is 0.8 when
``prior_sincere < 0.25`` and mean ``paranoia > 0.7`` and 0.1 elsewhere; ``coalition_cost``
is exactly ``0.01 + 0.02 * credibility_decay strength`` (no noise).

Randomness comes from one stream per run keyed by ``(seed, run)``, so run ``r`` is the same
however runs are split into batches.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from crisislab.experiments.spec import METRICS, _type_index
from crisislab.scenario.schema import Scenario


def toy_features(scenario: Scenario) -> dict[str, float]:
    """The scenario quantities the stand-in reads."""
    types = scenario.adversary.types
    total = sum(t.weight for t in types)
    sincere = _type_index(scenario, "sincere")
    return {
        "prior_sincere": sum(types[i].weight for i in sincere) / total,
        "paranoia": sum(t.weight * t.paranoia for t in types) / total,
        "credibility": scenario.mechanism("credibility_decay").strength,
        "qmv": 1.0 if scenario.coalition.decision_rule == "qmv" else 0.0,
    }


def war_probability(doctrine: str, f: dict[str, float], params: dict[str, Any] | None = None) -> float:
    """Closed-form war probability of the stand-in for a doctrine at scenario features ``f``."""
    s, p, c = f["prior_sincere"], f["paranoia"], f["credibility"]
    if doctrine == "test_by_offer":
        return 0.8 if (s < 0.25 and p > 0.7) else 0.1
    if doctrine == "isolation":
        return 0.2 + 0.4 * p * (1 - s)
    if doctrine == "conditionality":
        return min(0.95, 0.1 + 0.3 * (1 - s) * p + 0.05 * c)
    if doctrine == "open_channels":
        return 0.15 + 0.5 * (1 - s) * (1 - p)
    boost = float((params or {}).get("boost", 0.0))
    return min(0.95, 0.25 + 0.2 * p + boost)


def toy_simulate(
    scenario: Scenario | str,
    doctrine: str = "isolation",
    runs: int = 1000,
    seed: int = 0,
    *,
    run_offset: int = 0,
    doctrine_params: dict[str, Any] | None = None,
    delay_s: float = 0.0,
) -> pd.DataFrame:
    """Per-run outcomes of the stand-in model (same columns as the simulator's ``simulate``)."""
    if isinstance(scenario, str):
        from crisislab.scenario import load_scenario

        scenario = load_scenario(scenario)
    if delay_s:
        time.sleep(delay_s)
    f = toy_features(scenario)
    pw = war_probability(doctrine, f, doctrine_params)
    run_ids = np.arange(run_offset, run_offset + runs, dtype=np.int64)
    draws = np.empty((runs, 4))
    for i, r in enumerate(run_ids):
        draws[i] = np.random.default_rng([int(seed), int(r)]).random(4)
    war = (draws[:, 0] < pw).astype(float)
    nuclear = (war * (draws[:, 1] < 0.05 * (1 + f["paranoia"]))).astype(float)
    settle = ((1 - war) * (draws[:, 2] < 0.6 + 0.3 * f["prior_sincere"])).astype(float)
    weeks = np.where(settle > 0, np.ceil(4 + 40 * draws[:, 3]), np.nan)
    out = {
        "run": run_ids,
        "p_war": war,
        "p_nuclear_use": nuclear,
        "p_settlement": settle,
        "peak_escalation": 2 + 2 * war + 3 * nuclear + draws[:, 3],
        "weeks_to_settlement": weeks,
        "coalition_cost": np.full(runs, 0.01 + 0.02 * f["credibility"]),
        "final_cohesion": 0.9 - 0.3 * war - 0.1 * f["qmv"] * draws[:, 1],
        "final_frontline_trust": 0.8 - 0.2 * draws[:, 2] * (doctrine == "unilateral_outreach"),
        "adversary_concessions": settle * (0.2 + 0.5 * f["prior_sincere"]),
        "humanitarian_cost": war * (1 + 10 * nuclear) * (1 + draws[:, 3]),
        "adversary_legitimacy": 0.5 + 0.1 * (doctrine == "open_channels") - 0.2 * settle,
    }
    df = pd.DataFrame(out)
    return df[["run", *METRICS]]
