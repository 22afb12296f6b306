"""Policy decisions for reports and the web app: ledger bodies → timeline rows."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any


def summarise(detail: Any, limit: int = 160) -> str:
    """A one-line reading of a decision's ``detail`` mapping."""
    if not isinstance(detail, dict):
        return str(detail)[:limit]
    for key in ("reason", "message", "why"):
        if isinstance(detail.get(key), str):
            return detail[key][:limit]
    parts = []
    for k, v in detail.items():
        if isinstance(v, (str, int, float, bool)) or v is None:
            parts.append(f"{k}={v}")
    return ", ".join(parts)[:limit]


def decision_row(body: dict[str, Any], seq: int | None = None) -> dict[str, Any]:
    """A ``decision`` ledger body as a timeline row (with the policy package's plain-words summary)."""
    try:
        from crisislab.policy.explain import summary

        text = summary(body)
    except Exception:  # noqa: BLE001 - fall back to the generic reading of the detail
        text = summarise(body.get("detail"))
    return {"seq": seq, "date": body.get("date"), "kind": body.get("kind"), "rule": body.get("rule"),
            "summary": text, "events": len(body.get("events") or [])}


def decisions_from_ledger(ledger_mod: ModuleType, path: Path) -> list[dict[str, Any]]:
    """Every ``decision`` entry of a ledger file, in order."""
    out: list[dict[str, Any]] = []
    with ledger_mod.Ledger(path, create=False) as led:
        for e in led.entries():
            body = e["body"]
            if isinstance(body, dict) and body.get("type") == "decision":
                out.append(decision_row(body, e["seq"]))
    return out
