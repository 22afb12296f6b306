"""Screening by a conditional offer (mechanism M19).

Source: ``seeds/002_b0d57d2106c091ca.txt``: offer talks on condition that the adversary
demobilises; its answer shows whether it is sincere or set on aggression; if it refuses,
fire responses planned in advance.

Game
----
1. The coalition either makes the conditional offer or not (``offer_cost`` is what
   making it costs the coalition, e.g. face; 0 by default).
2. Nature draws the adversary's type: *sincere* with probability ``prior_sincere``,
   otherwise *aggressive*. Only the adversary knows it.
3. After an offer the adversary **accepts** (demobilises and talks: outcome *deal*) or
   **rejects** (keeps mobilising).
4. After a rejection the coalition, with posterior belief ``mu = P(sincere | reject)``,
   either **responds** (fires its planned responses: outcome *war*, i.e. open
   confrontation) or **holds back** (outcome *status quo*: mobilised adversary, no
   response).

Without an offer the coalition makes the same respond / hold-back choice on the prior
alone. Payoffs are parameters: each adversary type's value of deal, war and status
quo (``sincere_deal`` ...), and the coalition's value of each outcome by type
(``coalition_deal_sincere`` ...). Defaults describe the case the op-ed has in mind: a
sincere type wants the deal but dislikes demobilising on demand if nothing follows a
refusal; an aggressive type prefers war to demobilising.

Solution
--------
Perfect Bayesian equilibria of the offer subgame, for generic payoffs, are found by
checking every candidate profile class exactly:

* pooling (both accept; both reject), separating (sincere accepts and aggressive
  rejects, or the reverse), and semi-separating (one type mixes so that the posterior
  after a rejection makes the coalition indifferent, and the coalition mixes so that
  the mixing type is indifferent).

Pooling on *accept* leaves the coalition's response after a rejection off the path;
it is reported as one component with the interval of response probabilities (and the
off-path beliefs) that sustain it. Each equilibrium lists strategies, posteriors after
accept and reject (Bayes' rule where defined), payoffs, and the coalition's value of
making the offer relative to not making it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from crisislab.games.base import GameParams, GameSpec, Solution, as_arrays, register

KINDS = (
    "pooling_accept",
    "pooling_reject",
    "separating",
    "separating_reverse",
    "semi_separating_sincere_mixes",
    "semi_separating_aggressive_mixes",
)

LABELS = {
    "pooling_accept": "pooling: both types accept",
    "pooling_reject": "pooling: both types reject",
    "separating": "separating: sincere accepts, aggressive rejects",
    "separating_reverse": "separating: sincere rejects, aggressive accepts",
    "semi_separating_sincere_mixes": "semi-separating: sincere mixes, aggressive rejects",
    "semi_separating_aggressive_mixes": "semi-separating: aggressive mixes, sincere rejects",
}


class Params(GameParams):
    """Parameters of the screening game (payoffs in common units, 0 = nothing changes)."""

    prior_sincere: float = Field(0.4, gt=0.0, lt=1.0, description="prior probability that the adversary is sincere")
    sincere_deal: float = Field(0.6, description="sincere type's payoff from the deal")
    sincere_war: float = Field(-0.5, description="sincere type's payoff if it rejects and the coalition responds")
    sincere_status_quo: float = Field(0.8, description="sincere type's payoff if it rejects and the coalition holds back")
    aggressive_deal: float = Field(-0.3, description="aggressive type's payoff from the deal")
    aggressive_war: float = Field(-0.2, description="aggressive type's payoff if it rejects and the coalition responds")
    aggressive_status_quo: float = Field(1.0, description="aggressive type's payoff if it rejects and the coalition holds back")
    coalition_deal_sincere: float = Field(0.5, description="coalition's payoff from a deal with a sincere adversary")
    coalition_deal_aggressive: float = Field(0.2, description="coalition's payoff from a deal with an aggressive adversary")
    coalition_war_sincere: float = Field(-0.6, description="coalition's payoff from responding to a sincere adversary")
    coalition_war_aggressive: float = Field(-0.5, description="coalition's payoff from responding to an aggressive adversary")
    coalition_status_quo_sincere: float = Field(-0.1, description="coalition's payoff from holding back against a sincere adversary")
    coalition_status_quo_aggressive: float = Field(-1.0, description="coalition's payoff from holding back against an aggressive adversary")
    offer_cost: float = Field(0.0, description="coalition's cost of making the offer")


def _interval_ge0(alpha: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The interval of r in [0, 1] with alpha + beta r >= 0 (empty when lo > hi)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        root = -alpha / beta
    lo = np.where(beta > 0, np.maximum(0.0, root), np.where(beta < 0, 0.0, np.where(alpha >= 0, 0.0, 1.0)))
    hi = np.where(beta > 0, 1.0, np.where(beta < 0, np.minimum(1.0, root), np.where(alpha >= 0, 1.0, 0.0)))
    lo = np.where((beta == 0) & (alpha < 0), 2.0, lo)  # empty
    return lo, hi


def candidates(p: dict[str, Any]) -> dict[str, dict[str, np.ndarray]]:
    """Every candidate equilibrium class with its existence mask and its numbers.

    Vectorised: any parameter may be an array; all outputs broadcast together.
    For each class: ``exists``, acceptance probabilities ``a_sincere``, ``a_aggressive``,
    the coalition's response probability after a rejection (``r_lo``..``r_hi``: one
    value, or the sustaining interval for pooling on accept), posteriors
    ``mu_accept``/``mu_reject`` (NaN off the path), and payoffs.
    """
    f = {k: np.asarray(v, dtype=float) for k, v in p.items()}
    prior = f["prior_sincere"]
    dS, wS, qS = f["sincere_deal"], f["sincere_war"], f["sincere_status_quo"]
    dG, wG, qG = f["aggressive_deal"], f["aggressive_war"], f["aggressive_status_quo"]
    cdS, cdG = f["coalition_deal_sincere"], f["coalition_deal_aggressive"]
    cwS, cwG = f["coalition_war_sincere"], f["coalition_war_aggressive"]
    cqS, cqG = f["coalition_status_quo_sincere"], f["coalition_status_quo_aggressive"]
    shape = np.broadcast(prior, dS, wS, qS, dG, wG, qG, cdS, cdG, cwS, cwG, cqS, cqG).shape

    def full(x: Any) -> np.ndarray:
        return np.broadcast_to(np.asarray(x, dtype=float), shape).copy()

    # gain from accepting over rejecting, for type t at response probability r:
    # Delta_t(r) = (d_t - q_t) + r (q_t - w_t)
    aS, bS = dS - qS, qS - wS
    aG, bG = dG - qG, qG - wG
    # coalition after rejection: respond minus hold back = mu*A + (1-mu)*B
    A, B = cwS - cqS, cwG - cqG
    with np.errstate(divide="ignore", invalid="ignore"):
        mu_star = np.where(A != B, B / (B - A), np.nan)
    interior_ok = (np.minimum(A, B) <= 0) & (np.maximum(A, B) >= 0)
    mu_star = np.where(interior_ok & (A != B), mu_star, np.nan)

    def respond_pref(mu: np.ndarray) -> np.ndarray:
        return mu * A + (1 - mu) * B

    def br_is(r: float, mu: np.ndarray) -> np.ndarray:
        d = respond_pref(mu)
        return d > 0 if r == 1.0 else d < 0

    with np.errstate(divide="ignore", invalid="ignore"):
        r_S = np.where(bS != 0, -aS / bS, np.nan)  # sincere indifferent
        r_G = np.where(bG != 0, -aG / bG, np.nan)  # aggressive indifferent

    def delta(a: np.ndarray, b: np.ndarray, r: Any) -> np.ndarray:
        return a + b * r

    def coalition_value(a_s: Any, a_g: Any, r: Any) -> np.ndarray:
        rs = 1 - a_s
        rg = 1 - a_g
        return (
            prior * (a_s * cdS + rs * (r * cwS + (1 - r) * cqS))
            + (1 - prior) * (a_g * cdG + rg * (r * cwG + (1 - r) * cqG))
        )

    def type_value(a: Any, d: np.ndarray, w: np.ndarray, q: np.ndarray, r: Any) -> np.ndarray:
        return a * d + (1 - a) * (r * w + (1 - r) * q)

    out: dict[str, dict[str, np.ndarray]] = {}

    def pack(exists: np.ndarray, a_s: Any, a_g: Any, r_lo: Any, r_hi: Any, mu_rej: Any) -> dict[str, np.ndarray]:
        a_s, a_g = full(a_s), full(a_g)
        r_lo, r_hi = full(r_lo), full(r_hi)
        r_rep = np.where(r_hi >= 1.0, 1.0, np.where(r_lo <= 0.0, 0.0, r_hi))  # a representative response
        acc = prior * a_s + (1 - prior) * a_g
        with np.errstate(divide="ignore", invalid="ignore"):
            mu_acc = np.where(acc > 0, prior * a_s / acc, np.nan)
        return {
            "exists": full(exists).astype(bool),
            "a_sincere": a_s,
            "a_aggressive": a_g,
            "r_lo": r_lo,
            "r_hi": r_hi,
            "r": r_rep,
            "mu_accept": mu_acc,
            "mu_reject": full(mu_rej),
            "p_accept": acc,
            "p_war": (1 - acc) * r_rep,
            "coalition": coalition_value(a_s, a_g, r_rep),
            "sincere": type_value(a_s, dS, wS, qS, r_rep),
            "aggressive": type_value(a_g, dG, wG, qG, r_rep),
        }

    # 1. pooling on accept: response off path; r any value both types accept under and
    # which some belief rationalises.
    loS, hiS = _interval_ge0(aS, bS)
    loG, hiG = _interval_ge0(aG, bG)
    lo, hi = np.maximum(loS, loG), np.minimum(hiS, hiG)
    only1 = np.minimum(A, B) > 0
    only0 = np.maximum(A, B) < 0
    lo = np.where(only1, np.maximum(lo, 1.0), lo)
    hi = np.where(only0, np.minimum(hi, 0.0), hi)
    out["pooling_accept"] = pack(lo <= hi, 1.0, 1.0, np.where(lo <= hi, lo, np.nan), np.where(lo <= hi, hi, np.nan), np.nan)

    # 2. pooling on reject: mu_reject = prior; strict best response of the coalition.
    e1 = br_is(1.0, prior) & (delta(aS, bS, 1.0) <= 0) & (delta(aG, bG, 1.0) <= 0)
    e0 = br_is(0.0, prior) & (delta(aS, bS, 0.0) <= 0) & (delta(aG, bG, 0.0) <= 0)
    rr = np.where(e1, 1.0, 0.0)
    out["pooling_reject"] = pack(e1 | e0, 0.0, 0.0, rr, rr, prior)

    # 3. separating: sincere accepts, aggressive rejects -> mu_reject = 0.
    e1 = br_is(1.0, full(0.0)) & (delta(aS, bS, 1.0) >= 0) & (delta(aG, bG, 1.0) <= 0)
    e0 = br_is(0.0, full(0.0)) & (delta(aS, bS, 0.0) >= 0) & (delta(aG, bG, 0.0) <= 0)
    rr = np.where(e1, 1.0, 0.0)
    out["separating"] = pack(e1 | e0, 1.0, 0.0, rr, rr, 0.0)

    # 4. reverse separating: sincere rejects, aggressive accepts -> mu_reject = 1.
    e1 = br_is(1.0, full(1.0)) & (delta(aS, bS, 1.0) <= 0) & (delta(aG, bG, 1.0) >= 0)
    e0 = br_is(0.0, full(1.0)) & (delta(aS, bS, 0.0) <= 0) & (delta(aG, bG, 0.0) >= 0)
    rr = np.where(e1, 1.0, 0.0)
    out["separating_reverse"] = pack(e1 | e0, 0.0, 1.0, rr, rr, 1.0)

    # 5. sincere mixes, aggressive rejects: mu_reject = mu* in (0, prior); r = r_S in (0,1).
    ok = np.isfinite(mu_star) & (mu_star > 0) & (mu_star < prior) & (r_S > 0) & (r_S < 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        a_s = 1 - mu_star * (1 - prior) / (prior * (1 - mu_star))
    ok = ok & (delta(aG, bG, np.where(ok, r_S, 0.0)) <= 0)
    out["semi_separating_sincere_mixes"] = pack(ok, np.where(ok, a_s, np.nan), 0.0, r_S, r_S, mu_star)

    # 6. aggressive mixes, sincere rejects: mu_reject = mu* in (prior, 1); r = r_G in (0,1).
    ok = np.isfinite(mu_star) & (mu_star > prior) & (mu_star < 1) & (r_G > 0) & (r_G < 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        a_g = 1 - prior * (1 - mu_star) / ((1 - prior) * mu_star)
    ok = ok & (delta(aS, bS, np.where(ok, r_G, 0.0)) <= 0)
    out["semi_separating_aggressive_mixes"] = pack(ok, 0.0, np.where(ok, a_g, np.nan), r_G, r_G, mu_star)

    # the coalition's value of not offering: best of respond / hold back on the prior
    no_offer = np.maximum(prior * cwS + (1 - prior) * cwG, prior * cqS + (1 - prior) * cqG)
    for c in out.values():
        c["value_of_offer"] = c["coalition"] - f["offer_cost"] - no_offer
    out["_no_offer"] = {
        "coalition": full(no_offer),
        "respond": full(respond_pref(prior) > 0).astype(float),
        "mu_star": full(mu_star),
    }
    return out


def metrics(params: Params, key: str, values: np.ndarray) -> dict[str, np.ndarray]:
    """Summary over an array of one parameter: equilibrium count, best/worst value of the offer."""
    c = candidates(as_arrays(params, key, values))
    eqs = [c[k] for k in KINDS]
    exists = np.stack([e["exists"] for e in eqs])
    val = np.stack([e["value_of_offer"] for e in eqs])
    best_val = np.where(exists, val, -np.inf).max(axis=0)
    worst_val = np.where(exists, val, np.inf).min(axis=0)
    best_i = np.where(exists, val, -np.inf).argmax(axis=0)
    pick = np.arange(best_i.size)

    def at(name: str) -> np.ndarray:
        arr = np.stack([np.broadcast_to(e[name], best_i.shape) for e in eqs])
        return arr.reshape(len(eqs), -1)[best_i.ravel(), pick].reshape(best_i.shape)

    n = exists.sum(axis=0)
    return {
        "n_equilibria": n.astype(float),
        "value_of_offer_best": np.where(n > 0, best_val, np.nan),
        "value_of_offer_worst": np.where(n > 0, worst_val, np.nan),
        "p_accept_best": np.where(n > 0, at("p_accept"), np.nan),
        "p_war_best": np.where(n > 0, at("p_war"), np.nan),
        "posterior_reject_best": np.where(n > 0, at("mu_reject"), np.nan),
        "separating_exists": exists[KINDS.index("separating")].astype(float),
        "semi_separating_exists": (exists[4] | exists[5]).astype(float),
    }


def _num(x: np.ndarray) -> float | None:
    v = float(x)
    return None if np.isnan(v) else v


def _off_path_beliefs(r_lo: float, r_hi: float, mu_star: float | None, A: float, B: float) -> str:
    parts = []
    if r_hi >= 1.0:
        # respond is optimal where mu*A + (1-mu)*B >= 0
        parts.append(_belief_region(A, B, ">="))
    if r_lo <= 0.0:
        parts.append(_belief_region(A, B, "<="))
    if r_lo < 1.0 and r_hi > 0.0 and mu_star is not None:
        parts.append(f"mu = {mu_star:.4g}")
    return " or ".join(dict.fromkeys(parts)) or "none"


def _belief_region(A: float, B: float, sense: str) -> str:
    # mu*A + (1-mu)*B = B + mu (A - B)
    if A == B:
        ok = (B >= 0) if sense == ">=" else (B <= 0)
        return "any mu" if ok else "no mu"
    m = B / (B - A)
    grows = A > B  # respond advantage increases in mu
    if sense == ">=":
        return f"mu >= {m:.4g}" if grows else f"mu <= {m:.4g}"
    return f"mu <= {m:.4g}" if grows else f"mu >= {m:.4g}"


def solve(params: Params) -> Solution:
    """All perfect Bayesian equilibria of the offer subgame, with the offer decision."""
    p = params.model_dump()
    c = candidates(p)
    A = params.coalition_war_sincere - params.coalition_status_quo_sincere
    B = params.coalition_war_aggressive - params.coalition_status_quo_aggressive
    mu_star = _num(c["_no_offer"]["mu_star"])
    no_offer = float(c["_no_offer"]["coalition"])
    eqs: list[dict[str, Any]] = []
    for kind in KINDS:
        e = c[kind]
        if not bool(e["exists"]):
            continue
        r_lo, r_hi = float(e["r_lo"]), float(e["r_hi"])
        coalition_strategy: dict[str, Any] = {"offer": bool(float(e["value_of_offer"]) >= 0)}
        beliefs: dict[str, Any] = {"after_accept": _num(e["mu_accept"])}
        if kind == "pooling_accept":
            coalition_strategy["respond_after_reject"] = [r_lo, r_hi] if r_lo < r_hi else r_lo
            beliefs["after_reject"] = "off path: " + _off_path_beliefs(r_lo, r_hi, mu_star, A, B)
        else:
            coalition_strategy["respond_after_reject"] = float(e["r"])
            beliefs["after_reject"] = _num(e["mu_reject"])
        eqs.append(
            {
                "name": LABELS[kind],
                "kind": kind,
                "strategies": {
                    "coalition": coalition_strategy,
                    "sincere": {"accept": float(e["a_sincere"])},
                    "aggressive": {"accept": float(e["a_aggressive"])},
                },
                "beliefs": beliefs,
                "outcome": {"p_accept": float(e["p_accept"]), "p_war": float(e["p_war"])},
                "payoffs": {
                    "coalition": float(e["coalition"]) - params.offer_cost,
                    "sincere": float(e["sincere"]),
                    "aggressive": float(e["aggressive"]),
                },
                "value_of_offer": float(e["value_of_offer"]),
            }
        )
    values = [eq["value_of_offer"] for eq in eqs]
    summary = {
        "prior_sincere": params.prior_sincere,
        "n_equilibria": len(eqs),
        "coalition_indifference_belief": mu_star,
        "no_offer_value": no_offer,
        "no_offer_respond": bool(c["_no_offer"]["respond"]),
        "value_of_offer_best": max(values) if values else None,
        "value_of_offer_worst": min(values) if values else None,
    }
    notes = [
        "beliefs are P(sincere | response); 'respond_after_reject' is the probability that the "
        "coalition fires its planned responses after a rejection.",
        "generic payoffs assumed: exact ties between payoffs can add continua of equilibria not listed.",
    ]
    if not eqs:
        notes.append("no equilibrium found: the payoffs are non-generic (a tie); perturb one slightly.")
    return Solution("screening", p, eqs, summary, notes)


SPEC = register(
    GameSpec(
        name="screening",
        title="Screening by a conditional offer (M19)",
        description="offer talks conditional on demobilisation; the adversary's answer reveals its type; perfect Bayesian equilibria and value of the offer",
        sources="seeds/002_b0d57d2106c091ca.txt; signalling/screening equilibria as in Fudenberg & Tirole (1991), ch. 8",
        params=Params,
        solve=solve,
        metrics=metrics,
    )
)
