"""Test by offer: M19–M24 (source: 002_b0d57d2106c091ca.txt).

The source proposes offering talks on condition of demobilisation as a test of sincerity,
over a package agenda, with destabilising moves forsworn during talks and responses
agreed in advance; it takes the adversary's security fears seriously and notes that
enlargement needs every member's consent.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from crisislab.council.interface import council_of
from crisislab.model import kernels
from crisislab.model.mechanisms._base import at, clip, col, mechanism, per_run, rows_of
from crisislab.model.mechanisms.negotiation import mediation_leverage, non_negotiable_concessions
from crisislab.model.params import COALITION_RESERVATION, Params
from crisislab.model.rng import Slot, Streams
from crisislab.model.state import Actions, State


@mechanism("M19")
def screening_offer(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """A conditional offer is accepted with the type's probability; the coalition updates
    its posterior over types by Bayes' rule on the response, and each week on a noisy
    intelligence signal of the type (noisier when frontline intelligence is poor)."""
    if not p.on["screening_offer"]:
        return s
    offer = np.asarray(a.offer, dtype=bool) & ~s.talks_open & ~s.ended & (s.offer_state != 1)
    if offer.any():
        pa = at(p.p_accept_offer, s.adversary_type)
        accept = offer & (rng.uniform(s.week, Slot.OFFER) < pa)
        reject = offer & ~accept
        like = np.where(accept[:, None], p.p_accept_offer, 1.0 - p.p_accept_offer)  # [types] or [runs, types]
        post = s.belief * like
        # only the runs that made an offer are updated (and renormalised): a run's belief
        # never depends on whether another run of its batch made one
        s.belief = np.where(offer[:, None], post / np.maximum(post.sum(axis=1, keepdims=True), 1e-300), s.belief)
        s.rejected_now = reject & (s.offer_state == 0)  # the first rejection is the signal
        s.offer_state = np.where(accept, 1, np.where(reject, 2, s.offer_state))
        s.talks_open = s.talks_open | accept
        s.verified_weeks = np.where(accept, np.maximum(s.verified_weeks, p.k["conditionality_framework"]["verify_weeks"]), s.verified_weeks)
    # weekly intelligence signal: type index plus noise
    noise = p.k["screening_offer"]["signal_noise"] * (1.0 + 2.0 * (1.0 - s.intel_quality))
    x = s.adversary_type + noise * rng.normal(s.week, Slot.SIGNAL)
    # per run (compiled): post_t = log(max(belief_t, 1e-300)) - 0.5 ((x - t) / noise)^2 for
    # types t = 0..T-1, then belief = exp(post - max post) / sum(exp(post - max post))
    s.belief = kernels.type_signal_update(np.ascontiguousarray(s.belief, dtype=float), np.asarray(x, dtype=float), np.asarray(noise, dtype=float))
    return s


@mechanism("M24")
def accession_unanimity(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Enlargement passes only if no member holding a veto objects (stance below a bar)."""
    if not p.on["accession_unanimity"]:
        return s
    want = np.asarray(a.seek_enlargement, dtype=bool) & ~s.enlarged
    if want.any():
        # members object below the bar (support 0) and support at or above it (100); the
        # Council decides by unanimity of the veto holders (every capital ratifies)
        bar = p.k["accession_unanimity"]["oppose_below"]
        rows = np.nonzero(want)[0]  # the Council decides each run on its own
        x = np.where(s.stance[rows] < rows_of(col(bar), rows), 0.0, 100.0)
        # positions are 0 or 100, so few distinct rows: decide each once (a row's decision
        # depends on that row alone)
        passed = np.zeros_like(want)
        if x.shape[1] <= 62:
            code = (x > 0.0).astype(np.int64) @ (np.int64(1) << np.arange(x.shape[1], dtype=np.int64))
            _, first, which = np.unique(code, return_index=True, return_inverse=True)
            passed[rows] = council_of(p).decide(x[first], "unanimity", pass_at=0.0)[which.reshape(-1)]
        else:
            passed[rows] = council_of(p).decide(x, "unanimity", pass_at=0.0)
        s.enlarged = s.enlarged | passed
    return s


