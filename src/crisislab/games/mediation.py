"""Bargaining with a mediator whose information and bias decide its credibility (M25).

After Kydd (2003), "Which side are you on? Bias, credibility, and mediation", American
Journal of Political Science 47(4): 597-611: a mediator who only wants peace cannot
credibly say "they are resolved"; advice is believed only when the mediator cares
enough about the side it advises. Source for the mechanism:
``seeds/003_6e275725a3b18bd7.txt``.

Game
----
The stake is 1; war gives the adversary ``p_win - c`` and the coalition
``1 - p_win - cost_coalition``. The adversary is *strong* (cost ``cost_strong``) with
probability ``prior_strong``, otherwise *weak* (``cost_weak > cost_strong``). The
coalition offers either the **generous** share ``p_win - cost_strong`` (both types
accept) or the **stingy** share ``p_win - cost_weak`` (only the weak type accepts; the
strong type fights). It prefers generous iff its belief that the adversary is strong is
at least ``s* = (x_g - x_s) / (p_win + cost_coalition - x_s)``.

A mediator observes a signal of the type that is right with probability
``mediator_accuracy`` and sends a costless message. Its utility is
``bias * u_coalition + (1 - bias) * u_adversary - peace_weight * [war]``.

Solution
--------
A babbling equilibrium (messages ignored) always exists; the coalition then acts on
the prior. The informative equilibrium (the mediator reports its signal, the coalition
offers generous after "strong" and stingy after "weak") exists iff (i) the posteriors
after the two signals straddle ``s*`` and (ii) the mediator prefers the coalition's
response to its true signal after each signal. Both conditions are linear in ``bias``,
so credibility holds for ``bias`` in a closed-form interval: with a perfectly informed
mediator and ``peace_weight = 0`` it is ``bias >= 1/2`` (the mediator must lean towards
the side it advises).

``P(war)`` is ``prior_strong`` without mediation if the coalition is stingy on the prior
(0 if generous), and ``prior_strong * (1 - mediator_accuracy)`` with a credible mediator.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field, model_validator

from crisislab.games.base import GameParams, GameSpec, Solution, as_arrays, register


class Params(GameParams):
    """Parameters of the mediated bargaining game."""

    p_win: float = Field(0.5, ge=0.0, le=1.0, description="adversary's probability of winning a war")
    cost_coalition: float = Field(0.1, ge=0.0, description="coalition's cost of war")
    cost_strong: float = Field(0.05, ge=0.0, description="strong (resolved) adversary's cost of war")
    cost_weak: float = Field(0.3, ge=0.0, description="weak adversary's cost of war")
    prior_strong: float = Field(0.3, gt=0.0, lt=1.0, description="prior probability that the adversary is strong")
    mediator_accuracy: float = Field(0.9, ge=0.5, le=1.0, description="probability that the mediator's signal of the type is right")
    mediator_bias: float = Field(0.7, ge=0.0, le=1.0, description="weight of the coalition's payoff in the mediator's utility (1 - weight of the adversary's)")
    peace_weight: float = Field(0.05, ge=0.0, description="mediator's extra loss from war")

    @model_validator(mode="after")
    def _order(self) -> Params:
        if self.cost_weak <= self.cost_strong:
            raise ValueError(f"cost_weak ({self.cost_weak}) must be > cost_strong ({self.cost_strong})")
        if self.p_win - self.cost_weak < 0:
            raise ValueError(
                f"p_win - cost_weak = {self.p_win - self.cost_weak:.3g} < 0: the weak type would accept nothing; "
                "expected p_win >= cost_weak"
            )
        return self


def _core(p: dict[str, Any]) -> dict[str, np.ndarray]:
    pw, cA, cs, cw, q, th, b, w = (
        np.asarray(p[k], dtype=float)
        for k in ("p_win", "cost_coalition", "cost_strong", "cost_weak", "prior_strong", "mediator_accuracy", "mediator_bias", "peace_weight")
    )
    xg, xs = pw - cs, pw - cw  # generous, stingy offers
    war_c = 1.0 - pw - cA
    s_star = (xg - xs) / (1.0 - xs - war_c)  # coalition generous iff belief >= s_star

    def coalition_stingy(s: Any) -> Any:
        return (1.0 - s) * (1.0 - xs) + s * war_c

    def adversary_stingy(s: Any) -> Any:
        return (1.0 - s) * xs + s * (pw - cs)

    ug_c, ug_a = 1.0 - xg, xg
    # posteriors after each signal
    s_hi = q * th / (q * th + (1.0 - q) * (1.0 - th))
    s_lo = q * (1.0 - th) / (q * (1.0 - th) + (1.0 - q) * th)
    acts = (s_hi >= s_star) & (s_lo < s_star)

    # mediator's gain from the stingy offer over the generous one at belief s:
    # D(s) = b * (C_st(s) - C_g) + (1 - b) * (A_st(s) - A_g) - w * s = k0 + k1 * b
    def gain(s: Any) -> tuple[Any, Any]:
        dc = coalition_stingy(s) - ug_c
        da = adversary_stingy(s) - ug_a
        return da - w * s, dc - da

    k0_lo, k1_lo = gain(s_lo)  # after a 'weak' signal the mediator must want stingy: >= 0
    k0_hi, k1_hi = gain(s_hi)  # after a 'strong' signal it must want generous: <= 0
    b_lo, b_hi = np.zeros_like(b + q), np.ones_like(b + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        r1 = -k0_lo / k1_lo
        r2 = -k0_hi / k1_hi
    # k0_lo + k1_lo b >= 0
    b_lo = np.where(k1_lo > 0, np.maximum(b_lo, r1), b_lo)
    b_hi = np.where(k1_lo < 0, np.minimum(b_hi, r1), b_hi)
    bad1 = (k1_lo == 0) & (k0_lo < 0)
    # k0_hi + k1_hi b <= 0
    b_hi = np.where(k1_hi > 0, np.minimum(b_hi, r2), b_hi)
    b_lo = np.where(k1_hi < 0, np.maximum(b_lo, r2), b_lo)
    bad2 = (k1_hi == 0) & (k0_hi > 0)
    ic = (k0_lo + k1_lo * b >= 0) & (k0_hi + k1_hi * b <= 0)
    credible = acts & ic
    interval_ok = acts & ~bad1 & ~bad2 & (b_lo <= b_hi)

    generous_prior = q >= s_star
    p_war_none = np.where(generous_prior, 0.0, q)
    u_none = np.where(generous_prior, ug_c, coalition_stingy(q))
    p_war_med = np.where(credible, q * (1.0 - th), p_war_none)
    p_hi_signal = q * th + (1.0 - q) * (1.0 - th)
    u_med_inf = p_hi_signal * ug_c + (1.0 - p_hi_signal) * coalition_stingy(s_lo)
    u_med = np.where(credible, u_med_inf, u_none)
    return {
        "belief_threshold": s_star,
        "posterior_after_strong_signal": s_hi,
        "posterior_after_weak_signal": s_lo,
        "advice_changes_offer": acts.astype(float),
        "credible": credible.astype(float),
        "bias_min": np.where(interval_ok, b_lo, np.nan),
        "bias_max": np.where(interval_ok, b_hi, np.nan),
        "p_war_without_mediator": p_war_none,
        "p_war_with_mediator": p_war_med,
        "coalition_value_without_mediator": u_none,
        "coalition_value_with_mediator": u_med,
        "generous_on_prior": generous_prior.astype(float),
    }


def metrics(params: Params, key: str, values: np.ndarray) -> dict[str, np.ndarray]:
    """Closed forms over an array of one parameter."""
    out = _core(as_arrays(params, key, values))
    return {k: np.broadcast_to(v, np.shape(values)).astype(float) for k, v in out.items()}


def solve(params: Params) -> Solution:
    """Babbling and (when credible) informative equilibria, with P(war) with and without."""
    p = params.model_dump()
    m = {k: float(v) for k, v in _core(p).items()}
    generous = bool(m["generous_on_prior"])
    prior_offer = "generous" if generous else "stingy"
    eqs: list[dict[str, Any]] = [
        {
            "name": "babbling (mediator ignored)",
            "kind": "babbling",
            "strategies": {
                "mediator": {"message": "independent of the signal"},
                "coalition": {"after_any_message": prior_offer},
                "adversary": {"strong": "accept generous, fight stingy", "weak": "accept"},
            },
            "beliefs": {"after_any_message": params.prior_strong},
            "outcome": {"p_war": m["p_war_without_mediator"]},
            "payoffs": {"coalition": m["coalition_value_without_mediator"]},
        }
    ]
    if m["credible"]:
        eqs.append(
            {
                "name": "informative (mediator reports its signal)",
                "kind": "informative",
                "strategies": {
                    "mediator": {"message": "its signal"},
                    "coalition": {"after_strong": "generous", "after_weak": "stingy"},
                    "adversary": {"strong": "accept generous, fight stingy", "weak": "accept"},
                },
                "beliefs": {
                    "after_strong": m["posterior_after_strong_signal"],
                    "after_weak": m["posterior_after_weak_signal"],
                },
                "outcome": {"p_war": m["p_war_with_mediator"]},
                "payoffs": {"coalition": m["coalition_value_with_mediator"]},
            }
        )
    summary = {
        "credible": bool(m["credible"]),
        "advice_changes_offer": bool(m["advice_changes_offer"]),
        "bias_interval": None if np.isnan(m["bias_min"]) else [m["bias_min"], m["bias_max"]],
        "belief_threshold": m["belief_threshold"],
        "p_war_without_mediator": m["p_war_without_mediator"],
        "p_war_with_mediator": m["p_war_with_mediator"],
        "coalition_value_without_mediator": m["coalition_value_without_mediator"],
        "coalition_value_with_mediator": m["coalition_value_with_mediator"],
    }
    notes = ["bias_interval: the mediator biases for which its advice is credible (null if none)."]
    return Solution("mediation", p, eqs, summary, notes)


SPEC = register(
    GameSpec(
        name="mediation",
        title="Mediated bargaining: bias and credibility (Kydd 2003)",
        description="a mediator with a noisy signal of the adversary's resolve advises the coalition; credible only for some biases",
        sources="Kydd (2003) American Journal of Political Science 47(4); seeds/003_6e275725a3b18bd7.txt (M25)",
        params=Params,
        solve=solve,
        metrics=metrics,
    )
)
