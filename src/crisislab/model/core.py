"""Core steps that are not themselves a claim of the sources: the adversary's base
utilities and logit choice, moves on the escalation ladder, the coalition's sanction
response and the settlement draw. Steps that realise a mechanism's random event (an
inadvertent climb, a deep-strike spiral, a loss of control) are tagged with its ID.
"""

from __future__ import annotations

import numpy as np

from crisislab.model import kernels
from crisislab.model.mechanisms._base import clip, clip01, mechanism, per_run
from crisislab.model.mechanisms.catastrophe import (
    deep_strike_probability,
    inadvertent_climb_probability,
)
from crisislab.model.mechanisms.negotiation import catastrophe_probability, mediation_multiplier
from crisislab.model.mechanisms.screening import adversary_reservation, frontier
from crisislab.model.params import COALITION_RESERVATION, Params
from crisislab.model.rng import Slot, Streams
from crisislab.model.state import Actions, State

TOP = 7  # nuclear use
WAR = 4  # conventional war
NUCLEAR_TABOO = 1.2  # extra utility cost of crossing to nuclear use
ESCALATE_GAIN = 1.3  # weight of the type's aggression in the gain from escalating
RUNG_COST = 0.2  # extra cost of each rung above tension
RELIEF = 0.15  # extra relief of stepping down, per rung above tension
FACE_COST = 0.3  # face lost by backing down, per unit of resolve
MOVE_COST = 0.5  # holding is the default: moving either way costs


