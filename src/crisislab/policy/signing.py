"""Signed votes and decisions in a policy console's ledger (Ed25519, with ``cryptography``).

A hash chain shows that a ledger was not changed *since* its last entry was written, but a
person who can write the ledger file can rewrite every entry and recompute the whole chain;
only a head anchor kept elsewhere catches that. Signatures close the gap for what matters
most: each frontline member's veto or consent is signed with **that member's key**, and
every decision the console writes (including the mandate decisions) is signed with the
**console's key**. :func:`verify_signatures` checks each signature against public keys kept
outside the ledger (a :class:`Keyring`), so a forged vote, a vote moved to another member
or a vote replayed into another request fails even when its chain was recomputed.

What is signed (canonical JSON, :func:`~crisislab.policy.ledger.canonical`, as UTF-8):

* a vote: ``{"agenda", "context": "crisislab-vote-1", "date", "ledger", "member",
  "request", "vote"}`` where ``ledger`` is the hash of the ledger's first entry (the
  console's start), ``request`` the hash of the entry with the ``veto_requested`` decision
  the vote answers, ``vote`` is ``veto`` or ``consent``, ``date`` and ``agenda`` those of
  the vote's event (:func:`vote_payload`);
* a decision: ``{"body": <the decision body without its signature>, "context":
  "crisislab-decision-1", "ledger"}`` (:func:`decision_payload`).

A signature is stored as ``{"alg": "ed25519", "key": KEY_ID, "sig": BASE64}``; ``KEY_ID``
is the first 16 hex digits of the SHA-256 of the raw public key (:func:`key_id`).

Keys: a keyring file (``crisislab-keyring-1``) lists public keys by signer (a member's name,
or ``console``). Private keys are PEM (PKCS #8) files; the web app keeps a member's private
key encrypted with that member's token, so it can sign only when the member presents it
(see :mod:`crisislab.server.security`), or the member keeps its own key and sends signed
votes (``crisislab policy key generate`` / ``crisislab policy key sign``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from crisislab.errors import InputError, Problem
from crisislab.limits import read_json_limited
from crisislab.policy.ledger import canonical

ALG = "ed25519"
VOTE_CONTEXT = "crisislab-vote-1"
DECISION_CONTEXT = "crisislab-decision-1"
KEYRING_FORMAT = "crisislab-keyring-1"
CONSOLE_SIGNER = "console"


# -- keys --------------------------------------------------------------------------------


def new_key() -> Ed25519PrivateKey:
    """A fresh Ed25519 private key."""
    return Ed25519PrivateKey.generate()


def public_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The raw 32-byte public key, base64."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def key_id(public: str) -> str:
    """First 16 hex digits of the SHA-256 of the raw public key (given as base64)."""
    return hashlib.sha256(base64.b64decode(public)).hexdigest()[:16]


def parse_public(text: str, source: str = "public key") -> Ed25519PublicKey:
    """A public key from its base64 raw form (as printed by ``policy key generate``)."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        if len(raw) != 32:
            raise ValueError
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error):
        raise InputError(
            source,
            [
                Problem(
                    "(value)",
                    repr(text)[:60],
                    "an Ed25519 public key: 32 bytes in base64 (44 characters)",
                )
            ],
        ) from None


def private_pem(key: Ed25519PrivateKey, password: str | None = None) -> bytes:
    """PKCS #8 PEM of ``key``, encrypted with ``password`` when one is given."""
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password.encode("utf-8"))
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def load_private(pem: bytes, source: str, password: str | None = None) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM; any failure is an :class:`InputError`."""
    try:
        key = serialization.load_pem_private_key(
            pem, password.encode("utf-8") if password else None
        )
    except (ValueError, TypeError) as exc:
        raise InputError(
            source,
            [
                Problem(
                    "(whole file)",
                    f"a key that cannot be read ({str(exc)[:80]})",
                    "an Ed25519 private key in PEM",
                )
            ],
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(
            source,
            [Problem("(whole file)", f"a {type(key).__name__}", "an Ed25519 private key in PEM")],
        )
    return key


def read_private(path: Path) -> Ed25519PrivateKey:
    """An unencrypted private key file (as written by ``policy key generate``)."""
    try:
        pem = path.read_bytes()[: 64 * 1024]
    except OSError as exc:
        raise InputError(
            str(path),
            [Problem("(path)", f"an unreadable file ({exc.strerror})", "a private key file")],
        ) from None
    return load_private(pem, str(path))


def write_private(path: Path, key: Ed25519PrivateKey) -> None:
    """Write an unencrypted private key readable by its owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(private_pem(key))


def sign(key: Ed25519PrivateKey, payload: bytes) -> dict[str, str]:
    """The signature record of ``payload``."""
    return {
        "alg": ALG,
        "key": key_id(public_b64(key)),
        "sig": base64.b64encode(key.sign(payload)).decode("ascii"),
    }


