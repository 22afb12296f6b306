"""Simulated counterparts of the stylized facts, from the generic crisis family.

Every crisis of the family (:mod:`crisislab.validation.family`) is simulated under the four
mediation variants with the same run numbers, for two populations: ``icb`` (the family as
written, the challenger starting at tension or mobilisation) and ``mid`` (the ``family.mid``
overrides: starting at tension). Each run is reduced to indicators (:data:`INDICATORS`); a
simulated fact is a ratio of weighted indicator counts (:data:`SIM_FACTS`), and its 95 %
interval comes from resampling crises (the crisis is the unit, so the interval covers both
the spread between crises and the Monte Carlo noise within them).

Mapping from simulator to history (the ``simulated_as`` of the tolerance file; the file's
``mapping`` says which, :data:`SIM_FACTS_BY_MAPPING`). Mapping 2 (tolerances v2):

* ICB ``viol``: none = peak rung <= 2; minor clashes = peak 3 (use of force short of war)
  in at most 4 weeks of force; serious clashes = peak 3 with more than 4 weeks of force;
  full-scale war = peak >= 4, as for MID;
* TIES target acquiescence: no settlement, and the crisis ended by the challenger's
  concession or the challenger ends below its starting rung at tension or peace;
* otherwise as mapping 1.

Mapping 1 (tolerances v1):

* ICB ``viol``: none = peak rung <= 2; minor clashes = peak 3 (limited_cyber); serious
  clashes = rung >= 4 in at most 4 weeks; full-scale war = rung >= 4 in more than 4 weeks;
* ICB agreement (``forout`` 1-2) = a settlement within the horizon; mediated / unmediated /
  by style = the variants with and without a mediator;
* MID ``hostlev``: threat = peak <= 1, display = peak 2, use of force = peak 3, war = peak
  >= 4; negotiated settlement = a settlement (population ``mid``);
* TIES: stage = the last sanction tranche in force (tranche 1 of the generic family is the
  threat of sanctions, 2+ imposed); target acquiescence = no settlement and the challenger
  ends below its starting rung and at tension or peace (a negotiated settlement is a
  separate TIES outcome, codes 5 and 10).
"""

from __future__ import annotations

import math
import os
import zlib
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crisislab.api import simulate_points
from crisislab.doctrines import Doctrine
from crisislab.errors import InputError, Problem
from crisislab.model.engine import Point
from crisislab.model.params import compile_scenario
from crisislab.validation.family import (
    STYLES,
    VARIANTS,
    Crisis,
    Family,
    draw_crises,
    mix_member,
    quotas,
)

POPULATIONS: tuple[str, ...] = ("icb", "mid")

#: With worker processes, crises are cut into this many groups per worker (load balance).
GROUPS_PER_JOB = 3
#: In this process, crises are simulated this many at a time (bounds memory).
LOCAL_GROUP = 40

#: Per-run indicators (booleans) every batch is reduced to.
INDICATORS: tuple[str, ...] = (
    "peak_le1", "peak_le2", "peak_eq2", "peak_eq3", "peak_ge4",
    "war_short", "war_long", "settled",
    "threat_stage", "imposed", "acq_threat", "acq_imposed",
    "force_short", "force_long", "acq2_threat", "acq2_imposed",
)

#: Simulated facts: population, variant weighting ("natural" = the family's mediation
#: rate and style mix; "mediated" = the styles only; a style or "none" = that variant),
#: numerator indicator and denominator indicator (None = every run).
SIM_FACTS_V1: dict[str, tuple[str, str, str, str | None]] = {
    "icb.viol.none": ("icb", "natural", "peak_le2", None),
    "icb.viol.minor": ("icb", "natural", "peak_eq3", None),
    "icb.viol.serious": ("icb", "natural", "war_short", None),
    "icb.viol.war": ("icb", "natural", "war_long", None),
    "icb.agreement.mediated": ("icb", "mediated", "settled", None),
    "icb.agreement.unmediated": ("icb", "none", "settled", None),
    "icb.agreement.facilitation": ("icb", "facilitation", "settled", None),
    "icb.agreement.formulation": ("icb", "formulation", "settled", None),
    "icb.agreement.manipulation": ("icb", "manipulation", "settled", None),
    "ties.acquiescence.threat": ("icb", "natural", "acq_threat", "threat_stage"),
    "ties.acquiescence.imposed": ("icb", "natural", "acq_imposed", "imposed"),
    "mid.hostlev.threat": ("mid", "natural", "peak_le1", None),
    "mid.hostlev.display": ("mid", "natural", "peak_eq2", None),
    "mid.hostlev.force": ("mid", "natural", "peak_eq3", None),
    "mid.hostlev.war": ("mid", "natural", "peak_ge4", None),
    "mid.settle.negotiated": ("mid", "natural", "settled", None),
}

