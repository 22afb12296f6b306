"""Coalition leverage and cohesion: M01–M12 (source: 000_2925941e4be23cd7.txt).

The source argues that the coalition's bargaining power rests on the unity the adversary
perceives and on the believed permanence of sanctions; uncoordinated outreach erodes both,
and the remedy is a conditionality framework (M12).
"""

from __future__ import annotations

import numpy as np

from crisislab.council.interface import council_of, positions_from_stance
from crisislab.model import kernels
from crisislab.model.mechanisms._base import at, clip, clip01, mechanism, per_run_f, power, rows_of
from crisislab.model.params import Params
from crisislab.model.rng import Slot, Streams
from crisislab.model.state import Actions, State


@mechanism("M12")
def conditionality_framework(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Gate this week's contacts: (a) earned-only talks, (c) the no-surprises rule.

    (a) blocks coordinated contact that is not a reward for verified change. (c) routes
    outreach through the frontline veto holders: members' own channels are blocked and
    coordinated contact no longer bypasses the frontline (see M07). Sets the per-week
    flags ``contact``, ``earned`` and ``unilateral``. (b), the automatic triggers, acts in
    :func:`crisislab.model.core.coalition_response`. With M12 switched off the
    framework's gates are ignored.
    """
    on = p.on["conditionality_framework"]
    verify = p.k["conditionality_framework"]["verify_weeks"]
    earned_now = (s.verified_weeks >= verify) | (s.offer_state == 1)
    wants = np.asarray(a.talks, dtype=bool) & ~s.ended
    req = np.asarray(a.require_earned, dtype=bool) & on
    veto = np.asarray(a.veto, dtype=bool) & on
    contact = wants & (earned_now | ~req)
    s.contact = contact
    s.earned = contact & earned_now
    wish = np.asarray(a.unilateral, dtype=bool)
    if wish.any():
        s.unilateral = wish & ~veto[:, None] & ~s.ended[:, None]
        s.unilateral_contacts = s.unilateral_contacts + s.unilateral.sum(axis=1)
    else:  # nobody opens a channel (the common case): skip the per-member arithmetic
        s.unilateral = np.zeros(np.broadcast_shapes(wish.shape, (s.rung.shape[0], 1)), dtype=bool)
        s.unilateral_contacts = s.unilateral_contacts + 0.0
    return s


def _own_channels(s: State, p: Params) -> np.ndarray:
    """Political weight of the members' own channels this week, per run."""
    if not s.unilateral.any():
        return np.zeros(s.unilateral.shape[0])
    return (s.unilateral * p.weight[None, :]).sum(axis=1)


def _unearned_audience(s: State, a: Actions) -> np.ndarray:
    return s.contact & np.asarray(a.high_level, dtype=bool) & ~s.earned


def _premature(s: State, p: Params, a: Actions) -> np.ndarray:
    """Premature contacts this week: an unearned high-level audience counts 1, unearned
    working-level coordinated talks 1/4 of their sporadic share (M18), and members' own
    channels by political weight (a member of average weight in a coalition of four
    counts 1; capped at 2)."""
    unearned = s.contact & ~s.earned
    high = np.asarray(a.high_level, dtype=bool)
    own = np.minimum(_own_channels(s, p) * 4.0, 2.0)
    # M18: regular, coordinated working-level talks are part of the common line; only their
    # sporadic share counts as premature
    working = 0.25 * (1.0 - s.regularity) if p.on["dialogue_consistency"] else 0.25
    return unearned * np.where(high, 1.0, working) + own


@mechanism("M01")
def leverage_dilution(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Each member's own channel lowers perceived unity by its political weight."""
    k = p.k["leverage_dilution"]
    st = p.s("leverage_dilution")
    loss = _own_channels(s, p)
    unity = s.perceived_unity - st * loss + k["recovery"] * (1.0 - s.perceived_unity)
    s.perceived_unity = clip01(unity)
    s.leverage = power(s.perceived_unity, k["alpha"])
    return s


@mechanism("M03")
def domestic_exploitation(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Unearned high-level meetings raise legitimacy at home and third-party alignment."""
    k = p.k["domestic_exploitation"]
    st = p.s("domestic_exploitation")
    aud = _unearned_audience(s, a)
    s.unearned_meetings = s.unearned_meetings + aud
    s.adversary_legitimacy = clip01(s.adversary_legitimacy + st * k["p_dom"] * aud)
    s.third_party_alignment = clip01(s.third_party_alignment + st * k["p_intl"] * aud)
    return s


@mechanism("M04")
def zero_sum_misreading(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Talks without preconditions read as weakness, in proportion to zero-sum disposition."""
    st = p.s("zero_sum_misreading")
    uncond = s.contact & ~s.earned & (np.asarray(a.precondition, dtype=float) <= 0.0)
    z = at(p.zero_sum, s.adversary_type)
    s.resolve_discount = clip01(s.resolve_discount * 0.99 + st * p.k["zero_sum_misreading"]["kappa"] * z * uncond)
    return s


@mechanism("M06")
def credibility_decay(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Premature contact and dissent erode the believed permanence of sanctions.

    Permanence recovers by up to ``recovery`` per week of consistent enforcement
    (sanctions in force), in proportion to how little premature contact there was; the
    re-anchoring costs diplomatic capital. Switched off, permanence stays where it starts.
    """
    if not p.on["credibility_decay"]:
        return s
    k = p.k["credibility_decay"]
    st = p.strength["credibility_decay"]
    prem = _premature(s, p, a)
    decay = st * (k["d_talk"] * prem + k["d_dissent"] * s.polarisation)
    consistency = clip(1.0 - prem, 0.0, 1.0) * (s.tranche > 0)
    regain = consistency * (s.diplomatic_capital > k["anchor_cost"])
    s.permanence = clip01(s.permanence - decay + k["recovery"] * regain * (1.0 - s.permanence))
    s.diplomatic_capital = clip01(s.diplomatic_capital - k["anchor_cost"] * regain + 0.01)
    return s


@mechanism("M07")
def frontline_trust(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Outreach that bypasses frontline states lowers their trust, intelligence and support.

    Each bypass takes the share ``bypass`` of the trust left (it erodes, it does not switch
    off); trust recovers by ``recovery`` a week toward a level set by how firm the coalition
    looks: ``1 - abandon * (1 - cohesion)`` (frontline states fear abandonment by a wavering
    coalition: Snyder 1984, the alliance security dilemma)."""
    k = p.k["frontline_trust"]
    st = p.s("frontline_trust")
    veto = np.asarray(a.veto, dtype=bool) & p.on["conditionality_framework"]
    # a coordinated high-level contact without the no-surprises rule, or any member's own channel
    by_coalition = s.contact & np.asarray(a.high_level, dtype=bool) & ~veto
    by_member = (s.unilateral & ~p.frontline[None, :]).any(axis=1) if s.unilateral.any() else np.zeros(s.rung.shape[0], dtype=bool)
    bypass = by_coalition | by_member
    s.bypasses = s.bypasses + bypass
    # per run and member (compiled):
    #   trust = clip01(where(frontline, trust - st*bypass_k*bypass*trust + recovery*(target - trust), 1))
    #   support = clip01(support - st*hedge*(1 - trust) * frontline)
    fl_idx = np.nonzero(p.frontline)[0]
    n = s.rung.shape[0]
    target = 1.0 - st * k["abandon"] * (1.0 - kernels.rowdot(s.support, p.weight))
    trust, support, intel = kernels.frontline_update(
        s.frontline_trust, s.support, bypass, p.frontline, fl_idx, per_run_f(st * k["bypass"], n),
        per_run_f(k["recovery"], n), per_run_f(st * k["hedge"], n), np.ascontiguousarray(target),
    )
    s.frontline_trust = trust
    if fl_idx.size:
        s.intel_quality = intel  # mean trust of the frontline members
    s.support = support
    return s


@mechanism("M08")
def mandate_paradox(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Widening the envoy's mandate needs a vote under the decision rule; it takes longer
    and fails more often the wider the spread of member positions."""
    if not p.on["mandate_paradox"]:
        return s
    k = p.k["mandate_paradox"]
    n_items = len(p.agenda_names)
    request = np.asarray(a.widen_mandate, dtype=bool) & (s.mandate_pending < 0) & (s.mandate_breadth < n_items)
    if request.any():
        spread = s.stance.std(axis=1)
        delay = np.ceil(p.s("mandate_paradox") * k["delay_per_spread"] * spread)
        s.mandate_pending = np.where(request, delay, s.mandate_pending)
    due = s.mandate_pending == 0
    if due.any():
        rows = np.nonzero(due)[0]
        passed = np.zeros_like(due)
        passed[rows] = coalition_vote(s, p, rng, slot_offset=0, threshold=0.7, rule=p.decision_rule, rows=rows)
        widen = due & passed
        s.mandate_breadth = s.mandate_breadth + widen * 2
        s.mandate_failures = s.mandate_failures + (due & ~passed)
    s.mandate_pending = np.where(s.mandate_pending >= 0, s.mandate_pending - 1, s.mandate_pending)
    s.mandate_pending = np.where(due, -1, s.mandate_pending)
    return s


def coalition_vote(s: State, p: Params, rng: Streams, slot_offset: int, threshold: float, rule: str,
                   rows: np.ndarray | None = None) -> np.ndarray:
    """The Council decides whether the proposal passes (:class:`crisislab.council.interface.Council`).

    Members' (noisy) stances become positions on the proposal: a member at ``threshold``
    stands midway between the status quo and the proposal. The backtested Council model
    predicts the outcome, the rule must accept it against the status quo (``unanimity``:
    every veto holder; ``qmv``: the EU double majority, 55 % of EU members with 65 % of their
    population), and it must reach the proposal's side of the scale (50 of 100). With
    ``rows``, only those runs vote (one result per row; each run is decided on its own).
    """
    noise = 0.1 * rng.normal(s.week, Slot.VOTE + slot_offset, p.n_members)
    stance = s.stance
    if rows is not None:
        noise, stance = noise[rows], stance[rows]
    x = positions_from_stance(stance + noise, threshold)
    return council_of(p).decide(x, rule, pass_at=50.0)


@mechanism("M09")
def signaling_noise(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """The adversary reads resolve as mean statement minus k times their spread."""
    k = p.k["signaling_noise"]
    st = p.s("signaling_noise")
    discipline = np.asarray(a.messaging, dtype=float) * (p.on["messaging_discipline"])
    scale = k["noise"] * (1.0 - 0.8 * discipline)
    noise = rng.normal(s.week, Slot.STATEMENT, p.n_members)  # statements: stance + scale * noise
    # weighted spread of the statements: sqrt(sum_j w_j (x_j - sum_k w_k x_k)^2)
    sd = kernels.statement_spread(s.stance, np.ascontiguousarray(np.broadcast_to(scale, s.rung.shape), dtype=float), noise, p.weight)
    s.statement_sd = sd
    commitment = kernels.rowdot(s.support, p.weight)
    s.perceived_resolve = clip01(commitment - st * k["k"] * sd - s.resolve_discount - _broad_penalty(s, p))
    return s


def _broad_penalty(s: State, p: Params) -> np.ndarray:
    k = p.k["mandate_paradox"]
    return p.s("mandate_paradox") * k["broad_penalty"] * np.maximum(s.mandate_breadth - k["credibility_limit"], 0.0)


@mechanism("M10")
def validation_trap(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Each unearned high-level audience multiplies isolation pressure by ``1 - v``."""
    k = p.k["validation_trap"]
    aud = _unearned_audience(s, a)
    iso = s.isolation * (1.0 - p.s("validation_trap") * k["v"] * aud)
    s.isolation = clip01(iso + k["recovery"] * (1.0 - iso) * ~aud)
    return s


@mechanism("M11")
def selective_engagement(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """The adversary courts the most dovish member unless outreach is centralised."""
    k = p.k["selective_engagement"]
    st = p.s("selective_engagement")
    courted = ~np.asarray(a.centralised, dtype=bool) & (s.rung >= 1) & ~s.ended
    rows = np.nonzero(courted)[0]
    if p.acts("selective_engagement") and rows.size:
        dove = np.zeros(s.rung.shape[0], dtype=np.int64)
        dove[rows] = np.argmin(s.stance[rows], axis=1)
        push = rows_of(st * k["courting"], rows)
        s.stance[rows, dove[rows]] = np.clip(s.stance[rows, dove[rows]] - push, 0.0, 1.0)
        s.support[rows, dove[rows]] = np.clip(s.support[rows, dove[rows]] - push, 0.0, 1.0)
    s.polarisation = kernels.weighted_sd(s.stance, p.weight)
    return s


@mechanism("M02")
def escalation_dominance(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """The coalition's response lag grows with its decision rule and dissent; pre-agreed
    responses and automatic triggers answer at once. Unanswered weeks make escalation pay."""
    k = p.k["escalation_dominance"]
    st = p.s("escalation_dominance")
    base = k["base_lag_unanimity"] if p.decision_rule == "unanimity" else k["base_lag_qmv"]
    lag = st * base * (1.0 + p.k["selective_engagement"]["lag_per_polarisation"] * p.s("selective_engagement") * s.polarisation)
    instant = (np.asarray(a.pre_planned, dtype=bool) & p.on["preplanned_responses"]) | (
        np.asarray(a.triggers, dtype=bool) & p.on["conditionality_framework"]
    )
    s.response_lag = np.where(instant, 0.0, np.round(lag))
    s.u_escalate = s.u_escalate + st * k["lag_value"] * s.response_lag * at(p.aggression, s.adversary_type)
    return s


@mechanism("M05")
def deterrence_inequality(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Expected cost of escalating: the next tranche's damage, believed to persist with
    probability ``permanence``, discounted over the horizon and by the response lag."""
    k = p.k["deterrence_inequality"]
    st = p.s("deterrence_inequality")
    nxt = np.minimum(s.tranche + 1, p.tranche_damage.shape[-1] - 1)
    damage = at(p.tranche_damage, nxt) * s.isolation
    delta = k["discount"]
    pi = s.permanence
    present_value = damage * pi / (1.0 - delta * pi)
    follow_through = s.perceived_resolve * s.leverage
    cost = st * k["damage_weight"] * present_value * follow_through * delta ** s.response_lag
    s.u_escalate = s.u_escalate - cost * (1.0 - 0.5 * at(p.resolve, s.adversary_type))
    return s
