"""The rule semantics of a policy, and the replay engine (one event at a time).

Time is counted in whole days. Events are fed in time order; events of the same day keep
the order in which they are fed. Before the first event of a new day the engine runs the
*timers* of every day it skips over, day by day: a talks round that ends, a frontline vote
whose deadline has come, an ``absent`` trigger that has waited long enough (in that order
within a day). Then each event is handled:

1. its static class is looked up (:meth:`CompiledPolicy.classify`) and every rule whose
   selector accepts it records it (precondition day buckets, trigger counters);
2. it is shown to the blocks in the policy's ``order``; each block does its per-event work
   (triggers fire, offers are checked against the mandate, votes are counted) and, if the
   event is a talks request still alive, applies its gate:

   * ``triggers``: refused while a fired trigger suspends talks;
   * ``preconditions``: every condition (``combine: all``) or one (``any``) must hold on
     each of its last ``sustained_days`` days over its ``window_days`` window, with enough
     observed history and independent sources;
   * ``mandate``: a request about a red-line item or an item outside the mandate is refused;
   * ``no_surprises``: a vote of the holders opens (or, if one is open, the request waits on
     it); the request is decided when the vote closes (a timing veto refuses it, all holders
     consenting or the deadline passing under ``silence: consent`` lets it go on to the
     remaining gates, evaluated on the day the vote closes).

   A request that passes every gate opens a talks round of ``round_days``; a request
   made while a round is open only passes the ``triggers`` and ``mandate`` gates.

Each decision names the rule that made it and the events that justify it (stream ordinals;
the replay engine also keeps the event records). :mod:`crisislab.policy.vector` implements
the same semantics on arrays with a leading run axis; a test holds the two equal.
"""

from __future__ import annotations

import operator
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crisislab.policy.compiled import IRRELEVANT, NEVER, CompiledPolicy
from crisislab.policy.events import Event
from crisislab.policy.schema import Condition

KINDS: tuple[str, ...] = (
    "talks_allowed",
    "talks_denied",
    "talks_pending",
    "veto_requested",
    "veto_cast",
    "consent_cast",
    "veto_expired",
    "trigger_fired",
    "mandate_limit",
    "round_closed",
)

OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}

#: How many matching events a decision cites per rule (the most recent ones).
JUSTIFY = 20


@dataclass
class Decision:
    """One decision of the engine.

    ``events`` are the ordinals (0-based positions in the stream) of the events that justify
    it; ``at`` is the ordinal of the event being handled when it was made (``None`` when a
    timer made it at the start of ``day``). ``records`` holds the events themselves when the
    engine has them (replay), and is left out of comparisons.
    """

    day: int
    kind: str
    rule: str
    detail: dict[str, Any]
    events: tuple[int, ...] = ()
    at: int | None = None
    records: tuple[Event, ...] | None = field(default=None, compare=False, repr=False)

    def key(self) -> tuple[Any, ...]:
        """A hashable form for comparisons."""
        return (self.day, self.kind, self.rule, _freeze(self.detail), self.events, self.at)


def _freeze(v: Any) -> Any:
    if isinstance(v, dict):
        return tuple(sorted((k, _freeze(x)) for k, x in v.items()))
    if isinstance(v, (list, tuple)):
        return tuple(_freeze(x) for x in v)
    return v


# -- shared rule arithmetic (used by both engines) -------------------------------------------


def condition_holds(cond: Condition, cnt: int, sum10: int) -> bool:
    """Does a window with ``cnt`` matching events and Goldstein sum ``sum10`` satisfy it?"""
    op = OPS[cond.op]
    if cond.measure == "count":
        return bool(op(cnt, cond.value))
    v10 = int(round(cond.value * 10))
    if cond.measure == "sum_goldstein":
        return bool(op(sum10, v10))
    if cnt == 0:
        return False
    return bool(op(sum10, v10 * cnt))


def measure_value(cond: Condition, cnt: int, sum10: int) -> float | int | None:
    """The value of the condition's measure for reporting."""
    if cond.measure == "count":
        return cnt
    if cond.measure == "sum_goldstein":
        return sum10 / 10.0
    return None if cnt == 0 else round(sum10 / cnt / 10.0, 4)