#: Mapping 2 (tolerances v2): one meaning of war in every data set; see the module docstring.
SIM_FACTS_V2: dict[str, tuple[str, str, str, str | None]] = {
    **SIM_FACTS_V1,
    "icb.viol.minor": ("icb", "natural", "force_short", None),
    "icb.viol.serious": ("icb", "natural", "force_long", None),
    "icb.viol.war": ("icb", "natural", "peak_ge4", None),
    "ties.acquiescence.threat": ("icb", "natural", "acq2_threat", "threat_stage"),
    "ties.acquiescence.imposed": ("icb", "natural", "acq2_imposed", "imposed"),
}
SIM_FACTS_BY_MAPPING = {1: SIM_FACTS_V1, 2: SIM_FACTS_V2}
#: The current mapping (that of the shipped tolerance file).
SIM_FACTS = SIM_FACTS_V2

_GSDB = ("the engine never lifts sanctions: the tranche in force only ever rises (coalition_response "
         "and the doctrines' floors) and a settlement leaves it in place, so there is no duration of "
         "sanctions to compare; it would need a lifting rule in the engine and a horizon of years")
#: Facts without a simulated counterpart, with the reason.
NOT_SIMULATED: dict[str, str] = {
    "icb.mediation.rate": "an input of the family (family.mediation.rate), not an output of the model",
    "gsdb.duration.median": _GSDB,
    "gsdb.duration.q1": _GSDB,
    "gsdb.duration.q3": _GSDB,
    "gsdb.duration.median_closed": _GSDB,
    "gsdb.duration.same_year": _GSDB,
}

WAR_WEEKS = 4  # mapping 1: serious clashes = rung >= 4 in at most this many weeks; war: more
FORCE_WEEKS = 4  # mapping 2: minor clashes = force in at most this many weeks; serious: more


def acquiesced(outcomes: pd.DataFrame, initial_rung: int) -> np.ndarray:
    """TIES target acquiescence (mapping 2): no settlement, and the crisis ended by the
    challenger's concession or the challenger ends below its starting rung at tension or
    peace."""
    settled = outcomes["p_settlement"].to_numpy() > 0.5
    final_rung = outcomes["final_rung"].to_numpy()
    conceded = outcomes["end_kind"].to_numpy() == "concession"
    return ~settled & (conceded | ((final_rung < initial_rung) & (final_rung <= 1)))


def indicators(outcomes: pd.DataFrame, initial_rung: int) -> dict[str, np.ndarray]:
    """Boolean indicators per run (see the module docstring for the mappings)."""
    peak = outcomes["peak_escalation"].to_numpy()
    settled = outcomes["p_settlement"].to_numpy() > 0.5
    final_rung = outcomes["final_rung"].to_numpy()
    tranche = outcomes["final_tranche"].to_numpy()
    weeks = outcomes["war_weeks"].to_numpy()
    force = outcomes["force_weeks"].to_numpy()
    threat = tranche <= 1
    acq = ~settled & (final_rung < initial_rung) & (final_rung <= 1)
    acq2 = acquiesced(outcomes, initial_rung)
    return {
        "peak_le1": peak <= 1, "peak_le2": peak <= 2, "peak_eq2": peak == 2, "peak_eq3": peak == 3,
        "peak_ge4": peak >= 4,
        "war_short": (peak >= 4) & (weeks <= WAR_WEEKS), "war_long": weeks > WAR_WEEKS,
        "settled": settled, "threat_stage": threat, "imposed": ~threat,
        "acq_threat": acq & threat, "acq_imposed": acq & ~threat,
        "force_short": (peak == 3) & (force <= FORCE_WEEKS), "force_long": (peak == 3) & (force > FORCE_WEEKS),
        "acq2_threat": acq2 & threat, "acq2_imposed": acq2 & ~threat,
    }


