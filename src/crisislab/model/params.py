"""Compile a validated :class:`~crisislab.scenario.Scenario` into flat NumPy parameters.

The engine never touches pydantic objects in its inner loop: everything it needs is an
array or a float on :class:`Params`. Mechanism switches and strengths are looked up by
mechanism name: ``p.on["credibility_decay"]``, ``p.strength["credibility_decay"]`` and the
mechanism's constants ``p.k["credibility_decay"]["d_talk"]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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

    @property
    def n_types(self) -> int:
        return len(self.type_names)

    def s(self, name: str) -> float:
        """Effective strength of a mechanism: 0 when switched off."""
        return self.strength[name] if self.on[name] else 0.0


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
