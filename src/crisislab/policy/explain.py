"""Plain-words explanations: of a policy (``policy check``) and of a decision (``policy explain``)."""

from __future__ import annotations

from typing import Any

from crisislab.policy.cameo import CameoTable, roots_table
from crisislab.policy.compiled import CompiledPolicy
from crisislab.policy.ledger import Ledger, verify
from crisislab.policy.load import policy_from_dict
from crisislab.policy.schema import Condition, Selector, Trigger

OP_WORDS = {">=": "at least", ">": "more than", "<=": "at most", "<": "fewer than", "==": "exactly"}
MEASURE_WORDS = {
    "count": "the number of",
    "sum_goldstein": "the summed Goldstein score of",
    "mean_goldstein": "the mean Goldstein score of",
}


def _actors(cp: CompiledPolicy, names: list[str]) -> str:
    if not names:
        return "anyone"
    parts = []
    for n in names:
        group = next((k for k in cp.policy.actors if k.casefold() == n.casefold()), None)
        if group is None:
            parts.append(repr(n))
            continue
        members = cp.policy.actors[group]
        shown = ", ".join(members) if len(members) <= 5 else f"{len(members)} actors"
        parts.append(f"{group} ({shown})")
    return " or ".join(parts)


def _codes(table: CameoTable, codes: list[str]) -> str:
    if not codes:
        return "any CAMEO code"
    out = []
    for c in codes:
        name = table.name(c)
        name = name.capitalize() if name.isupper() else name
        out.append(f"{c}* {name}" if len(c) == 2 else f"{c} {name}")
    return "CAMEO " + "; ".join(out)


def selector_text(cp: CompiledPolicy, sel: Selector) -> str:
    """A selector in words."""
    text = f"events by {_actors(cp, sel.source)} towards {_actors(cp, sel.target)} with {_codes(cp.table, sel.codes)}"
    if sel.goldstein_min is not None:
        text += f", Goldstein score at least {sel.goldstein_min:g}"
    if sel.goldstein_max is not None:
        text += f", Goldstein score at most {sel.goldstein_max:g}"
    if sel.min_reliability > 0:
        text += f", reported with reliability at least {sel.min_reliability:g}"
    if sel.in_forum:
        text += f", in the talks forum ({', '.join(cp.policy.talks.forums)}, or during an open round when the event names no forum)"
    return text


def condition_text(cp: CompiledPolicy, c: Condition) -> str:
    H = c.window_days + c.sustained_days - 1
    text = (
        f"{MEASURE_WORDS[c.measure]} {selector_text(cp, c.select)} in every {c.window_days}-day window ending on each of the "
        f"last {c.sustained_days} day(s) must be {OP_WORDS[c.op]} {c.value:g}"
    )
    if c.min_sources:
        text += f"; the matching events of the latest window must come from at least {c.min_sources} independent publishers"
    text += f". Needs {H} days of observed events."
    if c.description:
        text = f"{c.description}: {text}"
    return text


def trigger_text(cp: CompiledPolicy, t: Trigger) -> str:
    if t.pattern == "at_least":
        text = f"{t.count} or more {selector_text(cp, t.select)} within {t.window_days} day(s)"
    else:
        text = f"{t.window_days} days of an open talks round without any {selector_text(cp, t.select)}"
    text += f" move the coalition {t.step} rung(s) up the penalty ladder at once, with no vote"
    if t.suspend_talks_days:
        text += f"; the talks round closes and talks are refused for {t.suspend_talks_days} days"
    if t.cooldown_days:
        text += f"; it cannot fire again for {t.cooldown_days} days"
    text += "."
    if t.description:
        text = f"{t.description}: {text}"
    return text


