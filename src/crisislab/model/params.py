"""Compile a validated :class:`~crisislab.scenario.Scenario` into flat NumPy parameters.

The engine never touches pydantic objects in its inner loop: everything it needs is an
array or a float on :class:`Params`. Mechanism switches and strengths are looked up by
mechanism name: ``p.on["credibility_decay"]``, ``p.strength["credibility_decay"]`` and the
mechanism's constants ``p.k["credibility_decay"]["d_talk"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from crisislab.model.mechanisms.registry import MECHANISMS
from crisislab.scenario.schema import Scenario

#: Mediation styles in order of how much the mediator brings (Beardsley et al. 2006):
#: each style uses the tools of the ones before it (M25). No rate is read from history.
MEDIATION_STYLES = ("facilitation", "formulation", "manipulation")

#: Casualties (thousands per week) by ladder rung: an order-of-magnitude scale. The war
#: rungs follow published estimates for the Russia–Ukraine war of the order of 100,000
#: killed and wounded per year on each side in 2022–2023 (i.e. about 2–4 thousand per week);
#: the nuclear rung uses the order of magnitude of a single city-scale detonation.
CASUALTIES_PER_WEEK = np.array([0.0, 0.0, 0.0, 0.05, 2.0, 3.5, 3.5, 100.0])

#: Coalition reservation utility in a deal on the agenda (share of its agenda utility).
COALITION_RESERVATION = 0.55


@dataclass
class Params:
    """Everything the engine needs, as arrays; built by :func:`compile_scenario`."""

    name: str
    horizon: int
    n_members: int
    member_names: list[str]
    population: np.ndarray
    gdp: np.ndarray
    weight: np.ndarray  # political weight: mean of GDP and population shares
    trade_exposure: np.ndarray
    energy_dependence: np.ndarray
    frontline: np.ndarray
    stance: np.ndarray
    salience: np.ndarray
    veto: np.ndarray
    veto_holder: np.ndarray
    eu_member: np.ndarray
    decision_rule: str
    type_names: list[str]
    type_weights: np.ndarray
    aggression: np.ndarray
    resolve: np.ndarray
    paranoia: np.ndarray
    stature_weight: np.ndarray
    zero_sum: np.ndarray
    accept_limit: np.ndarray
    p_accept_offer: np.ndarray
    reservation: np.ndarray
    cyber_propensity: np.ndarray
    rationality: float
    initial_rung: int
    defender_capability: float
    mediator: bool
    mediator_trust_a: float
    mediator_trust_c: float
    mediator_style: int  # 0 none, 1 facilitation, 2 formulation, 3 manipulation
    tranche_intensity: np.ndarray
    tranche_damage: np.ndarray
    aid_levels: dict[str, float]
    deep_strike_share: float
    hotline_available: bool
    agenda_names: list[str]
    pos_c: np.ndarray
    pos_a: np.ndarray
    sal_c: np.ndarray
    sal_a: np.ndarray
    red_line: np.ndarray
    in_mandate: np.ndarray
    dyn: dict[str, float] = field(default_factory=dict)  # crisis dynamics (Scenario.dynamics)
    on: dict[str, bool] = field(default_factory=dict)
    strength: dict[str, float] = field(default_factory=dict)
    k: dict[str, dict[str, float]] = field(default_factory=dict)
    #: names of the fields (``dyn.<key>``, ``strength.<mechanism>``, ``k.<mechanism>.<key>``,
    #: ``aid_levels.<level>`` for the dictionaries) that hold one value per run: set by
    #: :func:`stack_params` for a batch of several parameter points, empty otherwise
    per_run: frozenset[str] = frozenset()
    #: the distinct agendas (``pos_c, pos_a, sal_c, sal_a``) of a batch whose points differ
    #: in them, and the agenda of each run (``[runs]``); empty and ``None`` otherwise, when
    #: the fields above are the one agenda of every run
    agendas: tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], ...] = ()
    agenda_index: np.ndarray | None = None

    @property
    def n_types(self) -> int:
        return len(self.type_names)

    def s(self, name: str) -> Any:
        """Effective strength of a mechanism: 0 when switched off (an array with one value
        per run when the batch mixes parameter points that differ in it)."""
        return self.strength[name] if self.on[name] else 0.0

    def agenda(self, g: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Agenda ``g`` of the batch: coalition and adversary positions and saliences."""
        return self.agendas[g] if self.agendas else (self.pos_c, self.pos_a, self.sal_c, self.sal_a)

    def agenda_of(self, rows: np.ndarray) -> np.ndarray:
        """The agenda index of each of the runs ``rows`` (0 for all when there is one)."""
        return self.agenda_index[rows] if self.agenda_index is not None else np.zeros(rows.shape[0], dtype=np.int64)

    def acts(self, name: str) -> bool:
        """The mechanism is switched on with a strength other than 0. The same for every
        run of a batch: :func:`batch_key` keeps points that differ in it apart."""
        return bool(self.on[name]) and bool(np.all(np.asarray(self.strength[name]) != 0))


