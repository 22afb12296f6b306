"""Talking to avoid catastrophe: M13–M18 (source: 001_c1f1fff7db0dc79a.txt).

The source argues that refusing to talk to a nuclear power risks miscalculation, that aid
prolongs the war and hardens the adversary, that impossible preconditions keep talks from
ever starting, and that dialogue helps only when it is regular and coordinated.
"""

from __future__ import annotations

import numpy as np

from crisislab.model import kernels
from crisislab.model.mechanisms._base import at, clip, clip01, mechanism, per_run
from crisislab.model.params import CASUALTIES_PER_WEEK, Params
from crisislab.model.rng import Slot, Streams
from crisislab.model.state import Actions, State


@mechanism("M18")
def dialogue_consistency(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Regularity of coordinated channels: a moving average over ``window`` weeks.

    With M18 on only coordinated contact counts and it counts by its regularity; with M18
    off any contact this week (coordinated or a member's own) counts in full.
    """
    if p.on["dialogue_consistency"]:
        w = p.k["dialogue_consistency"]["window"]
        s.regularity = s.regularity + (s.contact.astype(float) - s.regularity) / w
    else:
        s.regularity = (s.contact | s.unilateral.any(axis=1)).astype(float)
    return s


@mechanism("M13")
def misperception(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Perception noise falls with a hotline and regular channels, rises with poor
    intelligence; the adversary reads threat into the noise in proportion to its paranoia."""
    k = p.k["misperception"]
    hot = np.asarray(a.hotline, dtype=bool) & p.hotline_available
    sigma = k["base_sigma"] * (1.0 - k["hotline_cut"] * hot) * (1.0 - k["channel_cut"] * s.regularity)
    sigma = sigma * (1.0 + 0.5 * (1.0 - s.intel_quality))
    s.sigma = sigma
    # a paranoid adversary that cannot read the coalition reads threat into the noise
    s.u_escalate = s.u_escalate + p.s("misperception") * k["misread"] * sigma * at(p.paranoia, s.adversary_type)
    return s


def inadvertent_climb_probability(s: State, p: Params) -> np.ndarray:
    """P(one rung climbed by accident this week): grows with noise and steeply with the rung."""
    k = p.k["misperception"]
    return clip(p.s("misperception") * k["p_inadvertent"] * s.sigma * np.exp(k["steepness"] * (s.rung - 3)), 0.0, 0.5)


@mechanism("M14")
def aid_entrenchment(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Aid raises defender capability and, through paranoia, the adversary's resolve."""
    k = p.k["aid_entrenchment"]
    st = p.s("aid_entrenchment")
    aid = per_run(a.aid, s.rung.shape, float)
    s.defender_capability = clip01(p.defender_capability + st * k["capability_gain"] * aid * (1.0 - p.defender_capability))
    war = s.rung >= 4
    s.adversary_resolve = clip01(s.adversary_resolve + st * k["hardening"] * aid * at(p.paranoia, s.adversary_type) * war)
    return s


def deep_strike_probability(s: State, p: Params, a: Actions) -> np.ndarray:
    """Extra P(climb) from long-range strikes supplied with the aid (only at war rungs)."""
    share = p.deep_strike_share if a.deep_strike is None else np.asarray(a.deep_strike, dtype=float)
    aid = np.asarray(a.aid, dtype=float)
    return p.s("aid_entrenchment") * p.k["aid_entrenchment"]["deep_strike_risk"] * aid * share * 4.0 * (s.rung >= 4)


@mechanism("M16")
def global_audience(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Gains that pay embolden other revisionists; weak cohesion pulls third parties away."""
    k = p.k["global_audience"]
    st = p.s("global_audience")
    war = s.rung >= 4
    gain = 0.01 * war * (1.0 - s.defender_capability) * (1.0 - s.ended)
    s.adversary_gains = clip01(s.adversary_gains + gain)
    cohesion = kernels.rowdot(s.support, p.weight)
    s.emboldening = clip01(s.emboldening + st * (k["gain_weight"] * gain - k["cohesion_weight"] * (cohesion - 0.5)))
    s.third_party_alignment = clip01(s.third_party_alignment + st * (0.5 * k["gain_weight"] * gain - 0.5 * k["cohesion_weight"] * (cohesion - 0.5)))
    return s


@mechanism("M17")
def humanitarian_cost(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Casualties (thousands) accrue each week by ladder rung."""
    s.humanitarian_cost = s.humanitarian_cost + p.s("humanitarian_cost") * CASUALTIES_PER_WEEK[s.rung]
    return s


@mechanism("M15")
def inflexible_preconditions(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Talks with a precondition open only if the adversary's type accepts it.

    A type accepts a demobilisation precondition up to its ``accept_limit`` (blurred by
    ``softness``); a threshold above every type's limit means talks never open.
    """
    pre = per_run(a.precondition, s.rung.shape, float)
    opening = s.contact & ~s.talks_open & ~s.ended
    if p.on["inflexible_preconditions"]:
        soft = p.k["inflexible_preconditions"]["softness"]
        u = rng.uniform(s.week, Slot.PRECONDITION)
        limit = at(p.accept_limit, s.adversary_type) + soft * (2.0 * u - 1.0)
        ok = (pre <= 0.0) | (pre <= limit)
    else:
        ok = np.ones_like(opening)
    newly = opening & ok
    s.talks_open = (s.talks_open & (s.contact | (s.offer_state == 1))) | newly
    # meeting a precondition is verified behavioural change
    s.verified_weeks = np.where(newly & (pre > 0), np.maximum(s.verified_weeks, p.k["conditionality_framework"]["verify_weeks"]), s.verified_weeks)
    return s