def describe_policy(cp: CompiledPolicy) -> list[dict[str, str]]:
    """The policy as rows of (section, rule, meaning) in plain words."""
    p = cp.policy
    rows: list[dict[str, str]] = []

    def add(section: str, rule: str, meaning: str) -> None:
        rows.append({"section": section, "rule": rule, "meaning": meaning})

    add("policy", p.name, (p.title + ". " if p.title else "") + " ".join(p.description.split()))
    for k, v in p.sources.items():
        add("sources", k, v)
    enabled = [b for b in p.order if p.block(b) is not None]
    add("order", "order", "Every event, and every talks request, goes through " + " -> ".join(enabled) + (" (in that order)." if enabled else ": no block is enabled, so every request is allowed."))
    add(
        "talks",
        "talks",
        f"A talks request is any of the {selector_text(cp, p.talks.requests)}. A request that passes every gate opens a round of "
        f"{p.talks.round_days} days; requests made while a round is open join it and need only the trigger and mandate gates.",
    )
    if p.block("preconditions") is None:
        add("(a) preconditions", "preconditions", "Switched off: talks need no prior verified change.")
    else:
        pre = p.preconditions
        assert pre is not None
        add("(a) preconditions", "preconditions", f"Talks are a reward for verified change: {'every' if pre.combine == 'all' else 'at least one'} condition below must hold when the request reaches this gate.")
        for c in pre.conditions:
            add("(a) preconditions", f"preconditions.{c.name}", condition_text(cp, c))
    if p.block("mandate") is None:
        add("(b) mandate", "mandate", "Switched off: offers are not checked against a mandate.")
    else:
        man = p.mandate
        assert man is not None
        by = {s: [i.name for i in man.items if i.status == s] for s in ("tradable", "red_line", "outside")}
        text = (
            f"An offer is any of the {selector_text(cp, man.offers)} that speaks to an agenda item (named in the event's agenda field, or by its CAMEO code). "
            f"The envoy may trade: {', '.join(by['tradable']) or 'nothing'}. It may never trade (red lines): {', '.join(by['red_line']) or 'none'}. "
            f"Outside its mandate (needs a new mandate): {', '.join(by['outside']) or 'none'}; agenda items not listed are outside it too. "
            "Offers outside a talks round, on a red line, outside the mandate or on an item a frontline member vetoed are recorded as limits hit; "
            "a talks request about a red-line or outside item is refused."
        )
        if man.max_offers_per_round is not None:
            text += f" At most {man.max_offers_per_round} offers per round."
        add("(b) mandate", "mandate", text)
    if p.block("triggers") is None:
        add("(b) triggers", "triggers", "Switched off: abuse of the talks fires no automatic penalty.")
    else:
        trg = p.triggers
        assert trg is not None
        add("(b) triggers", "triggers", "Pre-approved penalty ladder: " + " -> ".join(f"{i + 1} {t.name}" for i, t in enumerate(trg.ladder)) + "; at the top rung further firings keep the top tranche.")
        for t in trg.rules:
            add("(b) triggers", f"triggers.{t.name}", trigger_text(cp, t))
    if p.block("no_surprises") is None:
        add("(c) no surprises", "no_surprises", "Switched off: outreach does not wait for the frontline members.")
    else:
        ns = p.no_surprises
        assert ns is not None
        add(
            "(c) no surprises",
            "no_surprises",
            f"Before outreach, the vote holders ({', '.join(cp.holder_names)}) are asked; the vote stays open {ns.vote_days} days and a holder that has not answered by then "
            f"counts as {'consenting' if ns.silence == 'consent' else 'vetoing'}. A veto is any of the {selector_text(cp, ns.veto_events)} by a holder; "
            f"with an agenda item it strikes only that item from the round. Consent is any of the {selector_text(cp, ns.consent_events)} by a holder; "
            "when every holder has consented the vote closes early. A holder's first vote on the timing stands.",
        )
    for w in cp.warnings:
        add("warning", "-", w)
    return rows


# -- decisions ----------------------------------------------------------------------------------


