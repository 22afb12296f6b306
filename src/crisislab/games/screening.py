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
Perfect Bayesian equilibria of the offer subgame are found by checking every candidate
profile class exactly:

* pooling (both accept; both reject), separating (sincere accepts and aggressive
  rejects, or the reverse), and semi-separating (one type mixes so that the posterior
  after a rejection makes the coalition indifferent, and the coalition mixes so that
  the mixing type is indifferent).

For each class the solver computes the whole interval of response probabilities
``r`` after a rejection that sustain it. Pooling on *accept* leaves the response off
the path; it is reported with the interval of responses that some off-path belief
rationalises (and those beliefs). For generic payoffs every other interval is a single
point and the list is the set of equilibria. Each equilibrium lists strategies,
posteriors after accept and reject (Bayes' rule where defined), payoffs, and the
coalition's value of making the offer relative to not making it.

Ties (non-generic payoffs)
--------------------------
Ties are exact equalities of the floating-point numbers (a tie between decimal values
that their binary approximations break is no tie); all conditions are weak:

* a type indifferent between accepting and rejecting may accept, reject or mix;
* a coalition indifferent after a rejection (its posterior equals ``mu*``, or
  responding and holding back pay the same against both types) may respond, hold back
  or mix, so the response interval can be wider than one point (the coalition's payoff
  does not depend on ``r`` then; P(war) and the adversary's payoffs are reported as
  intervals ``[lo, hi]``);
* when a rejection has probability zero, the off-path belief is chosen to sustain the
  equilibrium: any response that is a best reply to some belief is allowed; after an
  acceptance nothing is decided, so a belief off the path there is left undefined;
* a coalition for which the offer is worth exactly 0 may offer or not (``offer`` is
  reported True at a tie; a note says so).

Ties can create continua in the adversary's strategy too (e.g. a sincere type that is
indifferent whatever the coalition does may accept with any probability). For each
response ``r``, the adversary strategies ``(P(accept | sincere), P(accept |
aggressive))`` that form an equilibrium with ``r`` are a convex polygon whose vertices
are always among the six profiles above: the four pure ones and the two
semi-separating ones, which put the posterior after a rejection at ``mu*`` (the
coalition's gain from responding, times the probability of a rejection, is linear in
the two acceptance probabilities and zero at both-accept, so the line where it vanishes
meets the sides of the unit square only at corners or at these two points). The list
is therefore the set of *extreme* equilibria: for every ``r``, the equilibria with
response ``r`` are exactly the mixtures of the listed adversary strategies whose
response interval contains ``r``.
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
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        root = -alpha / beta
    lo = np.where(beta > 0, np.maximum(0.0, root), np.where(beta < 0, 0.0, np.where(alpha >= 0, 0.0, 1.0)))
    hi = np.where(beta > 0, 1.0, np.where(beta < 0, np.minimum(1.0, root), np.where(alpha >= 0, 1.0, 0.0)))
    lo = np.where((beta == 0) & (alpha < 0), 2.0, lo)  # empty
    return lo, hi