#: Columns of the per-run records (``crisislab validate --runs-out``), in order.
RUN_COLUMNS: tuple[str, ...] = (
    "crisis", "population", "variant", "doctrine", "senders", "weight", "peak_rung", "weeks_at_war",
    "end_week", "end_kind", "settled", "final_tranche", "acquiesced",
    "run", "adversary_type", "weeks_of_force", "final_rung",
)


def run_records(crisis: Crisis, pop: str, style: str | None, doctrines: list[str], block: np.ndarray,
                outcomes: pd.DataFrame, initial_rung: int, weight: float) -> pd.DataFrame:
    """One row per simulated run (schema in docs/validation.md, "Per-run records")."""
    n = len(outcomes)
    return pd.DataFrame({
        "crisis": np.full(n, crisis.index, dtype=np.int64),
        "population": pop,
        "variant": style or "none",
        "doctrine": np.array(doctrines, dtype=object)[block],
        "senders": np.full(n, crisis.senders, dtype=np.int64),
        "weight": np.full(n, weight),
        "peak_rung": outcomes["peak_escalation"].to_numpy().astype(np.int64),
        "weeks_at_war": outcomes["war_weeks"].to_numpy().astype(np.int64),
        "end_week": pd.array(outcomes["end_week"].to_numpy(), dtype="Int64"),
        "end_kind": outcomes["end_kind"].to_numpy(),
        "settled": outcomes["p_settlement"].to_numpy() > 0.5,
        "final_tranche": outcomes["final_tranche"].to_numpy().astype(np.int64),
        "acquiesced": acquiesced(outcomes, initial_rung),
        "run": outcomes["run"].to_numpy().astype(np.int64),
        "adversary_type": outcomes["adversary_type"].to_numpy(),
        "weeks_of_force": outcomes["force_weeks"].to_numpy().astype(np.int64),
        "final_rung": outcomes["final_rung"].to_numpy().astype(np.int64),
    }, columns=list(RUN_COLUMNS))


@dataclass
class CrisisCounts:
    """Indicator counts of one crisis: ``counts[pop]`` is ``[variants, doctrines, indicators + 1]``
    (the last column is the number of runs)."""

    index: int
    counts: dict[str, np.ndarray]
    records: pd.DataFrame | None = None


def simulate_crisis(crisis: Crisis, doctrines: dict[str, float], runs: int, seed: int,
                    overrides: dict[str, Any] | None = None, mid: dict[str, Any] | None = None,
                    populations: tuple[str, ...] = POPULATIONS, keep_runs: bool = False,
                    variant_weights: dict[str | None, float] | None = None) -> CrisisCounts:
    """Simulate one crisis under every mediation variant and population; count indicators
    (and, with ``keep_runs``, keep one record per run, :func:`run_records`)."""
    return simulate_crises([crisis], doctrines, runs, seed, overrides, mid, populations, keep_runs, variant_weights)[0]


