"""The same rule semantics as :mod:`crisislab.policy.engine`, vectorised over runs.

State is a set of NumPy arrays with a leading run axis. Events arrive in *slots*: one
call to :meth:`VectorEngine.feed` gives at most one event per run (arrays of length
``runs``; ``valid`` marks the runs that have an event in this slot). Runs move in lockstep
through slots but each keeps its own clock, so the days of one slot may differ between
runs. There is no Python loop over runs in the state updates; only decisions, when
``record=True``, are turned into :class:`~crisislab.policy.engine.Decision` objects run by
run.

Events are described by a class id (:class:`ClassTable`), a Goldstein score in tenths,
a reliability (NaN: the policy's default) and a publisher id (0..63; only used by
``min_sources``). Feeding the events of a stream one per slot gives exactly the decisions
of :class:`~crisislab.policy.engine.ReplayEngine`; ``tests/policy/test_vector.py`` checks it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from crisislab.policy.compiled import (
    FORUM_IN,
    FORUM_MISSING,
    NEVER,
    CompiledPolicy,
    EventClass,
    Rule,
)
from crisislab.policy.engine import JUSTIFY, OPS, Decision, condition_report
from crisislab.policy.events import Event
from crisislab.policy.schema import Condition

I64 = NDArray[np.int64]
B = NDArray[np.bool_]
STATUS = {None: 0, "tradable": 1, "red_line": 2, "outside": 3}
STATUS_NAME = {v: k for k, v in STATUS.items()}
INF = np.int64(1 << 62)


class ClassTable:
    """Event classes (static facts about an event) as arrays indexed by class id."""

    def __init__(self, cp: CompiledPolicy) -> None:
        self.cp = cp
        self.keys: list[tuple[str, str, str, str | None, str | None]] = []
        self.classes: list[EventClass] = []
        self._ids: dict[tuple[str, str, str, str | None, str | None], int] = {}
        self._built = -1

    def id_for(self, source: str, target: str, code: str, forum: str | None = None, agenda: str | None = None) -> int:
        """The class id of an event with these static facts (registered on first use)."""
        key = (source, target, code, forum or None, agenda or None)
        i = self._ids.get(key)
        if i is None:
            i = self._ids[key] = len(self.keys)
            self.keys.append(key)
            self.classes.append(self.cp.classify(*key))
        return i

    def arrays(self) -> ClassTable:
        """(Re)build the lookup arrays after new classes were registered."""
        if self._built == len(self.classes):
            return self
        cp, cl = self.cp, self.classes
        n = len(cl)
        self.cond = np.zeros((len(cp.conditions), n), bool)
        self.trig = np.zeros((len(cp.triggers), n), bool)
        for j, ec in enumerate(cl):
            for c in ec.conds:
                self.cond[c, j] = True
            for k in ec.trigs:
                self.trig[k, j] = True
        self.request = np.array([ec.request for ec in cl], bool)
        self.offer = np.array([ec.offer for ec in cl], bool)
        self.veto = np.array([ec.veto for ec in cl], bool)
        self.consent = np.array([ec.consent for ec in cl], bool)
        self.holder = np.array([ec.holder for ec in cl], np.int64)
        self.item = np.array([ec.item for ec in cl], np.int64)
        self.status = np.array([STATUS[ec.item_status] for ec in cl], np.int64)
        self.agenda_given = np.array([ec.agenda_given for ec in cl], bool)
        self.forum = np.array([ec.forum for ec in cl], np.int64)
        self.relevant = np.array([ec.relevant for ec in cl], bool)
        self.item_name: list[str | None] = [ec.item_name for ec in cl]
        self._built = n
        return self


def _accept(rule: Rule, g10: I64, rel: NDArray[np.float64], fs: I64, sess: B) -> B | bool:
    if rule.g_lo is None and rule.g_hi is None and rule.min_rel <= 0 and not rule.in_forum:
        return True  # nothing to check per event
    ok = np.ones(g10.shape, bool)
    if rule.g_lo is not None:
        ok &= g10 >= rule.g_lo
    if rule.g_hi is not None:
        ok &= g10 <= rule.g_hi
    if rule.min_rel > 0:
        ok &= rel >= rule.min_rel
    if rule.in_forum:
        ok &= (fs == FORUM_IN) | ((fs == FORUM_MISSING) & sess)
    return ok


def _holds(cond: Condition, cnt: I64, sm: I64) -> B:
    op = OPS[cond.op]
    if cond.measure == "count":
        return np.asarray(op(cnt, cond.value), bool)
    v10 = int(round(cond.value * 10))
    if cond.measure == "sum_goldstein":
        return np.asarray(op(sm, v10), bool)
    return np.asarray((cnt > 0) & op(sm, v10 * cnt), bool)


class VectorEngine:
    """Apply a compiled policy to ``runs`` event streams at once.

    >>> from crisislab.policy import load_policy, compile_loaded
    >>> eng = VectorEngine(compile_loaded(load_policy("conditionality")), runs=4)
    >>> eng.talks_open.tolist(), eng.level.tolist()
    ([False, False, False, False], [0, 0, 0, 0])
    """

    def __init__(
        self,
        cp: CompiledPolicy,
        runs: int,
        *,
        classes: ClassTable | None = None,
        start_day: int | None = None,
        record: bool = False,
        justify: int = JUSTIFY,
    ) -> None:
        self.cp = cp
        self.R = R = int(runs)
        self.classes = classes if classes is not None else ClassTable(cp)
        self.record = record
        self.J = J = justify
        self.blocks = [b for b in cp.order if cp.policy.block(b) is not None]
        self.bit = {b: 1 << i for i, b in enumerate(self.blocks)}
        full = lambda v: np.full(R, v, np.int64)  # noqa: E731
        self.cur_day = full(NEVER)
        self.start_day = full(NEVER if start_day is None else start_day)
        self.n = full(0)
        self.round_until = full(NEVER)
        self.round_start = full(NEVER)
        self.round_offers = full(0)
        nI = max(len(cp.items), 1)
        self.round_vetoed = np.zeros((R, nI), bool)
        self.suspended_until = full(NEVER)
        self.suspended_by = full(-1)
        self.level = full(0)
        self.vote_open = np.zeros(R, bool)
        self.vote_opened = full(NEVER)
        self.vote_deadline = full(NEVER)
        self.votes = np.zeros((R, max(len(cp.holders), 1)), np.int8)
        self.vote_vetoed = np.zeros((R, nI), bool)
        self.vote_req = full(-1)
        self.vote_cls = full(-1)
        self.vote_passed = full(0)
        self.conds = cp.conditions
        self.cH = [c.window_days + c.sustained_days - 1 for c in self.conds]
        self.bday = [np.full((R, h), NEVER, np.int64) for h in self.cH]
        self.bcnt = [np.zeros((R, h), np.int64) for h in self.cH]
        self.bsum = [np.zeros((R, h), np.int64) for h in self.cH]
        self.bpub = [np.zeros((R, h), np.uint64) for h in self.cH]
        self.rday = [np.full((R, J), NEVER, np.int64) for _ in self.conds]
        self.rord = [np.full((R, J), -1, np.int64) for _ in self.conds]
        self.rptr = [full(0) for _ in self.conds]
        self.last_match = [full(NEVER) for _ in self.conds]
        self.trigs = cp.triggers
        self.tday = [np.full((R, t.count), NEVER, np.int64) for t in self.trigs]
        self.tord = [np.full((R, t.count), -1, np.int64) for t in self.trigs]
        self.tptr = [full(0) for _ in self.trigs]
        self.t_since = [full(0) for _ in self.trigs]
        self.t_last_fire = [full(NEVER) for _ in self.trigs]
        self.t_last_match = [full(NEVER) for _ in self.trigs]
        self.absent = [k for k, t in enumerate(self.trigs) if t.pattern == "absent"]
        self.counts = {k: full(0) for k in ("talks_allowed", "talks_denied", "talks_pending", "veto_requested", "veto_cast", "consent_cast", "veto_expired", "trigger_fired", "mandate_limit", "round_closed", "denied_veto", "denied_preconditions", "rounds")}
        self.log: list[list[Decision]] = [[] for _ in range(R)] if record else []

    # -- public state --------------------------------------------------------------------

    @property
    def talks_open(self) -> B:
        """Which runs have a talks round open now."""
        return self.round_until != NEVER

    def decisions(self, run: int) -> list[Decision]:
        """The decisions of one run so far (needs ``record=True``)."""
        if not self.record:
            raise RuntimeError("decisions are only kept with record=True")
        return self.log[run]

    # -- driving -------------------------------------------------------------------------

    def advance_to(self, day: int | I64) -> None:
        """Run the timers of every run up to the start of ``day`` (scalar or per run)."""
        d = np.broadcast_to(np.asarray(day, np.int64), (self.R,))
        rows = np.nonzero(d > self.cur_day)[0]
        if rows.size:
            self._advance(rows, d[rows])

    def feed_events(self, streams: Sequence[Sequence[Event]]) -> None:
        """Feed whole streams of :class:`Event` (one list per run), one event per slot."""
        cl = self.classes
        S = max((len(s) for s in streams), default=0)
        R = self.R
        if len(streams) != R:
            raise ValueError(f"{len(streams)} streams for {R} runs")
        day = np.zeros((R, S), np.int64)
        cls = np.zeros((R, S), np.int64)
        g10 = np.zeros((R, S), np.int64)
        rel = np.full((R, S), np.nan)
        pub = np.zeros((R, S), np.int64)
        valid = np.zeros((R, S), bool)
        pubs: dict[str, int] = {}
        for r, stream in enumerate(streams):
            for j, ev in enumerate(stream):
                day[r, j] = ev.day
                cls[r, j] = cl.id_for(ev.source, ev.target, ev.code, ev.forum, ev.agenda)
                g10[r, j] = ev.g10
                if ev.reliability is not None:
                    rel[r, j] = ev.reliability
                pub[r, j] = pubs.setdefault(ev.publisher, len(pubs))
                valid[r, j] = True
        if len(pubs) > 64 and any(c.min_sources for c in self.conds):
            raise ValueError("the vectorised engine tells at most 64 publishers apart")
        for j in range(S):
            self.feed(day[:, j], cls[:, j], g10[:, j], rel[:, j], pub[:, j], valid[:, j])

    def feed(
        self,
        day: I64,
        cls: I64,
        g10: I64,
        rel: NDArray[np.float64] | None = None,
        pub: I64 | None = None,
        valid: B | None = None,
    ) -> None:
        """Handle one slot: at most one event per run."""
        cp = self.cp
        tab = self.classes.arrays()
        day = np.asarray(day, np.int64)
        cls = np.asarray(cls, np.int64)
        valid = np.ones(self.R, bool) if valid is None else np.asarray(valid, bool)
        if np.any(valid & (day < self.cur_day)):
            raise ValueError("events fed out of time order")
        adv = np.nonzero(valid & (day > self.cur_day))[0]
        if adv.size:
            self._advance(adv, day[adv])
        vr = np.nonzero(valid)[0]
        ordinal = self.n.copy()
        self.n[vr] += 1
        fresh = vr[self.start_day[vr] == NEVER]
        self.start_day[fresh] = day[fresh]
        rows = vr[tab.relevant[cls[vr]]]
        if rows.size == 0:
            return
        d = day[rows]
        c = cls[rows]
        g = np.asarray(g10, np.int64)[rows]
        rl = np.full(rows.size, cp.default_reliability) if rel is None else np.asarray(rel, np.float64)[rows]
        rl = np.where(np.isnan(rl), cp.default_reliability, rl)
        pb = np.zeros(rows.size, np.int64) if pub is None else np.asarray(pub, np.int64)[rows]
        fs = tab.forum[c]
        sess = self.round_until[rows] != NEVER
        od = ordinal[rows]
        for ci in range(len(self.conds)):
            m = tab.cond[ci, c] & _accept(cp.cond_rule[ci], g, rl, fs, sess)
            if m.any():
                self._bucket_add(ci, rows[m], d[m], g[m], pb[m], od[m])
        hits = []
        for k in range(len(self.trigs)):
            m = tab.trig[k, c] & _accept(cp.trig_rule[k], g, rl, fs, sess)
            hits.append(m)
            if m.any():
                rr = rows[m]
                self.t_last_match[k][rr] = d[m]
                cnt = self.trigs[k].count
                pos = self.tptr[k][rr] % cnt
                self.tday[k][rr, pos] = d[m]
                self.tord[k][rr, pos] = od[m]
                self.tptr[k][rr] += 1
                self.t_since[k][rr] += 1
        request = tab.request[c] & _accept(cp.request_rule, g, rl, fs, sess)
        offer = tab.offer[c] & _accept(cp.offer_rule, g, rl, fs, sess) if cp.mandate_on else np.zeros(rows.size, bool)
        if cp.veto_on:
            veto = tab.veto[c] & _accept(cp.veto_rule, g, rl, fs, sess)
            consent = tab.consent[c] & _accept(cp.consent_rule, g, rl, fs, sess)
        else:
            veto = consent = np.zeros(rows.size, bool)
        alive = request.copy()
        passed = np.zeros(rows.size, np.int64)
        pre: dict[int, tuple[list[dict[str, Any]], list[int]]] = {}
        for block in self.blocks:
            if block == "triggers":
                for k, t in enumerate(self.trigs):
                    if t.pattern != "at_least" or not hits[k].any():
                        continue
                    m = hits[k]
                    rr, dd = rows[m], d[m]
                    oldest = self.tday[k][rr, self.tptr[k][rr] % t.count]
                    lf = self.t_last_fire[k][rr]
                    fire = (self.t_since[k][rr] >= t.count) & (oldest >= dd - t.window_days + 1) & ((lf == NEVER) | (dd >= lf + t.cooldown_days))
                    if fire.any():
                        self._fire(k, rr[fire], dd[fire], od[m][fire])
            elif block == "mandate" and offer.any():
                m = offer
                self._offer(rows[m], d[m], od[m], c[m])
            elif block == "no_surprises":
                m = (veto | consent) & self.vote_open[rows]
                if m.any():
                    self._vote_events(rows[m], d[m], od[m], c[m], veto[m])
            if alive.any():
                a = np.nonzero(alive)[0]
                ok = self._gate(block, rows[a], d[a], od[a], od[a], c[a], passed, a, pre)
                alive[a[~ok]] = False
        if alive.any():
            a = np.nonzero(alive)[0]
            self._allow(rows[a], d[a], od[a], od[a], c[a], passed[a], None, pre, a)

    # -- state updates -------------------------------------------------------------------

    def _bucket_add(self, ci: int, rr: I64, dd: I64, gg: I64, pb: I64, oo: I64) -> None:
        H = self.cH[ci]
        i: Any = dd % H
        if dd.size and dd[0] == dd[-1] and bool((dd == dd[0]).all()):
            i = int(i[0])  # lockstep (a simulation): one column for every run
        stale = self.bday[ci][rr, i] != dd
        if stale.any():
            sr, si = rr[stale], (i if isinstance(i, int) else i[stale])
            self.bday[ci][sr, si] = dd[stale]
            self.bcnt[ci][sr, si] = 0
            self.bsum[ci][sr, si] = 0
            self.bpub[ci][sr, si] = 0
        self.bcnt[ci][rr, i] += 1
        self.bsum[ci][rr, i] += gg
        self.bpub[ci][rr, i] |= np.left_shift(np.uint64(1), pb.astype(np.uint64))
        p = self.rptr[ci][rr] % self.J
        self.rday[ci][rr, p] = dd
        self.rord[ci][rr, p] = oo
        self.rptr[ci][rr] += 1
        self.last_match[ci][rr] = dd

    def _emit(self, kind: str, rr: I64, make: Any) -> None:
        """Count decisions of ``kind`` for runs ``rr``; with ``record``, build them."""
        np.add.at(self.counts[kind], rr, 1)
        if self.record:
            for j, r in enumerate(rr.tolist()):
                self.log[r].append(make(j))

    def _gate(self, block: str, rr: I64, d: I64, at: I64 | None, req: I64, rc: I64, passed: I64, idx: I64, pre: dict[int, Any]) -> B:
        """Apply one gate to requests of runs ``rr``; return which pass. ``passed``/``pre`` are indexed by ``idx``."""
        cp, tab = self.cp, self.classes
        n = rr.size
        ok = np.ones(n, bool)
        in_round = self.round_until[rr] != NEVER
        names = [tab.item_name[x] for x in rc.tolist()] if self.record else []
        atl = at.tolist() if at is not None else [None] * n
        if block == "triggers":
            deny = d < self.suspended_until[rr]
            if deny.any():
                w = np.nonzero(deny)[0]
                su, sb = self.suspended_until[rr], self.suspended_by[rr]
                self._emit("talks_denied", rr[w], lambda j: Decision(int(d[w[j]]), "talks_denied", "triggers.suspension", {"suspended_by": self.trigs[int(sb[w[j]])].name, "suspended_until_day": int(su[w[j]]), "agenda": names[w[j]]}, (int(req[w[j]]),), atl[w[j]]))
                ok &= ~deny
            passed[idx[ok]] |= self.bit["triggers"]
            return ok
        if block == "preconditions":
            ev = np.nonzero(~in_round)[0]
            if ev.size == 0:
                return ok
            good, reports, refs = self._preconditions(rr[ev], d[ev])
            bad = np.nonzero(~good)[0]
            if bad.size:
                np.add.at(self.counts["denied_preconditions"], rr[ev[bad]], 1)

                def mk(j: int) -> Decision:
                    e = ev[bad[j]]
                    rep = reports[bad[j]]
                    first = next(x for x in rep if x["status"] != "ok")
                    return Decision(int(d[e]), "talks_denied", f"preconditions.{first['condition']}", {"combine": cp.combine, "conditions": rep, "agenda": names[e]}, tuple(sorted({int(req[e]), *refs[bad[j]]})), atl[e])

                self._emit("talks_denied", rr[ev[bad]], mk)
            ok[ev[bad]] = False
            gi = np.nonzero(good)[0]
            passed[idx[ev[gi]]] |= self.bit["preconditions"]
            if self.record:
                for j in gi.tolist():
                    pre[int(idx[ev[j]])] = (reports[j], refs[j])
            return ok
        if block == "mandate":
            st = tab.status[rc]
            deny = (st == STATUS["red_line"]) | (st == STATUS["outside"])
            if deny.any():
                w = np.nonzero(deny)[0]
                self._emit("talks_denied", rr[w], lambda j: Decision(int(d[w[j]]), "talks_denied", f"mandate.{STATUS_NAME[int(st[w[j]])]}", {"agenda": names[w[j]], "status": STATUS_NAME[int(st[w[j]])]}, (int(req[w[j]]),), atl[w[j]]))
                ok &= ~deny
            passed[idx[ok]] |= self.bit["mandate"]
            return ok
        # no_surprises
        wait = ~in_round
        vo = self.vote_open[rr]
        pend = np.nonzero(wait & vo)[0]
        if pend.size:
            pr = rr[pend]
            self._emit("talks_pending", pr, lambda j: self._with_pre(Decision(int(d[pend[j]]), "talks_pending", "no_surprises.vote_open", {"vote_opened_day": int(self.vote_opened[pr[j]]), "deadline_day": int(self.vote_deadline[pr[j]]), "agenda": names[pend[j]]}, tuple(sorted({int(req[pend[j]]), int(self.vote_req[pr[j]])})), atl[pend[j]]), pre.get(int(idx[pend[j]]))))
        op = np.nonzero(wait & ~vo)[0]
        if op.size:
            orr = rr[op]
            self.vote_open[orr] = True
            self.vote_opened[orr] = d[op]
            self.vote_deadline[orr] = d[op] + cp.vote_days
            self.votes[orr] = 0
            self.vote_vetoed[orr] = False
            self.vote_req[orr] = req[op]
            self.vote_cls[orr] = rc[op]
            self.vote_passed[orr] = passed[idx[op]]
            self._emit("veto_requested", orr, lambda j: self._with_pre(Decision(int(d[op[j]]), "veto_requested", "no_surprises", {"holders": list(cp.holder_names), "deadline_day": int(d[op[j]]) + cp.vote_days, "silence": cp.silence, "agenda": names[op[j]]}, (int(req[op[j]]),), atl[op[j]]), pre.get(int(idx[op[j]]))))
        ok &= ~wait
        return ok

    @staticmethod
    def _with_pre(dec: Decision, pre: tuple[list[dict[str, Any]], list[int]] | None) -> Decision:
        if pre is not None:
            dec.detail["conditions"] = pre[0]
            dec.events = tuple(sorted({*dec.events, *pre[1]}))
        return dec

    def _preconditions(self, rr: I64, d: I64) -> tuple[B, list[list[dict[str, Any]]], list[list[int]]]:
        cp = self.cp
        n = rr.size
        oks = np.zeros((len(self.conds), n), bool)
        nums: list[tuple[I64, ...]] = []
        # in a simulation every run is on the same day: gather whole columns, not cells
        same = n > 0 and bool((d == d[0]).all())
        every_run = n == self.R
        zero = np.zeros(n, np.int64)
        # without reports, rows already decided (failed an "all", passed an "any") are skipped
        open_rows = np.ones(n, bool)
        for ci, cond in enumerate(self.conds):
            W, S, H = cond.window_days, cond.sustained_days, self.cH[ci]
            observed = d - self.start_day[rr] + 1
            hist = observed >= H
            if not hist.any():
                st = np.ones(n, np.int64)
                oks[ci] = False
                nums.append((st, observed, zero, zero, zero, zero))
                if cp.combine == "all":
                    open_rows[:] = False
                continue
            if not self.record:
                # a run with no matching event in the span has zero counts in every window
                empty = self.last_match[ci][rr] < d - H + 1
                # their status: ok when zero passes (and no sources are required), else threshold or sources
                zero_holds = bool(_holds(cond, np.zeros(1, np.int64), np.zeros(1, np.int64))[0])
                empty_st = 2 if not zero_holds else (3 if cond.min_sources > 0 else 0)
                heavy = open_rows & hist & ~empty
                st = np.where(~hist, 1, np.where(empty, empty_st, 0))
                if heavy.any():
                    hr = np.nonzero(heavy)[0]
                    st[hr] = self._cond_status(ci, cond, rr[hr], d[hr], same, hr.size == self.R, observed[hr])
                oks[ci] = st == 0
                open_rows &= ~oks[ci] if cp.combine == "any" else oks[ci]
                continue
            here, take, P, Qs, wc, ws = self._windows(ci, cond, rr, d, same, every_run)
            Q = np.zeros((n, H + 1), np.int64) if Qs is None else Qs
            holds = _holds(cond, wc, ws)
            fail = ~holds.all(axis=1)
            if cond.min_sources > 0 or self.record:
                pb = np.where(here[:, H - W:], take(self.bpub[ci])[:, H - W:], np.uint64(0))
                nsrc = np.bitwise_count(np.bitwise_or.reduce(pb, axis=1)).astype(np.int64)
            else:
                nsrc = zero
            st = np.where(~hist, 1, np.where(fail, 2, np.where((cond.min_sources > 0) & (nsrc < cond.min_sources), 3, 0)))
            oks[ci] = st == 0
            if self.record:
                jf = np.argmax(~holds, axis=1)
                ar = np.arange(n)
                last_c = np.where(fail, P[ar, W + jf] - P[ar, jf], P[:, H] - P[:, H - W])
                last_s = np.where(fail, Q[ar, W + jf] - Q[ar, jf], Q[:, H] - Q[:, H - W])
                nums.append((st, observed, d - S + 1 + jf, last_c, last_s, nsrc))
        good: B = np.asarray(oks.all(axis=0) if cp.combine == "all" else oks.any(axis=0), bool)
        reports: list[list[dict[str, Any]]] = []
        refs: list[list[int]] = []
        if not self.record:
            return good, reports, refs
        names = ["ok", "history", "threshold", "sources"]
        for j in range(n):
            rep = []
            rf: set[int] = set()
            for ci, cond in enumerate(self.conds):
                st_j, observed_j, fday, lc, ls, ns = (int(x[j]) for x in nums[ci])
                name = names[st_j]
                rep.append(condition_report(cond, name, observed_j, fday if name == "threshold" else None, lc, ls, ns))
                if bool(oks[ci, j]) == bool(good[j]):
                    lo = int(d[j]) - self.cH[ci] + 1
                    r = int(rr[j])
                    sel = (self.rday[ci][r] >= lo) & (self.rord[ci][r] >= 0)
                    rf.update(self.rord[ci][r][sel].tolist())
            reports.append(rep)
            refs.append(sorted(rf))
        return good, reports, refs

    def _windows(
        self, ci: int, cond: Condition, rr: I64, d: I64, same: bool, every_run: bool
    ) -> tuple[B, Callable[[np.ndarray], np.ndarray], I64, I64 | None, I64, I64]:
        """The windows of condition ``ci`` for runs ``rr`` on days ``d``: which of the last H
        days hold a bucket (``here``), the gather of those days from a bucket array
        (``take``), prefix sums of counts ``P`` and of Goldstein sums ``Q`` (``None`` when
        the condition counts), and the count ``wc`` and sum ``ws`` of the window ending on
        each of the S sustained days."""
        W, S, H = cond.window_days, cond.sustained_days, self.cH[ci]
        n = rr.size
        if same:  # in a simulation every run is on the same day: gather whole columns
            days2 = (int(d[0]) - H + 1 + np.arange(H))[None, :]
            ix: I64 = days2[0] % H
        else:
            days2 = d[:, None] - H + 1 + np.arange(H)[None, :]
            ix = days2 % H

        def take(a: np.ndarray) -> np.ndarray:
            if not same:
                return a[rr[:, None], ix]
            return a[:, ix] if every_run else a[rr][:, ix]

        here = take(self.bday[ci]) == days2
        P = np.zeros((n, H + 1), np.int64)
        np.cumsum(np.where(here, take(self.bcnt[ci]), 0), axis=1, out=P[:, 1:])
        wc = P[:, W:W + S] - P[:, 0:S]
        Q = None
        if cond.measure != "count":
            Q = np.zeros((n, H + 1), np.int64)
            np.cumsum(np.where(here, take(self.bsum[ci]), 0), axis=1, out=Q[:, 1:])
            ws = Q[:, W:W + S] - Q[:, 0:S]
        else:
            ws = np.zeros_like(wc)
        return here, take, P, Q, wc, ws

    def _cond_status(self, ci: int, cond: Condition, rr: I64, d: I64, same: bool, every_run: bool, observed: I64) -> I64:
        """Status (0 ok, 2 threshold, 3 sources) of one condition for runs with history."""
        W, H = cond.window_days, self.cH[ci]
        here, take, _, _, wc, ws = self._windows(ci, cond, rr, d, same, every_run)
        fail = ~_holds(cond, wc, ws).all(axis=1)
        st = np.where(fail, 2, 0)
        if cond.min_sources > 0:
            pb = np.where(here[:, H - W:], take(self.bpub[ci])[:, H - W:], np.uint64(0))
            nsrc = np.bitwise_count(np.bitwise_or.reduce(pb, axis=1)).astype(np.int64)
            st = np.where(~fail & (nsrc < cond.min_sources), 3, st)
        return np.asarray(st, np.int64)

    def _allow(self, rr: I64, d: I64, at: I64 | None, req: I64, rc: I64, passed: I64, how: str | None, pre: dict[int, Any], idx: I64 | None, vetoed: B | None = None) -> None:
        cp, tab = self.cp, self.classes
        n = rr.size
        in_s = self.round_until[rr] != NEVER
        atl = at.tolist() if at is not None else [None] * n
        names = [tab.item_name[x] for x in rc.tolist()] if self.record else []

        def plist(mask: int) -> list[str]:
            return [b for b in self.blocks if mask & self.bit[b]]

        def base(j: int) -> tuple[dict[str, Any], tuple[int, ...]]:
            detail: dict[str, Any] = {"agenda": names[j], "passed": plist(int(passed[j]))}
            evs = {int(req[j])}
            p = pre.get(int(idx[j])) if idx is not None else None
            if p is not None:
                detail["conditions"] = p[0]
                evs.update(p[1])
            return detail, tuple(sorted(evs))

        s = np.nonzero(in_s)[0]
        if s.size:
            def mk_s(j: int) -> Decision:
                detail, evs = base(s[j])
                detail["round_until_day"] = int(self.round_until[rr[s[j]]])
                return Decision(int(d[s[j]]), "talks_allowed", "talks.round", detail, evs, atl[s[j]])

            self._emit("talks_allowed", rr[s], mk_s)
        o = np.nonzero(~in_s)[0]
        if o.size:
            orr = rr[o]
            self.round_start[orr] = d[o]
            self.round_until[orr] = d[o] + cp.round_days
            self.round_offers[orr] = 0
            self.round_vetoed[orr] = vetoed[o] if vetoed is not None else False
            np.add.at(self.counts["rounds"], orr, 1)

            def mk_o(j: int) -> Decision:
                detail, evs = base(o[j])
                detail["round_until_day"] = int(d[o[j]]) + cp.round_days
                vet = self.round_vetoed[orr[j]]
                if vet.any():
                    detail["vetoed_items"] = sorted(cp.items[i].name for i in np.nonzero(vet)[0].tolist())
                pl = detail["passed"]
                rule = how if (how is not None and pl and pl[-1] == "no_surprises") else (pl[-1] if pl else "talks.no_gates")
                return Decision(int(d[o[j]]), "talks_allowed", rule, detail, evs, atl[o[j]])

            self._emit("talks_allowed", orr, mk_o)

    def _close_round(self, rr: I64, t: I64, rule: str | list[str], reason: str) -> None:
        so = self.round_start[rr].copy()
        of = self.round_offers[rr].copy()
        rules = rule if isinstance(rule, list) else [rule] * rr.size
        self._emit("round_closed", rr, lambda j: Decision(int(t[j]), "round_closed", rules[j], {"reason": reason, "opened_day": int(so[j]), "offers": int(of[j])}, (), None))
        self.round_until[rr] = NEVER
        self.round_start[rr] = NEVER
        self.round_offers[rr] = 0
        self.round_vetoed[rr] = False

    def _fire(self, k: int, rr: I64, t: I64, at: I64 | None) -> None:
        cp = self.cp
        trig = self.trigs[k]
        top = len(cp.ladder)
        before = self.level[rr].copy()
        self.level[rr] = np.minimum(before + trig.step, top)
        lvl = self.level[rr].copy()
        self.t_last_fire[k][rr] = t
        self.t_since[k][rr] = 0
        lm = self.t_last_match[k][rr].copy()
        atl = at.tolist() if at is not None else [None] * rr.size

        def mk(j: int) -> Decision:
            detail: dict[str, Any] = {"trigger": trig.name, "pattern": trig.pattern, "tranche": cp.ladder[int(lvl[j]) - 1], "level": int(lvl[j]), "level_before": int(before[j]), "at_top": int(before[j]) == top}
            evs: tuple[int, ...] = ()
            if trig.pattern == "absent":
                detail["last_match_day"] = None if lm[j] == NEVER else int(lm[j])
            else:
                o = self.tord[k][rr[j]]
                evs = tuple(sorted(int(x) for x in o if x >= 0))
            return Decision(int(t[j]), "trigger_fired", f"triggers.{trig.name}", detail, evs, atl[j])

        self._emit("trigger_fired", rr, mk)
        if trig.suspend_talks_days > 0:
            until = t + trig.suspend_talks_days
            up = until > self.suspended_until[rr]
            self.suspended_until[rr[up]] = until[up]
            self.suspended_by[rr[up]] = k
            op = self.round_until[rr] != NEVER
            if op.any():
                self._close_round(rr[op], t[op], f"triggers.{trig.name}", "suspended by a trigger")

    def _offer(self, rr: I64, d: I64, at: I64, rc: I64) -> None:
        cp, tab = self.cp, self.classes
        st = tab.status[rc]
        item = tab.item[rc]
        reason = np.full(rr.size, -1, np.int64)  # -1 ok
        reason = np.where(st == STATUS["red_line"], 0, reason)
        reason = np.where((reason < 0) & (st == STATUS["outside"]), 1, reason)
        reason = np.where((reason < 0) & (self.round_until[rr] == NEVER), 2, reason)
        vet = np.zeros(rr.size, bool)
        has = item >= 0
        vet[has] = self.round_vetoed[rr[has], item[has]]
        reason = np.where((reason < 0) & vet, 3, reason)
        if cp.max_offers is not None:
            reason = np.where((reason < 0) & (self.round_offers[rr] >= cp.max_offers), 4, reason)
        okm = reason < 0
        self.round_offers[rr[okm]] += 1
        w = np.nonzero(~okm)[0]
        if w.size:
            names = ["red_line", "outside", "no_round", "vetoed_item", "offer_limit"]

            def mk(j: int) -> Decision:
                i = w[j]
                detail: dict[str, Any] = {"agenda": tab.item_name[int(rc[i])], "status": STATUS_NAME[int(st[i])]}
                if int(reason[i]) == 4:
                    detail["max_offers"] = cp.max_offers
                return Decision(int(d[i]), "mandate_limit", f"mandate.{names[int(reason[i])]}", detail, (int(at[i]),), int(at[i]))

            self._emit("mandate_limit", rr[w], mk)

    def _vote_events(self, rr: I64, d: I64, at: I64, rc: I64, veto: B) -> None:
        cp, tab = self.cp, self.classes
        h = tab.holder[rc]
        member = [cp.holder_names[x] for x in h.tolist()]
        ag = veto & tab.agenda_given[rc]
        if ag.any():
            w = np.nonzero(ag)[0]
            it = tab.item[rc[w]]
            li = it >= 0
            self.vote_vetoed[rr[w][li], it[li]] = True
            self._emit("veto_cast", rr[w], lambda j: Decision(int(d[w[j]]), "veto_cast", "no_surprises.veto", {"member": member[w[j]], "scope": "agenda", "agenda": tab.item_name[int(rc[w[j]])]}, (int(at[w[j]]),), int(at[w[j]])))
        fresh = ~ag & (self.votes[rr, h] == 0)
        tv = np.nonzero(fresh & veto)[0]
        if tv.size:
            tr = rr[tv]
            self.votes[tr, h[tv]] = 2
            self._emit("veto_cast", tr, lambda j: Decision(int(d[tv[j]]), "veto_cast", "no_surprises.veto", {"member": member[tv[j]], "scope": "timing"}, (int(at[tv[j]]),), int(at[tv[j]])))
            vreq = self.vote_req[tr].copy()
            vcls = self.vote_cls[tr].copy()
            self._reset_vote(tr)
            np.add.at(self.counts["denied_veto"], tr, 1)
            self._emit("talks_denied", tr, lambda j: Decision(int(d[tv[j]]), "talks_denied", "no_surprises.veto", {"vetoed_by": member[tv[j]], "agenda": tab.item_name[int(vcls[j])]}, tuple(sorted({int(vreq[j]), int(at[tv[j]])})), int(at[tv[j]])))
        cs = np.nonzero(fresh & ~veto)[0]
        if cs.size:
            cr = rr[cs]
            self.votes[cr, h[cs]] = 1
            self._emit("consent_cast", cr, lambda j: Decision(int(d[cs[j]]), "consent_cast", "no_surprises.consent", {"member": member[cs[j]]}, (int(at[cs[j]]),), int(at[cs[j]])))
            nh = len(cp.holders)
            done = np.all(self.votes[cr, :nh] == 1, axis=1)
            if done.any():
                self._vote_passes(cr[done], d[cs][done], at[cs][done], "no_surprises.consent")

    def _vote_passes(self, rr: I64, d: I64, at: I64 | None, how: str) -> None:
        req = self.vote_req[rr].copy()
        rc = self.vote_cls[rr].copy()
        passed = self.vote_passed[rr] | self.bit["no_surprises"]
        vetoed = self.vote_vetoed[rr].copy()
        self._reset_vote(rr)
        alive = np.ones(rr.size, bool)
        pre: dict[int, Any] = {}
        start = self.blocks.index("no_surprises") + 1
        for block in self.blocks[start:]:
            if not alive.any():
                break
            a = np.nonzero(alive)[0]
            ok = self._gate(block, rr[a], d[a], None if at is None else at[a], req[a], rc[a], passed, a, pre)
            alive[a[~ok]] = False
        if alive.any():
            a = np.nonzero(alive)[0]
            self._allow(rr[a], d[a], None if at is None else at[a], req[a], rc[a], passed[a], how, pre, a, vetoed[a])

    def _reset_vote(self, rr: I64) -> None:
        self.vote_open[rr] = False
        self.vote_req[rr] = -1
        self.vote_opened[rr] = NEVER
        self.vote_deadline[rr] = NEVER

    # -- timers --------------------------------------------------------------------------

    def _absent_due(self, k: int, rr: I64) -> I64:
        t = self.trigs[k]
        lf = self.t_last_fire[k][rr]
        due = np.maximum(np.maximum(self.t_last_match[k][rr], self.round_start[rr]), lf) + t.window_days
        return np.where(lf != NEVER, np.maximum(due, lf + t.cooldown_days), due)

    def _advance(self, rows: I64, target: I64) -> None:
        rr, tg = rows, target
        while rr.size:
            sess = self.round_until[rr] != NEVER
            cand = np.where(sess, self.round_until[rr], INF)
            for k in self.absent:
                cand = np.minimum(cand, np.where(sess, self._absent_due(k, rr), INF))
            cand = np.minimum(cand, np.where(self.vote_open[rr], self.vote_deadline[rr], INF))
            t = np.maximum(cand, self.cur_day[rr] + 1)
            go = (cand < INF) & (t <= tg)
            rr, tg, t = rr[go], tg[go], t[go]
            if rr.size == 0:
                break
            self.cur_day[rr] = t
            m = (self.round_until[rr] != NEVER) & (self.round_until[rr] <= t)
            if m.any():
                self._close_round(rr[m], t[m], "talks.round_end", "the round ran its course")
            m = self.vote_open[rr] & (self.vote_deadline[rr] <= t)
            if m.any():
                self._expire_votes(rr[m], t[m])
            for k in self.absent:
                sess = self.round_until[rr] != NEVER
                due = self._absent_due(k, rr)
                m = sess & (due <= t)
                if m.any():
                    self._fire(k, rr[m], t[m], None)
        self.cur_day[rows] = target

    def _expire_votes(self, vr: I64, vt: I64) -> None:
        cp = self.cp
        nh = len(cp.holders)
        silent_mask = self.votes[vr, :nh] == 0
        silent = [[cp.holder_names[h] for h in np.nonzero(row)[0].tolist()] for row in silent_mask] if self.record else []
        opened = self.vote_opened[vr].copy()
        self._emit("veto_expired", vr, lambda j: Decision(int(vt[j]), "veto_expired", "no_surprises.deadline", {"silent": silent[j], "silence": cp.silence, "vote_opened_day": int(opened[j])}, (), None))
        if cp.silence == "veto":
            anys = silent_mask.any(axis=1)
            dn = np.nonzero(anys)[0]
            if dn.size:
                dr = vr[dn]
                vreq = self.vote_req[dr].copy()
                vcls = self.vote_cls[dr].copy()
                self._reset_vote(dr)
                np.add.at(self.counts["denied_veto"], dr, 1)
                self._emit("talks_denied", dr, lambda j: Decision(int(vt[dn[j]]), "talks_denied", "no_surprises.silence", {"silent": silent[dn[j]], "agenda": self.classes.item_name[int(vcls[j])]}, (int(vreq[j]),), None))
            ps = np.nonzero(~anys)[0]
        else:
            ps = np.arange(vr.size)
        if ps.size:
            self._vote_passes(vr[ps], vt[ps], None, "no_surprises.silence")

    # -- summaries -----------------------------------------------------------------------

    def summary(self) -> dict[str, I64]:
        """Per-run counters and state (arrays of length ``runs``)."""
        out = {f"n_{k}": v.copy() for k, v in self.counts.items()}
        out["level"] = self.level.copy()
        out["talks_open"] = self.talks_open.astype(np.int64)
        return out
