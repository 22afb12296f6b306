"""The batched engine: one documented step order applied to a batch of runs.

Step order within one week (each line is a function ``(state, params, actions, rng)``;
its mechanism ID is what traces show):

1. the doctrine observes and acts (:class:`~crisislab.model.state.Actions`); the adversary's
   utility terms are reset to its base motives (core ``base_utility``)
2. M12 gate contacts (earned talks, frontline veto); M08 mandate votes; M24 enlargement vote
3. M19 conditional offers and belief update; M15 preconditions open talks; M25 mediated talks
4. coalition side: M01 leverage, M03 legitimacy, M04 misreading, M06 permanence,
   M07 frontline trust, M10 isolation, M11 courting, M29 cyber operations, M09 statements,
   M28 messaging, M30 economic costs
5. channels and war: M18 regularity, M13 perception noise (and threat read into it),
   M14 aid, M16 global audience
6. adversary utilities: M02 lag, M05 deterrence, M22 pre-planned,
   M23 threat and stature, M26 off-ramp, M27 concession pressure
7. coercion (the challenger complies when the threatened sanctions outweigh its stakes),
   adversary choice (logit), M27 concession event, ladder move (a step down from war is an
   armistice), M13 inadvertent climb, M14 deep-strike spiral, M27 loss of control,
   bookkeeping (peak, verified change), fighting (costs accumulate, optimism is revealed)
8. M21 talks end on violation; coalition sanction response (lag from M02, at once for M22/M12b)
9. M20 zone of agreement; settlement draw (M25 mediation, M31 red lines); crises that have
   calmed fade; M17 casualties
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from crisislab.model import core, kernels
from crisislab.model.mechanisms import catastrophe as cat
from crisislab.model.mechanisms import cohesion as coh
from crisislab.model.mechanisms import negotiation as neg
from crisislab.model.mechanisms import screening as scr
from crisislab.model.outcomes import outcome_table
from crisislab.model.params import Params, stack_params
from crisislab.model.rng import Slot, Streams
from crisislab.model.state import Actions, Observation, State

StepFn = Callable[[State, Params, Actions, Streams], State]

STEP_ORDER: tuple[StepFn, ...] = (
    core.base_utility,
    coh.conditionality_framework,
    coh.mandate_paradox,
    scr.accession_unanimity,
    scr.screening_offer,
    cat.inflexible_preconditions,
    neg.mediation,
    coh.leverage_dilution,
    coh.domestic_exploitation,
    coh.zero_sum_misreading,
    coh.credibility_decay,
    coh.frontline_trust,
    coh.validation_trap,
    coh.selective_engagement,
    neg.cross_domain_stratagems,
    coh.signaling_noise,
    neg.messaging_discipline,
    neg.economic_contagion,
    cat.dialogue_consistency,
    cat.misperception,
    cat.aid_entrenchment,
    cat.global_audience,
    coh.escalation_dominance,
    coh.deterrence_inequality,
    scr.preplanned_responses,
    scr.adversary_psychology,
    neg.off_ramp,
    neg.brinkmanship,
    core.coercion,
    core.adversary_choice,
    core.concession_event,
    core.ladder_move,
    core.inadvertent_climb,
    core.deep_strike_spiral,
    core.loss_of_control,
    core.bookkeeping,
    core.fighting,
    scr.forswear_destabilizing,
    core.coalition_response,
    scr.agenda_linkage,
    core.settlement,
    core.crisis_end,
    cat.humanitarian_cost,
)


def step_label(fn: StepFn) -> str:
    """``M06 credibility_decay`` or ``core adversary_choice``."""
    return f"{getattr(fn, 'mechanism_id', 'core')} {fn.__name__}"


def initial_state(p: Params, rng: Streams) -> State:
    """The state at week 0: types drawn per run, everything else from the scenario."""
    n, m = rng.n, p.n_members
    u = rng.uniform(0, Slot.TYPE)
    types = np.minimum(np.searchsorted(np.cumsum(p.type_weights), u, side="right"), p.n_types - 1)
    z = np.zeros(n)
    zb = np.zeros(n, dtype=bool)
    breadth = int((p.in_mandate & ~p.red_line).sum())
    return State(
        week=0,
        adversary_type=types,
        rung=np.full(n, p.initial_rung, dtype=np.int64),
        peak=np.full(n, p.initial_rung, dtype=np.int64),
        last_action=np.zeros(n, dtype=np.int64),
        verified_weeks=z.copy(),
        adversary_resolve=p.resolve[types].copy(),
        perceived_resolve=np.full(n, float(p.stance @ p.weight)),
        resolve_discount=z.copy(),
        perceived_unity=np.ones(n),
        leverage=np.ones(n),
        permanence=np.full(n, p.k["credibility_decay"].get("initial", 0.7)),
        diplomatic_capital=np.ones(n),
        adversary_legitimacy=np.full(n, 0.5),
        third_party_alignment=np.full(n, 0.3),
        emboldening=z.copy(),
        isolation=np.ones(n),
        frontline_trust=np.ones((n, m)),
        intel_quality=np.ones(n),
        support=np.broadcast_to(0.6 + 0.4 * p.stance, (n, m)).copy(),
        stance=np.broadcast_to(p.stance, (n, m)).copy(),
        polarisation=np.full(n, float(np.sqrt(((p.stance - p.stance @ p.weight) ** 2) @ p.weight))),
        statement_sd=z.copy(),
        response_lag=z.copy(),
        pending_response=np.full(n, -1.0),
        tranche=np.ones(n, dtype=np.int64),
        member_cost=np.zeros((n, m)),
        coalition_cost=z.copy(),
        adversary_damage=z.copy(),
        defender_capability=np.full(n, p.defender_capability),
        adversary_gains=z.copy(),
        threat_perception=z.copy(),
        belief=np.broadcast_to(p.type_weights, (n, p.n_types)).copy(),
        sigma=np.ones(n),
        regularity=z.copy(),
        talks_open=zb.copy(),
        talks_weeks=z.copy(),
        talks_total=z.copy(),
        zone=z.copy(),
        settled=zb.copy(),
        settle_week=np.full(n, np.nan),
        ended=zb.copy(),
        end_kind=np.zeros(n, dtype=np.int64),
        end_week=np.full(n, np.nan),
        optimism=p.dyn["optimism_spread"] * (2.0 * rng.uniform(0, Slot.OPTIMISM) - 1.0),
        war_weeks=np.zeros(n, dtype=np.int64),
        force_weeks=np.zeros(n, dtype=np.int64),
        war_cost=z.copy(),
        adversary_concessions=z.copy(),
        humanitarian_cost=z.copy(),
        mediator_trust=np.full(n, p.mediator_trust_a),
        mandate_breadth=np.full(n, float(breadth)),
        mandate_pending=np.full(n, -1.0),
        mandate_failures=z.copy(),
        enlarged=zb.copy(),
        offer_state=np.zeros(n, dtype=np.int64),
        cyber_ops=z.copy(),
        unilateral_contacts=z.copy(),
        bypasses=z.copy(),
        unearned_meetings=z.copy(),
        catastrophes=z.copy(),
        accident_risk=z.copy(),
        catastrophe_risk=z.copy(),
        u_escalate=z.copy(),
        u_deescalate=z.copy(),
        action=np.zeros(n, dtype=np.int64),
        contact=zb.copy(),
        earned=zb.copy(),
        unilateral=np.zeros((n, m), dtype=bool),
        cyber_now=zb.copy(),
        rejected_now=zb.copy(),
    )


def observe(s: State, p: Params) -> Observation:
    return Observation(
        week=s.week,
        horizon=p.horizon,
        rung=s.rung,
        last_action=s.last_action,
        verified_weeks=s.verified_weeks,
        talks_open=s.talks_open,
        settled=s.settled,
        offer_state=s.offer_state,
        belief=s.belief,
        tranche=s.tranche,
        support=s.support,
        member_cost=s.member_cost,
        stance=s.stance,
        frontline_trust=s.frontline_trust,
        cohesion=kernels.rowdot(s.support, p.weight),
        enlarged=s.enlarged,
        frontline=p.frontline,
        type_names=p.type_names,
        member_names=p.member_names,
        n_tranches=p.tranche_damage.shape[-1] - 1,
    )


def normalise_actions(a: Actions, n: int, m: int) -> Actions:
    """Broadcast every action field to ``[runs]`` (``[runs, members]`` for unilateral)."""
    out: dict[str, Any] = {}
    for name in _ACTION_FIELDS:
        v = getattr(a, name)
        if v is None:
            out[name] = None
        elif name == "unilateral":
            arr = np.asarray(v, dtype=bool)
            out[name] = arr if arr.shape == (n, m) else np.broadcast_to(arr, (n, m))
        else:
            arr = np.asarray(v)
            if arr.ndim > 1:
                raise ValueError(f"action {name} must be a scalar or per-run array, got shape {arr.shape}")
            out[name] = arr if arr.shape == (n,) else np.full(n, arr)
    return Actions(**out)


_ACTION_FIELDS = tuple(f.name for f in fields(Actions))


@dataclass
class TraceRow:
    run: int
    week: int
    mechanism: str
    step: str
    variable: str
    member: str
    before: float
    after: float


@dataclass
class SimulationResult:
    """Outcomes (one row per run), optional trajectories ``{name: [runs, weeks]}`` and trace."""

    outcomes: pd.DataFrame
    trajectories: dict[str, np.ndarray] = field(default_factory=dict)
    trace: list[TraceRow] = field(default_factory=list)


TRAJECTORY_FIELDS = ("rung", "cohesion", "final_frontline_trust", "permanence", "talks_open", "belief_true_type")


_MEMBER_FIELDS = ("frontline_trust", "support", "stance", "member_cost", "unilateral")


def _snapshot(s: State, rows: np.ndarray) -> np.ndarray:
    """All state fields of the traced runs, flattened into one float vector."""
    return np.concatenate([np.asarray(getattr(s, name)[rows], dtype=float).ravel() for name in State.field_names()])


def _layout(s: State, rows: np.ndarray) -> list[tuple[str, int, tuple[int, ...]]]:
    """Where each field sits in the vector made by :func:`_snapshot`."""
    out, start = [], 0
    for name in State.field_names():
        shape = np.asarray(getattr(s, name)[rows]).shape
        out.append((name, start, shape))
        start += int(np.prod(shape))
    return out


def _diff(
    before: np.ndarray, s: State, rows: np.ndarray, run_ids: np.ndarray, week: int, fn: StepFn, p: Params,
    layout: list[tuple[str, int, tuple[int, ...]]], out: list[TraceRow],
) -> None:
    new = _snapshot(s, rows)
    changed = np.abs(new - before) > 1e-12
    changed |= np.isnan(new) != np.isnan(before)
    if not changed.any():
        return
    mid = getattr(fn, "mechanism_id", "core")
    for name, start, shape in layout:
        size = int(np.prod(shape))
        block = changed[start : start + size]
        if not block.any():
            continue
        for flat in np.nonzero(block)[0]:
            idx = np.unravel_index(flat, shape)
            label = ""
            if len(idx) == 2:
                label = p.member_names[idx[1]] if name in _MEMBER_FIELDS else p.type_names[idx[1]]
            out.append(TraceRow(int(run_ids[rows[idx[0]]]), week, mid, fn.__name__, name, label, float(before[start + flat]), float(new[start + flat])))


def run_batch(
    p: Params,
    doctrine: Any,
    runs: int,
    seed: int,
    *,
    run_offset: int = 0,
    trace_runs: Sequence[int] = (),
    record: bool = False,
    steps: Sequence[StepFn] = STEP_ORDER,
) -> SimulationResult:
    """Simulate ``runs`` runs with global indices ``run_offset .. run_offset+runs-1``.

    ``trace_runs`` (global indices) records every state change with the step and mechanism
    that made it; ``record`` keeps weekly trajectories for plots.
    """
    run_ids = np.arange(run_offset, run_offset + runs, dtype=np.int64)
    rng = Streams(seed, run_ids)
    s = initial_state(p, rng)
    rows = np.array([r - run_offset for r in trace_runs if run_offset <= r < run_offset + runs], dtype=np.int64)
    return _simulate(s, p, doctrine, rng, run_ids, rows=rows, record=record, steps=steps)


@dataclass(frozen=True)
class Point:
    """One parameter point's share of a batch: ``runs`` runs with global indices
    ``run_offset ..`` of ``seed``, under ``doctrine``, with the compiled scenario ``params``."""

    params: Params
    doctrine: Any
    runs: int
    seed: int
    run_offset: int = 0


def run_points(points: Sequence[Point], *, record: bool = False, steps: Sequence[StepFn] = STEP_ORDER) -> list[SimulationResult]:
    """Simulate many parameter points in one batch; one result per point, in order.

    Every run gets exactly the outcome it gets from :func:`run_batch` for its own point
    (same scenario as resolved for the point, doctrine, seed and global run index): the
    points' parameters that differ are held per run (:func:`~crisislab.model.params.stack_params`)
    and every step reads each run's own values. The points must share
    :func:`~crisislab.model.params.batch_key`; group them by it first.
    """
    if not points:
        return []
    if len(points) == 1:
        q = points[0]
        return [run_batch(q.params, q.doctrine, q.runs, q.seed, run_offset=q.run_offset, record=record, steps=steps)]
    counts = [q.runs for q in points]
    p = stack_params([q.params for q in points], counts)
    ids = [np.arange(q.run_offset, q.run_offset + q.runs, dtype=np.int64) for q in points]
    streams = [Streams(q.seed, r) for q, r in zip(points, ids, strict=True)]
    rng = Streams.joined(streams)
    s = concat_states([initial_state(q.params, r) for q, r in zip(points, streams, strict=True)])
    run_ids = np.concatenate(ids)
    res = _simulate(s, p, PointDoctrines(points), rng, run_ids, rows=np.zeros(0, dtype=np.int64), record=record, steps=steps)
    out, start = [], 0
    for n in counts:
        part = res.outcomes.iloc[start : start + n].reset_index(drop=True)
        traj = {k: v[start : start + n] for k, v in res.trajectories.items()}
        out.append(SimulationResult(part, traj, []))
        start += n
    return out


def concat_states(states: Sequence[State]) -> State:
    """The states of several batches (at the same week) as one batch, in order."""
    first = states[0]
    return State(week=first.week, **{n: np.concatenate([getattr(x, n) for x in states]) for n in State.field_names()})


_OBS_PER_RUN = ("rung", "last_action", "verified_weeks", "talks_open", "settled", "offer_state", "belief", "tranche",
                "support", "member_cost", "stance", "frontline_trust", "cohesion", "enlarged")


class PointDoctrines:
    """The doctrines of a batch of points, each acting on its own points' runs.

    Points that pass the same doctrine object share one instance over all their runs when
    the doctrine is ``batch_safe`` (its actions for a run depend only on that run's
    observations and the batch's structure, which every registered doctrine satisfies:
    a run's outcome does not depend on the size of its batch); any other doctrine gets a
    copy of its own per point, reset with that point's parameters and run count.
    """

    def __init__(self, points: Sequence[Point]) -> None:
        self.groups: list[tuple[Any, Params, np.ndarray]] = []
        shared: dict[int, int] = {}
        seen: set[int] = set()
        start = 0
        for q in points:
            idx = np.arange(start, start + q.runs)
            start += q.runs
            key = id(q.doctrine)
            if getattr(q.doctrine, "batch_safe", False) and key in shared:
                g = shared[key]
                d, gp, old = self.groups[g]
                self.groups[g] = (d, gp, np.concatenate([old, idx]))
                continue
            doc = copy.deepcopy(q.doctrine) if key in seen else q.doctrine
            seen.add(key)
            if getattr(q.doctrine, "batch_safe", False):
                shared[key] = len(self.groups)
            self.groups.append((doc, q.params, idx))
        self.p: Params | None = None

    def reset(self, params: Params, runs: int) -> None:
        self.p = params
        for d, gp, idx in self.groups:
            d.reset(gp, idx.size)

    def act(self, obs: Observation) -> Actions:
        if len(self.groups) == 1:
            return self.groups[0][0].act(obs)
        assert self.p is not None
        return merge_actions([(d.act(obs_rows(obs, idx)), idx) for d, _, idx in self.groups], obs, self.p.deep_strike_share)


def obs_rows(obs: Observation, idx: np.ndarray) -> Observation:
    """What the runs ``idx`` of a batch observe (a batch of their own)."""
    return replace(obs, **{f: getattr(obs, f)[idx] for f in _OBS_PER_RUN})


def merge_actions(parts: Sequence[tuple[Actions, np.ndarray]], obs: Observation, deep_strike_share: Any) -> Actions:
    """One batch's actions from the actions of doctrines that each acted for the runs
    ``idx`` of their part (on :func:`obs_rows`); an action that is the same number
    everywhere stays a number. ``deep_strike`` left to the scenario (``None``) by some
    parts and set by others takes ``deep_strike_share`` (a number or per run) there."""
    n, m = obs.runs, len(obs.member_names)
    merged: dict[str, Any] = {}
    for f in _ACTION_FIELDS:
        vals = [getattr(a, f) for a, _ in parts]
        if f == "deep_strike" and any(v is None for v in vals) and not all(v is None for v in vals):
            share = np.broadcast_to(np.asarray(deep_strike_share, dtype=float), (n,))
            vals = [share[idx] if v is None else v for v, (_, idx) in zip(vals, parts, strict=True)]
        if all(v is None for v in vals):
            merged[f] = None
            continue
        if all(np.ndim(v) == 0 for v in vals) and all(v == vals[0] for v in vals):
            merged[f] = vals[0]
            continue
        shape: tuple[int, ...] = (n, m) if f == "unilateral" else (n,)
        out = np.empty(shape, dtype=np.result_type(*(np.asarray(v) for v in vals)))
        for v, (_, idx) in zip(vals, parts, strict=True):
            arr = np.asarray(v)
            if f == "unilateral" and arr.ndim < 2:  # one value, or one per member
                arr = np.broadcast_to(arr, (idx.size, m))
            out[idx] = arr
        merged[f] = out
    return Actions(**merged)


def _simulate(
    s: State, p: Params, doctrine: Any, rng: Streams, run_ids: np.ndarray, *, rows: np.ndarray, record: bool,
    steps: Sequence[StepFn],
) -> SimulationResult:
    """The weekly loop over a prepared batch (state, parameters, streams)."""
    runs = run_ids.shape[0]
    doctrine.reset(p, runs)
    trace: list[TraceRow] = []
    traj: dict[str, list[np.ndarray]] = {k: [] for k in TRAJECTORY_FIELDS} if record else {}
    n, m = runs, p.n_members
    layout = _layout(s, rows) if rows.size else []
    for week in range(p.horizon):
        s.week = week
        s.cyber_now = np.zeros(n, dtype=bool)
        s.rejected_now = np.zeros(n, dtype=bool)
        acts = normalise_actions(doctrine.act(observe(s, p)), n, m)
        for fn in steps:
            if rows.size:
                before = _snapshot(s, rows)
                s = fn(s, p, acts, rng)
                _diff(before, s, rows, run_ids, week, fn, p, layout, trace)
            else:
                s = fn(s, p, acts, rng)
        if record:
            traj["rung"].append(s.rung.copy())
            traj["cohesion"].append(kernels.rowdot(s.support, p.weight))
            traj["final_frontline_trust"].append(_frontline_mean(s, p))
            traj["permanence"].append(s.permanence.copy())
            traj["talks_open"].append(s.talks_open.astype(float))
            traj["belief_true_type"].append(s.belief[np.arange(n), s.adversary_type])
    s.week = p.horizon
    outcomes = outcome_table(s, p, run_ids)
    trajectories = {k: np.stack(v, axis=1) for k, v in traj.items()} if record else {}
    return SimulationResult(outcomes, trajectories, trace)


def _frontline_mean(s: State, p: Params) -> np.ndarray:
    if not p.frontline.any():
        return np.ones(s.rung.shape[0])
    return s.frontline_trust[:, p.frontline].mean(axis=1)
