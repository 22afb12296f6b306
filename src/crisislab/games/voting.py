"""Coalition voting: unanimity versus the EU qualified majority (M08, M24).

Rules
-----
* **Unanimity**: every member must vote yes (CFSP decisions, accession; seeds 000 and
  002: mandates and enlargement need every capital).
* **QMV** (Treaty on European Union, Art. 16(4)): a proposal passes if at least 55 % of
  the members (15 of 27) vote yes and they represent at least 65 % of the population;
  a blocking minority needs at least four members, failing which the qualified majority
  is deemed attained.

Power indices
-------------
Banzhaf (share of coalitions in which a member is decisive) and Shapley-Shubik (share
of orderings in which it is pivotal) are computed **exactly** with a generating-function
count over (number of yes-voters, yes population). Populations are counted in units of
1,000 people. The count ``G[c, p]`` of coalitions with ``c`` members and population ``p``
is built once; for member ``i`` the counts without ``i`` are never materialised:
a range sum of them satisfies ``S_-i(c, a, b) = sum_j (-1)^j S(c-j, a - j w_i, b - j w_i)``
(deconvolution of the factor ``1 + x y^{w_i}``), so with prefix sums of ``G`` every
member costs O(n^2) operations. Results are exact integers / fractions.

Mandate passage
---------------
Member ``i``'s position on widening the envoy's mandate is
``x_i = spread * z_i + e_i``, where ``z_i`` is its standardised stance in the scenario
(hawks and doves keep their order), ``e_i ~ N(0, noise^2)`` is independent uncertainty,
and it votes yes iff ``x_i > cut``. The probability that the change passes is computed
exactly for both rules (a probability-weighted version of the same count, in units of
0.1 million people), with the expected number of rounds until it passes when each round
is a fresh, independent vote.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from pydantic import Field
from scipy.special import ndtr

from crisislab.games.base import GameParams, GameSpec, Solution, register

Rule = Literal["unanimity", "qmv"]
UNIT_POWER = 1_000  # people per population unit for power indices
UNIT_MANDATE = 100_000  # people per population unit for passage probabilities


def min_population(rule: str, n: int, total: int) -> list[float]:
    """For each count ``c`` of yes-voters, the least yes population that passes (inf: never).

    >>> min_population("qmv", 27, 100)[14:16], min_population("qmv", 27, 100)[24]
    ([inf, 65], 0)
    """
    if rule == "unanimity":
        return [math.inf] * n + [0]
    if rule != "qmv":
        raise ValueError(f"unknown rule {rule!r}")
    members_needed = math.ceil(Fraction(55, 100) * n)
    pop_needed = math.ceil(Fraction(65, 100) * total)
    out: list[float] = []
    for c in range(n + 1):
        if c < members_needed:
            out.append(math.inf)
        elif n - c <= 3:  # fewer than four against: no blocking minority
            out.append(0)
        else:
            out.append(pop_needed)
    return out


def passes(rule: str, yes: np.ndarray, weights: np.ndarray) -> bool:
    """Whether the yes-set (boolean mask) passes under ``rule`` (used by brute-force checks)."""
    n, total = len(weights), int(np.sum(weights))
    need = min_population(rule, n, total)[int(np.sum(yes))]
    return bool(int(np.sum(weights[yes])) >= need)


def _counts(weights: np.ndarray) -> np.ndarray:
    """``G[c, p]``: number of coalitions with ``c`` members and population ``p``."""
    n, total = len(weights), int(weights.sum())
    dtype = np.int32 if math.comb(n, n // 2) < 2**31 - 1 else np.int64
    G = np.zeros((n + 1, total + 1), dtype=dtype)
    G[0, 0] = 1
    cum = 0
    for i, w in enumerate(sorted(int(x) for x in weights)):
        for c in range(i + 1, 0, -1):
            G[c, w : cum + w + 1] += G[c - 1, : cum + 1]
        cum += w
    return G


def power_indices(weights: Any, rule: str) -> dict[str, list[Fraction]]:
    """Exact Banzhaf (raw and normalised) and Shapley-Shubik indices.

    ``weights`` are non-negative integer populations (any unit).

    >>> r = power_indices([1, 1, 1], "qmv")  # 3 members: 2 needed, any two pass
    >>> [str(x) for x in r["shapley_shubik"]]
    ['1/3', '1/3', '1/3']
    """
    w = np.asarray(weights, dtype=np.int64)
    if w.ndim != 1 or w.size < 2 or np.any(w < 0):
        raise ValueError("weights must be a list of at least two non-negative integers")
    return power_indices_for(w, min_population(rule, int(w.size), int(w.sum())))


def power_indices_for(weights: Any, need: list[float]) -> dict[str, list[Fraction]]:
    """Exact indices for any rule of the form "``c`` yes-voters pass iff their population
    is at least ``need[c]``" (``inf``: never). A weighted game with quota ``Q`` is
    ``need = [Q] * (n + 1)``; QMV and unanimity are built by :func:`min_population`.
    """
    w = np.asarray(weights, dtype=np.int64)
    n, total = int(w.size), int(w.sum())
    if len(need) != n + 1:
        raise ValueError("need must have one entry per count of yes-voters, 0..n")
    G = _counts(w)
    C = np.cumsum(G, axis=1, dtype=G.dtype)  # prefix sums per count (row sums <= C(n, c) fit G.dtype)

    def range_sum(c: int, a: int, b: int) -> int:
        if c < 0 or b < 0 or a > total or a > b:
            return 0
        hi = C[c, min(b, total)]
        lo = C[c, a - 1] if a > 0 else 0
        return int(hi - lo)

    raw: list[Fraction] = []
    ss: list[Fraction] = []
    for wi in (int(x) for x in w):
        swings_total = 0
        ss_i = Fraction(0)
        for c in range(n):  # coalition without i has c members
            lo_need, hi_need = need[c + 1], need[c]
            if math.isinf(lo_need):
                continue
            a = max(0, int(lo_need) - wi)
            b = total - wi if math.isinf(hi_need) else int(hi_need) - 1
            if a > b:
                continue
            # coalitions without i, c members, population in [a, b]: deconvolve member i
            count = sum((-1) ** j * range_sum(c - j, a - j * wi, b - j * wi) for j in range(c + 1))
            if count:
                swings_total += count
                ss_i += Fraction(count, n * math.comb(n - 1, c))
        raw.append(Fraction(swings_total, 2 ** (n - 1)))
        ss.append(ss_i)
    tot = sum(raw)
    norm = [r / tot if tot else Fraction(0) for r in raw]
    return {"banzhaf_raw": raw, "banzhaf": norm, "shapley_shubik": ss}


def pass_probability(weights: Any, probs: Any, rule: str) -> float:
    """Exact probability that independent yes-votes with ``probs`` pass under ``rule``."""
    w = np.asarray(weights, dtype=np.int64)
    p = np.asarray(probs, dtype=float)
    n, total = int(w.size), int(w.sum())
    need = min_population(rule, n, total)
    if rule == "unanimity":
        return float(np.prod(p))
    Q = np.zeros((n + 1, total + 1))
    Q[0, 0] = 1.0
    cum = 0
    for i in range(n):
        wi, pi = int(w[i]), float(p[i])
        for c in range(i + 1, 0, -1):  # downwards: row c - 1 still holds the old values
            Q[c, : cum + wi + 1] *= 1.0 - pi
            Q[c, wi : cum + wi + 1] += pi * Q[c - 1, : cum + 1]
        Q[0, : cum + 1] *= 1.0 - pi
        cum += wi
    prob = 0.0
    for c in range(n + 1):
        if not math.isinf(need[c]):
            prob += float(Q[c, int(need[c]) :].sum())
    return min(1.0, max(0.0, prob))


@lru_cache(maxsize=16)
def _scenario_members(name: str) -> tuple[tuple[str, str, float, float], ...]:
    from crisislab.scenario import load_scenario

    sc = load_scenario(name)
    members = [m for m in sc.coalition.members if m.eu_member]
    if len(members) < 2:
        members = list(sc.coalition.members)
    return tuple((m.name, m.code, float(m.population), float(m.stance)) for m in members)


def population_units(populations_millions: Any, unit: int) -> np.ndarray:
    """Populations in millions as integers in units of ``unit`` people."""
    return np.rint(np.asarray(populations_millions, dtype=float) * 1e6 / unit).astype(np.int64)


class PowerParams(GameParams):
    """Parameters of the voting-power computation."""

    scenario: str = Field("eu-russia", description="scenario whose EU members (eu_member: true) vote")
    rule: Rule = Field("qmv", description="decision rule")


class MandateParams(GameParams):
    """Parameters of the mandate-passage model (M08)."""

    scenario: str = Field("eu-russia", description="scenario whose EU members vote")
    spread: float = Field(0.1, ge=0.0, le=10.0, description="spread of member positions (scale on standardised stances)")
    noise: float = Field(0.1, gt=0.0, le=10.0, description="sd of each member's uncertain position at vote time")
    cut: float = Field(-0.1, ge=-10.0, le=10.0, description="a member votes for the change iff its position exceeds this")


def solve_power(params: PowerParams) -> Solution:
    """Banzhaf and Shapley-Shubik power of each member under the chosen rule."""
    members = _scenario_members(params.scenario)
    pops = [m[2] for m in members]
    w = population_units(pops, UNIT_POWER)
    res = power_indices(w, params.rule)
    total = float(sum(pops))
    rows: list[dict[str, Any]] = []
    for k, (name, code, pop, _stance) in enumerate(members):
        rows.append(
            {
                "member": name,
                "code": code,
                "population_m": pop,
                "population_share": pop / total,
                "banzhaf": float(res["banzhaf"][k]),
                "banzhaf_raw": float(res["banzhaf_raw"][k]),
                "shapley_shubik": float(res["shapley_shubik"][k]),
            }
        )
    rows.sort(key=lambda r: -r["population_m"])
    summary = {
        "rule": params.rule,
        "members": len(members),
        "population_m": total,
        "shapley_shubik_sum": float(sum(res["shapley_shubik"])),
        "largest": rows[0]["member"],
        "largest_shapley_shubik": rows[0]["shapley_shubik"],
        "smallest_shapley_shubik": rows[-1]["shapley_shubik"],
    }
    notes = [
        f"exact counts with populations in units of {UNIT_POWER:,} people (scenario figures); "
        "banzhaf is normalised to sum to 1, banzhaf_raw is the probability of being decisive.",
    ]
    return Solution("power", params.model_dump(), rows, summary, notes)


def _mandate_probs(params: MandateParams, spread: float) -> tuple[np.ndarray, np.ndarray]:
    members = _scenario_members(params.scenario)
    stance = np.array([m[3] for m in members])
    sd = stance.std()
    z = (stance - stance.mean()) / sd if sd > 0 else np.zeros_like(stance)
    probs = ndtr((spread * z - params.cut) / params.noise)
    return population_units([m[2] for m in members], UNIT_MANDATE), probs


def _mandate_point(params: MandateParams, spread: float) -> dict[str, float]:
    w, probs = _mandate_probs(params, spread)
    out: dict[str, float] = {}
    for rule in ("unanimity", "qmv"):
        pp = pass_probability(w, probs, rule)
        out[f"p_pass_{rule}"] = pp
        out[f"expected_rounds_{rule}"] = 1.0 / pp if pp > 0 else math.inf
    out["mean_yes_probability"] = float(probs.mean())
    return out


def solve_mandate(params: MandateParams) -> Solution:
    """Probability that a mandate change passes under unanimity and under QMV."""
    pt = _mandate_point(params, params.spread)
    _, probs = _mandate_probs(params, params.spread)
    members = _scenario_members(params.scenario)
    rows = [
        {"rule": rule, "p_pass": pt[f"p_pass_{rule}"], "expected_rounds": pt[f"expected_rounds_{rule}"]}
        for rule in ("unanimity", "qmv")
    ]
    summary: dict[str, Any] = dict(pt)
    order = np.argsort(probs)
    summary["least_likely_yes"] = [members[i][0] for i in order[:3]]
    notes = [
        "each member votes independently; a round that fails is repeated with fresh draws "
        "(expected_rounds = 1 / p_pass).",
        f"QMV probabilities use populations in units of {UNIT_MANDATE:,} people.",
    ]
    return Solution("mandate", params.model_dump(), rows, summary, notes)


def mandate_metrics(params: MandateParams, key: str, values: np.ndarray) -> dict[str, np.ndarray]:
    """Passage probabilities over an array of one parameter (one exact count per point)."""
    cols: dict[str, list[float]] = {}
    for v in np.asarray(values, dtype=float):
        p = params.model_copy(update={key: float(v)})
        for k, x in _mandate_point(p, p.spread).items():
            cols.setdefault(k, []).append(x)
    return {k: np.asarray(v) for k, v in cols.items()}


POWER = register(
    GameSpec(
        name="power",
        title="Voting power of coalition members: unanimity vs EU QMV",
        description="exact Banzhaf and Shapley-Shubik indices of the scenario's EU members under unanimity or the double majority",
        sources="TEU Art. 16(4) and TFEU Art. 238(2)-(3); Banzhaf (1965); Shapley & Shubik (1954)",
        params=PowerParams,
        solve=solve_power,
        metrics=None,
        finite=False,
    )
)

MANDATE = register(
    GameSpec(
        name="mandate",
        title="Mandate paradox: passing a mandate change as positions spread (M08)",
        description="probability that widening the envoy's mandate passes under unanimity and QMV, as member positions spread",
        sources="seeds/000_2925941e4be23cd7.txt (mandate paradox); TEU Art. 16(4)",
        params=MandateParams,
        solve=solve_mandate,
        metrics=mandate_metrics,
        finite=False,
    )
)