def candidates(p: dict[str, Any]) -> dict[str, dict[str, np.ndarray]]:
    """Every candidate equilibrium class with its existence mask and its numbers.

    Vectorised: any parameter may be an array; all outputs broadcast together.
    For each class: ``exists``, acceptance probabilities ``a_sincere``, ``a_aggressive``,
    the interval of the coalition's response probabilities after a rejection that
    sustain it (``r_lo``..``r_hi``, weak inequalities: see "Ties" above; NaN when the
    class does not exist) with a representative ``r`` for the scalar outcomes,
    posteriors ``mu_accept``/``mu_reject`` (NaN off the path), and payoffs.
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

    def respond_pref(mu: Any) -> np.ndarray:
        return mu * A + (1 - mu) * B

    def coalition_br(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # responses that are best replies when responding gains d over holding back
        # (weakly: an indifferent coalition may respond, hold back or mix)
        return np.where(d > 0, 1.0, 0.0), np.where(d < 0, 0.0, 1.0)

    def meet(*ivs: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        lo = np.maximum.reduce([full(i[0]) for i in ivs])
        hi = np.minimum.reduce([full(i[1]) for i in ivs])
        return lo, hi

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

    def pack(exists: np.ndarray, a_s: Any, a_g: Any, iv: tuple[np.ndarray, np.ndarray], mu_rej: Any) -> dict[str, np.ndarray]:
        exists = full(exists).astype(bool)
        a_s, a_g = full(a_s), full(a_g)
        r_lo, r_hi = np.where(exists, iv[0], np.nan), np.where(exists, iv[1], np.nan)
        r_rep = np.where(r_hi >= 1.0, 1.0, np.where(r_lo <= 0.0, 0.0, r_hi))  # a representative response
        acc = prior * a_s + (1 - prior) * a_g
        with np.errstate(divide="ignore", invalid="ignore"):
            mu_acc = np.where(acc > 0, prior * a_s / acc, np.nan)
        return {
            "exists": exists,
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

    # Responses r under which each type weakly prefers to accept / to reject (an interval
    # each; "mix" is their intersection: a point, all of [0, 1] or empty).
    accS, rejS = _interval_ge0(aS, bS), _interval_ge0(-aS, -bS)
    accG, rejG = _interval_ge0(aG, bG), _interval_ge0(-aG, -bG)
    mixS, mixG = meet(accS, rejS), meet(accG, rejG)

    def add(kind: str, a_s: Any, a_g: Any, ivs: list[tuple[np.ndarray, np.ndarray]], mu_rej: Any, ok: Any = True) -> None:
        iv = meet(*ivs)
        out[kind] = pack(full(ok).astype(bool) & (iv[0] <= iv[1]), a_s, a_g, iv, mu_rej)

    # 1. pooling on accept: response off path; r any value both types accept under and
    # which some belief rationalises (only r = 1 if responding is strictly better against
    # both types, only r = 0 if holding back is).
    off_path = (np.where(np.minimum(A, B) > 0, 1.0, 0.0), np.where(np.maximum(A, B) < 0, 0.0, 1.0))
    add("pooling_accept", 1.0, 1.0, [accS, accG, off_path], np.nan)

    # 2. pooling on reject: mu_reject = prior.
    d_prior = respond_pref(prior)
    add("pooling_reject", 0.0, 0.0, [rejS, rejG, coalition_br(d_prior)], prior)

    # 3. separating: sincere accepts, aggressive rejects -> mu_reject = 0.
    add("separating", 1.0, 0.0, [accS, rejG, coalition_br(B)], 0.0)

    # 4. reverse separating: sincere rejects, aggressive accepts -> mu_reject = 1.
    add("separating_reverse", 0.0, 1.0, [rejS, accG, coalition_br(A)], 1.0)

    # Semi-separating: the mixing type puts mu_reject at mu* (0 < mu* < 1 iff A and B have
    # strictly opposite signs), so the coalition is indifferent; r is any response that
    # leaves the mixing type indifferent. Which side of the prior mu* lies on is read off
    # the sign of the coalition's preference at the prior (as for pooling on reject), and
    # the mixing probability is D(prior) / (prior A), resp. D(prior) / ((1 - prior) B):
    # no rounding of mu* near 0 or 1 can lose the class.
    straddle = np.sign(A) * np.sign(B) < 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # 5. sincere mixes, aggressive rejects: mu* in (0, prior).
        ok = straddle & (np.sign(A) * np.sign(d_prior) > 0)
        a_s = np.where(ok, d_prior / (prior * A), np.nan)
        add("semi_separating_sincere_mixes", a_s, 0.0, [mixS, rejG], mu_star, ok)

        # 6. aggressive mixes, sincere rejects: mu* in (prior, 1).
        ok = straddle & (np.sign(B) * np.sign(d_prior) > 0)
        a_g = np.where(ok, d_prior / ((1 - prior) * B), np.nan)
        add("semi_separating_aggressive_mixes", 0.0, a_g, [rejS, mixG], mu_star, ok)

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


def _span(lo: float, hi: float) -> float | list[float]:
    """One number, or the interval ``[lo, hi]`` (sorted) when the ends differ."""
    return lo if lo == hi else sorted([lo, hi])


def _type_value(a: float, deal: float, war: float, status_quo: float, r: float) -> float:
    return a * deal + (1 - a) * (r * war + (1 - r) * status_quo)


def _off_path_beliefs(r_lo: float, r_hi: float, mu_star: float | None, A: float, B: float) -> str:
    parts = []
    if r_hi >= 1.0:
        # respond is optimal where mu*A + (1-mu)*B >= 0
        parts.append(_belief_region(A, B, ">="))
    if r_lo <= 0.0:
        parts.append(_belief_region(A, B, "<="))
    if r_lo < 1.0 and r_hi > 0.0:
        if A == B == 0.0:
            parts.append("any mu")
        elif mu_star is not None:
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
        a_s, a_g = float(e["a_sincere"]), float(e["a_aggressive"])
        p_reject = params.prior_sincere * (1 - a_s) + (1 - params.prior_sincere) * (1 - a_g)
        coalition_strategy: dict[str, Any] = {
            "offer": bool(float(e["value_of_offer"]) >= 0),
            "respond_after_reject": _span(r_lo, r_hi),
        }
        beliefs: dict[str, Any] = {"after_accept": _num(e["mu_accept"])}
        if kind == "pooling_accept":
            beliefs["after_reject"] = "off path: " + _off_path_beliefs(r_lo, r_hi, mu_star, A, B)
        else:
            beliefs["after_reject"] = _num(e["mu_reject"])
        eqs.append(
            {
                "name": LABELS[kind],
                "kind": kind,
                "strategies": {
                    "coalition": coalition_strategy,
                    "sincere": {"accept": a_s},
                    "aggressive": {"accept": a_g},
                },
                "beliefs": beliefs,
                # with a response interval and rejections on the path, P(war) and the
                # adversary's payoffs depend on r (the coalition's does not: it is indifferent)
                "outcome": {"p_accept": float(e["p_accept"]), "p_war": _span(*(p_reject * r for r in (r_lo, r_hi)))},
                "payoffs": {
                    "coalition": float(e["coalition"]) - params.offer_cost,
                    "sincere": _span(*(_type_value(a_s, params.sincere_deal, params.sincere_war, params.sincere_status_quo, r) for r in (r_lo, r_hi))),
                    "aggressive": _span(*(_type_value(a_g, params.aggressive_deal, params.aggressive_war, params.aggressive_status_quo, r) for r in (r_lo, r_hi))),
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
        "each equilibrium is listed with every response that sustains it; with exact ties between "
        "payoffs these are the extreme equilibria: for a given response, any mixture of the listed "
        "adversary strategies whose response set contains it is an equilibrium too, and there are no others.",
    ]
    if any(eq["value_of_offer"] == 0 for eq in eqs):
        notes.append("an offer worth exactly 0 leaves the coalition indifferent: not offering is an equilibrium choice as well.")
    if not eqs:  # pragma: no cover - every finite game has one; only rounding at an exact tie could lose it
        notes.append("no equilibrium found: rounding at an exact tie between payoffs; perturb one slightly.")
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