def signature_ok(public: str, payload: bytes, sig: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public)).verify(
            base64.b64decode(sig, validate=True), payload
        )
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


# -- payloads ----------------------------------------------------------------------------


def vote_payload(
    ledger: str, request: str, member: str, vote: str, date: str, agenda: str | None
) -> bytes:
    """What a member signs to cast ``vote`` (``veto`` or ``consent``) on one vote request."""
    return canonical(
        {
            "agenda": agenda,
            "context": VOTE_CONTEXT,
            "date": date,
            "ledger": ledger,
            "member": member,
            "request": request,
            "vote": vote,
        }
    ).encode("utf-8")


def decision_payload(ledger: str, body: dict[str, Any]) -> bytes:
    """What the console signs for one decision entry (the body without its signature)."""
    plain = {k: v for k, v in body.items() if k != "signature"}
    return canonical({"body": plain, "context": DECISION_CONTEXT, "ledger": ledger}).encode("utf-8")


# -- keyring -----------------------------------------------------------------------------


@dataclass
class Keyring:
    """Public keys by signer, read from and written to a ``crisislab-keyring-1`` JSON file."""

    keys: list[dict[str, Any]] = field(default_factory=list)
    path: Path | None = None

    @classmethod
    def load(cls, path: str | Path) -> Keyring:
        p = Path(path)
        if not p.is_file():
            raise InputError(
                str(p),
                [
                    Problem(
                        "(path)",
                        "no such file",
                        "a keyring (keyring.json in the web app's data folder)",
                    )
                ],
                summary="cannot be found",
            )
        data = read_json_limited(p, what="keyring")
        if (
            not isinstance(data, dict)
            or data.get("format") != KEYRING_FORMAT
            or not isinstance(data.get("keys"), list)
        ):
            raise InputError(
                str(p),
                [
                    Problem(
                        "(top level)",
                        "an unexpected structure",
                        f"a {KEYRING_FORMAT} file with a list of keys",
                    )
                ],
            )
        keys = []
        for i, k in enumerate(data["keys"]):
            if (
                not isinstance(k, dict)
                or not isinstance(k.get("signer"), str)
                or not isinstance(k.get("public"), str)
            ):
                raise InputError(
                    str(p),
                    [Problem(f"keys[{i}]", repr(k)[:60], "an object with signer and public")],
                )
            parse_public(k["public"], f"{p} keys[{i}].public")
            keys.append({**k, "key": key_id(k["public"])})
        return cls(keys, p)

    @classmethod
    def open(cls, path: str | Path) -> Keyring:
        """The keyring at ``path``, empty if there is none yet (for writing)."""
        p = Path(path)
        return cls.load(p) if p.exists() else cls([], p)

    def save(self) -> None:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(
            json.dumps({"format": KEYRING_FORMAT, "keys": self.keys}, indent=2) + "\n",
            encoding="utf-8",
        )
        os.replace(tmp, self.path)

    def add(self, signer: str, public: str, *, held: str, **extra: Any) -> dict[str, Any]:
        parse_public(public)
        kid = key_id(public)
        for k in self.keys:
            if k["key"] == kid:
                return k
        rec = {
            "signer": signer,
            "key": kid,
            "public": public,
            "held": held,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            **extra,
        }
        self.keys.append(rec)
        return rec

    def of(self, signer: str) -> list[dict[str, Any]]:
        return [k for k in self.keys if k["signer"].casefold() == signer.casefold()]

    def find(self, kid: str) -> dict[str, Any] | None:
        return next((k for k in self.keys if k["key"] == kid), None)

    def holds_own_key(self, member: str) -> bool:
        """The member registered a key of its own: the server must not sign for it."""
        return any(k.get("held") == "member" for k in self.of(member))


# -- verification ------------------------------------------------------------------------


@dataclass
class SignatureCheck:
    """The outcome of :func:`verify_signatures`."""

    ok: bool
    votes: int = 0
    decisions: int = 0
    first_bad: int | None = None
    problem: str = ""


def _entries(path: Path) -> Iterator[tuple[int, str, Any]]:
    """``(seq, hash, body)`` in order; a body that is not JSON comes as ``None``."""
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for seq, h, text in conn.execute("SELECT seq, hash, body FROM entries ORDER BY seq"):
            try:
                body = json.loads(text)
            except (TypeError, ValueError, RecursionError):
                body = None
            yield int(seq), str(h), body
    finally:
        conn.close()


def is_console_ledger(path: str | Path) -> bool:
    """Does the ledger start with a policy console's ``console_start`` entry?"""
    import sqlite3

    conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT body FROM entries WHERE seq = 1").fetchone()
    finally:
        conn.close()
    try:
        return row is not None and json.loads(row[0]).get("type") == "console_start"
    except (TypeError, ValueError, AttributeError, RecursionError):
        return False


