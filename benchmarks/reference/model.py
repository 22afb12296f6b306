"""The reference model: Mesa agents stepping one run with plain Python floats.

Floating-point conventions follow the batched engine so that the two agree bit for bit
where the platform's math library does: operations in the same order; weighted sums over
members in member order (the engine's compiled kernels); the few plain sums the engine
leaves to NumPy (``x.sum()``, ``x.mean()``) with NumPy's pairwise summation
(:func:`np_sum`); ``np.clip`` semantics (:func:`clip`).
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import numpy as np
import pandas as pd

from crisislab.council.interface import Council, positions_from_stance
from crisislab.doctrines import get_doctrine
from crisislab.model import core as C
from crisislab.model.engine import STEP_ORDER
from crisislab.model.outcomes import END_KINDS
from crisislab.model.params import (
    CASUALTIES_PER_WEEK,
    COALITION_RESERVATION,
    Params,
    compile_scenario,
)
from crisislab.model.rng import Slot, Streams
from crisislab.model.state import Actions, Observation
from crisislab.scenario import Scenario, load_scenario

#: The weekly step order: the names of the engine's step functions, in the engine's order
#: (imported, not copied). Each name is a method of :class:`CoalitionModel` written from the
#: batched code as a specification; tests/perf/test_equivalence.py fails for a step without one.
REFERENCE_ORDER: tuple[str, ...] = tuple(fn.__name__ for fn in STEP_ORDER)


# --- arithmetic helpers ------------------------------------------------------------------


def np_sum(a: list[float]) -> float:
    """NumPy's pairwise summation of a contiguous float64 vector, written out."""
    n = len(a)
    if n < 8:
        res = -0.0
        for x in a:
            res += x
        return res
    if n <= 128:
        r = list(a[:8])
        i = 8
        while i < n - (n % 8):
            for j in range(8):
                r[j] += a[i + j]
            i += 8
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        while i < n:
            res += a[i]
            i += 1
        return res
    half = (n // 2) - ((n // 2) % 8)
    return np_sum(a[:half]) + np_sum(a[half:])


def clip(x: float, lo: float, hi: float) -> float:
    """``np.clip`` on one value (NaN passes through)."""
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def clip01(x: float) -> float:
    return clip(x, 0.0, 1.0)


def sign(x: float) -> float:
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return 0.0 if x == 0.0 else x


def seq_dot(x: list[float], w: list[float]) -> float:
    """Weighted sum in member order."""
    acc = 0.0
    for xj, wj in zip(x, w, strict=True):
        acc += xj * wj
    return acc


def spread(x: list[float], w: list[float]) -> float:
    """Weighted standard deviation, sums in member order."""
    mean = seq_dot(x, w)
    acc = 0.0
    for xj, wj in zip(x, w, strict=True):
        d = xj - mean
        acc += (d * d) * wj
    return math.sqrt(acc)


def _scalar(v: Any) -> Any:
    arr = np.asarray(v)
    return arr.item() if arr.ndim == 0 else arr.reshape(-1)[0].item()


# --- agents ------------------------------------------------------------------------------


class Member(mesa.Agent):
    """A coalition member: its stance, its support for the common line, its trust (if on
    the frontline), its cost, and whether it opens its own channel this week."""

    def __init__(self, model: CoalitionModel, j: int, p: Params) -> None:
        super().__init__(model)
        self.j = j
        self.name = p.member_names[j]
        self.weight = float(p.weight[j])
        self.frontline = bool(p.frontline[j])
        self.veto = bool(p.veto[j])
        self.eu = bool(p.eu_member[j])
        self.stance = float(p.stance[j])
        self.support = float(0.6 + 0.4 * p.stance[j])
        self.trust = 1.0
        self.cost = 0.0
        self.unilateral = False


class Adversary(mesa.Agent):
    """The adversary: its type, its place on the ladder and its weekly utilities."""

    def __init__(self, model: CoalitionModel, kind: int, p: Params) -> None:
        super().__init__(model)
        self.type = kind
        self.rung = int(p.initial_rung)
        self.peak = int(p.initial_rung)
        self.last_action = 0
        self.action = 0
        self.resolve = float(p.resolve[kind])
        self.legitimacy = 0.5
        self.damage = 0.0
        self.gains = 0.0
        self.threat_perception = 0.0
        self.concessions = 0.0
        self.catastrophes = 0.0
        self.accident_risk = 0.0
        self.catastrophe_risk = 0.0
        self.cyber_ops = 0.0
        self.u_escalate = 0.0
        self.u_deescalate = 0.0
        # war as bargaining: private optimism about a war, revealed by fighting
        self.optimism = float(p.dyn["optimism_spread"] * (2.0 * model.uniform0(Slot.OPTIMISM) - 1.0))
        self.war_cost = 0.0
        self.war_weeks = 0
        self.force_weeks = 0


class Mediator(mesa.Agent):
    """The mediator: the adversary's trust in it."""

    def __init__(self, model: CoalitionModel, p: Params) -> None:
        super().__init__(model)
        self.trust = float(p.mediator_trust_a)


# --- the model ---------------------------------------------------------------------------


class CoalitionModel(mesa.Model):
    """One run: the coalition's common state lives on the model, the rest on the agents."""

    def __init__(self, p: Params, doctrine: Any, seed: int, run: int) -> None:
        super().__init__(seed=0)
        self.p = p
        self.doctrine = doctrine
        self.run = run
        self.rng_streams = Streams(seed, np.array([run]))
        self.week = 0
        self.m = p.n_members
        self.weights = [float(w) for w in p.weight]
        self.k = p.k
        # adversary type: the first type whose cumulative weight exceeds the draw
        u = float(self.rng_streams.uniform(0, Slot.TYPE)[0])
        cum = np.cumsum(p.type_weights).tolist()
        kind = min(sum(1 for c in cum if c <= u), p.n_types - 1)
        self.members = [Member(self, j, p) for j in range(self.m)]
        self.adversary = Adversary(self, kind, p)
        self.mediator = Mediator(self, p)
        # coalition state (initial conditions from the compiled scenario)
        self.verified_weeks = 0.0
        self.perceived_resolve = float(p.stance @ p.weight)
        self.resolve_discount = 0.0
        self.perceived_unity = 1.0
        self.leverage = 1.0
        self.permanence = float(p.k["credibility_decay"].get("initial", 0.7))
        self.diplomatic_capital = 1.0
        self.third_party_alignment = 0.3
        self.emboldening = 0.0
        self.isolation = 1.0
        self.intel_quality = 1.0
        self.polarisation = float(np.sqrt(((p.stance - p.stance @ p.weight) ** 2) @ p.weight))
        self.statement_sd = 0.0
        self.response_lag = 0.0
        self.pending_response = -1.0
        self.tranche = 1
        self.coalition_cost = 0.0
        self.defender_capability = float(p.defender_capability)
        self.belief = [float(b) for b in p.type_weights]
        self.sigma = 1.0
        self.regularity = 0.0
        self.talks_open = False
        self.talks_weeks = 0.0
        self.talks_total = 0.0
        self.zone = 0.0
        self.settled = False
        self.settle_week = math.nan
        self.ended = False  # the crisis is over (settlement, concession, fade or war's end)
        self.end_kind = 0  # index into END_KINDS
        self.end_week = math.nan
        self.humanitarian = 0.0
        self.mandate_breadth = float(int((p.in_mandate & ~p.red_line).sum()))
        self.mandate_pending = -1.0
        self.mandate_failures = 0.0
        self.enlarged = False
        self.offer_state = 0
        self.unilateral_contacts = 0.0
        self.bypasses = 0.0
        self.unearned_meetings = 0.0
        self.contact = False
        self.earned = False
        self.cyber_now = False
        self.rejected_now = False
        self.a: dict[str, Any] = {}
        self._frontiers: dict[tuple[int, bool], tuple[list[list[float]], list[float], list[float]]] = {}
        self.unilateral_wish: list[bool] = [False] * self.m
        self.trajectory: dict[str, list[float]] = {k: [] for k in ("rung", "cohesion", "final_frontline_trust", "permanence", "talks_open", "belief_true_type")}

    # -- helpers --------------------------------------------------------------------------

    def s(self, name: str) -> float:
        return self.p.strength[name] if self.p.on[name] else 0.0

    def on(self, name: str) -> bool:
        return bool(self.p.on[name])

    def uniform0(self, slot: int) -> float:
        """A week-0 draw (initial conditions)."""
        return float(self.rng_streams.uniform(0, slot)[0])

    def draw(self, slot: int) -> float:
        return float(self.rng_streams.uniform(self.week, slot)[0])

    def normals(self, slot: int) -> list[float]:
        return self.rng_streams.normal(self.week, slot, self.m)[0].tolist()

    def cohesion(self) -> float:
        return seq_dot([mb.support for mb in self.members], self.weights)

    def end(self, kind: int) -> None:
        """The crisis is over: the first ending counts."""
        if not self.ended:
            self.end_kind = kind
            self.end_week = self.week + 1.0
        self.ended = True

    def frontline_mean(self) -> float:
        vals = [mb.trust for mb in self.members if mb.frontline]
        return np_sum(vals) / len(vals) if vals else 1.0

    # -- the doctrine ---------------------------------------------------------------------

    def observation(self) -> Observation:
        p, adv = self.p, self.adversary
        row = lambda attr: np.array([[getattr(mb, attr) for mb in self.members]])  # noqa: E731
        return Observation(
            week=self.week,
            horizon=p.horizon,
            rung=np.array([adv.rung], dtype=np.int64),
            last_action=np.array([adv.last_action], dtype=np.int64),
            verified_weeks=np.array([self.verified_weeks]),
            talks_open=np.array([self.talks_open]),
            settled=np.array([self.settled]),
            offer_state=np.array([self.offer_state], dtype=np.int64),
            belief=np.array([self.belief]),
            tranche=np.array([self.tranche], dtype=np.int64),
            support=row("support"),
            member_cost=row("cost"),
            stance=row("stance"),
            frontline_trust=row("trust"),
            cohesion=np.array([self.cohesion()]),
            enlarged=np.array([self.enlarged]),
            frontline=p.frontline,
            type_names=p.type_names,
            member_names=p.member_names,
            n_tranches=len(p.tranche_damage) - 1,
        )

    def read_actions(self, acts: Actions) -> None:
        a: dict[str, Any] = {}
        for name, cast in (
            ("talks", bool), ("high_level", bool), ("precondition", float), ("offer", bool), ("sanction_floor", int),
            ("respond", bool), ("aid", float), ("hotline", bool), ("mediator", bool), ("off_ramp", bool),
            ("messaging", float), ("risk", float), ("pre_planned", bool), ("triggers", bool), ("veto", bool),
            ("require_earned", bool), ("centralised", bool), ("link_agenda", bool), ("seek_enlargement", bool),
            ("widen_mandate", bool),
        ):
            a[name] = cast(_scalar(getattr(acts, name)))
        a["deep_strike"] = None if acts.deep_strike is None else float(_scalar(acts.deep_strike))
        self.a = a
        self.unilateral_wish = np.broadcast_to(np.asarray(acts.unilateral, dtype=bool), (1, self.m))[0].tolist()

    # -- one week -------------------------------------------------------------------------

    def step(self) -> None:
        self.cyber_now = False
        self.rejected_now = False
        self.read_actions(self.doctrine.act(self.observation()))
        for name in REFERENCE_ORDER:
            getattr(self, name)()
        adv = self.adversary
        t = self.trajectory
        t["rung"].append(adv.rung)
        t["cohesion"].append(self.cohesion())
        t["final_frontline_trust"].append(self.frontline_mean())
        t["permanence"].append(self.permanence)
        t["talks_open"].append(float(self.talks_open))
        t["belief_true_type"].append(self.belief[adv.type])
        self.week += 1

    # core: base utilities
    def base_utility(self) -> None:
        adv, p, dyn = self.adversary, self.p, self.p.dyn
        t = adv.type
        gamble = adv.rung >= C.CALM
        at_war = adv.rung >= C.WAR
        adv.u_escalate = (
            C.ESCALATE_GAIN * float(p.aggression[t]) * (1.0 - 0.6 * self.defender_capability)
            + 0.1 * adv.legitimacy
            - C.RUNG_COST * (adv.rung - 1)
            - C.MOVE_COST
            - C.NUCLEAR_TABOO * (adv.rung >= C.TOP - 1)
            + gamble * (dyn["optimism_weight"] * adv.optimism)
            - dyn["war_threshold"] * (adv.rung == C.FORCE)
        )
        adv.u_deescalate = (
            -C.FACE_COST * adv.resolve
            + 0.3 * min(adv.damage, 1.0)
            + C.RELIEF * (adv.rung - 1)
            - C.MOVE_COST
            + at_war * (dyn["exhaustion"] * adv.war_cost - dyn["optimism_weight"] * adv.optimism)
        )

    # M12
    def conditionality_framework(self) -> None:
        a, on = self.a, self.on("conditionality_framework")
        verify = self.k["conditionality_framework"]["verify_weeks"]
        earned_now = self.verified_weeks >= verify or self.offer_state == 1
        wants = a["talks"] and not self.ended
        req = a["require_earned"] and on
        veto = a["veto"] and on
        self.contact = wants and (earned_now or not req)
        self.earned = self.contact and earned_now
        n = 0
        for mb, wish in zip(self.members, self.unilateral_wish, strict=True):
            mb.unilateral = wish and not veto and not self.ended
            n += mb.unilateral
        self.unilateral_contacts += n

    # M08
    def mandate_paradox(self) -> None:
        if not self.on("mandate_paradox"):
            return
        k = self.k["mandate_paradox"]
        request = self.a["widen_mandate"] and self.mandate_pending < 0 and self.mandate_breadth < len(self.p.agenda_names)
        if request:
            xs = [mb.stance for mb in self.members]
            mean = np_sum(xs) / self.m
            sd = math.sqrt(np_sum([(x - mean) * (x - mean) for x in xs]) / self.m)
            self.mandate_pending = float(math.ceil(self.s("mandate_paradox") * k["delay_per_spread"] * sd))
        due = self.mandate_pending == 0
        if due:
            passed = self.coalition_vote(0, 0.7, self.p.decision_rule)
            self.mandate_breadth += (due and passed) * 2
            self.mandate_failures += due and not passed
        if self.mandate_pending >= 0:
            self.mandate_pending -= 1
        if due:
            self.mandate_pending = -1.0

    def coalition_vote(self, offset: int, threshold: float, rule: str) -> bool:
        # the Council model of crisislab.council.interface, one run at a time
        noise = self.normals(Slot.VOTE + offset)
        x = [positions_from_stance(mb.stance + 0.1 * z, threshold) for mb, z in zip(self.members, noise, strict=True)]
        return bool(self._council().decide(np.array([x], dtype=float), rule, pass_at=50.0)[0])

    def _council(self) -> Council:
        return Council(np.array([float(v) for v in self.p.population]), np.array([mb.veto for mb in self.members]),
                       np.array([mb.eu for mb in self.members]))

    # M24
    def accession_unanimity(self) -> None:
        if not self.on("accession_unanimity"):
            return
        want = self.a["seek_enlargement"] and not self.enlarged
        if want:
            bar = self.k["accession_unanimity"]["oppose_below"]
            x = [0.0 if mb.stance < bar else 100.0 for mb in self.members]
            self.enlarged = self.enlarged or bool(self._council().decide(np.array([x]), "unanimity", pass_at=0.0)[0])

    # M19
    def screening_offer(self) -> None:
        if not self.on("screening_offer"):
            return
        p, adv = self.p, self.adversary
        pa = [float(x) for x in p.p_accept_offer]
        offer = self.a["offer"] and not self.talks_open and not self.ended and self.offer_state != 1
        if offer:
            accept = self.draw(Slot.OFFER) < pa[adv.type]
            reject = not accept
            post = [b * (q if accept else 1.0 - q) for b, q in zip(self.belief, pa, strict=True)]
            total = max(np_sum(post), 1e-300)
            self.belief = [x / total for x in post]
            self.rejected_now = reject and self.offer_state == 0
            self.offer_state = 1 if accept else 2
            self.talks_open = self.talks_open or accept
            if accept:
                self.verified_weeks = max(self.verified_weeks, float(self.k["conditionality_framework"]["verify_weeks"]))
        noise = self.k["screening_offer"]["signal_noise"] * (1.0 + 2.0 * (1.0 - self.intel_quality))
        x = adv.type + noise * float(self.rng_streams.normal(self.week, Slot.SIGNAL)[0])
        post = []
        for t, b in enumerate(self.belief):
            d = (x - t) / noise
            post.append(math.log(max(b, 1e-300)) + -0.5 * (d * d))
        top = max(post)
        post = [math.exp(v - top) for v in post]
        total = np_sum(post)
        self.belief = [v / total for v in post]

    # M15
    def inflexible_preconditions(self) -> None:
        pre = self.a["precondition"]
        opening = self.contact and not self.talks_open and not self.ended
        if self.on("inflexible_preconditions"):
            soft = self.k["inflexible_preconditions"]["softness"]
            u = self.draw(Slot.PRECONDITION)
            limit = float(self.p.accept_limit[self.adversary.type]) + soft * (2.0 * u - 1.0)
            ok = pre <= 0.0 or pre <= limit
        else:
            ok = True
        newly = opening and ok
        self.talks_open = (self.talks_open and (self.contact or self.offer_state == 1)) or newly
        if newly and pre > 0:
            self.verified_weeks = max(self.verified_weeks, float(self.k["conditionality_framework"]["verify_weeks"]))

    # M25
    def mediator_reach(self) -> float:
        """Strength times trust of an engaged mediator (0 without one)."""
        use = self.a["mediator"] and self.p.mediator and self.on("mediation")
        trust = math.sqrt(clip(self.mediator.trust, 0.0, 1.0) * self.p.mediator_trust_c)
        return use * self.p.strength["mediation"] * trust

    def mediation_leverage(self) -> float:
        """What a manipulating mediator adds to both sides' surplus from a deal."""
        return (self.p.mediator_style >= 3) * self.k["mediation"]["leverage"] * self.mediator_reach()

    def mediation(self) -> None:
        p, adv = self.p, self.adversary
        live = not self.ended
        use = self.a["mediator"] and p.mediator and self.on("mediation") and live
        self.talks_open = self.talks_open or (use and self.contact)
        mediated = self.talks_open and live
        if p.mediator_style >= 2:  # formulation: information shrinks optimism
            reach = self.mediator_reach() * mediated
            adv.optimism = adv.optimism * (1.0 - clip(self.k["mediation"]["information"] * reach, 0.0, 1.0))
        if p.mediator_style >= 3:  # manipulation: leverage
            adv.u_deescalate = adv.u_deescalate + self.mediation_leverage() * mediated

    def premature(self) -> float:
        unearned = self.contact and not self.earned
        own = min(np_sum([mb.unilateral * mb.weight for mb in self.members]) * 4.0, 2.0)
        working = 0.25 * (1.0 - self.regularity) if self.on("dialogue_consistency") else 0.25
        return unearned * (1.0 if self.a["high_level"] else working) + own

    # M01
    def leverage_dilution(self) -> None:
        k = self.k["leverage_dilution"]
        loss = np_sum([mb.unilateral * mb.weight for mb in self.members])
        unity = self.perceived_unity - self.s("leverage_dilution") * loss + k["recovery"] * (1.0 - self.perceived_unity)
        self.perceived_unity = clip01(unity)
        self.leverage = self.perceived_unity ** k["alpha"]

    # M03
    def domestic_exploitation(self) -> None:
        k, st, adv = self.k["domestic_exploitation"], self.s("domestic_exploitation"), self.adversary
        aud = self.contact and self.a["high_level"] and not self.earned
        self.unearned_meetings += aud
        adv.legitimacy = clip01(adv.legitimacy + st * k["p_dom"] * aud)
        self.third_party_alignment = clip01(self.third_party_alignment + st * k["p_intl"] * aud)

    # M04
    def zero_sum_misreading(self) -> None:
        st = self.s("zero_sum_misreading")
        uncond = self.contact and not self.earned and self.a["precondition"] <= 0.0
        z = float(self.p.zero_sum[self.adversary.type])
        self.resolve_discount = clip01(self.resolve_discount * 0.99 + st * self.k["zero_sum_misreading"]["kappa"] * z * uncond)

    # M06
    def credibility_decay(self) -> None:
        if not self.on("credibility_decay"):
            return
        k = self.k["credibility_decay"]
        st = self.p.strength["credibility_decay"]
        prem = self.premature()
        decay = st * (k["d_talk"] * prem + k["d_dissent"] * self.polarisation)
        consistency = clip(1.0 - prem, 0.0, 1.0) * (self.tranche > 0)
        regain = consistency * (self.diplomatic_capital > k["anchor_cost"])
        self.permanence = clip01(self.permanence - decay + k["recovery"] * regain * (1.0 - self.permanence))
        self.diplomatic_capital = clip01(self.diplomatic_capital - k["anchor_cost"] * regain + 0.01)

    # M07
    def frontline_trust(self) -> None:
        k, st = self.k["frontline_trust"], self.s("frontline_trust")
        veto = self.a["veto"] and self.on("conditionality_framework")
        by_coalition = self.contact and self.a["high_level"] and not veto
        by_member = any(mb.unilateral and not mb.frontline for mb in self.members)
        bypass = by_coalition or by_member
        self.bypasses += bypass
        c_bypass, rec, c_hedge = st * k["bypass"], k["recovery"], st * k["hedge"]
        b = 1.0 if bypass else 0.0
        # trust recovers toward a level set by how firm the coalition looks
        target = 1.0 - st * k["abandon"] * (1.0 - self.cohesion())
        for mb in self.members:
            f = 1.0 if mb.frontline else 0.0
            t = mb.trust - (c_bypass * b * mb.trust) * f
            t = t + (rec * (target - t)) * f
            mb.trust = clip01(t if mb.frontline else 1.0)
            mb.support = clip01(mb.support - (c_hedge * (1.0 - mb.trust)) * f)
        front = [mb.trust for mb in self.members if mb.frontline]
        if front:
            acc = 0.0
            for v in front:
                acc += v
            self.intel_quality = acc / len(front)

    # M10
    def validation_trap(self) -> None:
        k = self.k["validation_trap"]
        aud = self.contact and self.a["high_level"] and not self.earned
        iso = self.isolation * (1.0 - self.s("validation_trap") * k["v"] * aud)
        self.isolation = clip01(iso + k["recovery"] * (1.0 - iso) * (not aud))

    # M11
    def selective_engagement(self) -> None:
        k, st, adv = self.k["selective_engagement"], self.s("selective_engagement"), self.adversary
        courted = not self.a["centralised"] and adv.rung >= 1 and not self.ended
        if st > 0 and courted:
            dove = min(self.members, key=lambda mb: (mb.stance, mb.j))
            dove.stance = clip(dove.stance - st * k["courting"], 0.0, 1.0)
            dove.support = clip(dove.support - st * k["courting"], 0.0, 1.0)
        self.polarisation = spread([mb.stance for mb in self.members], self.weights)

    # M29
    def cross_domain_stratagems(self) -> None:
        k, st, adv = self.k["cross_domain_stratagems"], self.s("cross_domain_stratagems"), self.adversary
        if st == 0:
            return
        prob = k["p_cyber"] * float(self.p.cyber_propensity[adv.type]) * (adv.rung >= 1) * (not self.ended)
        op = self.draw(Slot.CYBER) < prob
        self.cyber_now = op
        adv.cyber_ops += op
        centre = seq_dot([mb.stance for mb in self.members], self.weights)
        push = st * k["dissent"] * (1.0 if op else 0.0)
        for mb in self.members:
            mb.stance = clip01(mb.stance + push * sign(mb.stance - centre))
        self.polarisation = spread([mb.stance for mb in self.members], self.weights)

    # M09
    def signaling_noise(self) -> None:
        k, st = self.k["signaling_noise"], self.s("signaling_noise")
        discipline = self.a["messaging"] * self.on("messaging_discipline")
        scale = k["noise"] * (1.0 - 0.8 * discipline)
        noise = self.normals(Slot.STATEMENT)
        statements = [mb.stance + scale * z for mb, z in zip(self.members, noise, strict=True)]
        self.statement_sd = spread(statements, self.weights)
        kb = self.k["mandate_paradox"]
        broad = self.s("mandate_paradox") * kb["broad_penalty"] * max(self.mandate_breadth - kb["credibility_limit"], 0.0)
        self.perceived_resolve = clip01(self.cohesion() - st * k["k"] * self.statement_sd - self.resolve_discount - broad)

    # M28
    def messaging_discipline(self) -> None:
        k, st = self.k["messaging_discipline"], self.s("messaging_discipline")
        tone = 2.0 * (0.5 - self.a["messaging"])
        self.adversary.resolve = clip01(self.adversary.resolve + st * k["harden"] * tone)
        self.mediator.trust = clip01(self.mediator.trust - st * k["trust_loss"] * tone)

    # M30
    def economic_contagion(self) -> None:
        p, k, st, adv = self.p, self.k["economic_contagion"], self.s("economic_contagion"), self.adversary
        inten = float(p.tranche_intensity[self.tranche])
        exposure = (p.trade_exposure + 0.03 * p.energy_dependence).tolist()
        share = (p.gdp / np_sum(p.gdp.tolist())).tolist()
        threat = k["threat_recovery"] * (adv.rung / 7.0)
        c_decay = st * k["decay"]
        costs, supports = [], []
        for mb, e in zip(self.members, exposure, strict=True):
            c = inten * e
            costs.append(c)
            supports.append(clip01((mb.support - c_decay * c) + threat * (1.0 - mb.support)))
        weighted = seq_dot(costs, share)
        defected = [sv < k["defect_below"] for sv in supports]
        leak = 0.0
        if st > 0 and any(defected):
            costs = [0.0 if d else c for d, c in zip(defected, costs, strict=True)]
            weighted = seq_dot(costs, share)
            trade = (p.trade_exposure * p.gdp).tolist()
            leak = np_sum([d * x for d, x in zip(defected, trade, strict=True)]) / np_sum(trade)
        if not self.on("economic_contagion"):  # no economic feedback: sanctions cost nothing
            costs = [0.0] * self.m
            weighted = 0.0
        for mb, c, sv in zip(self.members, costs, supports, strict=True):
            mb.cost = c
            mb.support = sv
        weekly = weighted + 0.002 * self.a["aid"]
        self.coalition_cost += weekly / 52.0
        adv.damage = adv.damage + float(p.tranche_damage[self.tranche]) * self.isolation * (1.0 - leak) / 52.0

    # M18
    def dialogue_consistency(self) -> None:
        if self.on("dialogue_consistency"):
            w = self.k["dialogue_consistency"]["window"]
            self.regularity = self.regularity + (float(self.contact) - self.regularity) / w
        else:
            self.regularity = float(self.contact or any(mb.unilateral for mb in self.members))

    # M13
    def misperception(self) -> None:
        k = self.k["misperception"]
        hot = self.a["hotline"] and self.p.hotline_available
        sigma = k["base_sigma"] * (1.0 - k["hotline_cut"] * hot) * (1.0 - k["channel_cut"] * self.regularity)
        self.sigma = sigma * (1.0 + 0.5 * (1.0 - self.intel_quality))
        adv = self.adversary
        adv.u_escalate = adv.u_escalate + self.s("misperception") * k["misread"] * self.sigma * float(self.p.paranoia[adv.type])

    # M14
    def aid_entrenchment(self) -> None:
        p, k, st, adv = self.p, self.k["aid_entrenchment"], self.s("aid_entrenchment"), self.adversary
        aid, dc = self.a["aid"], float(p.defender_capability)
        self.defender_capability = clip01(dc + st * k["capability_gain"] * aid * (1.0 - dc))
        adv.resolve = clip01(adv.resolve + st * k["hardening"] * aid * float(p.paranoia[adv.type]) * (adv.rung >= 4))

    # M16
    def global_audience(self) -> None:
        k, st, adv = self.k["global_audience"], self.s("global_audience"), self.adversary
        gain = 0.01 * (adv.rung >= 4) * (1.0 - self.defender_capability) * (1.0 - self.ended)
        adv.gains = clip01(adv.gains + gain)
        cohesion = self.cohesion()
        self.emboldening = clip01(self.emboldening + st * (k["gain_weight"] * gain - k["cohesion_weight"] * (cohesion - 0.5)))
        self.third_party_alignment = clip01(
            self.third_party_alignment + st * (0.5 * k["gain_weight"] * gain - 0.5 * k["cohesion_weight"] * (cohesion - 0.5))
        )

    # M02
    def escalation_dominance(self) -> None:
        p, k, st, adv = self.p, self.k["escalation_dominance"], self.s("escalation_dominance"), self.adversary
        base = k["base_lag_unanimity"] if p.decision_rule == "unanimity" else k["base_lag_qmv"]
        lag = st * base * (1.0 + self.k["selective_engagement"]["lag_per_polarisation"] * self.s("selective_engagement") * self.polarisation)
        instant = (self.a["pre_planned"] and self.on("preplanned_responses")) or (self.a["triggers"] and self.on("conditionality_framework"))
        self.response_lag = 0.0 if instant else float(round(lag))
        adv.u_escalate = adv.u_escalate + st * k["lag_value"] * self.response_lag * float(p.aggression[adv.type])

    # M05
    def deterrence_inequality(self) -> None:
        p, k, st, adv = self.p, self.k["deterrence_inequality"], self.s("deterrence_inequality"), self.adversary
        nxt = min(self.tranche + 1, len(p.tranche_damage) - 1)
        damage = float(p.tranche_damage[nxt]) * self.isolation
        delta, pi = k["discount"], self.permanence
        present_value = damage * pi / (1.0 - delta * pi)
        follow_through = self.perceived_resolve * self.leverage
        cost = st * k["damage_weight"] * present_value * follow_through * delta ** self.response_lag
        adv.u_escalate = adv.u_escalate - cost * (1.0 - 0.5 * float(p.resolve[adv.type]))

    # M22
    def preplanned_responses(self) -> None:
        adv = self.adversary
        pre = self.a["pre_planned"]
        adv.u_escalate = adv.u_escalate - self.s("preplanned_responses") * self.k["preplanned_responses"]["deterrence"] * pre * self.permanence

    # M23
    def adversary_psychology(self) -> None:
        p, k, st, adv = self.p, self.k["adversary_psychology"], self.s("adversary_psychology"), self.adversary
        posture = 0.5 * self.a["aid"] + 0.6 * self.enlarged + 0.3 * float(p.tranche_intensity[self.tranche])
        adv.threat_perception = st * float(p.paranoia[adv.type]) * posture
        adv.u_escalate = adv.u_escalate + k["threat_weight"] * adv.threat_perception
        stature = self.contact and self.a["high_level"]
        adv.u_deescalate = adv.u_deescalate + st * k["stature_value"] * float(p.stature_weight[adv.type]) * (stature or self.talks_open)

    # M26
    def off_ramp(self) -> None:
        adv = self.adversary
        adv.u_deescalate = adv.u_deescalate + self.s("off_ramp") * self.k["off_ramp"]["value"] * float(self.p.stature_weight[adv.type]) * self.a["off_ramp"]

    # M27 (pressure)
    def brinkmanship(self) -> None:
        adv = self.adversary
        stake = float(self.p.resolve[adv.type])
        adv.u_deescalate = adv.u_deescalate + self.s("brinkmanship") * self.k["brinkmanship"]["concede"] * self.a["risk"] * (1.0 - stake)

    # core: coercion
    def coercion(self) -> None:
        p, adv, dyn = self.p, self.adversary, self.p.dyn
        t = adv.type
        live = not self.ended and adv.rung >= 1 and self.tranche >= 1
        top = float(p.tranche_damage[-1])
        now = float(p.tranche_damage[self.tranche])
        cred = clip01(self.perceived_resolve * self.leverage)
        expected = (now + cred * (top - now)) * self.isolation
        delta = self.k["deterrence_inequality"]["discount"]
        pi = self.permanence if self.s("deterrence_inequality") > 0 else 1.0
        cost = dyn["coercion_weight"] * expected * pi / (1.0 - delta * pi) * (1.0 - 0.5 * adv.resolve)
        stake = C.ESCALATE_GAIN * float(p.aggression[t]) * (1.0 - 0.6 * self.defender_capability) + C.FACE_COST * adv.resolve
        z = clip(float(p.rationality) * (cost - stake), -50.0, 50.0)
        prob = dyn["comply_rate"] / (1.0 + math.exp(-z))
        if live and self.draw(Slot.COMPLY) < prob:
            adv.concessions = adv.concessions + 0.2
            adv.rung = 0
            self.end(END_KINDS.index("concession"))

    # core: logit choice
    def adversary_choice(self) -> None:
        adv, lam = self.adversary, self.p.rationality
        u = [adv.u_deescalate * lam, 0.0 * lam, adv.u_escalate * lam]
        top = max(u)
        w = [math.exp(x - top) for x in u]
        total = np_sum(w)
        cdf0, cdf1 = w[0] / total, (w[0] + w[1]) / total
        draw = self.draw(Slot.CHOICE)
        action = (draw > cdf0) + (draw > cdf1) - 1
        demobilise = self.offer_state == 1 and self.talks_weeks == 0 and self.talks_open
        stand_down = self.settled and adv.rung > 0
        action = -1 if (demobilise or stand_down) else action
        # a crisis that is over stays where it ended (a settled adversary stands down)
        adv.action = 0 if (self.ended and not stand_down) else action

    # M27 (concession)
    def concession_event(self) -> None:
        adv = self.adversary
        k = self.k["brinkmanship"]
        prob = self.s("brinkmanship") * k["concede"] * 0.2 * self.a["risk"] * (1.0 - float(self.p.resolve[adv.type])) * (not self.ended)
        yes = self.draw(Slot.CONCEDE) < prob
        adv.concessions = adv.concessions + 0.1 * yes
        if yes:
            adv.action = -1

    # core: the move
    def ladder_move(self) -> None:
        adv = self.adversary
        armistice = adv.action < 0 and adv.rung == C.WAR and not self.ended
        adv.rung = min(max(adv.rung + adv.action, 0), C.TOP)
        if armistice:  # stepping down from war: forces disengage, the war is over
            adv.rung = C.CALM
            self.end(END_KINDS.index("war_end"))

    # M13 (accident)
    def inadvertent_climb(self) -> None:
        adv, k = self.adversary, self.k["misperception"]
        prob = clip(self.s("misperception") * k["p_inadvertent"] * self.sigma * math.exp(k["steepness"] * (adv.rung - 3)), 0.0, 0.5)
        prob = prob * (not self.ended)
        adv.accident_risk += prob
        if self.draw(Slot.INADVERTENT) < prob:
            adv.rung = min(adv.rung + 1, C.TOP)
            adv.action = max(adv.action, 1)

    # M14 (deep strikes)
    def deep_strike_spiral(self) -> None:
        adv, a = self.adversary, self.a
        share = self.p.deep_strike_share if a["deep_strike"] is None else a["deep_strike"]
        prob = self.s("aid_entrenchment") * self.k["aid_entrenchment"]["deep_strike_risk"] * a["aid"] * share * 4.0 * (adv.rung >= 4)
        prob = prob * (not self.ended)
        adv.accident_risk += prob
        if self.draw(Slot.DEEP_STRIKE) < prob:
            adv.rung = min(adv.rung + 1, C.TOP)
            adv.action = max(adv.action, 1)

    # M27 (catastrophe)
    def loss_of_control(self) -> None:
        adv, r = self.adversary, self.a["risk"]
        prob = self.s("brinkmanship") * self.k["brinkmanship"]["catastrophe"] * (r * r) * (1.0 + (adv.rung >= 6))
        prob = prob * (not self.ended)
        adv.accident_risk += prob
        adv.catastrophe_risk += prob
        boom = self.draw(Slot.CATASTROPHE) < prob
        adv.catastrophes += boom
        if boom:
            adv.rung = C.TOP

    # core: bookkeeping
    def bookkeeping(self) -> None:
        adv = self.adversary
        adv.peak = max(adv.peak, adv.rung)
        started = adv.action < 0
        sustained = adv.action == 0 and self.verified_weeks > 0
        if adv.action > 0:
            self.verified_weeks = 0.0
        elif started or sustained:
            self.verified_weeks += 1
        adv.last_action = adv.action
        self.talks_weeks = self.talks_weeks + 1 if self.talks_open else 0.0
        self.talks_total += self.talks_open

    # core: fighting
    def fighting(self) -> None:
        adv, dyn = self.adversary, self.p.dyn
        fight = adv.rung >= C.FORCE and not self.ended
        war = adv.rung >= C.WAR and not self.ended
        adv.war_weeks += war
        adv.force_weeks += adv.rung == C.FORCE and not self.ended
        if fight:
            if war:
                adv.war_cost = adv.war_cost + dyn["war_cost_rate"] * (1.0 + 0.5 * (adv.rung - C.WAR))
            news = dyn["battle_noise"] * float(self.rng_streams.normal(self.week, Slot.BATTLE)[0])
            rate = dyn["learning"] * (1.0 if war else 0.5)
            adv.optimism = adv.optimism + rate * (news - adv.optimism)

    # M21
    def forswear_destabilizing(self) -> None:
        if not self.on("forswear_destabilizing"):
            return
        violated = self.talks_open and self.adversary.action > 0
        self.talks_open = self.talks_open and not violated
        if violated and self.offer_state == 1:
            self.offer_state = 2

    # core: sanctions
    def coalition_response(self) -> None:
        p, a, adv = self.p, self.a, self.adversary
        climbed = adv.action > 0
        if climbed and a["respond"]:
            self.pending_response = float(min(self.pending_response, self.response_lag) if self.pending_response >= 0 else self.response_lag)
        top = len(p.tranche_damage) - 1
        fire_trigger = a["triggers"] and self.on("conditionality_framework") and (climbed or (self.talks_open and self.cyber_now))
        fire_pre = a["pre_planned"] and self.on("preplanned_responses") and (climbed or self.rejected_now)
        jump = (int(self.k["preplanned_responses"]["jump"]) if fire_pre else 0) + fire_trigger
        due = self.pending_response == 0
        self.tranche = min(self.tranche + jump + due, top)
        if due or fire_trigger or fire_pre:
            self.pending_response = -1.0
        elif self.pending_response > 0:
            self.pending_response -= 1
        floor = 0 if self.ended else a["sanction_floor"]  # a doctrine's floor applies while the crisis lasts
        self.tranche = min(max(self.tranche, floor), top)

    # -- the agenda (M20, M31) ------------------------------------------------------------

    def reservation(self) -> float:
        p, adv = self.p, self.adversary
        t = adv.type
        r = (
            float(p.reservation[t]) + 0.5 * (adv.resolve - float(p.resolve[t])) + 0.4 * adv.gains - 0.15 * min(adv.damage, 1.0)
            + p.dyn["optimism_demand"] * adv.optimism
        )
        return clip(r, 0.0, 1.0)

    def frontier(self, linked: bool) -> tuple[list[list[float]], list[float], list[float]]:
        """Deals on a grid of 101 concessions and each side's utility of them (computed
        once per mandate breadth and linkage in a run)."""
        key = (int(self.mandate_breadth), bool(linked))
        if key not in self._frontiers:
            self._frontiers[key] = self._frontier(linked)
        return self._frontiers[key]

    def _frontier(self, linked: bool) -> tuple[list[list[float]], list[float], list[float]]:
        p = self.p
        n = len(p.agenda_names)
        pos_c, pos_a = p.pos_c.tolist(), p.pos_a.tolist()
        sal_c, sal_a = p.sal_c.tolist(), p.sal_a.tolist()
        red, in_mandate = p.red_line.tolist(), p.in_mandate.tolist()
        trad = [True] * n
        if self.on("mandate_paradox"):
            cand = [(not red[i]) or not self.on("non_negotiable_concessions") for i in range(n)]
            order = [i for i in range(n) if cand[i] and in_mandate[i]] + [i for i in range(n) if cand[i] and not in_mandate[i]]
            allowed = set(order[: max(int(self.mandate_breadth), 0)])
            trad = [trad[i] and i in allowed for i in range(n)]
        if self.on("non_negotiable_concessions"):  # M31: red lines are never tradable
            trad = [trad[i] and not red[i] for i in range(n)]
        grid = np.linspace(0.0, 1.0, 101).tolist()
        deals: list[list[float]] = []
        if linked and self.on("agenda_linkage"):
            sa, sc = np_sum(sal_a), np_sum(sal_c)
            ratio = [(sal_a[i] / sa) / max(sal_c[i] / sc, 1e-12) if trad[i] else -math.inf for i in range(n)]
            order = [i for i in sorted(range(n), key=lambda i: -ratio[i]) if trad[i]]
            m = len(order)
            for g in grid:
                deal = list(pos_c)
                budget = g * m
                for j, item in enumerate(order):
                    share = clip(budget - j, 0.0, 1.0)
                    deal[item] = pos_c[item] + share * (pos_a[item] - pos_c[item])
                deals.append(deal)
        else:
            for g in grid:
                deals.append([pos_c[i] + g * trad[i] * (pos_a[i] - pos_c[i]) for i in range(n)])
        sc, sa = np_sum(sal_c), np_sum(sal_a)
        uc = [np_sum([sal_c[i] * (1.0 - abs(d[i] - pos_c[i])) for i in range(n)]) / sc for d in deals]
        ua = [np_sum([sal_a[i] * (1.0 - abs(d[i] - pos_a[i])) for i in range(n)]) / sa for d in deals]
        return deals, uc, ua

    # M20
    def agenda_linkage(self) -> None:
        """The zone of agreement of every open crisis (in talks or through the parties' own
        channel), widened by a manipulating mediator's leverage."""
        if self.ended:
            self.zone = 0.0
            return
        _, uc, ua = self.frontier(self.a["link_agenda"])
        r_a = self.reservation()
        zone = max(min(c - COALITION_RESERVATION, x - r_a) for c, x in zip(uc, ua, strict=True))
        self.zone = zone + self.mediation_leverage()

    # core: settlement
    def settlement(self) -> None:
        p, a, adv = self.p, self.a, self.adversary
        k = self.k["agenda_linkage"]
        live = not self.ended
        open_ = self.talks_open and live
        fz = clip((self.zone + 0.1) / 0.2, 0.0, 5.0)
        known = 1.0 / (1.0 + p.dyn["uncertainty_weight"] * abs(adv.optimism))
        multiplier = 1.0 + self.k["mediation"]["communication"] * self.mediator_reach()
        hazard = k["base_rate"] * fz * known * multiplier * (1.0 - adv.rung / 8.0) * (0.5 + 0.5 * self.leverage)
        # coordinated talks settle at the full rate, the parties' own channel at a share of it
        hazard = clip(hazard * (1.0 if open_ else p.dyn["direct_share"]), 0.0, 0.9) if live else 0.0
        adv.concessions = adv.concessions + 0.01 * open_ * self.leverage * self.perceived_resolve
        win = self.draw(Slot.SETTLE) < hazard
        if win:
            deals, uc, ua = self.frontier(a["link_agenda"])
            r_a = self.reservation()
            margins = [min(c - COALITION_RESERVATION, x - r_a) for c, x in zip(uc, ua, strict=True)]
            deal = deals[margins.index(max(margins))]
            sal_c, pos_c = p.sal_c.tolist(), p.pos_c.tolist()
            gain = np_sum([s * (1.0 - abs(d - c)) for s, d, c in zip(sal_c, deal, pos_c, strict=True)]) / np_sum(sal_c)
            adv.concessions += max(gain - COALITION_RESERVATION, 0.0) * 2.0
            self.settled = True
            self.settle_week = self.week + 1.0
            self.talks_open = False
            self.end(END_KINDS.index("settlement"))
        adv.legitimacy = clip01(adv.legitimacy - 0.002 * self.isolation * (not self.settled))

    # core: crises that have calmed fade
    def crisis_end(self) -> None:
        adv = self.adversary
        calm = not self.ended and adv.rung <= C.FORCE and adv.action <= 0
        if calm:
            hazard = self.p.dyn["fade_rate"] * (1.0 + 0.5 * (C.CALM - adv.rung))
            if self.draw(Slot.FADE) < hazard:
                self.end(END_KINDS.index("fade"))

    # M17
    def humanitarian_cost(self) -> None:
        self.humanitarian += self.s("humanitarian_cost") * float(CASUALTIES_PER_WEEK[self.adversary.rung])

    # -- outcomes -------------------------------------------------------------------------

    def outcomes(self) -> dict[str, Any]:
        p, adv = self.p, self.adversary
        return {
            "run": self.run,
            "adversary_type": p.type_names[adv.type],
            "p_war": float(adv.peak >= 4),
            "p_nuclear_use": float(adv.peak >= 7),
            "p_settlement": float(self.settled),
            "peak_escalation": float(adv.peak),
            "weeks_to_settlement": self.settle_week,
            "coalition_cost": self.coalition_cost,
            "final_cohesion": self.cohesion(),
            "final_frontline_trust": self.frontline_mean(),
            "adversary_concessions": adv.concessions,
            "humanitarian_cost": self.humanitarian,
            "adversary_legitimacy": adv.legitimacy,
            "final_rung": float(adv.rung),
            "final_permanence": self.permanence,
            "final_leverage": self.leverage,
            "talks_weeks_total": self.talks_total,
            "third_party_alignment": self.third_party_alignment,
            "emboldening": self.emboldening,
            "isolation": self.isolation,
            "unilateral_contacts": self.unilateral_contacts,
            "bypasses": self.bypasses,
            "unearned_meetings": self.unearned_meetings,
            "cyber_ops": adv.cyber_ops,
            "polarisation": self.polarisation,
            "response_lag": self.response_lag,
            "enlarged": float(self.enlarged),
            "offer_accepted": float(self.offer_state == 1),
            "belief_true_type": self.belief[adv.type],
            "mandate_breadth": self.mandate_breadth,
            "mandate_failures": self.mandate_failures,
            "catastrophes": adv.catastrophes,
            "accident_risk": adv.accident_risk,
            "catastrophe_risk": adv.catastrophe_risk,
            "intel_quality": self.intel_quality,
            "final_tranche": float(self.tranche),
            "ended": float(self.ended),
            "end_week": self.end_week,
            "war_weeks": float(adv.war_weeks),
            "force_weeks": float(adv.force_weeks),
            "end_kind": END_KINDS[self.end_kind],
        }


def simulate_reference(
    scenario: Scenario | Params | str,
    doctrine: Any,
    runs: int,
    seed: int,
    *,
    run_offset: int = 0,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Simulate runs ``run_offset .. run_offset+runs-1`` one at a time; return the outcome
    table (one row per run) and the weekly trajectories ``{name: [runs, weeks]}``."""
    if isinstance(scenario, Params):
        p = scenario
    else:
        p = compile_scenario(scenario if isinstance(scenario, Scenario) else load_scenario(scenario))
    doc = get_doctrine(doctrine)
    rows, traj = [], []
    for run in range(run_offset, run_offset + runs):
        doc.reset(p, 1)
        model = CoalitionModel(p, doc, seed, run)
        for _ in range(p.horizon):
            model.step()
        rows.append(model.outcomes())
        traj.append(model.trajectory)
    trajectories = {k: np.array([t[k] for t in traj], dtype=float) for k in traj[0]} if traj else {}
    return pd.DataFrame(rows), trajectories
