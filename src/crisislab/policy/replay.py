"""Replaying an event file through a policy into a ledger.

One replay writes a ``replay_start`` entry (the whole policy, its hash, the events file's
name and hash, the CAMEO table used), one ``decision`` entry per decision (with the
events that justify it) and a ``replay_end`` entry with the line counts, so that the ledger
alone shows that no event was lost: ``events + skipped == lines``. Entries are written in
batches, each batch one transaction.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from crisislab.errors import InputError, Problem
from crisislab.policy.cameo import CameoTable, load_table
from crisislab.policy.compiled import CompiledPolicy
from crisislab.policy.engine import Decision, ReplayEngine
from crisislab.policy.events import EventReader, ReadStats, iso_day, resolve_events
from crisislab.policy.ledger import Ledger, canonical
from crisislab.policy.load import compile_loaded, load_policy, policy_hash

BATCH = 5000


def _version() -> str:
    try:
        return version("crisislab")
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def dates_in(obj: Any, label: Callable[[int], str] = iso_day) -> Any:
    """Turn every ``*_day`` field (a day number) into a ``*_date`` field (ISO date)."""
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            if k.endswith("_day") and (v is None or isinstance(v, int)):
                out[k[:-4] + "_date"] = None if v is None else label(v)
            else:
                out[k] = dates_in(v, label)
        return out
    if isinstance(obj, list):
        return [dates_in(x, label) for x in obj]
    return obj


def decision_body(dec: Decision, replay_seq: int, number: int, at_line: int | None, label: Callable[[int], str] = iso_day) -> dict[str, Any]:
    """The ledger body of one decision."""
    records = [e.record(label) for e in (dec.records or ())]
    return {
        "type": "decision",
        "replay": replay_seq,
        "n": number,
        "date": label(dec.day),
        "kind": dec.kind,
        "rule": dec.rule,
        "detail": dates_in(dec.detail, label),
        "events": records,
        "at_line": at_line,
    }


class BodyWriter:
    """Serialises decision bodies to canonical JSON quickly.

    An event cited by many decisions (an attack that keeps talks refused for weeks) is
    serialised once; the body is assembled around the cited records, which is the text
    :func:`~crisislab.policy.ledger.canonical` would give for :func:`decision_body`.
    """

    def __init__(self, label: Callable[[int], str] = iso_day) -> None:
        self.label = label
        self.records: dict[int, str] = {}
        self.days: dict[int, str] = {}

    def text(self, dec: Decision, replay_seq: int, number: int, at_line: int | None) -> str:
        recs = self.records
        parts = []
        for o, e in zip(dec.events, dec.records or (), strict=True):
            r = recs.get(o)
            if r is None:
                if len(recs) > 200_000:
                    recs.clear()
                r = recs[o] = canonical(e.record(self.label))
            parts.append(r)
        day = self.days.get(dec.day)
        if day is None:
            day = self.days[dec.day] = canonical(self.label(dec.day))
        # kind and rule are identifiers (policy names are validated), safe to write as they are
        return (
            '{"at_line":' + ("null" if at_line is None else str(int(at_line)))
            + ',"date":' + day
            + ',"detail":' + canonical(dates_in(dec.detail, self.label))
            + ',"events":[' + ",".join(parts)
            + '],"kind":"' + dec.kind + '","n":' + str(int(number)) + ',"replay":' + str(int(replay_seq))
            + ',"rule":"' + dec.rule + '","type":"decision"}'
        )


@dataclass
class ReplayResult:
    """What a replay did."""

    policy: str
    events_file: str
    ledger: str
    start_seq: int
    end_seq: int
    head_hash: str
    stats: ReadStats
    decisions: int
    by_kind: dict[str, int]
    rows: list[dict[str, Any]] = field(default_factory=list)  # the first ``keep`` decisions, for display
    skip_file: str | None = None
    final_level: int = 0
    talks_open: bool = False
    vote_open: bool = False

    def counts(self) -> dict[str, Any]:
        return {
            "lines": self.stats.lines,
            "events": self.stats.events,
            "skipped": self.stats.skipped,
            "decisions": self.decisions,
            "by_kind": self.by_kind,
        }


def replay(
    policy: str | Path | CompiledPolicy,
    events: str | Path,
    ledger: str | Path,
    *,
    cameo: str | Path | CameoTable | None = None,
    fmt: str = "auto",
    skip_bad: str | Path | None = None,
    until: str | None = None,
    batch: int = BATCH,
    keep: int = 1000,
) -> ReplayResult:
    """Replay an events file through a policy, writing every decision to the ledger."""
    table = cameo if isinstance(cameo, CameoTable) else load_table(cameo)
    cp = policy if isinstance(policy, CompiledPolicy) else compile_loaded(load_policy(policy), table)
    if isinstance(policy, CompiledPolicy):
        table = cp.table
    until_day: int | None = None
    if until is not None:
        try:
            until_day = datetime.strptime(until, "%Y-%m-%d").date().toordinal()
        except ValueError:
            raise InputError("--until", [Problem("(option)", repr(until), "a date as YYYY-MM-DD")]) from None
    events_path = resolve_events(events)
    reader = EventReader(events_path, table, fmt=fmt, skip_bad=skip_bad)
    if not events_path.is_file():
        list(reader)  # raises the reader's InputError (missing file, directory)
    start_body = {
        "type": "replay_start",
        "policy_name": cp.policy.name,
        "policy_sha256": policy_hash(cp.policy),
        "policy": cp.policy.model_dump(mode="json"),
        "events_file": events_path.name,
        "events_sha256": file_sha256(events_path),
        "cameo_table": {"level": table.level, "source": Path(table.source).name if table.level == "full" else table.source},
        "crisislab": _version(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    engine = ReplayEngine(cp)
    writer = BodyWriter()
    by_kind: Counter[str] = Counter()
    rows: list[dict[str, Any]] = []
    pending: list[str] = []
    shown: list[dict[str, Any] | None] = []
    number = 0
    with Ledger(ledger) as led:
        [(start_seq, _)] = led.append([start_body])

        def flush() -> None:
            if pending:
                written = led.append_texts(pending)
                for body, (seq, _) in zip(shown, written, strict=True):
                    if body is not None:
                        body["entry"] = seq  # for display only: the entry is already written
                pending.clear()
                shown.clear()

        def take(decs: list[Decision], line: int | None) -> None:
            nonlocal number
            for dec in decs:
                number += 1
                by_kind[dec.kind] += 1
                at_line = line if dec.at is not None else None
                pending.append(writer.text(dec, start_seq, number, at_line))
                if len(rows) < keep:
                    body = decision_body(dec, start_seq, number, at_line)
                    rows.append(body)
                    shown.append(body)
                else:
                    shown.append(None)
            if len(pending) >= batch:
                flush()

        for ev in reader:
            decs = engine.feed(ev)
            if decs:
                take(decs, ev.line)
        if until_day is not None:
            take(engine.advance_to(until_day), None)
        flush()
        stats = reader.stats
        end_body = {
            "type": "replay_end",
            "replay": start_seq,
            "lines": stats.lines,
            "events": stats.events,
            "skipped": stats.skipped,
            "skipped_to": Path(skip_bad).name if skip_bad is not None and stats.skipped else None,
            "decisions": number,
            "by_kind": dict(sorted(by_kind.items())),
            "first_date": iso_day(stats.first_day) if stats.first_day is not None else None,
            "last_date": iso_day(stats.last_day) if stats.last_day is not None else None,
            "final": {"tranche_level": engine.level, "talks_open": engine.talks_open, "vote_open": engine.vote_open},
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        [(end_seq, head)] = led.append([end_body])
    return ReplayResult(
        policy=cp.policy.name,
        events_file=str(events_path),
        ledger=str(ledger),
        start_seq=start_seq,
        end_seq=end_seq,
        head_hash=head,
        stats=stats,
        decisions=number,
        by_kind=dict(sorted(by_kind.items())),
        rows=rows,
        skip_file=str(skip_bad) if skip_bad is not None else None,
        final_level=engine.level,
        talks_open=engine.talks_open,
        vote_open=engine.vote_open,
    )