# --- batches of many parameter points -----------------------------------------------------
#
# A batch may mix runs of many parameter points (a sweep, a Sobol design, the crises of the
# validation family). Numeric parameters that differ between the points of a batch then
# hold one value per run (``[runs]`` for a scalar, ``[runs, k]`` for a per-type, per-member
# or per-tranche vector); every step reads them so that a run sees exactly the values of
# its own point. Fields that shape the computation itself (counts, names, masks, the
# decision rule, mediator and style, the agenda, the members' political weights and
# Council votes, which switches are on and which strengths are 0) must be equal in a batch:
# :func:`batch_key` is what the callers group points by. Agendas may differ: a batch then
# lists its distinct agendas and each run's (``agendas``, ``agenda_index``).

#: Scalar fields that may hold one value per run.
PER_RUN_SCALARS = ("rationality", "initial_rung", "defender_capability", "mediator_trust_a", "mediator_trust_c",
                   "deep_strike_share")
#: Vector fields (per type, per member or per tranche) that may hold one row per run.
PER_RUN_VECTORS = ("type_weights", "aggression", "resolve", "paranoia", "stature_weight", "zero_sum", "accept_limit",
                   "p_accept_offer", "reservation", "cyber_propensity", "tranche_intensity", "tranche_damage",
                   "trade_exposure", "energy_dependence", "stance", "salience")
#: Dictionaries of scalars whose entries may hold one value per run.
PER_RUN_DICTS = ("dyn", "strength", "aid_levels")
#: Fields that are equal in every batch (see :func:`batch_key`).
STRUCTURE = ("horizon", "n_members", "member_names", "population", "gdp", "weight", "frontline", "veto",
             "veto_holder", "eu_member", "decision_rule", "type_names", "mediator", "mediator_style",
             "hotline_available", "agenda_names", "red_line", "in_mandate")
#: The agenda's numbers: points that differ in them share a batch (see ``Params.agendas``).
AGENDA = ("pos_c", "pos_a", "sal_c", "sal_a")


