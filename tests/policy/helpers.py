"""Helpers shared by the policy tests: small policies and events built in code."""

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
