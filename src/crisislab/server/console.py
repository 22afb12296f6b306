"""The policy console: a live run of the policy engine behind the web app.

Analysts post events (CAMEO-coded: who did what to whom, when); the engine decides at once
(talks allowed or denied, a frontline vote opened, a penalty tranche fired...). Frontline
members that hold the no-surprises veto cast their votes through the console, each with its
own token; an event that would count as a holder's vote cannot be posted any other way.

Everything goes to the policy's hash-chained ledger (:mod:`crisislab.policy.ledger`), in one
transaction per event: the event itself (``console_event``, with the vote and the id of the
token that cast it), then the decisions it produced. The ledger is the console's only state
on disk: after a restart the engine is rebuilt by feeding it the ledger's events again, so
the console continues exactly where it stopped, and ``verify`` checks the whole chain.

Signatures (:mod:`crisislab.policy.signing`): a vote is signed with the voting member's key
(held by the server, encrypted with the member's token, or held by the member, who then
sends the vote signed), for this ledger and the vote request it answers; every decision is
signed with the console's key. ``verify`` checks them against the keyring, so a vote forged
or moved to another member is caught even when the whole chain was recomputed.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from crisislab.errors import InputError, Problem
from crisislab.policy.compiled import NEVER, CompiledPolicy
from crisislab.policy.engine import ReplayEngine
from crisislab.policy.events import Event, iso_day
from crisislab.policy.ledger import Ledger, verify
from crisislab.policy.load import policy_hash
from crisislab.policy.replay import decision_body
from crisislab.policy.signing import (
    ALG,
    Keyring,
    decision_payload,
    sign,
    signature_ok,
    vote_payload,
)
from crisislab.report.policy import decision_row

MAX_TEXT = 200


class Conflict(Exception):
    """The request is well-formed but cannot be done now (HTTP 409)."""


class Forbidden(Exception):
    """The request is not allowed (HTTP 403)."""


def _text(value: Any, field: str, *, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InputError("event", [Problem(field, "nothing", "a non-empty text")])
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise InputError("event", [Problem(field, repr(value)[:60], f"a text of at most {MAX_TEXT} characters")])
    return value.strip()


def _day(value: Any, field: str = "date") -> int:
    if not isinstance(value, str):
        raise InputError("event", [Problem(field, repr(value)[:60], "a date as YYYY-MM-DD")])
    try:
        return date.fromisoformat(value.strip()).toordinal()
    except ValueError:
        raise InputError("event", [Problem(field, repr(value)[:60], "a date as YYYY-MM-DD")]) from None


def _number(value: Any, field: str, lo: float, hi: float) -> float | None:
    if value is None or value == "":
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError("event", [Problem(field, repr(value)[:60], f"a number in [{lo:g}, {hi:g}]")]) from None
    if not (lo <= v <= hi):
        raise InputError("event", [Problem(field, repr(value)[:60], f"a number in [{lo:g}, {hi:g}]")])
    return v


class PolicyConsole:
    """One policy's live engine and ledger (thread-safe)."""

    def __init__(self, key: str, cp: CompiledPolicy, folder: Path, source: str, *, signer: Any = None,
                 keyring_path: Path | None = None) -> None:
        self.key = key
        self.cp = cp
        self.source = source
        self.folder = Path(folder)
        self.ledger_path = self.folder / "ledger.sqlite"
        self.signer = signer  # the console's private key: signs every decision
        self.keyring_path = keyring_path if keyring_path is not None else self.folder / "keyring.json"
        self._lock = threading.Lock()
        self.engine = ReplayEngine(cp)
        self.events = 0
        self.decisions = 0
        self.start_seq = 0
        self.ledger_id = ""  # hash of the first entry: names this ledger in every signature
        self.vote_request = ""  # hash of the entry with the decision that opened the current vote
        self._signed: set[str] = set()  # signatures already in the ledger (a vote is cast once)
        self._restore()

    # -- startup ---------------------------------------------------------------------------

    def _restore(self) -> None:
        with Ledger(self.ledger_path) as led:
            first = led.entry(1)
            if first is None:
                body = {"type": "console_start", "policy_name": self.cp.policy.name, "policy_sha256": policy_hash(self.cp.policy),
                        "policy": self.cp.policy.model_dump(mode="json"), "source": self.source,
                        "cameo_table": {"level": self.cp.table.level},
                        "started": datetime.now(UTC).isoformat(timespec="seconds")}
                [(self.start_seq, self.ledger_id)] = led.append([body])
                return
            self.start_seq = int(first["seq"])
            self.ledger_id = str(first["hash"])
            for e in led.entries():
                b = e["body"]
                if b.get("type") == "console_event":
                    self.engine.feed(self._event_from_record(b["event"], b.get("n", 0)))
                    self.events += 1
                    sig = (b.get("vote") or {}).get("signature")
                    if isinstance(sig, dict):
                        self._signed.add(str(sig.get("sig")))
                elif b.get("type") == "decision":
                    self.decisions += 1
                    if b.get("kind") == "veto_requested":
                        self.vote_request = str(e["hash"])

    def _event_from_record(self, r: dict[str, Any], n: int) -> Event:
        return Event(day=_day(r["date"]), source=r["source"], target=r["target"], code=r["cameo"], g10=int(round(float(r["goldstein"]) * 10)),
                     reliability=r.get("reliability"), publisher=r.get("publisher") or "", forum=r.get("forum"), agenda=r.get("agenda"),
                     line=n, eid=r.get("id"))

    # -- state -----------------------------------------------------------------------------

    @property
    def holders(self) -> list[str]:
        return list(self.cp.holder_names)

    def status(self) -> dict[str, Any]:
        with self._lock:
            eng = self.engine
            votes = {0: "pending", 1: "consent", 2: "veto"}
            holders = [{"member": name, "vote": votes.get(eng.votes[i], "?") if eng.vote_open else "-"}
                       for i, name in enumerate(self.cp.holder_names)]
            with Ledger(self.ledger_path) as led:
                head = led.head()
            return {
                "policy": self.key, "name": self.cp.policy.name, "title": self.cp.policy.title, "source": self.source,
                "day": iso_day(eng.cur_day) if eng.cur_day != NEVER else None,
                "talks_open": eng.talks_open, "vote_open": eng.vote_open,
                "vote_deadline": iso_day(eng.vote_deadline) if eng.vote_open and eng.vote_deadline != NEVER else None,
                "holders": holders, "tranche_level": eng.level,
                "tranche": self.cp.ladder[eng.level - 1] if 0 < eng.level <= len(self.cp.ladder) else None,
                "ladder": list(self.cp.ladder),
                "suspended_until": iso_day(eng.suspended_until) if eng.suspended_until != NEVER else None,
                "events": self.events, "decisions": self.decisions,
                "ledger": {"entries": head[0], "head": head[1], "id": self.ledger_id},
                "vote_request": self.vote_request if eng.vote_open else None,
                "actors": {k: v for k, v in self.cp.policy.actors.items()},
                "agenda": [it.name for it in self.cp.items],
            }

    def decisions_list(self, limit: int = 200) -> list[dict[str, Any]]:
        """The latest decisions, newest first."""
        out: list[dict[str, Any]] = []
        with Ledger(self.ledger_path) as led:
            seq, _ = led.head()
            s = seq
            while s >= 1 and len(out) < limit:
                e = led.entry(s)
                if e is not None and e["body"].get("type") == "decision":
                    out.append(self._row(e["body"], e["seq"]))
                s -= 1
        return out

    @staticmethod
    def _row(body: dict[str, Any], seq: int) -> dict[str, Any]:
        return decision_row(body, seq)

    def ledger_entries(self, start: int = 1, limit: int = 200) -> list[dict[str, Any]]:
        out = []
        with Ledger(self.ledger_path) as led:
            for e in led.entries(max(1, start), max(1, start) + limit - 1):
                b = e["body"]
                what = b.get("type", "")
                if what == "console_event":
                    ev = b.get("event", {})
                    text = f"{ev.get('date')} {ev.get('source')} → {ev.get('target')} CAMEO {ev.get('cameo')}"
                    if b.get("vote"):
                        v = b["vote"]
                        key = (v.get("signature") or {}).get("key")
                        text += f" (vote: {v.get('member')} {v.get('vote')}, token {v.get('token_id')}, signed with key {key})"
                elif what == "decision":
                    text = self._row(b, e["seq"])["summary"]
                else:
                    text = str(b.get("policy_name", ""))
                out.append({"seq": e["seq"], "hash": e["hash"], "prev": e["prev"], "type": what, "text": text})
        return out

    def verify(self) -> dict[str, Any]:
        """The chain and every signature, against the server's keyring."""
        keyring = Keyring.load(self.keyring_path) if self.keyring_path.exists() else Keyring()
        with self._lock:
            res = verify(self.ledger_path, keyring=keyring).as_dict()
        res["ledger"] = str(Path(str(res["ledger"])).name)
        return res

    # -- input -----------------------------------------------------------------------------

    def make_event(self, data: dict[str, Any]) -> Event:
        """Validate posted fields into an :class:`Event` (raises :class:`InputError`)."""
        if not isinstance(data, dict):
            raise InputError("event", [Problem("(body)", type(data).__name__, "a JSON object with date, source, target and cameo")])
        unknown = sorted(set(data) - {"date", "source", "target", "cameo", "goldstein", "forum", "agenda", "publisher", "reliability", "id"})
        if unknown:
            raise InputError("event", [Problem(unknown[0], "an unknown field", "date, source, target, cameo, goldstein, forum, agenda, publisher, reliability, id")])
        source = _text(data.get("source"), "source", required=True)
        target = _text(data.get("target"), "target", required=True)
        code = _text(data.get("cameo"), "cameo", required=True)
        table = self.cp.table
        assert source and target and code
        if not table.is_valid_form(code) or not table.is_known(code):
            raise InputError("event", [Problem("cameo", repr(code)[:20], "a CAMEO event code such as 036 or 190")])
        gold = _number(data.get("goldstein"), "goldstein", -10.0, 10.0)
        g10 = int(round(gold * 10)) if gold is not None else table.goldstein10(code)
        if g10 is None:
            raise InputError("event", [Problem("goldstein", "nothing", f"a Goldstein score (the table has none for {code})")])
        day = _day(data.get("date"))
        return Event(day=day, source=source, target=target, code=code, g10=g10,
                     reliability=_number(data.get("reliability"), "reliability", 0.0, 1.0),
                     publisher=_text(data.get("publisher"), "publisher") or "console", forum=_text(data.get("forum"), "forum"),
                     agenda=_text(data.get("agenda"), "agenda"), eid=_text(data.get("id"), "id"))

    def post(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        """Feed one posted event; return the decisions it produced."""
        ev = self.make_event(data)
        ec = self.cp.classify(ev.source, ev.target, ev.code, ev.forum, ev.agenda)
        if ec.holder >= 0 and (ec.veto or ec.consent):
            raise Forbidden(f"{ev.source} holds the no-surprises veto: its votes must be cast as that member, with its token "
                            "(POST /api/policy/<policy>/vote), not posted as events")
        return self._feed(ev, None)

    def vote_payload(self, member: str, vote: str, agenda: str | None = None, when: str | None = None) -> dict[str, Any]:
        """What ``member`` signs to cast ``vote`` now (for a member that holds its own key)."""
        member, vote, _code, _target = self._vote_rule(member, vote)
        with self._lock:
            if not self.engine.vote_open:
                raise Conflict("no frontline vote is open: votes are cast while a talks request waits on the frontline vote")
            day = self.engine.cur_day if when is None else _day(when)
            agenda = _text(agenda, "agenda")
            payload = vote_payload(self.ledger_id, self.vote_request, member, vote, iso_day(day), agenda)
        return {"payload": payload.decode("utf-8"), "member": member, "vote": vote, "date": iso_day(day), "agenda": agenda,
                "ledger": self.ledger_id, "request": self.vote_request}

    def _vote_rule(self, member: str, vote: str) -> tuple[str, str, str, str]:
        names = {n.casefold(): n for n in self.cp.holder_names}
        if member.casefold() not in names:
            raise InputError("vote", [Problem("member", repr(member)[:60], f"a holder of the no-surprises veto: {', '.join(self.cp.holder_names) or 'none in this policy'}")])
        if vote not in ("veto", "consent"):
            raise InputError("vote", [Problem("vote", repr(vote)[:20], "veto or consent")])
        ns = self.cp.policy.block("no_surprises")
        if ns is None:
            raise Conflict("this policy has no no-surprises rule, so there is nothing to vote on")
        sel = ns.veto_events if vote == "veto" else ns.consent_events  # type: ignore[union-attr]
        code = sel.codes[0] if sel.codes else ("129" if vote == "veto" else "051")
        target = self._first_actor(sel.target) or "coalition"
        return names[member.casefold()], vote, code, target

    def vote(self, member: str, vote: str, token_id: str, agenda: str | None = None, when: str | None = None, *,
             key: Any = None, signature: Any = None) -> list[dict[str, Any]]:
        """Cast ``member``'s veto or consent (the token was checked by the caller).

        The vote is signed for this ledger and the open vote request: with ``key`` (the
        member's private key, unlocked by its token), or it comes already signed by the
        member (``signature``: ``{"key": KEY_ID, "sig": BASE64}`` over :meth:`vote_payload`),
        which is checked against the member's keys in the keyring.
        """
        member, vote, code, target = self._vote_rule(member, vote)
        if key is None and signature is None:
            raise Forbidden(f"the vote of {member} is not signed: {member} holds its own key, so send the vote signed "
                            "(GET /api/policy/<policy>/vote/payload gives what to sign)")
        with self._lock:
            if not self.engine.vote_open:
                raise Conflict("no frontline vote is open: votes are cast while a talks request waits on the frontline vote")
            h = self.cp.holder_index.get(member.casefold(), -1)
            if h >= 0 and self.engine.votes[h] != 0 and not agenda:
                raise Conflict(f"{member} has already voted on this request")
            day = self.engine.cur_day if when is None else _day(when)
        g10 = self.cp.table.goldstein10(code) or 0
        ev = Event(day=day, source=member, target=target, code=code, g10=g10, publisher="console", agenda=_text(agenda, "agenda"))
        ec = self.cp.classify(ev.source, ev.target, ev.code, ev.forum, ev.agenda)
        if ec.holder < 0 or not (ec.veto if vote == "veto" else ec.consent):
            raise Conflict(f"this policy's {vote} rule cannot be matched by a console vote (code {code}, target {target})")
        record = {"member": member, "vote": vote, "token_id": token_id, "agenda": ev.agenda}
        return self._feed(ev, record, key=key, signature=signature)

    def _first_actor(self, names: list[str]) -> str | None:
        for n in names:
            group = self.cp.policy.actors.get(n)
            if group:
                return group[0]
            return n
        return None

    def _sign_vote(self, ev: Event, vote: dict[str, Any], key: Any, signature: Any) -> None:
        """Put the signature of ``vote`` into its record (under the lock, before the event is fed)."""
        payload = vote_payload(self.ledger_id, self.vote_request, vote["member"], vote["vote"], iso_day(ev.day), ev.agenda)
        if signature is not None:
            if not isinstance(signature, dict) or not isinstance(signature.get("key"), str) or not isinstance(signature.get("sig"), str):
                raise InputError("vote", [Problem("signature", repr(signature)[:60], 'an object {"key": KEY_ID, "sig": BASE64}')])
            ring = Keyring.load(self.keyring_path) if self.keyring_path.exists() else Keyring()
            rec = ring.find(signature["key"])
            if rec is None or rec["signer"].casefold() != vote["member"].casefold():
                raise Forbidden(f"vote refused: key {signature['key'][:16]!r} is not a key of {vote['member']} in the keyring")
            if not signature_ok(rec["public"], payload, signature["sig"]):
                raise Forbidden(f"vote refused: the signature does not match the vote payload of {vote['member']} "
                                "(sign exactly the payload of GET /api/policy/<policy>/vote/payload, for the same date and agenda)")
            sig = {"alg": ALG, "key": rec["key"], "sig": signature["sig"]}
        else:
            sig = sign(key, payload)
        if sig["sig"] in self._signed:
            raise Conflict(f"{vote['member']} has already cast this {vote['vote']} on this request")
        vote["request"] = self.vote_request
        vote["signature"] = sig

    def _feed(self, ev: Event, vote: dict[str, Any] | None, *, key: Any = None, signature: Any = None) -> list[dict[str, Any]]:
        with self._lock:
            cur = self.engine.cur_day
            if cur != NEVER and ev.day < cur:
                raise InputError("event", [Problem("date", iso_day(ev.day), f"a date on or after {iso_day(cur)} (events come in time order)")])
            if vote is not None:
                self._sign_vote(ev, vote, key, signature)
            ev.line = self.events + 1
            decs = self.engine.feed(ev)
            self.events += 1
            record = ev.record()
            record.setdefault("goldstein", ev.g10 / 10.0)
            record.pop("line", None)
            bodies: list[dict[str, Any]] = [{"type": "console_event", "n": self.events, "event": record,
                                             "posted": datetime.now(UTC).isoformat(timespec="seconds"), **({"vote": vote} if vote else {})}]
            for dec in decs:
                self.decisions += 1
                body = decision_body(dec, self.start_seq, self.decisions, ev.line if dec.at is not None else None)
                if self.signer is not None:
                    body["signature"] = sign(self.signer, decision_payload(self.ledger_id, body))
                bodies.append(body)
            with Ledger(self.ledger_path) as led:
                written = led.append(bodies)
            if vote is not None:
                self._signed.add(vote["signature"]["sig"])
            for b, (_, h) in zip(bodies, written, strict=True):
                if b["type"] == "decision" and b["kind"] == "veto_requested":
                    self.vote_request = h
            return [self._row(b, seq) for b, (seq, _) in zip(bodies, written, strict=True) if b["type"] == "decision"]