def simulate_crises(crises: list[Crisis], doctrines: dict[str, float], runs: int, seed: int,
                    overrides: dict[str, Any] | None = None, mid: dict[str, Any] | None = None,
                    populations: tuple[str, ...] = POPULATIONS, keep_runs: bool = False,
                    variant_weights: dict[str | None, float] | None = None) -> list[CrisisCounts]:
    """:func:`simulate_crisis` for many crises at once, from a few engine batches.

    Each (crisis, population, variant) splits its ``runs`` runs among the doctrines by
    :func:`~crisislab.validation.family.quotas`, exactly as :class:`MixDoctrine` does; every
    block is one parameter point of :func:`crisislab.api.simulate_points`, so the runs of
    all crises that share a structure (senders, mediation variant, population) are
    simulated together, and every run's outcome is the one it gets alone."""
    names = list(doctrines)
    q = quotas(doctrines, runs)
    shared: dict[tuple[str, bool, int], Doctrine] = {}
    points: list[Point] = []
    cells: list[tuple[int, str, int, str | None, int]] = []  # (crisis pos, pop, variant, style, initial rung)
    for ci, crisis in enumerate(crises):
        for pop in populations:
            extra = dict(overrides or {})
            if pop == "mid":
                extra.update(mid or {})
                extra.update(crisis.mid_draws)
            for v, style in enumerate(VARIANTS):
                sc = crisis.variant(style, extra)
                p = compile_scenario(sc)
                cells.append((ci, pop, v, style, sc.adversary.initial_rung))
                start = crisis.index * runs
                for d in names:
                    key = (d, style is not None, crisis.mediator_entry if style is not None else 0)
                    doc = shared.get(key) or shared.setdefault(key, mix_member(d, key[1], key[2]))
                    if q[d]:
                        points.append(Point(p, doc, q[d], seed, start))
                    start += q[d]
    per_cell = sum(1 for d in names if q[d])
    tables = simulate_points(points)
    block = np.repeat(np.arange(len(names)), [q[d] for d in names])
    out: list[dict[str, np.ndarray]] = [{pop: np.zeros((len(VARIANTS), len(names), len(INDICATORS) + 1)) for pop in populations}
                                        for _ in crises]
    frames: list[list[pd.DataFrame]] = [[] for _ in crises]
    for c, (ci, pop, v, style, rung0) in enumerate(cells):
        outcomes = pd.concat(tables[c * per_cell:(c + 1) * per_cell], ignore_index=True)
        ind = indicators(outcomes, rung0)
        arr = out[ci][pop]
        for j in range(len(names)):
            sel = block == j
            arr[v, j, :-1] = [ind[k][sel].sum() for k in INDICATORS]
            arr[v, j, -1] = sel.sum()
        if keep_runs:
            w = (variant_weights or {}).get(style, 1.0)
            frames[ci].append(run_records(crises[ci], pop, style, names, block, outcomes, rung0, w))
    return [CrisisCounts(crisis.index, out[ci], pd.concat(frames[ci], ignore_index=True) if frames[ci] else None)
            for ci, crisis in enumerate(crises)]


def _task(args: tuple[Any, ...]) -> list[CrisisCounts]:
    return simulate_crises(*args)


@dataclass
class SimulationSet:
    """Counts for every crisis: ``counts[pop]`` is ``[crises, variants, doctrines, indicators + 1]``."""

    doctrines: list[str]
    variant_weights: dict[str | None, float]
    style_weights: dict[str, float]
    counts: dict[str, np.ndarray]
    runs_per_crisis: int
    seed: int
    records: pd.DataFrame | None = None
    senders: np.ndarray | None = None  # [crises] members acting together

    @property
    def crises(self) -> int:
        return int(next(iter(self.counts.values())).shape[0])


def run_family(family: Family, *, crises: int | None = None, runs: int | None = None, seed: int | None = None,
               overrides: dict[str, Any] | None = None, populations: tuple[str, ...] = POPULATIONS,
               jobs: int = 1, progress: Callable[[int], None] | None = None,
               executor: Executor | None = None, stratified: bool = False, keep_runs: bool = False) -> SimulationSet:
    """Draw ``crises`` crises (seeded) and simulate them; ``overrides`` apply to every crisis
    after sampling (mechanism strengths); base-value overrides belong in the family itself.
    ``stratified`` draws the crises as a Latin hypercube (for small fixed sets);
    ``keep_runs`` keeps one record per run (``SimulationSet.records``)."""
    n = crises or family.crises
    r = runs or family.runs_per_crisis
    s = family.seed if seed is None else seed
    run_seed = zlib.crc32(f"runs:{s}".encode())
    cs = draw_crises(n, s, family, stratified=stratified)
    vw = family.mediation.variant_weights()
    # crises travel in groups: each group is simulated in a few engine batches (one per
    # structure: senders, variant, population), several groups per worker for balance
    parallel = executor is not None or (jobs > 1 and len(cs) > 1)
    n_groups = min(len(cs), max(1, jobs) * GROUPS_PER_JOB) if parallel else max(1, math.ceil(len(cs) / LOCAL_GROUP))
    bounds = np.linspace(0, len(cs), n_groups + 1).round().astype(int)
    groups = [cs[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]
    tasks = [(g, family.doctrines, r, run_seed, overrides, family.mid, populations, keep_runs, vw) for g in groups]
    results: list[CrisisCounts] = []
    if parallel:
        pool = executor or ProcessPoolExecutor(max_workers=jobs)
        try:
            for g, res in zip(groups, pool.map(_task, tasks), strict=True):
                results.extend(res)
                if progress:
                    progress(len(g))
        finally:
            if executor is None:
                pool.shutdown()
    else:
        for g, t in zip(groups, tasks, strict=True):
            results.extend(_task(t))
            if progress:
                progress(len(g))
    results.sort(key=lambda x: x.index)
    counts = {p: np.stack([x.counts[p] for x in results]) for p in populations}
    records = pd.concat([x.records for x in results if x.records is not None], ignore_index=True) if keep_runs else None
    return SimulationSet(list(family.doctrines), vw, family.mediation.style_weights, counts, r, s, records,
                         np.array([c.senders for c in sorted(cs, key=lambda c: c.index)]))


def write_records(frames: list[pd.DataFrame], path: str | Path) -> int:
    """Write per-run records to a Parquet file atomically (a temporary file renamed into
    place, so an interrupted run never leaves a half-written file); returns the row count."""
    out = Path(path)
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(RUN_COLUMNS))
    tmp = out.with_name(out.name + ".partial")
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(str(out), [Problem("--runs-out", f"cannot be written ({exc.strerror or exc})",
                                            "a writable file path")]) from None
    return len(df)


