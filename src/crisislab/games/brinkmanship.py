"""Brinkmanship: a competition in risk-taking with one-sided private resolve (M27).

After Schelling (1960, 1966), "the threat that leaves something to chance", and Powell
(1987), "Crisis bargaining, escalation, and MAD", American Political Science Review
81(3): 717-735; Powell (1990), *Nuclear Deterrence Theory: The Search for Credibility*,
Cambridge University Press. Source for the mechanism: ``seeds/003_6e275725a3b18bd7.txt``
(calculated escalation, a risk-taking adversary).

Game
----
The adversary and the coalition take turns on a ladder of ``rungs`` stages (the
adversary moves at stages 1, 3, ...). At its turn the mover **backs down** (the other
side wins its stake) or **escalates**; escalating at stage ``k`` sets off a catastrophe
with probability ``rho_k = min(1, k * risk_step)``, and at the top stage with certainty.
Nobody controls the catastrophe once the risk is run: the threat leaves something to
chance.

* The adversary is *resolute* with probability ``prior_resolute``: it prefers the
  catastrophe to backing down (payoff ``resolute_catastrophe > 0``), so it never backs
  down. Otherwise it is *irresolute*: catastrophe costs it ``cost_irresolute``.
* The coalition does not know which; catastrophe costs it ``cost_coalition``.
* Winning is worth ``stake_adversary`` / ``stake_coalition``; backing down is worth 0.

Solution (sequential equilibrium, computed backwards in closed form)
-------------------------------------------------------------------
At each coalition stage ``j`` there is a critical belief ``m_j``: the coalition
escalates if ``P(resolute) < m_j``, backs down if above, and mixes at ``m_j``. With
``M`` the belief the irresolute adversary steers to at the next stage (``m_{j+2}``, or
1 if it would back down there),

    m_j = max(0, M * x_j),   x_j = ((1 - rho_j) v_C - rho_j c_C) / ((1 - rho_j)(v_C + rho_{j+1} c_C)),

and ``m_j = 0`` (the coalition always backs down) if the adversary would escalate for
sure at ``j + 1``. At an adversary stage ``k`` the irresolute type

* backs down if even a sure retreat by the coalition would not repay the risk,
  ``(1 - rho_k) v_A < rho_k c_I``;
* escalates for sure if the coalition will back down next (``m_{k+1} = 0``) or the
  current belief already exceeds ``m_{k+1}``;
* otherwise escalates with the probability that lifts the posterior exactly to
  ``m_{k+1}``, while the coalition escalates at ``k+1`` with probability
  ``q = ((1 - rho_k) v_A - rho_k c_I) / ((1 - rho_k)(v_A + rho_{k+1} c_I))``, which
  makes the irresolute type indifferent.

The output gives, stage by stage, the belief, each side's escalation probability and
the risk run, and overall who backs down and how often the crisis ends in catastrophe.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from crisislab.games.base import GameParams, GameSpec, Solution, as_arrays, register

BACKS_DOWN, ESCALATES, MIXES = 0, 1, 2


class Params(GameParams):
    """Parameters of the brinkmanship game."""

    rungs: int = Field(5, ge=2, le=60, description="stages on the escalation ladder (the last escalation is a certain catastrophe)")
    risk_step: float = Field(0.05, gt=0.0, le=1.0, description="catastrophe risk added per rung: rho_k = min(1, k * risk_step)")
    prior_resolute: float = Field(0.15, gt=0.0, lt=1.0, description="coalition's prior that the adversary is resolute")
    stake_adversary: float = Field(1.0, gt=0.0, description="adversary's value of the coalition backing down (v_A)")
    stake_coalition: float = Field(1.5, gt=0.0, description="coalition's value of the adversary backing down (v_C)")
    cost_irresolute: float = Field(2.0, gt=0.0, description="irresolute adversary's cost of catastrophe (c_I)")
    cost_coalition: float = Field(2.0, gt=0.0, description="coalition's cost of catastrophe (c_C)")
    resolute_catastrophe: float = Field(0.1, gt=0.0, description="resolute adversary's payoff from catastrophe (> 0: prefers it to backing down)")


def risks(rungs: int, risk_step: Any) -> list[Any]:
    """Catastrophe probability of escalating at each stage 1..rungs."""
    step = np.asarray(risk_step, dtype=float)
    return [np.minimum(1.0, k * step) for k in range(1, rungs)] + [np.ones_like(step)]


def mover(k: int) -> str:
    """Who moves at stage ``k`` (1-based): the adversary at odd stages."""
    return "adversary" if k % 2 == 1 else "coalition"


def _solve_arrays(p: dict[str, Any]) -> dict[str, Any]:
    K = int(p["rungs"])
    vA, vC, cI, cC, prior = (
        np.asarray(p[k], dtype=float)
        for k in ("stake_adversary", "stake_coalition", "cost_irresolute", "cost_coalition", "prior_resolute")
    )
    rho = risks(K, p["risk_step"])
    shape = np.broadcast(vA, vC, cI, cC, prior, rho[0]).shape
    rho = [np.broadcast_to(r, shape) for r in rho]

    m: dict[int, np.ndarray] = {}  # coalition stages: critical belief
    regime: dict[int, np.ndarray] = {}  # adversary stages
    target: dict[int, np.ndarray] = {}
    qmix: dict[int, np.ndarray] = {}  # coalition stage -> escalation prob when mixing
    for k in range(K, 0, -1):
        if mover(k) == "adversary":
            if k == K:
                regime[k] = np.full(shape, BACKS_DOWN)
                target[k] = np.ones(shape)
                continue
            emax = (1.0 - rho[k - 1]) * vA - rho[k - 1] * cI
            regime[k] = np.where(emax < 0, BACKS_DOWN, np.where(m[k + 1] <= 0, ESCALATES, MIXES))
            target[k] = np.where(regime[k] == MIXES, m[k + 1], 1.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                q = emax / ((1.0 - rho[k - 1]) * (vA + rho[k] * cI))
            qmix[k + 1] = np.where(regime[k] == MIXES, np.clip(q, 0.0, 1.0), np.nan)
        else:
            if k == K:
                m[k] = np.zeros(shape)
                continue
            live = rho[k - 1] < 1.0
            with np.errstate(divide="ignore", invalid="ignore"):
                x = ((1.0 - rho[k - 1]) * vC - rho[k - 1] * cC) / ((1.0 - rho[k - 1]) * (vC + rho[k] * cC))
            x = np.where(live, x, -1.0)
            m[k] = np.where(regime[k + 1] == ESCALATES, 0.0, np.maximum(0.0, target[k + 1] * x))

    # forward pass. Beliefs move only at adversary stages (the coalition's moves carry no
    # information about the adversary's type), so the belief at every stage is defined
    # whether or not the stage is reached; reach probabilities are tracked separately.
    mu = np.array(prior, dtype=float) * np.ones(shape)
    reach_r = np.ones(shape)  # P(a resolute adversary is still in the crisis)
    reach_i = np.ones(shape)
    p_cat = np.zeros(shape)
    p_adv_back = np.zeros(shape)
    p_coal_back = np.zeros(shape)
    exp_stage = np.zeros(shape)
    by_type = {n: np.zeros(shape) for n in ("cat_r", "cat_i", "win_r", "win_i")}
    stages: list[dict[str, Any]] = []
    mixed = np.zeros(shape, dtype=bool)
    for k in range(1, K + 1):
        mass = prior * reach_r + (1 - prior) * reach_i
        rk = rho[k - 1]
        if mover(k) == "adversary":
            if k == K:
                sigma = np.zeros(shape)
                mixed = np.zeros(shape, dtype=bool)
            else:
                mt = m[k + 1]
                below = mu < mt
                with np.errstate(divide="ignore", invalid="ignore"):
                    steer = np.where(below, mu * (1 - mt) / np.where(below, (1 - mu) * mt, 1.0), 1.0)
                sigma = np.where(regime[k] == BACKS_DOWN, 0.0, np.where(regime[k] == ESCALATES, 1.0, steer))
                sigma = np.clip(sigma, 0.0, 1.0)
                mixed = (regime[k] == MIXES) & below
            stages.append({"stage": k, "mover": "adversary", "belief": mu.copy(), "escalate_irresolute": sigma, "risk": rk, "reach": mass})
            backs = (1 - prior) * reach_i * (1 - sigma)
            p_adv_back += backs
            exp_stage += k * backs
            reach_i = reach_i * sigma
            mu = np.where(mixed, m.get(k + 1, mu), mu / (mu + (1 - mu) * sigma))
        else:
            crit = m[k]
            qk = np.where(mixed, qmix.get(k, np.zeros(shape)), np.where(mu < crit, 1.0, 0.0))
            qk = np.nan_to_num(qk, nan=0.0)
            stages.append({"stage": k, "mover": "coalition", "belief": mu.copy(), "escalate": qk, "critical_belief": crit, "risk": rk, "reach": mass})
            backs = mass * (1 - qk)
            p_coal_back += backs
            by_type["win_r"] += prior * reach_r * (1 - qk)
            by_type["win_i"] += (1 - prior) * reach_i * (1 - qk)
            exp_stage += k * backs
            reach_r = reach_r * qk
            reach_i = reach_i * qk
            mixed = np.zeros(shape, dtype=bool)
        esc_mass = prior * reach_r + (1 - prior) * reach_i
        p_cat += rk * esc_mass
        by_type["cat_r"] += rk * prior * reach_r
        by_type["cat_i"] += rk * (1 - prior) * reach_i
        exp_stage += k * rk * esc_mass
        reach_r = reach_r * (1 - rk)
        reach_i = reach_i * (1 - rk)
    payoffs = {
        "coalition": vC * p_adv_back - cC * p_cat,
        "resolute": (vA * by_type["win_r"] + np.asarray(p["resolute_catastrophe"], dtype=float) * by_type["cat_r"]) / prior,
        "irresolute": (vA * by_type["win_i"] - cI * by_type["cat_i"]) / (1 - prior),
    }
    return {
        "payoffs": payoffs,
        "p_catastrophe": p_cat,
        "p_adversary_backs_down": p_adv_back,
        "p_coalition_backs_down": p_coal_back,
        "expected_end_stage": exp_stage,
        "critical_beliefs": m,
        "regimes": regime,
        "stages": stages,
    }


def metrics(params: Params, key: str, values: np.ndarray) -> dict[str, np.ndarray]:
    """Outcome probabilities over an array of one parameter (vectorised recursion)."""
    out = _solve_arrays(as_arrays(params, key, values))
    names = ("p_catastrophe", "p_adversary_backs_down", "p_coalition_backs_down", "expected_end_stage")
    res = {n: np.broadcast_to(out[n], np.shape(values)).astype(float) for n in names}
    first_c = 2
    if first_c in out["critical_beliefs"]:
        res["critical_belief_stage2"] = np.broadcast_to(out["critical_beliefs"][first_c], np.shape(values)).astype(float)
    return res


def behaviour(params: Params) -> dict[str, Any]:
    """The equilibrium as behaviour probabilities at every information set.

    ``irresolute[k]``: probability the irresolute adversary escalates at its stage ``k``
    *if reached* (``resolute`` always escalates); ``coalition[k]``: probability the coalition
    escalates at its stage ``k`` if reached on the equilibrium path (off the path, at its
    critical-belief rule given the path belief).
    """
    out = _solve_arrays(params.model_dump())
    irr: dict[int, float] = {}
    coal: dict[int, float] = {}
    for st in out["stages"]:
        k = int(st["stage"])
        if st["mover"] == "adversary":
            irr[k] = float(st["escalate_irresolute"])
        else:
            coal[k] = float(st["escalate"])
    return {"irresolute": irr, "coalition": coal, "reach": {int(s["stage"]): float(s["reach"]) for s in out["stages"]}}


def solve(params: Params) -> Solution:
    """The sequential equilibrium: stage-by-stage escalation, beliefs and who backs down."""
    p = params.model_dump()
    out = _solve_arrays(p)
    path = []
    for st in out["stages"]:
        row: dict[str, Any] = {"stage": st["stage"], "mover": st["mover"], "risk": float(st["risk"]), "reach": float(st["reach"])}
        row["belief_resolute"] = float(st["belief"])
        if st["mover"] == "adversary":
            row["escalate"] = {"resolute": 1.0, "irresolute": float(st["escalate_irresolute"])}
        else:
            row["escalate"] = float(st["escalate"])
            row["critical_belief"] = float(st["critical_belief"])
        path.append(row)
    summary: dict[str, Any] = {
        "p_catastrophe": float(out["p_catastrophe"]),
        "p_adversary_backs_down": float(out["p_adversary_backs_down"]),
        "p_coalition_backs_down": float(out["p_coalition_backs_down"]),
        "expected_end_stage": float(out["expected_end_stage"]),
        "risks": [float(r) for r in risks(params.rungs, params.risk_step)],
    }
    total = summary["p_catastrophe"] + summary["p_adversary_backs_down"] + summary["p_coalition_backs_down"]
    eq = {
        "name": "sequential equilibrium",
        "kind": "mixed" if any(0 < (r["escalate"]["irresolute"] if isinstance(r["escalate"], dict) else r["escalate"]) < 1 for r in path) else "pure",
        "path": path,
        "outcome": {
            "p_catastrophe": summary["p_catastrophe"],
            "p_adversary_backs_down": summary["p_adversary_backs_down"],
            "p_coalition_backs_down": summary["p_coalition_backs_down"],
        },
        "payoffs": {k: float(v) for k, v in out["payoffs"].items()},
    }
    notes = [f"outcome probabilities sum to {total:.12g}", "belief_resolute is the coalition's P(resolute) at the stage (defined on and off the path); reach is the probability the crisis gets there."]
    return Solution("brinkmanship", p, [eq], summary, notes)


SPEC = register(
    GameSpec(
        name="brinkmanship",
        title="Brinkmanship: competition in risk-taking (Schelling; Powell 1987, 1990)",
        description="alternating escalation on a risk ladder with private resolve; equilibrium risk levels and who backs down",
        sources="Schelling (1960) The Strategy of Conflict; Powell (1987) APSR 81(3); Powell (1990) Nuclear Deterrence Theory; seeds/003_6e275725a3b18bd7.txt",
        params=Params,
        solve=solve,
        metrics=metrics,
    )
)
