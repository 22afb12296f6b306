"""Negotiating under fire: M25–M31 (source: 003_6e275725a3b18bd7.txt).

The source stresses trusted mediators, face-saving exits, disciplined messaging,
calculated risk-taking, cross-domain moves, the economic feedback of sanctions, and
territorial red lines that no deal may cross.
"""

from __future__ import annotations

import numpy as np

from crisislab.model import kernels
from crisislab.model.mechanisms._base import (
    at,
    clip,
    clip01,
    col,
    mechanism,
    member_rows,
    per_run,
    per_run_f,
)
from crisislab.model.params import Params
from crisislab.model.rng import Slot, Streams
from crisislab.model.state import Actions, State


def _mediator_reach(s: State, p: Params, a: Actions) -> np.ndarray:
    """Strength times trust of an engaged mediator, per run (0 without one):
    ``strength * sqrt(trust_adversary * trust_coalition)``."""
    use = np.asarray(a.mediator, dtype=bool) & p.mediator & p.on["mediation"]
    trust = np.sqrt(clip(s.mediator_trust, 0.0, 1.0) * p.mediator_trust_c)
    return use * p.strength["mediation"] * trust


def mediation_multiplier(s: State, p: Params, a: Actions) -> np.ndarray:
    """Settlement hazard multiplier of a mediator (M25), any style: communication.

    ``1 + communication * strength * sqrt(trust_adversary * trust_coalition)``: a channel
    both sides trust carries offers the parties would not make to each other (facilitation).
    """
    return 1.0 + p.k["mediation"]["communication"] * _mediator_reach(s, p, a)


def mediation_leverage(s: State, p: Params, a: Actions) -> np.ndarray:
    """What a manipulating mediator adds to both sides' surplus from a deal (side payments,
    guarantees, pressure; Beardsley 2011): ``leverage * reach`` for the manipulation style."""
    return (p.mediator_style >= 3) * p.k["mediation"]["leverage"] * _mediator_reach(s, p, a)


