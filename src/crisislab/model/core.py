"""Core steps that are not themselves a claim of the sources: the adversary's base
utilities and logit choice, moves on the escalation ladder, fighting, coercion, the
coalition's sanction response, the settlement draw and the end of a crisis. Steps that
realise a mechanism's random event (an inadvertent climb, a deep-strike spiral, a loss of
control) are tagged with its ID.

The ladder: 0 peace, 1 tension, 2 mobilisation (display of force), 3 use of force short of
war (clashes, seizures, cyber and sabotage), 4 conventional war, 5 deep strikes, 6 nuclear
signalling, 7 nuclear use. The literature behind each rule is in the ODD description
(docs/model.md, "Crisis dynamics").
"""

from __future__ import annotations

import numpy as np

from crisislab.model import kernels
from crisislab.model.mechanisms._base import at, clip, clip01, mechanism, per_run, per_run_f
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
FORCE = 3  # use of force short of war
CALM = 2  # at or below mobilisation nobody is fighting
NUCLEAR_TABOO = 1.2  # extra utility cost of crossing to nuclear use
ESCALATE_GAIN = 1.3  # weight of the type's aggression in the gain from escalating
RUNG_COST = 0.2  # extra cost of each rung above tension
RELIEF = 0.15  # extra relief of stepping down, per rung above tension
FACE_COST = 0.3  # face lost by backing down, per unit of resolve
MOVE_COST = 0.5  # holding is the default: moving either way costs

# The crisis dynamics (``p.dyn``, the scenario's ``dynamics`` block) follow: war as
# bargaining (Fearon 1995; Wagner 2000; Slantchev 2003; Powell 2004): a challenger goes to war
# only when its private estimate of its prospects beats what it can get without fighting;
# fighting is costly and reveals the true balance, so optimism shrinks and costs accumulate
# until stopping pays (an armistice) or a deal is struck. Coercion by threat (Lacy and Niou
# 2004; Drezner 2003; Morgan, Bapat and Krustev 2009): the target reconsiders each week
# whether complying costs less than the sanctions it expects. Crises that calm down end
# without agreement (Brecher and Wilkenfeld 2000). The parties bargain directly even when the
# coalition does not talk.


def _end(s: State, rows: np.ndarray, kind: int) -> None:
    """Mark the crisis over in ``rows`` (a boolean mask) with ``kind``."""
    s.end_kind = np.where(rows & ~s.ended, kind, s.end_kind)
    s.end_week = np.where(rows & ~s.ended, s.week + 1.0, s.end_week)
    s.ended = s.ended | rows


