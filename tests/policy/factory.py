"""Builders shared by the policy tests: small policies and events built in code."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from crisislab.policy.cameo import CameoTable, roots_table
from crisislab.policy.compiled import CompiledPolicy
from crisislab.policy.events import Event
from crisislab.policy.load import load_policy, policy_from_dict

D0 = date(2025, 1, 6).toordinal()
RU, UA, EU = "Russian Federation", "Ukraine", "European Union"


def ev(day: int, source: str, target: str, code: str, *, g: float | None = None, pub: str = "A",
       forum: str | None = None, agenda: str | None = None, rel: float | None = None, table: CameoTable | None = None) -> Event:
    """An event on day ``D0 + day`` (Goldstein from the table unless given)."""
    t = table or roots_table()
    g10 = t.goldstein10(code) if g is None else int(round(g * 10))
    assert g10 is not None
    return Event(D0 + day, source, target, code, g10, rel, pub, forum, agenda)


_BASE: dict[str, Any] = {}


def base_dict() -> dict[str, Any]:
    """The shipped conditionality policy as a plain mapping (a fresh copy)."""
    if not _BASE:
        _BASE.update(load_policy("conditionality").model_dump(mode="json"))
    return copy.deepcopy(_BASE)


def compiled(data: dict[str, Any] | None = None, table: CameoTable | None = None, **changes: Any) -> CompiledPolicy:
    """A compiled policy: ``data`` (default: conditionality) with top-level blocks updated by ``changes``."""
    d = base_dict() if data is None else data
    for k, v in changes.items():
        if isinstance(v, dict) and isinstance(d.get(k), dict):
            d[k] = {**d[k], **v}
        else:
            d[k] = v
    return CompiledPolicy(policy_from_dict(d, "test policy"), table or roots_table())


def mini() -> dict[str, Any]:
    """A small policy with short windows, for rule-by-rule tests."""
    return {
        "name": "mini",
        "actors": {
            "adversary": [RU],
            "defender": [UA],
            "frontline": ["Poland", "Estonia"],
            "coalition": [EU, "Germany", "Poland", "Estonia"],
        },
        "order": ["triggers", "preconditions", "mandate", "no_surprises"],
        "talks": {"requests": {"source": ["coalition"], "target": ["adversary"], "codes": ["036"]}, "round_days": 10},
        "preconditions": {
            "combine": "all",
            "conditions": [
                {"name": "no_attacks", "select": {"source": ["adversary"], "codes": ["19"]}, "op": "==", "value": 0, "window_days": 5, "sustained_days": 3},
                {"name": "de_escalation", "select": {"source": ["adversary"], "codes": ["087"], "min_reliability": 0.5},
                 "op": ">=", "value": 2, "window_days": 7, "min_sources": 2},
            ],
        },
        "mandate": {
            "offers": {"source": ["coalition"], "target": ["adversary"], "codes": ["030", "035", "08"]},
            "max_offers_per_round": 2,
            "items": [
                {"name": "sanctions_relief", "status": "tradable", "codes": ["0354"]},
                {"name": "arms_control", "status": "tradable"},
                {"name": "territory", "status": "red_line", "codes": ["0874"]},
                {"name": "enlargement", "status": "outside"},
            ],
        },
        "triggers": {
            "ladder": [{"name": "t1"}, {"name": "t2"}, {"name": "t3"}],
            "rules": [
                {"name": "disinfo", "select": {"source": ["adversary"], "codes": ["112"], "in_forum": True},
                 "pattern": "at_least", "count": 2, "window_days": 3, "cooldown_days": 5, "suspend_talks_days": 4},
                {"name": "stalling", "select": {"source": ["adversary"], "codes": ["08"]}, "pattern": "absent", "window_days": 4},
            ],
        },
        "no_surprises": {
            "holders": ["frontline"], "vote_days": 3, "silence": "consent",
            "veto_events": {"codes": ["129"]}, "consent_events": {"codes": ["051"]},
        },
    }


def start() -> Event:
    """An unrelated event on day 0: observation starts there."""
    return ev(0, "India", "China", "040")


def ready(day: int) -> list[Event]:
    """Two de-escalation reports from two outlets that satisfy mini's preconditions on ``day``..``day + 3``."""
    return [ev(day - 3, RU, UA, "087", pub="A", rel=0.9), ev(day - 1, RU, UA, "087", pub="B", rel=0.9)]