def summary(body: dict[str, Any]) -> str:
    """One line in plain words for a decision body from the ledger."""
    kind, rule, d = body.get("kind", ""), body.get("rule", ""), body.get("detail", {}) or {}
    agenda = f" (agenda: {d['agenda']})" if d.get("agenda") else ""
    if kind == "talks_denied":
        if rule.startswith("preconditions."):
            name = rule.split(".", 1)[1]
            rep: dict[str, Any] = next((c for c in d.get("conditions", []) if c.get("condition") == name), {})
            st = rep.get("status")
            if st == "history":
                return f"denied: {name} needs {rep.get('needed_days')} days of observed events, {rep.get('observed_days')} observed{agenda}"
            if st == "sources":
                return f"denied: {name} reported by {rep.get('sources')} independent publisher(s), needs {rep.get('min_sources')}{agenda}"
            thr = rep.get("threshold")
            thr_s = f"{thr:g}" if isinstance(thr, (int, float)) else str(thr)
            return f"denied: {name}: {rep.get('measure')} was {rep.get('value')} on {rep.get('fail_date')}, needs {OP_WORDS.get(rep.get('op', ''), rep.get('op'))} {thr_s}{agenda}"
        if rule == "triggers.suspension":
            return f"denied: talks suspended by trigger {d.get('suspended_by')} until {d.get('suspended_until_date')}{agenda}"
        if rule == "mandate.red_line":
            return f"denied: agenda item {d.get('agenda')} is a red line"
        if rule == "mandate.outside":
            return f"denied: agenda item {d.get('agenda')} is outside the envoy's mandate"
        if rule == "no_surprises.veto":
            return f"denied: {d.get('vetoed_by')} vetoed the timing{agenda}"
        if rule == "no_surprises.silence":
            return f"denied: no answer from {', '.join(d.get('silent', []))} by the deadline (silence counts as a veto){agenda}"
        return f"denied by {rule}"
    if kind == "talks_allowed":
        via = "an open round" if rule == "talks.round" else " -> ".join(d.get("passed", [])) or "no gates"
        return f"allowed via {via}; round until {d.get('round_until_date')}{agenda}" + (f"; vetoed items: {', '.join(d['vetoed_items'])}" if d.get("vetoed_items") else "")
    if kind == "talks_pending":
        return f"waiting on the frontline vote opened {d.get('vote_opened_date')} (deadline {d.get('deadline_date')}){agenda}"
    if kind == "veto_requested":
        return f"frontline vote opened: {len(d.get('holders', []))} holders, deadline {d.get('deadline_date')}, silence means {d.get('silence')}{agenda}"
    if kind == "veto_cast":
        if d.get("scope") == "agenda":
            return f"{d.get('member')} vetoes agenda item {d.get('agenda')}"
        return f"{d.get('member')} vetoes the timing"
    if kind == "consent_cast":
        return f"{d.get('member')} consents"
    if kind == "veto_expired":
        return f"vote closed at its deadline; silent: {', '.join(d.get('silent', [])) or 'none'} (counted as {d.get('silence')})"
    if kind == "trigger_fired":
        top = " (already at the top of the ladder)" if d.get("at_top") else ""
        return f"{d.get('trigger')}: penalty tranche {d.get('level')} '{d.get('tranche')}' imposed without a vote{top}"
    if kind == "mandate_limit":
        reason = rule.split(".", 1)[-1]
        words = {
            "red_line": "a red line",
            "outside": "outside the mandate",
            "no_round": "made outside an authorised talks round",
            "vetoed_item": "an item a frontline member vetoed",
            "offer_limit": f"over the limit of {d.get('max_offers')} offers per round",
        }
        return f"offer on {d.get('agenda')}: {words.get(reason, reason)}"
    if kind == "round_closed":
        return f"talks round closed: {d.get('reason')} ({d.get('offers')} offers made)"
    return kind


def _rule_text(policy_data: dict[str, Any], rule: str) -> str:
    try:
        policy = policy_from_dict(policy_data, "the ledger's policy")
        cp = CompiledPolicy(policy, roots_table())
    except Exception:  # noqa: BLE001 - a ledger from another version: explain without the rule text
        return ""
    rows = describe_policy(cp)
    best = ""
    best_len = -1
    for r in rows:
        key = r["rule"]
        if (rule == key or rule.startswith(key + ".") or key == rule.split(".", 1)[0]) and len(key) > best_len:
            best, best_len = r["meaning"], len(key)
    return best


def explain_decision(path: str, seq: int) -> dict[str, Any]:
    """Everything needed to say why decision ``seq`` of a ledger was made."""
    from crisislab.errors import InputError, Problem

    check = verify(path)
    with Ledger(path, create=False) as led:
        entry = led.entry(seq)
        if entry is None:
            last = led.head()[0]
            raise InputError(path, [Problem("--decision", str(seq), f"the number of a decision entry (1..{last})")], summary="has no such entry")
        body = entry["body"]
        if body.get("type") != "decision":
            raise InputError(path, [Problem("--decision", f"{seq} (a {body.get('type')} entry)", "the number of a decision entry")], summary="has no decision there")
        start = led.entry(int(body.get("replay", 0)))
    policy_data = start["body"].get("policy", {}) if start else {}
    intact = check.ok or (check.first_bad is not None and check.first_bad > seq)
    return {
        "entry": seq,
        "hash": entry["hash"],
        "chain": "intact up to this entry" if intact else f"BROKEN: {check.problem}",
        "policy": start["body"].get("policy_name") if start else None,
        "events_file": start["body"].get("events_file") if start else None,
        "date": body.get("date"),
        "kind": body.get("kind"),
        "rule": body.get("rule"),
        "summary": summary(body),
        "rule_text": _rule_text(policy_data, str(body.get("rule", ""))),
        "detail": body.get("detail"),
        "at_line": body.get("at_line"),
        "events": body.get("events", []),
    }