@mechanism("M23")
def adversary_psychology(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Threat perception from coalition posture (aid, enlargement, sanctions) scaled by
    paranoia pushes toward escalation; stature from high-level talks pulls toward calm."""
    k = p.k["adversary_psychology"]
    st = p.s("adversary_psychology")
    par = at(p.paranoia, s.adversary_type)
    aid = per_run(a.aid, s.rung.shape, float)
    posture = 0.5 * aid + 0.6 * s.enlarged + 0.3 * at(p.tranche_intensity, s.tranche)
    s.threat_perception = st * par * posture
    s.u_escalate = s.u_escalate + k["threat_weight"] * s.threat_perception
    stature = s.contact & np.asarray(a.high_level, dtype=bool)
    s.u_deescalate = s.u_deescalate + st * k["stature_value"] * at(p.stature_weight, s.adversary_type) * (stature | s.talks_open)
    return s


@mechanism("M22")
def preplanned_responses(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """A response package known in advance deters: it is certain and immediate."""
    pre = np.asarray(a.pre_planned, dtype=bool)
    s.u_escalate = s.u_escalate - p.s("preplanned_responses") * p.k["preplanned_responses"]["deterrence"] * pre * s.permanence
    return s


@mechanism("M21")
def forswear_destabilizing(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """An escalation while talks run ends the talks at once (and counts as a violation)."""
    if not p.on["forswear_destabilizing"]:
        return s
    violated = s.talks_open & (s.action > 0)
    s.talks_open = s.talks_open & ~violated
    s.offer_state = np.where(violated & (s.offer_state == 1), 2, s.offer_state)
    return s


# --- agenda: deals and the zone of agreement (M20, M31) ---------------------------------


def _utilities(x: np.ndarray, pos: np.ndarray, sal: np.ndarray) -> np.ndarray:
    return (sal * (1.0 - np.abs(x - pos))).sum(axis=-1) / sal.sum()


@lru_cache(maxsize=256)
def _frontier_cached(key: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pos_c, pos_a, sal_c, sal_a, tradable, linked = key
    pos_c, pos_a, sal_c, sal_a = (np.array(v) for v in (pos_c, pos_a, sal_c, sal_a))
    trad = np.array(tradable, dtype=bool)
    n = len(pos_c)
    grid = np.linspace(0.0, 1.0, 101)
    if linked:
        # give items to the adversary in order of its relative salience: the Pareto frontier
        ratio = np.where(trad, (sal_a / sal_a.sum()) / np.maximum(sal_c / sal_c.sum(), 1e-12), -np.inf)
        order = [int(i) for i in np.argsort(-ratio) if trad[i]]
        m = len(order)
        deals = np.repeat(pos_c[None, :], grid.size, axis=0)
        for g, t in enumerate(grid):
            budget = t * m
            for j, item in enumerate(order):
                share = np.clip(budget - j, 0.0, 1.0)
                deals[g, item] = pos_c[item] + share * (pos_a[item] - pos_c[item])
    else:
        # item by item: each tradable item can only be split, the same share everywhere
        deals = pos_c[None, :] + grid[:, None] * trad[None, :] * (pos_a - pos_c)[None, :]
    uc = _utilities(deals, pos_c, sal_c)
    ua = _utilities(deals, pos_a, sal_a)
    assert deals.shape == (grid.size, n)
    return deals, uc, ua


def tradable_items(p: Params, breadth: int) -> np.ndarray:
    """Items the envoy may trade: in the mandate, the first ``breadth`` of them, and never a
    red line while M31 is on."""
    trad = np.ones(len(p.agenda_names), dtype=bool)
    if p.on["mandate_paradox"]:
        # the mandate covers its listed items first; widening adds the others in agenda order
        candidates = ~p.red_line | ~p.on["non_negotiable_concessions"]
        order = np.concatenate([np.nonzero(candidates & p.in_mandate)[0], np.nonzero(candidates & ~p.in_mandate)[0]])
        allowed = np.zeros_like(trad)
        allowed[order[: max(int(breadth), 0)]] = True
        trad &= allowed
    return non_negotiable_concessions(p, trad)


def frontier(p: Params, breadth: int, linked: bool, agenda: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate deals (grid x items) and each side's utility for them, on the batch's
    agenda ``agenda`` (:meth:`~crisislab.model.params.Params.agenda`)."""
    pos_c, pos_a, sal_c, sal_a = p.agenda(agenda)
    key = (
        tuple(pos_c), tuple(pos_a), tuple(sal_c), tuple(sal_a),
        tuple(bool(v) for v in tradable_items(p, breadth)),
        bool(linked) and p.on["agenda_linkage"],
    )
    return _frontier_cached(key)


def best_deal(p: Params, breadth: int, linked: bool, reservation_a: float) -> tuple[np.ndarray, float]:
    """The deal that maximises the smaller surplus of the two sides, and that surplus."""
    deals, uc, ua = frontier(p, breadth, linked)
    m = np.minimum(uc - COALITION_RESERVATION, ua - reservation_a)
    i = int(np.argmax(m))
    return deals[i], float(m[i])


def adversary_reservation(s: State, p: Params) -> np.ndarray:
    """What the adversary insists on: its type's reservation, raised by resolve gained,
    battlefield gains and its optimism about a war (Fearon 1995: private information keeps
    demands above what the balance supports), lowered by economic damage."""
    t = s.adversary_type
    r = (at(p.reservation, t) + 0.5 * (s.adversary_resolve - at(p.resolve, t)) + 0.4 * s.adversary_gains
         - 0.15 * np.minimum(s.adversary_damage, 1.0) + p.dyn["optimism_demand"] * s.optimism)
    return clip(r, 0.0, 1.0)


@mechanism("M20")
def agenda_linkage(s: State, p: Params, a: Actions, rng: Streams) -> State:
    """Width of the zone of agreement for every crisis still open (in coordinated talks or
    through the parties' own channel): linked package or item by item, widened by a
    manipulating mediator's leverage (M25)."""
    rows = np.nonzero(~s.ended)[0]
    s.zone = np.where(s.ended, 0.0, s.zone)
    if rows.size == 0:
        return s
    linked = per_run(a.link_agenda, s.rung.shape, bool)
    r_a = adversary_reservation(s, p)
    zone = np.empty(rows.size)
    groups = p.agenda_of(rows)
    for lk in (False, True):
        for b in np.unique(s.mandate_breadth[rows]):
            for g in np.unique(groups):
                sel = (linked[rows] == lk) & (s.mandate_breadth[rows] == b) & (groups == g)
                if not sel.any():
                    continue
                _, uc, ua = frontier(p, int(b), lk, int(g))
                m = np.minimum(uc[None, :] - COALITION_RESERVATION, ua[None, :] - r_a[rows][sel][:, None])
                zone[sel] = m.max(axis=1)
    s.zone[rows] = zone + mediation_leverage(s, p, a)[rows]
    return s
