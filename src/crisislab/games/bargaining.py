"""Crisis bargaining under private information: the risk-return trade-off.

After Fearon (1995), "Rationalist explanations for war", International Organization
49(3): 379-414, section on private information and incentives to misrepresent.

Game
----
The coalition and the adversary dispute a stake worth 1. War gives the adversary
``p_win - c`` and the coalition ``1 - p_win - cost_coalition``, where the adversary's
cost of war ``c`` is its private information, uniform on ``[cost_low, cost_high]``
(the coalition knows only this range). The coalition offers the adversary a share
``x`` (take it or leave it); the adversary accepts iff ``x >= p_win - c`` (indifferent
types accept).

Solution
--------
``P(accept | x) = G(x) = (cost_high - p_win + x) / (cost_high - cost_low)`` on the
interior, and the coalition maximises ``(1 - x) G(x) + (1 - p_win - cost_coalition)
(1 - G(x))``, a concave quadratic with interior optimum::

    x* = p_win - (cost_high - cost_coalition) / 2

clipped to the offers between "only the least resolved accept" and "all accept" (and
to ``[0, 1]``). Then ``P(war) = 1 - G(x*)``; with ``cost_low = cost_high`` (complete
information) it is 0. The coalition accepts a positive risk of war in exchange for a
better expected deal whenever ``cost_coalition < cost_high - 2 cost_low``: the
risk-return trade-off.

With ``types = n > 0`` the adversary's cost takes ``n`` equally likely values (the
midpoints of ``n`` equal bins of the range) and the coalition chooses among the offers
that make one type indifferent; this finite game is the one cross-checked against an
independent solver.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field, model_validator

from crisislab.games.base import GameParams, GameSpec, Solution, as_arrays, register


class Params(GameParams):
    """Parameters of the bargaining game (stake normalised to 1)."""

    p_win: float = Field(0.5, ge=0.0, le=1.0, description="adversary's probability of winning a war")
    cost_coalition: float = Field(0.1, ge=0.0, description="coalition's cost of war")
    cost_low: float = Field(0.05, ge=0.0, description="lowest possible adversary cost of war")
    cost_high: float = Field(0.35, ge=0.0, description="highest possible adversary cost of war")
    types: int = Field(0, ge=0, le=200, description="0: continuous uniform cost; n > 0: n equally likely cost levels")

    @model_validator(mode="after")
    def _range(self) -> Params:
        if self.cost_high < self.cost_low:
            raise ValueError(f"cost_high ({self.cost_high}) must be >= cost_low ({self.cost_low})")
        return self


def _continuous(p: dict[str, Any]) -> dict[str, np.ndarray]:
    pw, cA, lo, hi = (np.asarray(p[k], dtype=float) for k in ("p_win", "cost_coalition", "cost_low", "cost_high"))
    width = hi - lo
    x_all = np.maximum(0.0, pw - lo)  # everyone accepts
    x_none = np.maximum(0.0, pw - hi)  # only the least resolved (measure zero) accept
    with np.errstate(divide="ignore", invalid="ignore"):
        x_int = pw - (hi - cA) / 2.0
        x = np.where(width > 0, np.clip(x_int, x_none, x_all), x_all)
        g = np.where(width > 0, np.clip((hi - pw + x) / np.where(width > 0, width, 1.0), 0.0, 1.0), 1.0)
    war_value = 1.0 - pw - cA
    u = (1.0 - x) * g + war_value * (1.0 - g)
    # adversary's ex-ante expected payoff: accepting types get x, the rest fight
    with np.errstate(divide="ignore", invalid="ignore"):
        c_cut = np.clip(pw - x, lo, hi)  # types with c >= c_cut accept
        mean_fight_cost = (lo + c_cut) / 2.0
    adv = g * x + (1.0 - g) * (pw - mean_fight_cost)
    return {
        "offer": x,
        "p_accept": g,
        "p_war": 1.0 - g,
        "coalition_value": u,
        "adversary_value": adv,
        "complete_information_p_war": np.zeros_like(u),
        "cutoff_cost": c_cut,
    }


def type_costs(params: Params) -> np.ndarray:
    """The ``types`` cost levels: midpoints of equal bins of ``[cost_low, cost_high]``."""
    n = params.types
    return params.cost_low + (np.arange(n) + 0.5) * (params.cost_high - params.cost_low) / n


def discrete(params: Params) -> dict[str, Any]:
    """Exact solution of the finite game with ``types`` cost levels.

    The coalition's candidate offers are ``max(0, p_win - c_k)``; offer ``k`` is accepted
    by every type at least as costly as type ``k`` (ties go to the more peaceful offer).
    """
    c = type_costs(params)
    n = c.size
    offers = np.maximum(0.0, params.p_win - c)
    accept = (offers[:, None] >= params.p_win - c[None, :])  # [offer, type]
    share = accept.mean(axis=1)
    war_value = 1.0 - params.p_win - params.cost_coalition
    u = (1.0 - offers) * share + war_value * (1.0 - share)
    best = int(np.flatnonzero(np.isclose(u, u.max(), rtol=0, atol=1e-12))[0])
    return {
        "costs": c.tolist(),
        "offers": offers.tolist(),
        "coalition_value_by_offer": u.tolist(),
        "offer_index": best,
        "offer": float(offers[best]),
        "accepting_types": [int(k) for k in np.flatnonzero(accept[best])],
        "p_war": float(1.0 - share[best]),
        "coalition_value": float(u[best]),
        "n": n,
    }


def metrics(params: Params, key: str, values: np.ndarray) -> dict[str, np.ndarray]:
    """Continuous closed forms over an array of one parameter."""
    d = as_arrays(params, key, values)
    out = _continuous(d)
    return {k: np.broadcast_to(v, np.shape(values)).astype(float) for k, v in out.items()}


def solve(params: Params) -> Solution:
    """The coalition's optimal offer, the acceptance cut-off and the probability of war."""
    p = params.model_dump()
    if params.types > 0:
        d = discrete(params)
        eq = {
            "name": "subgame-perfect (finite types)",
            "kind": "pure",
            "strategies": {
                "coalition": {"offer": d["offer"]},
                "adversary": {"accept_iff": "offer >= p_win - cost"},
            },
            "outcome": {"p_war": d["p_war"], "accepting_types": d["accepting_types"]},
            "payoffs": {"coalition": d["coalition_value"]},
        }
        summary = {
            "offer": d["offer"],
            "p_war": d["p_war"],
            "coalition_value": d["coalition_value"],
            "type_costs": d["costs"],
            "complete_information_p_war": 0.0,
        }
        return Solution("bargaining", p, [eq], summary)
    m = {k: float(v) for k, v in _continuous(p).items()}
    eq = {
        "name": "subgame-perfect",
        "kind": "pure",
        "strategies": {
            "coalition": {"offer": m["offer"]},
            "adversary": {"accept_iff_cost_at_least": m["cutoff_cost"]},
        },
        "outcome": {"p_war": m["p_war"], "p_accept": m["p_accept"]},
        "payoffs": {"coalition": m["coalition_value"], "adversary": m["adversary_value"]},
    }
    summary = {k: m[k] for k in ("offer", "p_accept", "p_war", "coalition_value", "complete_information_p_war")}
    summary["risk_return_tradeoff"] = bool(m["p_war"] > 0)
    return Solution("bargaining", p, [eq], summary)


SPEC = register(
    GameSpec(
        name="bargaining",
        title="Crisis bargaining under private information (Fearon 1995)",
        description="take-it-or-leave-it offer to an adversary with a private cost of war; optimal offer and probability of war",
        sources="Fearon (1995) International Organization 49(3); seeds/003_6e275725a3b18bd7.txt (negotiation under fire)",
        params=Params,
        solve=solve,
        metrics=metrics,
    )
)