def condition_report(cond: Condition, status: str, observed: int, fail_day: int | None, cnt: int, sum10: int, sources: int) -> dict[str, Any]:
    """The detail of one condition's evaluation (``status``: ok, history, threshold, sources)."""
    out: dict[str, Any] = {"condition": cond.name, "status": status}
    H = cond.window_days + cond.sustained_days - 1
    if status == "history":
        out.update(observed_days=observed, needed_days=H)
        return out
    out.update(measure=cond.measure, op=cond.op, threshold=cond.value, value=measure_value(cond, cnt, sum10))
    if status == "threshold":
        out["fail_day"] = fail_day
    if cond.min_sources:
        out.update(sources=sources, min_sources=cond.min_sources)
    return out


def popcount(x: int) -> int:
    return int(x).bit_count()


# -- replay engine ----------------------------------------------------------------------------


class _CondState:
    __slots__ = ("H", "W", "S", "bday", "bcnt", "bsum", "bpub", "recent")

    def __init__(self, W: int, S: int, J: int) -> None:
        self.W, self.S, self.H = W, S, W + S - 1
        self.bday = [NEVER] * self.H
        self.bcnt = [0] * self.H
        self.bsum = [0] * self.H
        self.bpub = [0] * self.H
        self.recent: deque[tuple[int, int, Event]] = deque(maxlen=J)

    def add(self, day: int, g10: int, pub: int, ordinal: int, ev: Event) -> None:
        i = day % self.H
        if self.bday[i] != day:
            self.bday[i] = day
            self.bcnt[i] = 0
            self.bsum[i] = 0
            self.bpub[i] = 0
        self.bcnt[i] += 1
        self.bsum[i] += g10
        self.bpub[i] |= pub
        self.recent.append((day, ordinal, ev))


Ref = tuple[int, Event]


class _Chain:
    """The progress of one talks request through the gates."""

    __slots__ = ("passed", "pre")

    def __init__(self) -> None:
        self.passed: list[str] = []
        self.pre: tuple[list[dict[str, Any]], list[Ref]] | None = None