def variant_weight_vector(sim: SimulationSet, which: str) -> np.ndarray:
    if which == "natural":
        return np.array([sim.variant_weights[v] for v in VARIANTS])
    if which == "mediated":
        return np.array([0.0, *(sim.style_weights[s] for s in STYLES)])
    target = None if which == "none" else which
    return np.array([1.0 if v == target else 0.0 for v in VARIANTS])


@dataclass(frozen=True)
class SimValue:
    fact_id: str
    value: float
    ci_low: float
    ci_high: float
    runs: float  # weighted runs in the denominator


def _num_den(sim: SimulationSet, fid: str, doctrine: str | None = None, mapping: int = 2,
             crises: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    pop, which, num, den = SIM_FACTS_BY_MAPPING[mapping][fid]
    c = sim.counts[pop]
    if crises is not None:
        c = c[crises]
    if doctrine is not None:
        j = sim.doctrines.index(doctrine)
        c = c[:, :, j:j + 1, :]
    w = variant_weight_vector(sim, which)
    per = np.einsum("cvdk,v->ck", c, w)  # [crises, indicators + 1]
    ni = INDICATORS.index(num)
    di = len(INDICATORS) if den is None else INDICATORS.index(den)
    return per[:, ni], per[:, di]


def simulated_values(sim: SimulationSet, *, reps: int = 1000, seed: int = 20240601,
                     doctrine: str | None = None, level: float = 0.95, mapping: int = 2,
                     crises: np.ndarray | None = None) -> dict[str, SimValue]:
    """Every simulated fact with a percentile interval from resampling crises (``crises``:
    a boolean mask or index array restricting them, e.g. to one coalition size)."""
    rng = np.random.default_rng([seed, 7])
    n = sim.crises if crises is None else int(np.asarray(sim.counts[next(iter(sim.counts))][crises]).shape[0])
    boot = rng.multinomial(n, np.full(n, 1.0 / n), size=reps).astype(float) if reps > 0 else np.zeros((0, n))
    out: dict[str, SimValue] = {}
    alpha = (1.0 - level) / 2
    facts = SIM_FACTS_BY_MAPPING[mapping]
    for fid in facts:
        if facts[fid][0] not in sim.counts:
            continue
        num, den = _num_den(sim, fid, doctrine, mapping, crises)
        total = den.sum()
        value = float(num.sum() / total) if total > 0 else float("nan")
        with np.errstate(invalid="ignore", divide="ignore"):
            b = (boot @ num) / (boot @ den)
        b = b[np.isfinite(b)]
        lo, hi = (np.quantile(b, [alpha, 1 - alpha]) if b.size else (np.nan, np.nan))
        out[fid] = SimValue(fid, value, float(lo), float(hi), float(total))
    return out