def verify_signatures(path: str | Path, keyring: Keyring) -> SignatureCheck:
    """Check every vote and decision signature of a console ledger; name the first bad entry.

    Every event by a holder of the veto that counts as its veto or consent (under the
    policy recorded in the first entry) must carry a vote signed by that member's key in
    ``keyring``, for the vote request open at that point, with the event's date and agenda;
    every decision must be signed by the console's key. A signature used twice is a replay.
    """
    from crisislab.policy.cameo import load_table
    from crisislab.policy.compiled import CompiledPolicy
    from crisislab.policy.load import policy_from_dict

    res = SignatureCheck(True)
    ledger = ""
    request = ""
    cp: CompiledPolicy | None = None
    seen: dict[str, int] = {}

    def bad(seq: int, problem: str) -> SignatureCheck:
        res.ok, res.first_bad, res.problem = False, seq, problem
        return res

    for seq, h, body in _entries(Path(path)):
        if not isinstance(body, dict):
            return bad(seq, f"entry {seq} is not a JSON object")
        kind = body.get("type")
        if seq == 1:
            if kind != "console_start":
                return res  # a replay ledger: nothing in it is signed
            ledger = h
            try:
                cp = CompiledPolicy(
                    policy_from_dict(body.get("policy"), "the policy in entry 1"), load_table()
                )
            except InputError as exc:
                return bad(1, f"entry 1 holds a policy that cannot be compiled ({exc})")
            continue
        sig = (
            body.get("signature")
            if kind == "decision"
            else (body.get("vote") or {}).get("signature")
        )
        if isinstance(sig, dict) and isinstance(sig.get("sig"), str):
            if sig["sig"] in seen:
                return bad(seq, f"entry {seq} replays the signature of entry {seen[sig['sig']]}")
            seen[sig["sig"]] = seq
        if kind == "decision":
            what = f"decision {body.get('kind')!r}"
            if not isinstance(sig, dict):
                return bad(seq, f"entry {seq} ({what}) is not signed")
            rec = keyring.find(str(sig.get("key")))
            if rec is None or rec["signer"] != CONSOLE_SIGNER:
                owner = f"a key of {rec['signer']}" if rec else "a key that is not in the keyring"
                return bad(
                    seq, f"entry {seq} ({what}) is signed with {owner}, not with the console's key"
                )
            if not signature_ok(rec["public"], decision_payload(ledger, body), str(sig.get("sig"))):
                return bad(
                    seq,
                    f"entry {seq} ({what}) does not match its signature: it was changed after it was signed",
                )
            res.decisions += 1
            if body.get("kind") == "veto_requested":
                request = h
            continue
        if kind != "console_event":
            continue
        ev = body.get("event") or {}
        vote = body.get("vote")
        assert cp is not None
        ec = cp.classify(
            str(ev.get("source", "")),
            str(ev.get("target", "")),
            str(ev.get("cameo", "")),
            ev.get("forum"),
            ev.get("agenda"),
        )
        counts = ec.holder >= 0 and (ec.veto or ec.consent)
        if not counts and vote is None:
            continue
        source = str(ev.get("source", ""))
        if not isinstance(vote, dict):
            return bad(
                seq,
                f"entry {seq} is a {'veto' if ec.veto else 'consent'} of {source} that carries no signed vote",
            )
        member, choice = str(vote.get("member", "")), str(vote.get("vote", ""))
        if (
            not counts
            or member.casefold() != source.casefold()
            or choice != ("veto" if ec.veto else "consent")
        ):
            return bad(
                seq,
                f"entry {seq}: the vote ({member} {choice}) does not match its event ({source}, CAMEO {ev.get('cameo')})",
            )
        if not isinstance(sig, dict):
            return bad(seq, f"entry {seq}: the {choice} of {member} is not signed")
        rec = keyring.find(str(sig.get("key")))
        if rec is None:
            return bad(
                seq,
                f"entry {seq}: the {choice} of {member} is signed with a key that is not in the keyring",
            )
        if rec["signer"].casefold() != member.casefold():
            return bad(
                seq,
                f"entry {seq}: the {choice} of {member} is signed with a key of {rec['signer']}",
            )
        if str(vote.get("request", "")) != request:
            return bad(
                seq,
                f"entry {seq}: the {choice} of {member} was signed for another vote request than the one open here",
            )
        payload = vote_payload(
            ledger, request, member, choice, str(ev.get("date")), ev.get("agenda")
        )
        if not signature_ok(rec["public"], payload, str(sig.get("sig"))):
            return bad(
                seq,
                f"entry {seq}: the {choice} of {member} does not match its signature (key {rec['key']})",
            )
        res.votes += 1
    return res
