"""A policy compiled for fast evaluation, shared by the replay and the vectorised engine.

Every event is reduced to a *class*: the static facts about it that the rules look at
(which conditions, triggers, requests, offers and votes its actors, code, forum and agenda
item make it eligible for). The per-event numbers (Goldstein score, reliability) and the
state (is a talks round open) are checked separately, by :meth:`Rule.accepts` in the
replay engine and by the same comparisons on arrays in the vectorised engine.

Both engines classify with :meth:`CompiledPolicy.classify`, so the two cannot disagree
about which event a rule looks at.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crisislab.policy.cameo import CameoTable, tenths
from crisislab.policy.schema import Policy, Selector

#: A day long before any real or simulated event ("never").
NEVER = -(1 << 60)

FORUM_MISSING, FORUM_IN, FORUM_OTHER = 0, 1, 2


@dataclass(frozen=True)
class Rule:
    """The dynamic part of a selector: Goldstein range, reliability and forum."""

    g_lo: int | None  # tenths
    g_hi: int | None
    min_rel: float
    in_forum: bool

    def accepts(self, g10: int, rel: float, forum_status: int, round_open: bool) -> bool:
        """True if an event with these numbers passes (its static part already matched)."""
        if self.g_lo is not None and g10 < self.g_lo:
            return False
        if self.g_hi is not None and g10 > self.g_hi:
            return False
        if rel < self.min_rel:
            return False
        if self.in_forum:
            if forum_status == FORUM_IN:
                return True
            return forum_status == FORUM_MISSING and round_open
        return True


@dataclass(frozen=True)
class _Static:
    sources: frozenset[str] | None
    targets: frozenset[str] | None
    codes: tuple[str, ...] | None

    def matches(self, source: str, target: str, code: str) -> bool:
        if self.sources is not None and source not in self.sources:
            return False
        if self.targets is not None and target not in self.targets:
            return False
        if self.codes is not None and not code.startswith(self.codes):
            return False
        return True


@dataclass(frozen=True)
class EventClass:
    """What the rules can tell about an event from its actors, code, forum and agenda."""

    conds: tuple[int, ...] = ()
    trigs: tuple[int, ...] = ()
    request: bool = False
    offer: bool = False
    holder: int = -1
    veto: bool = False
    consent: bool = False
    item: int = -1  # index of the agenda item (listed items only), -1 none
    item_name: str | None = None
    item_status: str | None = None  # tradable | red_line | outside (unlisted names are outside)
    agenda_given: bool = False  # the event names an agenda item itself
    forum: int = FORUM_MISSING

    @property
    def relevant(self) -> bool:
        return bool(self.conds or self.trigs or self.request or self.offer or self.holder >= 0)


IRRELEVANT = EventClass()


@dataclass
class CompiledPolicy:
    """A validated :class:`Policy` turned into lookup structures."""

    policy: Policy
    table: CameoTable
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        p = self.policy
        self.groups = {k.casefold(): [a.casefold() for a in v] for k, v in p.actors.items()}
        self.order = list(p.order)
        self.forums = frozenset(f.casefold() for f in p.talks.forums)
        self.default_reliability = p.events.default_reliability
        self.round_days = p.talks.round_days
        self.request_static, self.request_rule = self._compile(p.talks.requests, "talks.requests")

        pre = p.block("preconditions")
        self.conditions = list(pre.conditions) if pre is not None else []  # type: ignore[union-attr]
        self.combine = pre.combine if pre is not None else "all"  # type: ignore[union-attr]
        self.cond_static: list[_Static] = []
        self.cond_rule: list[Rule] = []
        for i, c in enumerate(self.conditions):
            s, r = self._compile(c.select, f"preconditions.conditions[{i}].select")
            self.cond_static.append(s)
            self.cond_rule.append(r)

        trg = p.block("triggers")
        self.triggers = list(trg.rules) if trg is not None else []  # type: ignore[union-attr]
        self.ladder = [t.name for t in trg.ladder] if trg is not None else []  # type: ignore[union-attr]
        self.trig_static: list[_Static] = []
        self.trig_rule: list[Rule] = []
        for i, t in enumerate(self.triggers):
            s, r = self._compile(t.select, f"triggers.rules[{i}].select")
            self.trig_static.append(s)
            self.trig_rule.append(r)

        man = p.block("mandate")
        self.mandate_on = man is not None
        self.items = list(man.items) if man is not None else []  # type: ignore[union-attr]
        self.item_index = {it.name.casefold(): i for i, it in enumerate(self.items)}
        self.item_codes: list[tuple[str, int]] = sorted(
            ((code, i) for i, it in enumerate(self.items) for code in it.codes), key=lambda x: -len(x[0])
        )
        self.max_offers = man.max_offers_per_round if man is not None else None  # type: ignore[union-attr]
        if man is not None:
            self.offer_static, self.offer_rule = self._compile(man.offers, "mandate.offers")  # type: ignore[union-attr]
            for i, it in enumerate(self.items):
                for j, code in enumerate(it.codes):
                    self._check_code(code, f"mandate.items[{i}].codes[{j}]")

        ns = p.block("no_surprises")
        self.veto_on = ns is not None
        self.holders: list[str] = []
        self.holder_names: list[str] = []
        if ns is not None:
            for name in ns.holders:  # type: ignore[union-attr]
                for actor, shown in self._expand_shown(name, "no_surprises.holders"):
                    if actor not in self.holders:
                        self.holders.append(actor)
                        self.holder_names.append(shown)
            self.vote_days = ns.vote_days  # type: ignore[union-attr]
            self.silence = ns.silence  # type: ignore[union-attr]
            self.veto_static, self.veto_rule = self._compile(ns.veto_events, "no_surprises.veto_events")  # type: ignore[union-attr]
            self.consent_static, self.consent_rule = self._compile(ns.consent_events, "no_surprises.consent_events")  # type: ignore[union-attr]
        self.holder_index = {a: i for i, a in enumerate(self.holders)}
        self._cache: dict[tuple[str, str, str, str | None, str | None], EventClass] = {}

    # -- compilation steps -------------------------------------------------------------

    def _expand_shown(self, name: str, where: str) -> list[tuple[str, str]]:
        key = name.casefold()
        if key in self.groups:
            originals = self.policy.actors[next(k for k in self.policy.actors if k.casefold() == key)]
            return [(a.casefold(), a) for a in originals]
        if self.groups:
            self.warnings.append(f"{where}: {name!r} is not an actor group, so it is read as the name of one actor")
        return [(key, name)]

    def _expand(self, names: list[str], where: str) -> frozenset[str] | None:
        if not names:
            return None
        out: set[str] = set()
        for n in names:
            out.update(a for a, _ in self._expand_shown(n, where))
        return frozenset(out)

    def _check_code(self, code: str, where: str) -> None:
        from crisislab.errors import InputError, Problem

        if not self.table.is_known(code):
            raise InputError(
                self.policy.name,
                [Problem(where, f"CAMEO code {code!r}", f"a code in the CAMEO table ({self.table.source})")],
            )

    def _compile(self, sel: Selector, where: str) -> tuple[_Static, Rule]:
        for j, code in enumerate(sel.codes):
            self._check_code(code, f"{where}.codes[{j}]")
        static = _Static(self._expand(sel.source, f"{where}.source"), self._expand(sel.target, f"{where}.target"), tuple(sel.codes) or None)
        rule = Rule(
            None if sel.goldstein_min is None else tenths(sel.goldstein_min),
            None if sel.goldstein_max is None else tenths(sel.goldstein_max),
            sel.min_reliability,
            sel.in_forum,
        )
        return static, rule

    # -- classification ------------------------------------------------------------------

    def item_for(self, code: str, agenda: str | None) -> tuple[int, str | None, str | None]:
        """The agenda item an event speaks to: its agenda field, else the item of its code."""
        if agenda:
            i = self.item_index.get(agenda.casefold(), -1)
            if i >= 0:
                return i, self.items[i].name, self.items[i].status
            return -1, agenda, "outside"
        for prefix, i in self.item_codes:
            if code.startswith(prefix):
                return i, self.items[i].name, self.items[i].status
        return -1, None, None

    def classify(self, source: str, target: str, code: str, forum: str | None, agenda: str | None) -> EventClass:
        """The static class of an event (cached)."""
        key = (source, target, code, forum, agenda)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        src, tgt = source.casefold(), target.casefold()
        conds = tuple(i for i, s in enumerate(self.cond_static) if s.matches(src, tgt, code))
        trigs = tuple(i for i, s in enumerate(self.trig_static) if s.matches(src, tgt, code))
        request = self.request_static.matches(src, tgt, code)
        offer = False
        item, item_name, item_status = -1, None, None
        if self.mandate_on:
            item, item_name, item_status = self.item_for(code, agenda)
            offer = item_name is not None and self.offer_static.matches(src, tgt, code)
        elif agenda:
            item_name, item_status = agenda, None
        holder, veto, consent = -1, False, False
        if self.veto_on and src in self.holder_index:
            veto = self.veto_static.matches(src, tgt, code)
            consent = (not veto) and self.consent_static.matches(src, tgt, code)
            if veto or consent:
                holder = self.holder_index[src]
        if forum is None or forum == "":
            fs = FORUM_MISSING
        else:
            fs = FORUM_IN if forum.casefold() in self.forums else FORUM_OTHER
        if not (request or offer or veto or consent):
            # keep the agenda item only where a rule reads it
            item, item_name, item_status = -1, None, None
        ec = EventClass(conds, trigs, request, offer, holder, veto, consent, item, item_name, item_status, bool(agenda), fs)
        if not ec.relevant:
            ec = IRRELEVANT
        if len(self._cache) > 200_000:
            self._cache.clear()
        self._cache[key] = ec
        return ec


def compile_policy(policy: Policy, table: CameoTable) -> CompiledPolicy:
    """Compile a validated policy against a CAMEO table (unknown codes raise InputError)."""
    return CompiledPolicy(policy, table)