class ReplayEngine:
    """Apply a compiled policy to one stream of events, one event at a time.

    >>> from crisislab.policy import load_policy, compile_loaded
    >>> eng = ReplayEngine(compile_loaded(load_policy("conditionality")))
    >>> eng.talks_open, eng.level
    (False, 0)
    """

    def __init__(self, cp: CompiledPolicy, *, start_day: int | None = None, justify: int = JUSTIFY) -> None:
        self.cp = cp
        self.J = justify
        self.cur_day = NEVER
        self.start_day = start_day
        self.n = 0
        self.round_until = NEVER
        self.round_start = NEVER
        self.round_offers = 0
        self.round_vetoed: frozenset[int] = frozenset()
        self.suspended_until = NEVER
        self.suspended_by = ""
        self.level = 0
        self.vote_open = False
        self.vote_opened = NEVER
        self.vote_deadline = NEVER
        self.votes: list[int] = [0] * len(cp.holders)
        self.vote_vetoed: set[int] = set()
        self.vote_req: Ref | None = None
        self.vote_item: tuple[str | None, str | None] = (None, None)
        self.vote_resume = 0
        self.vote_chain = _Chain()
        self.cs = [_CondState(c.window_days, c.sustained_days, justify) for c in cp.conditions]
        self.t_ring: list[deque[tuple[int, int, Event]]] = [deque(maxlen=t.count) for t in cp.triggers]
        self.t_since = [0] * len(cp.triggers)
        self.t_last_fire = [NEVER] * len(cp.triggers)
        self.t_last_match = [NEVER] * len(cp.triggers)
        self.pub_bits: dict[str, int] = {}
        self._blocks = [b for b in cp.order if cp.policy.block(b) is not None]
        self._pos = {b: i for i, b in enumerate(self._blocks)}
        self._absent = [k for k, t in enumerate(cp.triggers) if t.pattern == "absent"]

    # -- public state --------------------------------------------------------------------

    @property
    def talks_open(self) -> bool:
        """Is a talks round open now?"""
        return self.round_until != NEVER

    # -- driving -------------------------------------------------------------------------

    def advance_to(self, day: int) -> list[Decision]:
        """Run the timers of every day up to and including the start of ``day``."""
        out: list[Decision] = []
        if day > self.cur_day:
            self._advance(day, out)
        return out

    def feed(self, ev: Event) -> list[Decision]:
        """Handle one event; return the decisions it (and the timers before it) produced."""
        d = ev.day
        out: list[Decision] = []
        if d != self.cur_day:
            if d < self.cur_day:
                raise ValueError(f"event on day {d} fed after day {self.cur_day}")
            self._advance(d, out)
            if self.start_day is None:
                self.start_day = d
        ordinal = self.n
        self.n += 1
        cp = self.cp
        ec = cp._cache.get((ev.source, ev.target, ev.code, ev.forum, ev.agenda))
        if ec is None:
            ec = cp.classify(ev.source, ev.target, ev.code, ev.forum, ev.agenda)
        if ec is IRRELEVANT:
            return out
        g10 = ev.g10
        rel = cp.default_reliability if ev.reliability is None else ev.reliability
        fs = ec.forum
        sess = self.round_until != NEVER
        ref: Ref = (ordinal, ev)
        if ec.conds:
            pub = self.pub_bits.get(ev.publisher)
            if pub is None:
                pub = self.pub_bits[ev.publisher] = 1 << len(self.pub_bits)
            for c in ec.conds:
                if cp.cond_rule[c].accepts(g10, rel, fs, sess):
                    self.cs[c].add(d, g10, pub, ordinal, ev)
        hits: list[int] = []
        for k in ec.trigs:
            if cp.trig_rule[k].accepts(g10, rel, fs, sess):
                self.t_last_match[k] = d
                self.t_ring[k].append((d, ordinal, ev))
                self.t_since[k] += 1
                hits.append(k)
        request = ec.request and cp.request_rule.accepts(g10, rel, fs, sess)
        offer = ec.offer and cp.offer_rule.accepts(g10, rel, fs, sess)
        veto = ec.veto and cp.veto_rule.accepts(g10, rel, fs, sess)
        consent = ec.consent and cp.consent_rule.accepts(g10, rel, fs, sess)
        alive = request
        chain = _Chain()
        for pos, block in enumerate(self._blocks):
            if block == "triggers":
                for k in hits:
                    t = cp.triggers[k]
                    if t.pattern != "at_least":
                        continue
                    ring = self.t_ring[k]
                    lf = self.t_last_fire[k]
                    if self.t_since[k] >= t.count and ring[0][0] >= d - t.window_days + 1 and (lf == NEVER or d >= lf + t.cooldown_days):
                        self._fire(k, d, ordinal, [(o, e) for _, o, e in ring], out)
            elif block == "mandate" and offer:
                self._offer(d, ordinal, ref, ec.item, ec.item_name, ec.item_status, out)
            elif block == "no_surprises" and self.vote_open and (veto or consent):
                self._vote_event(d, ordinal, ref, ec.holder, veto, ec.agenda_given, ec.item, ec.item_name, out)
            if alive:
                verdict = self._gate(block, pos, d, ordinal, ref, ec.item_name, ec.item_status, chain, out)
                if verdict != "pass":
                    alive = False
        if alive:
            self._allow(d, ordinal, [ref], chain, ec.item_name, frozenset(), None, out)
        return out

    # -- gates ---------------------------------------------------------------------------

    def _gate(self, block: str, pos: int, d: int, at: int | None, req: Ref, item: str | None, status: str | None, chain: _Chain, out: list[Decision]) -> str:
        cp = self.cp
        passed = chain.passed
        in_round = self.round_until != NEVER
        if block == "triggers":
            if d < self.suspended_until:
                out.append(self._dec(d, "talks_denied", "triggers.suspension", {"suspended_by": self.suspended_by, "suspended_until_day": self.suspended_until, "agenda": item}, [req], at))
                return "deny"
            passed.append("triggers")
            return "pass"
        if block == "preconditions":
            if in_round:
                return "pass"
            ok, reports, refs = self._preconditions(d)
            if not ok:
                first = next(r for r in reports if r["status"] != "ok")
                out.append(self._dec(d, "talks_denied", f"preconditions.{first['condition']}", {"combine": cp.combine, "conditions": reports, "agenda": item}, [req, *refs], at))
                return "deny"
            passed.append("preconditions")
            chain.pre = (reports, refs)
            return "pass"
        if block == "mandate":
            if status in ("red_line", "outside"):
                out.append(self._dec(d, "talks_denied", f"mandate.{status}", {"agenda": item, "status": status}, [req], at))
                return "deny"
            passed.append("mandate")
            return "pass"
        # no_surprises
        if in_round:
            return "pass"
        extra: list[Ref] = []
        pre_detail: dict[str, Any] = {}
        if chain.pre is not None:
            pre_detail["conditions"] = chain.pre[0]
            extra = chain.pre[1]
        if self.vote_open:
            assert self.vote_req is not None
            out.append(self._dec(d, "talks_pending", "no_surprises.vote_open", {"vote_opened_day": self.vote_opened, "deadline_day": self.vote_deadline, "agenda": item, **pre_detail}, [req, self.vote_req, *extra], at))
            return "wait"
        self.vote_open = True
        self.vote_opened = d
        self.vote_deadline = d + cp.vote_days
        self.votes = [0] * len(cp.holders)
        self.vote_vetoed = set()
        self.vote_req = req
        self.vote_item = (item, status)
        self.vote_resume = pos + 1
        self.vote_chain = chain
        chain.pre = None
        out.append(self._dec(d, "veto_requested", "no_surprises", {"holders": list(cp.holder_names), "deadline_day": self.vote_deadline, "silence": cp.silence, "agenda": item, **pre_detail}, [req, *extra], at))
        return "wait"

    def _preconditions(self, d: int) -> tuple[bool, list[dict[str, Any]], list[Ref]]:
        cp = self.cp
        reports: list[dict[str, Any]] = []
        oks: list[bool] = []
        refs: list[Ref] = []
        start = self.start_day if self.start_day is not None else d
        for c, cond in enumerate(cp.conditions):
            st = self.cs[c]
            W, S, H = st.W, st.S, st.H
            observed = d - start + 1
            if observed < H:
                reports.append(condition_report(cond, "history", observed, None, 0, 0, 0))
                oks.append(False)
                continue
            cnt = [0] * (H + 1)
            sm = [0] * (H + 1)
            pubs = 0
            for k in range(H):
                day = d - H + 1 + k
                i = day % H
                if st.bday[i] == day:
                    cnt[k + 1] = cnt[k] + st.bcnt[i]
                    sm[k + 1] = sm[k] + st.bsum[i]
                    if k >= H - W:
                        pubs |= st.bpub[i]
                else:
                    cnt[k + 1] = cnt[k]
                    sm[k + 1] = sm[k]
            status, fail_day = "ok", None
            for j in range(S):
                end = W + j  # prefix index one past the window's last day
                wc = cnt[end] - cnt[end - W]
                ws = sm[end] - sm[end - W]
                if not condition_holds(cond, wc, ws):
                    status, fail_day = "threshold", d - S + 1 + j
                    break
            last_c = cnt[H] - cnt[H - W]
            last_s = sm[H] - sm[H - W]
            nsrc = popcount(pubs)
            if status == "ok" and cond.min_sources and nsrc < cond.min_sources:
                status = "sources"
            if status == "threshold":
                jf = (fail_day or 0) - (d - S + 1)
                last_c = cnt[W + jf] - cnt[jf]
                last_s = sm[W + jf] - sm[jf]
            reports.append(condition_report(cond, status, observed, fail_day, last_c, last_s, nsrc))
            oks.append(status == "ok")
        ok = all(oks) if cp.combine == "all" else any(oks)
        for c, good in enumerate(oks):
            if good == ok:
                lo = d - self.cs[c].H + 1
                refs.extend((o, e) for day, o, e in self.cs[c].recent if day >= lo)
        return ok, reports, _uniq(refs)

    # -- outcomes ------------------------------------------------------------------------

    def _allow(self, d: int, at: int | None, refs: list[Ref], chain: _Chain, item: str | None, vetoed: frozenset[int], how: str | None, out: list[Decision]) -> None:
        pre = chain.pre
        passed = chain.passed
        detail: dict[str, Any] = {"agenda": item, "passed": list(passed)}
        if pre is not None:
            detail["conditions"] = pre[0]
            refs = _uniq([*refs, *pre[1]])
        if self.round_until != NEVER:
            detail["round_until_day"] = self.round_until
            out.append(self._dec(d, "talks_allowed", "talks.round", detail, refs, at))
            return
        self.round_start = d
        self.round_until = d + self.cp.round_days
        self.round_offers = 0
        self.round_vetoed = vetoed
        detail["round_until_day"] = self.round_until
        if vetoed:
            detail["vetoed_items"] = sorted(self.cp.items[i].name for i in vetoed)
        rule = how or (passed[-1] if passed else "talks.no_gates")
        out.append(self._dec(d, "talks_allowed", rule, detail, refs, at))

    def _close_round(self, d: int, rule: str, reason: str, out: list[Decision]) -> None:
        out.append(self._dec(d, "round_closed", rule, {"reason": reason, "opened_day": self.round_start, "offers": self.round_offers}, [], None))
        self.round_until = NEVER
        self.round_start = NEVER
        self.round_offers = 0
        self.round_vetoed = frozenset()

    def _fire(self, k: int, t: int, at: int | None, refs: list[Ref], out: list[Decision]) -> None:
        cp = self.cp
        trig = cp.triggers[k]
        top = len(cp.ladder)
        before = self.level
        self.level = min(before + trig.step, top)
        self.t_last_fire[k] = t
        self.t_since[k] = 0
        detail: dict[str, Any] = {
            "trigger": trig.name,
            "pattern": trig.pattern,
            "tranche": cp.ladder[self.level - 1],
            "level": self.level,
            "level_before": before,
            "at_top": before == top,
        }
        if trig.pattern == "absent":
            detail["last_match_day"] = None if self.t_last_match[k] == NEVER else self.t_last_match[k]
        out.append(self._dec(t, "trigger_fired", f"triggers.{trig.name}", detail, refs, at))
        if trig.suspend_talks_days > 0:
            until = t + trig.suspend_talks_days
            if until > self.suspended_until:
                self.suspended_until = until
                self.suspended_by = trig.name
            if self.round_until != NEVER:
                self._close_round(t, f"triggers.{trig.name}", "suspended by a trigger", out)

    def _offer(self, d: int, at: int, ref: Ref, item: int, name: str | None, status: str | None, out: list[Decision]) -> None:
        reason = None
        detail: dict[str, Any] = {"agenda": name, "status": status}
        if status == "red_line":
            reason = "red_line"
        elif status == "outside":
            reason = "outside"
        elif self.round_until == NEVER:
            reason = "no_round"
        elif item >= 0 and item in self.round_vetoed:
            reason = "vetoed_item"
        elif self.cp.max_offers is not None and self.round_offers >= self.cp.max_offers:
            reason = "offer_limit"
            detail["max_offers"] = self.cp.max_offers
        if reason is None:
            self.round_offers += 1
            return
        out.append(self._dec(d, "mandate_limit", f"mandate.{reason}", detail, [ref], at))

    def _vote_event(self, d: int, at: int, ref: Ref, h: int, veto: bool, agenda_given: bool, item: int, name: str | None, out: list[Decision]) -> None:
        cp = self.cp
        member = cp.holder_names[h]
        if veto and agenda_given:
            if item >= 0:
                self.vote_vetoed.add(item)
            out.append(self._dec(d, "veto_cast", "no_surprises.veto", {"member": member, "scope": "agenda", "agenda": name}, [ref], at))
            return
        if self.votes[h] != 0:
            return
        assert self.vote_req is not None
        if veto:
            self.votes[h] = 2
            out.append(self._dec(d, "veto_cast", "no_surprises.veto", {"member": member, "scope": "timing"}, [ref], at))
            req = self.vote_req
            item_name = self.vote_item[0]
            self._reset_vote()
            out.append(self._dec(d, "talks_denied", "no_surprises.veto", {"vetoed_by": member, "agenda": item_name}, [req, ref], at))
            return
        self.votes[h] = 1
        out.append(self._dec(d, "consent_cast", "no_surprises.consent", {"member": member}, [ref], at))
        if all(v == 1 for v in self.votes):
            self._vote_passes(d, at, "no_surprises.consent", out)

    def _vote_passes(self, d: int, at: int | None, how: str, out: list[Decision]) -> None:
        req = self.vote_req
        assert req is not None
        item, status = self.vote_item
        chain = self.vote_chain
        chain.passed.append("no_surprises")
        vetoed = frozenset(self.vote_vetoed)
        resume = self.vote_resume
        self._reset_vote()
        for pos in range(resume, len(self._blocks)):
            if self._gate(self._blocks[pos], pos, d, at, req, item, status, chain, out) != "pass":
                return
        last = chain.passed[-1]
        self._allow(d, at, [req], chain, item, vetoed, how if last == "no_surprises" else None, out)

    def _reset_vote(self) -> None:
        self.vote_open = False
        self.vote_req = None
        self.vote_opened = NEVER
        self.vote_deadline = NEVER

    # -- timers --------------------------------------------------------------------------

    def _absent_due(self, k: int) -> int:
        t = self.cp.triggers[k]
        lf = self.t_last_fire[k]
        due = max(self.t_last_match[k], self.round_start, lf) + t.window_days
        if lf != NEVER:
            due = max(due, lf + t.cooldown_days)
        return due

    def _advance(self, d: int, out: list[Decision]) -> None:
        cp = self.cp
        while True:
            t = NEVER
            cands: list[int] = []
            if self.round_until != NEVER:
                cands.append(self.round_until)
                cands.extend(self._absent_due(k) for k in self._absent)
            if self.vote_open:
                cands.append(self.vote_deadline)
            if not cands:
                break
            t = max(min(cands), self.cur_day + 1)
            if t > d:
                break
            self.cur_day = t
            if self.round_until != NEVER and self.round_until <= t:
                self._close_round(t, "talks.round_end", "the round ran its course", out)
            if self.vote_open and self.vote_deadline <= t:
                silent = [cp.holder_names[h] for h, v in enumerate(self.votes) if v == 0]
                opened = self.vote_opened
                out.append(self._dec(t, "veto_expired", "no_surprises.deadline", {"silent": silent, "silence": cp.silence, "vote_opened_day": opened}, [], None))
                if cp.silence == "veto" and silent:
                    req = self.vote_req
                    assert req is not None
                    item = self.vote_item[0]
                    self._reset_vote()
                    out.append(self._dec(t, "talks_denied", "no_surprises.silence", {"silent": silent, "agenda": item}, [req], None))
                else:
                    self._vote_passes(t, None, "no_surprises.silence", out)
            for k in self._absent:
                if self.round_until != NEVER and self._absent_due(k) <= t:
                    self._fire(k, t, None, [], out)
        self.cur_day = d

    # -- utilities -------------------------------------------------------------------------

    @staticmethod
    def _dec(day: int, kind: str, rule: str, detail: dict[str, Any], refs: list[Ref], at: int | None) -> Decision:
        refs = _uniq(refs)
        return Decision(day, kind, rule, detail, tuple(o for o, _ in refs), at, tuple(e for _, e in refs))


def _uniq(refs: list[Ref]) -> list[Ref]:
    seen: dict[int, Event] = {}
    for o, e in refs:
        seen.setdefault(o, e)
    return sorted(seen.items(), key=lambda x: x[0])


def replay_events(cp: CompiledPolicy, events: list[Event], *, until: int | None = None) -> list[Decision]:
    """Run a whole list of events through a fresh engine (for tests and small streams)."""
    eng = ReplayEngine(cp)
    out: list[Decision] = []
    for ev in events:
        out.extend(eng.feed(ev))
    if until is not None:
        out.extend(eng.advance_to(until))
    return out