@mechanism("core")
def base_utility(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Reset the utility terms to the adversary's base motives.

    Escalating pays by the type's aggression (less against a capable defender) and by
    resolve and legitimacy at home; each rung up costs more, crossing to nuclear use most.
    From mobilisation on, escalating also pays by the challenger's optimism about a fight
    (private information: limited force is the gamble, and the signal, of a side that
    believes it would do well; Fearon 1995, Slantchev 2005), and starting a war costs
    ``war_threshold`` more.
    De-escalating costs face in proportion to resolve and is helped by economic damage; at
    war it is helped by the costs of fighting so far and hindered by remaining optimism.
    """
    t = s.adversary_type
    gamble = s.rung >= CALM  # the next step up is force, a gamble on how a fight would go
    at_war = s.rung >= WAR
    s.u_escalate = (
        ESCALATE_GAIN * at(p.aggression, t) * (1.0 - 0.6 * s.defender_capability)
        + 0.1 * s.adversary_legitimacy
        - RUNG_COST * (s.rung - 1)
        - MOVE_COST
        - NUCLEAR_TABOO * (s.rung >= TOP - 1)
        + gamble * (p.dyn["optimism_weight"] * s.optimism)
        - p.dyn["war_threshold"] * (s.rung == FORCE)
    )
    s.u_deescalate = (
        -FACE_COST * s.adversary_resolve
        + 0.3 * np.minimum(s.adversary_damage, 1.0)
        + RELIEF * (s.rung - 1)
        - MOVE_COST
        + at_war * (p.dyn["exhaustion"] * s.war_cost - p.dyn["optimism_weight"] * s.optimism)
    )
    return s


@mechanism("core")
def coercion(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """The target of a sanctions threat complies when the sanctions it expects cost more than
    what it would give up (Lacy and Niou 2004; Morgan, Bapat and Krustev 2009).

    Expected cost: the damage in force plus the rest of the threatened package (the top
    tranche) times its credibility, the coalition's resolve as read by the target (M09) times
    its leverage (perceived unity, M01), valued over time as in M05 (believed to persist with
    the permanence that M06 erodes). What compliance costs: the challenge's gain and the face lost by backing down.
    Each week the question is put with probability ``comply_rate`` and answered by a logit
    of precision ``rationality``. Compliance ends the crisis at peace (a concession).
    """
    t = s.adversary_type
    live = ~s.ended & (s.rung >= 1) & (s.tranche >= 1)
    top = p.tranche_damage[..., -1]
    now = at(p.tranche_damage, s.tranche)
    cred = clip01(s.perceived_resolve * s.leverage)
    expected = (now + cred * (top - now)) * s.isolation
    delta = p.k["deterrence_inequality"]["discount"]
    # M05's valuation: damage believed to persist with probability `permanence`; with M05
    # off, persistence plays no part and sanctions are valued as if certain to stay
    pi = s.permanence if p.acts("deterrence_inequality") else 1.0
    cost = p.dyn["coercion_weight"] * expected * pi / (1.0 - delta * pi) * (1.0 - 0.5 * s.adversary_resolve)
    stake = ESCALATE_GAIN * at(p.aggression, t) * (1.0 - 0.6 * s.defender_capability) + FACE_COST * s.adversary_resolve
    z = np.clip(p.rationality * (cost - stake), -50.0, 50.0)
    prob = p.dyn["comply_rate"] / (1.0 + np.exp(-z))
    comply = live & (rng.uniform(s.week, Slot.COMPLY) < prob)
    if comply.any():
        s.adversary_concessions = s.adversary_concessions + 0.2 * comply
        s.rung = np.where(comply, 0, s.rung)
        _end(s, comply, 2)
    return s


@mechanism("core")
def adversary_choice(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Logit choice among de-escalate / hold / escalate with precision ``rationality`` (M05's
    choice rule). A settled adversary stands down; an accepted offer means demobilising."""
    # per run (compiled): u = [u_deescalate, 0, u_escalate] * rationality; w = exp(u - max u);
    # cdf = cumsum(w) / sum(w); action = (draw > cdf[0]) + (draw > cdf[1]) - 1
    draw = rng.uniform(s.week, Slot.CHOICE)
    action = kernels.logit_choice(np.asarray(s.u_deescalate, dtype=float), np.asarray(s.u_escalate, dtype=float), per_run_f(p.rationality, draw.shape[0]), draw)
    demobilise = (s.offer_state == 1) & (s.talks_weeks == 0) & s.talks_open
    action = np.where(demobilise | (s.settled & (s.rung > 0)), -1, action)
    # a crisis that is over stays where it ended (a settled adversary stands down)
    action = np.where(s.ended & ~(s.settled & (s.rung > 0)), 0, action)
    s.action = action
    return s


@mechanism("M27")
def concession_event(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Under shared risk the adversary sometimes backs down outright (a concession)."""
    k = p.k["brinkmanship"]
    r = per_run(a.risk, s.rung.shape, float)
    prob = p.s("brinkmanship") * k["concede"] * 0.2 * r * (1.0 - at(p.resolve, s.adversary_type)) * ~s.ended
    yes = rng.uniform(s.week, Slot.CONCEDE) < prob
    s.adversary_concessions = s.adversary_concessions + 0.1 * yes
    s.action = np.where(yes, -1, s.action)
    return s


@mechanism("core")
def ladder_move(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Apply the adversary's chosen move on the ladder. Stepping down from conventional war
    is an armistice: forces disengage to mobilisation and the crisis ends (``war_end``)."""
    armistice = (s.action < 0) & (s.rung == WAR) & ~s.ended
    s.rung = clip(s.rung + s.action, 0, TOP)
    if armistice.any():
        s.rung = np.where(armistice, CALM, s.rung)
        _end(s, armistice, 4)
    return s


@mechanism("M13")
def inadvertent_climb(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """An accident of misperception climbs one rung."""
    prob = inadvertent_climb_probability(s, p) * ~s.ended
    s.accident_risk = s.accident_risk + prob
    climb = rng.uniform(s.week, Slot.INADVERTENT) < prob
    s.rung = np.minimum(s.rung + climb, TOP)
    s.action = np.where(climb, np.maximum(s.action, 1), s.action)
    return s


@mechanism("M14")
def deep_strike_spiral(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Long-range strikes supplied with aid can provoke a climb at the war rungs."""
    prob = deep_strike_probability(s, p, a) * ~s.ended
    s.accident_risk = s.accident_risk + prob
    climb = rng.uniform(s.week, Slot.DEEP_STRIKE) < prob
    s.rung = np.minimum(s.rung + climb, TOP)
    s.action = np.where(climb, np.maximum(s.action, 1), s.action)
    return s


@mechanism("M27")
def loss_of_control(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """A catastrophe under shared risk jumps to the top of the ladder."""
    prob = catastrophe_probability(s, p, a) * ~s.ended
    s.accident_risk = s.accident_risk + prob
    s.catastrophe_risk = s.catastrophe_risk + prob
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
def fighting(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Weeks of force and of war; at war the challenger pays ``war_cost_rate`` a week (more
    at the higher rungs). Fighting reveals the balance (Slantchev 2003; Smith and Stam 2004):
    the challenger's optimism moves toward noisy battlefield news by ``learning`` a week at
    war and by half of it in clashes short of war."""
    fight = (s.rung >= FORCE) & ~s.ended
    war = (s.rung >= WAR) & ~s.ended
    s.war_weeks = s.war_weeks + war
    s.force_weeks = s.force_weeks + ((s.rung == FORCE) & ~s.ended)
    if fight.any():
        s.war_cost = s.war_cost + war * p.dyn["war_cost_rate"] * (1.0 + 0.5 * (s.rung - WAR))
        news = p.dyn["battle_noise"] * rng.normal(s.week, Slot.BATTLE)
        rate = p.dyn["learning"] * np.where(war, 1.0, 0.5)
        s.optimism = np.where(fight, s.optimism + rate * (news - s.optimism), s.optimism)
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
    top = p.tranche_damage.shape[-1] - 1
    # automatic triggers: escalation or a cross-domain operation while talks run (M12b)
    trig = np.asarray(a.triggers, dtype=bool) & p.on["conditionality_framework"]
    fire_trigger = trig & (climbed | (s.talks_open & s.cyber_now))
    pre = np.asarray(a.pre_planned, dtype=bool) & p.on["preplanned_responses"]
    fire_pre = pre & (climbed | s.rejected_now)
    jump = np.where(fire_pre, np.asarray(p.k["preplanned_responses"]["jump"]).astype(np.int64), 0) + fire_trigger
    due = s.pending_response == 0
    s.tranche = np.minimum(s.tranche + jump + due, top)
    s.pending_response = np.where(due | fire_trigger | fire_pre, -1.0, np.where(s.pending_response > 0, s.pending_response - 1, s.pending_response))
    # a doctrine's floor (a schedule of sanctions) applies while the crisis lasts
    floor = np.where(s.ended, 0, np.asarray(a.sanction_floor))
    s.tranche = np.minimum(np.maximum(s.tranche, floor), top)
    return s


@mechanism("core")
def settlement(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Draw settlements with a hazard set by the zone of agreement (M20), mediation (M25),
    the rung and leverage (M01); deals never cross red lines (M31). Private information
    lowers it (Fearon 1995): an offer inside the zone as the coalition reads it is missed
    more often the further the challenger's optimism is from the truth, which is why the
    information a formulating mediator brings (M25) and the news of fighting both help. Coordinated talks settle
    at the full rate, the parties' own channel at ``direct_share`` of it."""
    k = p.k["agenda_linkage"]
    live = ~s.ended
    open_ = s.talks_open & live
    fz = clip((s.zone + 0.1) / 0.2, 0.0, 5.0)
    # private information (the challenger's optimism, either way) makes offers miss
    known = 1.0 / (1.0 + p.dyn["uncertainty_weight"] * np.abs(s.optimism))
    hazard = k["base_rate"] * fz * known * mediation_multiplier(s, p, a) * (1.0 - s.rung / 8.0) * (0.5 + 0.5 * s.leverage)
    hazard = np.where(live, clip(hazard * np.where(open_, 1.0, p.dyn["direct_share"]), 0.0, 0.9), 0.0)
    s.adversary_concessions = s.adversary_concessions + 0.01 * open_ * s.leverage * s.perceived_resolve
    win = rng.uniform(s.week, Slot.SETTLE) < hazard
    rows = np.nonzero(win)[0]
    if rows.size:
        linked = per_run(a.link_agenda, s.rung.shape, bool)
        r_a = adversary_reservation(s, p)
        # each settling run takes its best deal (screening.best_deal), grouped by the
        # frontier it faces (mandate breadth, linkage, agenda)
        breadth = s.mandate_breadth[rows]
        groups = p.agenda_of(rows)
        for lk in (False, True):
            for b in np.unique(breadth):
                for g in np.unique(groups):
                    sel = rows[(linked[rows] == lk) & (breadth == b) & (groups == g)]
                    if sel.size == 0:
                        continue
                    deals, uc, ua = frontier(p, int(b), lk, int(g))
                    pos_c, _, sal_c, _ = p.agenda(int(g))
                    best = np.minimum(uc[None, :] - COALITION_RESERVATION, ua[None, :] - r_a[sel][:, None]).argmax(axis=1)
                    for i in np.unique(best):
                        gain = float((sal_c * (1.0 - np.abs(deals[i] - pos_c))).sum() / sal_c.sum())
                        s.adversary_concessions[sel[best == i]] += max(gain - COALITION_RESERVATION, 0.0) * 2.0
    s.settled = s.settled | win
    s.settle_week = np.where(win, s.week + 1.0, s.settle_week)
    s.talks_open = s.talks_open & ~win
    _end(s, win, 1)
    s.adversary_legitimacy = clip01(s.adversary_legitimacy - 0.002 * s.isolation * ~s.settled)
    return s


@mechanism("core")
def crisis_end(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """A crisis short of war that did not escalate this week fades without any agreement
    (a stalemate, the commonest end of a dispute; Jones, Bremer and Singer 1996): hazard
    ``fade_rate`` at mobilisation, 50 % more per rung below it and half of it while force
    short of war is being used (clashes that stop)."""
    calm = ~s.ended & (s.rung <= FORCE) & (s.action <= 0)
    if calm.any():
        hazard = p.dyn["fade_rate"] * (1.0 + 0.5 * (CALM - s.rung))
        fade = calm & (rng.uniform(s.week, Slot.FADE) < hazard)
        _end(s, fade, 3)
    return s