def _frozen(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return (v.dtype.str, v.shape, v.tobytes())
    if isinstance(v, list):
        return tuple(v)
    return v


def batch_key(p: Params) -> tuple[Any, ...]:
    """What parameter points must share to run in one batch: the :data:`STRUCTURE` fields,
    the switches, which strengths are 0, the number of tranches, and the name of every
    mechanism constant (their values may differ). The scenario's name is not part of it:
    the points of a family (``generic-crisis#3``, ...) share batches."""
    return (
        tuple(_frozen(getattr(p, f)) for f in STRUCTURE),
        tuple(sorted((n, bool(v)) for n, v in p.on.items())),
        tuple(sorted((n, bool(np.all(np.asarray(p.strength[n]) == 0))) for n in p.strength)),
        len(p.tranche_damage),
        tuple(sorted((n, tuple(sorted(k))) for n, k in p.k.items())),
        tuple(sorted(p.dyn)),
        tuple(sorted(p.aid_levels)),
    )


def _same(values: Sequence[Any]) -> bool:
    first = values[0]
    return all(np.array_equal(v, first) for v in values[1:])


def _stacked(values: Sequence[Any], runs: Sequence[int]) -> np.ndarray:
    return np.repeat(np.asarray(values), np.asarray(runs, dtype=np.int64), axis=0)


def stack_params(points: Sequence[Params], runs: Sequence[int]) -> Params:
    """One :class:`Params` for a batch that holds ``runs[i]`` consecutive runs of point
    ``points[i]``: a field equal at every point keeps its value, one that differs holds each
    run's value (and is named in ``per_run``). Points must share :func:`batch_key`.

    >>> from crisislab.scenario import load_scenario
    >>> sc = load_scenario("toy-3")
    >>> a, b = compile_scenario(sc), compile_scenario(sc.with_overrides({"adversary.rationality": 2.0}))
    >>> p = stack_params([a, b], [2, 3])
    >>> p.rationality.tolist(), sorted(p.per_run)
    ([4.0, 4.0, 2.0, 2.0, 2.0], ['rationality'])
    """
    if len(points) != len(runs) or not points:
        raise ValueError("stack_params needs one run count per point, and at least one point")
    if len(points) == 1:
        return points[0]
    key = batch_key(points[0])
    for i, q in enumerate(points[1:], 1):
        if batch_key(q) != key:
            raise ValueError(f"point {i} differs from point 0 in a field that shapes the batch (see batch_key)")
    changes: dict[str, Any] = {}
    varying: set[str] = set()
    for name in (*PER_RUN_SCALARS, *PER_RUN_VECTORS):
        values = [getattr(q, name) for q in points]
        if not _same(values):
            changes[name] = _stacked(values, runs)
            varying.add(name)
    for name in PER_RUN_DICTS:
        d = dict(getattr(points[0], name))
        for key_ in d:
            values = [getattr(q, name)[key_] for q in points]
            if not _same(values):
                d[key_] = _stacked(values, runs)
                varying.add(f"{name}.{key_}")
        changes[name] = d
    k: dict[str, dict[str, Any]] = {m: dict(v) for m, v in points[0].k.items()}
    for m, consts in k.items():
        for key_ in consts:
            values = [q.k[m][key_] for q in points]
            if not _same(values):
                consts[key_] = _stacked(values, runs)
                varying.add(f"k.{m}.{key_}")
    changes["k"] = k
    agendas = [tuple(getattr(q, f) for f in AGENDA) for q in points]
    if not all(all(np.array_equal(x, y) for x, y in zip(a_, agendas[0], strict=True)) for a_ in agendas[1:]):
        distinct: list[tuple[np.ndarray, ...]] = []
        which = []
        for a_ in agendas:
            for g, known in enumerate(distinct):
                if all(np.array_equal(x, y) for x, y in zip(a_, known, strict=True)):
                    which.append(g)
                    break
            else:
                which.append(len(distinct))
                distinct.append(a_)
        changes["agendas"] = tuple(distinct)
        changes["agenda_index"] = _stacked(which, runs)
        varying.update(AGENDA)
    return replace(points[0], per_run=frozenset(varying), **changes)


def compile_scenario(scenario: Scenario) -> Params:
    """Turn a scenario into :class:`Params`."""
    members = scenario.coalition.members
    pop = np.array([m.population for m in members])
    gdp = np.array([m.gdp for m in members])
    weight = 0.5 * (pop / pop.sum() + gdp / gdp.sum())
    types = scenario.adversary.types
    tw = np.array([t.weight for t in types], dtype=float)
    instr = scenario.instruments
    med = scenario.mediator
    on: dict[str, bool] = {}
    strength: dict[str, float] = {}
    k: dict[str, dict[str, float]] = {}
    for info in MECHANISMS.values():
        setting = scenario.mechanism(info.name)
        on[info.name] = setting.enabled
        strength[info.name] = setting.strength
        k[info.name] = {**info.params, **setting.params}
    agenda = scenario.agenda
    return Params(
        name=scenario.name,
        horizon=scenario.horizon_weeks // scenario.step_weeks,
        n_members=len(members),
        member_names=[m.name for m in members],
        population=pop,
        gdp=gdp,
        weight=weight / weight.sum(),
        trade_exposure=np.array([m.trade_exposure for m in members]),
        energy_dependence=np.array([m.energy_dependence for m in members]),
        frontline=np.array([m.frontline for m in members]),
        stance=np.array([m.stance for m in members]),
        salience=np.array([m.salience for m in members]),
        veto=np.array([m.veto for m in members]),
        veto_holder=np.array(scenario.coalition.veto_mask()),
        eu_member=np.array([m.eu_member for m in members]),
        decision_rule=scenario.coalition.decision_rule,
        type_names=[t.name for t in types],
        type_weights=tw / tw.sum(),
        aggression=np.array([t.aggression for t in types]),
        resolve=np.array([t.resolve for t in types]),
        paranoia=np.array([t.paranoia for t in types]),
        stature_weight=np.array([t.stature_weight for t in types]),
        zero_sum=np.array([t.zero_sum for t in types]),
        accept_limit=np.array([t.accept_limit for t in types]),
        p_accept_offer=np.array([t.p_accept_offer for t in types]),
        reservation=np.array([t.reservation for t in types]),
        cyber_propensity=np.array([t.cyber_propensity for t in types]),
        rationality=scenario.adversary.rationality,
        initial_rung=scenario.adversary.initial_rung,
        defender_capability=scenario.defender.capability,
        mediator=med is not None,
        mediator_trust_a=med.trust_adversary if med else 0.0,
        mediator_trust_c=med.trust_coalition if med else 0.0,
        mediator_style=MEDIATION_STYLES.index(med.style) + 1 if med else 0,
        tranche_intensity=np.array([0.0] + [t.intensity for t in instr.sanction_tranches]),
        tranche_damage=np.array([0.0] + [t.damage for t in instr.sanction_tranches]),
        aid_levels=dict(instr.aid_levels),
        deep_strike_share=instr.deep_strike_share,
        hotline_available=instr.hotline,
        agenda_names=[a.name for a in agenda],
        pos_c=np.array([a.coalition_position for a in agenda]),
        pos_a=np.array([a.adversary_position for a in agenda]),
        sal_c=np.array([a.coalition_salience for a in agenda]),
        sal_a=np.array([a.adversary_salience for a in agenda]),
        red_line=np.array([a.red_line for a in agenda]),
        in_mandate=np.array([a.in_mandate for a in agenda]),
        dyn={k: float(v) for k, v in scenario.dynamics.model_dump().items()},
        on=on,
        strength=strength,
        k=k,
    )