@mechanism("core")
def base_utility(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Reset the utility terms to the adversary's base motives.

    Escalating pays by the type's aggression (less against a capable defender) and by
    resolve and legitimacy at home; each rung up costs more, crossing to nuclear use most.
    De-escalating costs face in proportion to resolve and is helped by economic damage.
    """
    t = s.adversary_type
    s.u_escalate = (
        ESCALATE_GAIN * p.aggression[t] * (1.0 - 0.6 * s.defender_capability)
        + 0.1 * s.adversary_legitimacy
        - RUNG_COST * (s.rung - 1)
        - MOVE_COST
        - NUCLEAR_TABOO * (s.rung >= TOP - 1)
    )
    s.u_deescalate = (
        -FACE_COST * s.adversary_resolve
        + 0.3 * np.minimum(s.adversary_damage, 1.0)
        + RELIEF * (s.rung - 1)
        - MOVE_COST
    )
    return s


@mechanism("core")
def adversary_choice(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Logit choice among de-escalate / hold / escalate with precision ``rationality`` (M05's
    choice rule). A settled adversary stands down; an accepted offer means demobilising."""
    # per run (compiled): u = [u_deescalate, 0, u_escalate] * rationality; w = exp(u - max u);
    # cdf = cumsum(w) / sum(w); action = (draw > cdf[0]) + (draw > cdf[1]) - 1
    draw = rng.uniform(s.week, Slot.CHOICE)
    action = kernels.logit_choice(np.asarray(s.u_deescalate, dtype=float), np.asarray(s.u_escalate, dtype=float), float(p.rationality), draw)
    demobilise = (s.offer_state == 1) & (s.talks_weeks == 0) & s.talks_open
    action = np.where(demobilise | s.settled, -1, action)
    s.action = action
    return s


@mechanism("M27")
def concession_event(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Under shared risk the adversary sometimes backs down outright (a concession)."""
    k = p.k["brinkmanship"]
    r = per_run(a.risk, s.rung.shape, float)
    prob = p.s("brinkmanship") * k["concede"] * 0.2 * r * (1.0 - p.resolve[s.adversary_type]) * ~s.settled
    yes = rng.uniform(s.week, Slot.CONCEDE) < prob
    s.adversary_concessions = s.adversary_concessions + 0.1 * yes
    s.action = np.where(yes, -1, s.action)
    return s


@mechanism("core")
def ladder_move(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Apply the adversary's chosen move on the ladder."""
    s.rung = clip(s.rung + s.action, 0, TOP)
    return s


@mechanism("M13")
def inadvertent_climb(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """An accident of misperception climbs one rung."""
    prob = inadvertent_climb_probability(s, p) * ~s.settled
    climb = rng.uniform(s.week, Slot.INADVERTENT) < prob
    s.rung = np.minimum(s.rung + climb, TOP)
    s.action = np.where(climb, np.maximum(s.action, 1), s.action)
    return s


@mechanism("M14")
def deep_strike_spiral(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Long-range strikes supplied with aid can provoke a climb at the war rungs."""
    prob = deep_strike_probability(s, p, a) * ~s.settled
    climb = rng.uniform(s.week, Slot.DEEP_STRIKE) < prob
    s.rung = np.minimum(s.rung + climb, TOP)
    s.action = np.where(climb, np.maximum(s.action, 1), s.action)
    return s


@mechanism("M27")
def loss_of_control(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """A catastrophe under shared risk jumps to the top of the ladder."""
    prob = catastrophe_probability(s, p, a) * ~s.settled
    boom = rng.uniform(s.week, Slot.CATASTROPHE) < prob
    s.catastrophes = s.catastrophes + boom
    s.rung = np.where(boom, TOP, s.rung)
    return s


@mechanism("core")
def bookkeeping(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Peak rung, verified behavioural change, last action, weeks in talks."""
    s.peak = np.maximum(s.peak, s.rung)
    started = s.action < 0
    sustained = (s.action == 0) & (s.verified_weeks > 0)
    s.verified_weeks = np.where(s.action > 0, 0, np.where(started | sustained, s.verified_weeks + 1, s.verified_weeks))
    s.last_action = s.action.copy()
    s.talks_weeks = np.where(s.talks_open, s.talks_weeks + 1, 0)
    s.talks_total = s.talks_total + s.talks_open
    return s


@mechanism("core")
def coalition_response(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Answer escalation with one more sanction tranche after the response lag (M02);
    pre-planned packages (M22) and automatic triggers (M12b) fire at once."""
    climbed = s.action > 0
    respond = per_run(a.respond, s.rung.shape, bool)
    want = climbed & respond
    s.pending_response = np.where(
        want, np.where(s.pending_response >= 0, np.minimum(s.pending_response, s.response_lag), s.response_lag), s.pending_response
    ).astype(float)
    top = len(p.tranche_damage) - 1
    # automatic triggers: escalation or a cross-domain operation while talks run (M12b)
    trig = np.asarray(a.triggers, dtype=bool) & p.on["conditionality_framework"]
    fire_trigger = trig & (climbed | (s.talks_open & s.cyber_now))
    pre = np.asarray(a.pre_planned, dtype=bool) & p.on["preplanned_responses"]
    fire_pre = pre & (climbed | s.rejected_now)
    jump = np.where(fire_pre, int(p.k["preplanned_responses"]["jump"]), 0) + fire_trigger
    due = s.pending_response == 0
    s.tranche = np.minimum(s.tranche + jump + due, top)
    s.pending_response = np.where(due | fire_trigger | fire_pre, -1.0, np.where(s.pending_response > 0, s.pending_response - 1, s.pending_response))
    s.tranche = np.minimum(np.maximum(s.tranche, np.asarray(a.sanction_floor)), top)
    return s


@mechanism("core")
def settlement(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Draw settlements in open talks with a hazard set by the zone of agreement (M20),
    mediation (M25), the rung and leverage (M01); deals never cross red lines (M31)."""
    k = p.k["agenda_linkage"]
    open_ = s.talks_open & ~s.settled
    fz = clip((s.zone + 0.1) / 0.2, 0.0, 1.5)
    hazard = k["base_rate"] * fz * mediation_multiplier(s, p, a) * (1.0 - s.rung / 8.0) * (0.5 + 0.5 * s.leverage)
    hazard = np.where(open_, clip(hazard, 0.0, 0.9), 0.0)
    s.adversary_concessions = s.adversary_concessions + 0.01 * open_ * s.leverage * s.perceived_resolve
    win = rng.uniform(s.week, Slot.SETTLE) < hazard
    rows = np.nonzero(win)[0]
    if rows.size:
        linked = per_run(a.link_agenda, s.rung.shape, bool)
        r_a = adversary_reservation(s, p)
        # each settling run takes its best deal (screening.best_deal), grouped by the
        # frontier it faces (mandate breadth, linkage)
        breadth = s.mandate_breadth[rows]
        for lk in (False, True):
            for b in np.unique(breadth):
                sel = rows[(linked[rows] == lk) & (breadth == b)]
                if sel.size == 0:
                    continue
                deals, uc, ua = frontier(p, int(b), lk)
                best = np.minimum(uc[None, :] - COALITION_RESERVATION, ua[None, :] - r_a[sel][:, None]).argmax(axis=1)
                for i in np.unique(best):
                    gain = float((p.sal_c * (1.0 - np.abs(deals[i] - p.pos_c))).sum() / p.sal_c.sum())
                    s.adversary_concessions[sel[best == i]] += max(gain - COALITION_RESERVATION, 0.0) * 2.0
    s.settled = s.settled | win
    s.settle_week = np.where(win, s.week + 1.0, s.settle_week)
    s.talks_open = s.talks_open & ~win
    s.adversary_legitimacy = clip01(s.adversary_legitimacy - 0.002 * s.isolation * ~s.settled)
    return s
