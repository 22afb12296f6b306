"""Deterrence with credibility decay (mechanisms M05 and M06).

Source: ``seeds/000_2925941e4be23cd7.txt``. The op-ed states the deterrence inequality
(aggression is deterred only when its expected cost exceeds its expected utility),
insists that sanctions deter only if they are believed to last until behaviour
changes, and argues that premature dialogue adds a factor of decay to that belief.

Model
-----
The adversary weighs a gain ``U`` (``gain``) against an expected cost. Sanctions do
damage ``D`` (``damage``) per period; each period they survive into the next with
perceived probability ``pi`` (``permanence``); the adversary discounts by ``delta``.
The expected sanction cost is the geometric sum ``D * sum_k (delta*pi)^k`` and a fixed
military cost ``m`` is added::

    C(pi) = m + D / (1 - delta * pi)

Each premature contact multiplies the perceived permanence by ``1 - d`` (``decay``), so
after ``n`` contacts ``pi_n = pi_0 (1 - d)^n``.

* A rational adversary aggresses iff ``U > C(pi_n)`` (ties: deterred).
* The closed-form thresholds are the permanence ``pi* = (1 - D/(U - m)) / delta`` and the
  damage ``D* = (U - m)(1 - delta * pi)`` at which it is just deterred, and the largest
  number of premature contacts that keeps deterrence,
  ``n* = floor(ln(pi*/pi_0) / ln(1 - d))``.
* With bounded rationality (the simulator's logit choice, precision ``lambda``),
  ``P(aggress) = 1 / (1 + exp(-lambda (U - C)))``.

Comparative statics: ``dC/dpi = D delta / (1 - delta pi)^2 > 0`` and
``dC/dD = 1/(1 - delta pi) > 0``, so ``P(aggress)`` falls in both permanence and damage
and rises with every premature contact.

The finite game used for cross-checks is a two-move game: the coalition picks how many
premature contacts to make, ``n in {0..N}`` (each worth ``talk_benefit`` to it); the
adversary then aggresses or not (aggression costs the coalition ``coalition_loss``).
Its subgame-perfect equilibrium is computed here by backward induction.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import Field

from crisislab.games.base import GameParams, GameSpec, Solution, as_arrays, logistic, register


class Params(GameParams):
    """Parameters of the deterrence game (defaults: an illustrative, deterred case)."""

    gain: float = Field(1.0, ge=0.0, description="adversary's utility from aggression (U)")
    damage: float = Field(0.15, ge=0.0, description="sanction damage per period (D)")
    permanence: float = Field(0.95, ge=0.0, le=1.0, description="perceived per-period probability that sanctions persist (pi_0)")
    discount: float = Field(0.95, ge=0.0, lt=1.0, description="adversary's per-period discount factor (delta)")
    military_cost: float = Field(0.2, ge=0.0, description="fixed military cost of aggression (m)")
    decay: float = Field(0.05, ge=0.0, le=1.0, description="share of permanence lost per premature contact (d, M06)")
    contacts: int = Field(0, ge=0, le=1000, description="premature contacts made (n)")
    rationality: float = Field(4.0, ge=0.0, description="logit precision of the adversary's choice (lambda, M05)")
    talk_benefit: float = Field(0.05, ge=0.0, description="coalition's benefit per premature contact (talk game)")
    coalition_loss: float = Field(1.0, ge=0.0, description="coalition's loss if the adversary aggresses (talk game)")
    max_contacts: int = Field(5, ge=0, le=50, description="most premature contacts the coalition can choose (talk game)")


def expected_cost(p: dict[str, Any], permanence: Any) -> Any:
    """``C(pi) = m + D / (1 - delta pi)``, elementwise."""
    return p["military_cost"] + p["damage"] / (1.0 - p["discount"] * np.asarray(permanence, dtype=float))


def permanence_after(p: dict[str, Any], contacts: Any) -> Any:
    """Perceived permanence after ``contacts`` premature contacts: ``pi_0 (1 - d)^n``."""
    return p["permanence"] * (1.0 - p["decay"]) ** np.asarray(contacts, dtype=float)


def _metrics(p: dict[str, Any]) -> dict[str, np.ndarray]:
    """All closed forms, vectorised over any array-valued parameter."""
    U, D, m, delta = (np.asarray(p[k], dtype=float) for k in ("gain", "damage", "military_cost", "discount"))
    pi0, d, lam = (np.asarray(p[k], dtype=float) for k in ("permanence", "decay", "rationality"))
    n = np.asarray(p["contacts"], dtype=float)
    pi_n = pi0 * (1.0 - d) ** n
    cost = m + D / (1.0 - delta * pi_n)
    margin = U - cost
    deterred = margin <= 0.0
    net = U - m
    with np.errstate(divide="ignore", invalid="ignore"):
        pi_star = np.where(net > 0, (1.0 - D / np.where(net > 0, net, 1.0)) / np.where(delta > 0, delta, np.nan), 0.0)
        pi_star = np.where((net > 0) & (delta == 0), np.where(D >= net, 0.0, np.inf), pi_star)
    pi_star = np.where(pi_star < 0.0, 0.0, pi_star)
    damage_star = np.maximum(net, 0.0) * (1.0 - delta * pi_n)
    # largest n with pi_0 (1-d)^n >= pi*
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        raw = np.floor(np.log(pi_star / pi0) / np.log(1.0 - d) + 1e-12)
    n_star = np.where(pi_star <= 0.0, np.inf, np.where(pi0 < pi_star, -1.0, np.where((d <= 0) | (d >= 1), np.where(d >= 1, 0.0, np.inf), raw)))
    p_aggress = logistic(lam * margin)
    dc_dpi = D * delta / (1.0 - delta * pi_n) ** 2
    dc_dd = 1.0 / (1.0 - delta * pi_n)
    slope = lam * p_aggress * (1.0 - p_aggress)
    with np.errstate(divide="ignore", invalid="ignore"):
        dpi_dn = np.where(d < 1, pi_n * np.log(np.where(d < 1, 1.0 - d, 1.0)), -pi0)
    return {
        "permanence_effective": pi_n,
        "expected_cost": cost,
        "margin": margin,
        "deterred": deterred.astype(float),
        "permanence_threshold": pi_star,
        "damage_threshold": damage_star,
        "contacts_threshold": n_star,
        "p_aggress": np.asarray(p_aggress, dtype=float),
        "dcost_dpermanence": dc_dpi,
        "dcost_ddamage": dc_dd,
        "dp_dpermanence": -slope * dc_dpi,
        "dp_ddamage": -slope * dc_dd,
        "dp_dcontact": -slope * dc_dpi * dpi_dn,
    }


def metrics(params: Params, key: str, values: np.ndarray) -> dict[str, np.ndarray]:
    """Closed-form metrics over an array of one parameter (for ``--sweep``)."""
    out = _metrics(as_arrays(params, key, values))
    return {k: np.broadcast_to(v, np.shape(values)).astype(float) for k, v in out.items()}


def talk_game(params: Params) -> dict[str, Any]:
    """Subgame-perfect equilibrium of the talk game by backward induction.

    Returns the adversary's response to each contact count (``True`` = aggress) and
    the coalition's best count (ties go to fewer contacts).
    """
    p = params.model_dump()
    ns = np.arange(params.max_contacts + 1)
    cost = expected_cost(p, permanence_after(p, ns))
    aggress = params.gain > cost
    value = ns * params.talk_benefit - params.coalition_loss * aggress
    best = int(np.flatnonzero(value == value.max())[0])
    return {
        "aggress_after": [bool(a) for a in aggress],
        "coalition_value": [float(v) for v in value],
        "contacts": best,
        "adversary_margin": [float(params.gain - c) for c in cost],
    }


def solve(params: Params) -> Solution:
    """Solve the deterrence game: thresholds, choice and the talk game's SPE."""
    m = {k: float(v) for k, v in _metrics(params.model_dump()).items()}
    spe = talk_game(params)
    n = spe["contacts"]
    agg = spe["aggress_after"][n]
    eq = {
        "name": "subgame-perfect",
        "kind": "pure",
        "strategies": {
            "coalition": {"contacts": n},
            "adversary": {"aggress_after_contacts": [i for i, a in enumerate(spe["aggress_after"]) if a]},
        },
        "outcome": "aggression" if agg else "deterred",
        "payoffs": {
            "coalition": spe["coalition_value"][n],
            "adversary": spe["adversary_margin"][n] if agg else 0.0,
        },
    }
    n_star = m["contacts_threshold"]
    summary: dict[str, Any] = {
        "permanence_effective": m["permanence_effective"],
        "expected_cost": m["expected_cost"],
        "gain": params.gain,
        "deterred": bool(m["deterred"]),
        "p_aggress": m["p_aggress"],
        "permanence_threshold": m["permanence_threshold"],
        "damage_threshold": m["damage_threshold"],
        "contacts_threshold": None if math.isinf(n_star) else int(n_star),
        "comparative_statics": {
            "dcost_dpermanence": m["dcost_dpermanence"],
            "dcost_ddamage": m["dcost_ddamage"],
            "dp_dpermanence": m["dp_dpermanence"],
            "dp_ddamage": m["dp_ddamage"],
            "dp_dcontact": m["dp_dcontact"],
        },
    }
    notes = [
        "permanence_threshold > 1 means no permanence deters; contacts_threshold = -1 means "
        "deterrence already fails with no contact, null means no number of contacts breaks it.",
    ]
    return Solution("deterrence", params.model_dump(), [eq], summary, notes)


SPEC = register(
    GameSpec(
        name="deterrence",
        title="Deterrence with credibility decay (M05, M06)",
        description="adversary aggresses iff its gain exceeds the expected cost of sanctions whose permanence decays with premature contacts",
        sources="seeds/000_2925941e4be23cd7.txt; geometric-persistence cost as in standard deterrence models",
        params=Params,
        solve=solve,
        metrics=metrics,
    )
)