@mechanism("M25")
def mediation(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """A mediator makes talks possible where the parties would not meet directly, and its
    style decides what else it brings (Kydd 2003; Savun 2008; Beardsley 2011):

    * facilitation: a channel (mediated contact keeps a negotiation track open) and the
      communication term of the settlement hazard (:func:`mediation_multiplier`);
    * formulation, in addition: information. Proposals that reveal the balance shrink the
      challenger's optimism by ``information * reach`` a week in mediated talks, which
      narrows its demands (the zone of agreement, M20) and the appeal of war;
    * manipulation, in addition: leverage. It widens the zone of agreement
      (:func:`mediation_leverage`) and adds as much to the utility of de-escalating.
    """
    live = ~s.ended
    use = np.asarray(a.mediator, dtype=bool) & p.mediator & p.on["mediation"] & live
    s.talks_open = s.talks_open | (use & s.contact)
    if p.mediator_style >= 2:
        reach = _mediator_reach(s, p, a) * (s.talks_open & live)
        s.optimism = s.optimism * (1.0 - clip(p.k["mediation"]["information"] * reach, 0.0, 1.0))
    if p.mediator_style >= 3:
        s.u_deescalate = s.u_deescalate + mediation_leverage(s, p, a) * (s.talks_open & live)
    return s


@mechanism("M26")
def off_ramp(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """A face-saving exit adds stature utility to de-escalating."""
    use = np.asarray(a.off_ramp, dtype=bool)
    s.u_deescalate = s.u_deescalate + p.s("off_ramp") * p.k["off_ramp"]["value"] * at(p.stature_weight, s.adversary_type) * use
    return s


@mechanism("M28")
def messaging_discipline(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Insults harden the adversary and cost mediator trust; discipline does the reverse.
    (Its effect on statement variance is applied in M09.)"""
    k = p.k["messaging_discipline"]
    st = p.s("messaging_discipline")
    tone = 2.0 * (0.5 - per_run(a.messaging, s.rung.shape, float))  # +1 insults .. -1 empathy
    s.adversary_resolve = clip01(s.adversary_resolve + st * k["harden"] * tone)
    s.mediator_trust = clip01(s.mediator_trust - st * k["trust_loss"] * tone)
    return s


@mechanism("M29")
def cross_domain_stratagems(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Cyber and information operations (more likely above peace) polarise the coalition:
    doves soften and hawks harden."""
    k = p.k["cross_domain_stratagems"]
    st = p.s("cross_domain_stratagems")
    if not p.acts("cross_domain_stratagems"):
        return s
    prob = k["p_cyber"] * at(p.cyber_propensity, s.adversary_type) * (s.rung >= 1) * ~s.ended
    op = rng.uniform(s.week, Slot.CYBER) < prob
    s.cyber_now = op
    s.cyber_ops = s.cyber_ops + op
    # per run and member (compiled): stance = clip01(stance + st*dissent*op*sign(stance - centre))
    # with centre the weighted mean stance; then polarisation, the weighted spread of stance
    s.stance, s.polarisation = kernels.dissent_update(s.stance, p.weight, op, per_run_f(st * k["dissent"], op.shape[0]))
    return s


@mechanism("M30")
def economic_contagion(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Members pay for sanctions by their trade exposure and energy dependence; support
    decays with that cost and recovers with the threat (the ladder rung). Members whose
    support falls below ``defect_below`` stop enforcing, and the adversary's damage falls
    by their share of the coalition's trade with it. Switched off, sanctions cost their
    senders nothing (there is no economic feedback); strength scales the decay of support."""
    k = p.k["economic_contagion"]
    st = p.s("economic_contagion")
    inten = at(p.tranche_intensity, s.tranche)
    exposure = member_rows(p.trade_exposure + 0.03 * p.energy_dependence)
    n = s.rung.shape[0]
    # per run and member (compiled): cost = intensity * exposure;
    # support = clip01(support - st*decay*cost + threat_recovery*(rung/7)*(1 - support))
    cost, support, gdp_weighted, any_low = kernels.contagion_update(
        s.support, inten, exposure, s.rung, p.gdp / p.gdp.sum(), per_run_f(st * k["decay"], n),
        per_run_f(k["threat_recovery"], n), per_run_f(k["defect_below"], n),
    )
    # members whose support fell below ``defect_below`` stop enforcing: they bear no cost
    # and the adversary escapes the share of coalition trade they carry
    leak = np.zeros(s.rung.shape)
    if p.acts("economic_contagion") and any_low:
        defected = support < col(k["defect_below"])
        cost = np.where(defected, 0.0, cost)
        gdp_weighted = kernels.rowdot(cost, p.gdp / p.gdp.sum())  # member order, batch-independent
        trade = p.trade_exposure * p.gdp  # [members], or one row per run
        leak = (defected * trade).sum(axis=1) / trade.sum(axis=-1)
    if not p.on["economic_contagion"]:
        cost = np.zeros_like(cost)
        gdp_weighted = np.zeros_like(gdp_weighted)
    s.member_cost = cost
    aid_cost = 0.002 * per_run(a.aid, s.rung.shape, float)
    weekly = gdp_weighted + aid_cost
    s.coalition_cost = s.coalition_cost + weekly / 52.0
    s.support = support
    s.adversary_damage = s.adversary_damage + at(p.tranche_damage, s.tranche) * s.isolation * (1.0 - leak) / 52.0
    return s


@mechanism("M27")
def brinkmanship(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Raising shared risk makes the adversary concede sometimes and risks catastrophe.

    The concession pressure enters the utility of de-escalating; the catastrophe itself
    is drawn in the ladder step (:func:`catastrophe_probability`).
    """
    k = p.k["brinkmanship"]
    r = per_run(a.risk, s.rung.shape, float)
    stake = at(p.resolve, s.adversary_type)
    s.u_deescalate = s.u_deescalate + p.s("brinkmanship") * k["concede"] * r * (1.0 - stake)
    return s


def catastrophe_probability(s: State, p: Params, a: Actions) -> np.ndarray:
    """P(loss of control this week) = catastrophe * r^2, doubled at the nuclear-signalling rung."""
    r = per_run(a.risk, s.rung.shape, float)
    return p.s("brinkmanship") * p.k["brinkmanship"]["catastrophe"] * r**2 * (1.0 + (s.rung >= 6))


@mechanism("M31")
def non_negotiable_concessions(p: Params, tradable: np.ndarray) -> np.ndarray:
    """Red-line items are never tradable: removes them from the envoy's tradable set.

    Used by :func:`crisislab.model.mechanisms.screening.tradable_items`, so no deal the model
    generates can move a red-line item away from the coalition's position.
    """
    if not p.on["non_negotiable_concessions"]:
        return tradable
    return tradable & ~p.red_line
