"""Security pieces of the web app: member tokens, request size limits, safe names.

**Tokens.** Each coalition member that holds a veto casts its votes with its own token.
Tokens are made by an administrator on the server's machine
(``crisislab serve token create MEMBER``), printed once, and stored only as salted
PBKDF2-SHA256 hashes in ``tokens.json`` in the data folder. A token looks like
``<id>.<secret>``: the public id finds the stored record (so a token that belongs to
another member is recognised as such and refused), the secret is checked against the hash
in constant time. A token is never written anywhere in clear.

**Signing keys.** Each token comes with an Ed25519 key that signs the member's votes in the
console's ledger (:mod:`crisislab.policy.signing`). Its public half is in ``keyring.json``; its
private half is stored encrypted with the token's secret, so the server can sign a vote only
while the member presents its token, and a copy of the data folder holds no usable member key.
A member can hold its own key instead (``crisislab serve key add MEMBER PUBLIC_KEY``); the
server then signs nothing for it and accepts only votes that come signed.

**Request size.** :class:`BodyLimit` refuses bodies larger than the limit with HTTP 413,
whether the client announces the size (``Content-Length``) or streams it.

**Names.** Result ids, saved scenario and policy names are checked against a strict
pattern and resolved inside their folder, so no name can reach outside it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crisislab.errors import InputError, Problem
from crisislab.limits import read_json_limited
from crisislab.policy import signing

PBKDF2_ITERATIONS = 120_000
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
TOKEN_RE = re.compile(r"^([0-9a-f]{12})\.([A-Za-z0-9_-]{20,100})$")


def safe_name(name: str, what: str = "name") -> str:
    """``name`` if it is a plain file-name stem (letters, digits, ``_ . -``; no ``..``)."""
    if not isinstance(name, str) or not NAME_RE.match(name) or ".." in name:
        raise InputError(what, [Problem("(value)", repr(name)[:80], "1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit")])
    return name


def inside(folder: Path, name: str, suffix: str = "", what: str = "name") -> Path:
    """The path ``folder/name+suffix`` after checking that it stays inside ``folder``."""
    safe_name(name, what)
    root = folder.resolve()
    path = (root / f"{name}{suffix}").resolve()
    if path.parent != root:
        raise InputError(what, [Problem("(value)", repr(name)[:80], "a name inside its folder")])
    return path


def _hash(secret: str, salt: bytes, iterations: int = PBKDF2_ITERATIONS) -> str:
    return hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), salt, iterations).hex()


@dataclass
class TokenCheck:
    ok: bool
    reason: str = ""
    token_id: str = ""


class TokenStore:
    """Salted token hashes per member, in ``tokens.json`` (written atomically)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"format": "crisislab-tokens-1", "tokens": []}
        data = read_json_limited(self.path, what="token file (the tokens.json written by `crisislab serve token create`)")
        if not isinstance(data, dict) or not isinstance(data.get("tokens"), list):
            raise InputError(str(self.path), [Problem("(top level)", "an unexpected structure", "the tokens.json written by `crisislab serve token create`")])
        return data

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.parent / f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    @property
    def keyring_path(self) -> Path:
        """The public keys of members and of the console (``keyring.json`` beside the tokens)."""
        return self.path.parent / "keyring.json"

    def create(self, member: str, note: str = "") -> tuple[str, str]:
        """Make a token for ``member``; return ``(token, token_id)``. Only the hash is kept.

        The token comes with a signing key for the member's votes: its public half goes to
        the keyring, its private half is kept encrypted with the token's secret (so the
        server can sign a vote only when the member presents the token). A member that
        holds its own key (:meth:`register_member_key`) gets no server-held key.
        """
        member = member.strip()
        if not member:
            raise InputError("MEMBER", [Problem("(value)", "an empty name", "the name of a coalition member, e.g. Finland")])
        tid = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        with self._lock:
            data = self._read()
            rec: dict[str, Any] = {
                "id": tid, "member": member, "salt": salt.hex(), "hash": _hash(secret, salt),
                "iterations": PBKDF2_ITERATIONS, "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "revoked": False, "note": note,
            }
            ring = signing.Keyring.open(self.keyring_path)
            if not ring.holds_own_key(member):
                self._attach_key(rec, secret, ring)
                ring.save()
            data["tokens"].append(rec)
            self._write(data)
        return f"{tid}.{secret}", tid

    @staticmethod
    def _attach_key(rec: dict[str, Any], secret: str, ring: signing.Keyring) -> None:
        key = signing.new_key()
        public = signing.public_b64(key)
        rec["public_key"] = public
        rec["private_key"] = signing.private_pem(key, secret).decode("ascii")
        ring.add(rec["member"], public, held="server", token_id=rec["id"])

    def signing_key(self, token: str, member: str) -> Any:
        """The private key that signs ``member``'s votes, unlocked with its (checked) token;
        ``None`` when the member holds its own key. A token made before tokens had keys gets
        one now."""
        check = self.check(token, member)
        if not check.ok:
            raise InputError("token", [Problem("(value)", "a token that does not vote for this member", f"a valid token of {member}")])
        secret = token.strip().split(".", 1)[1]
        with self._lock:
            ring = signing.Keyring.open(self.keyring_path)
            if ring.holds_own_key(member):
                return None
            data = self._read()
            rec = next(t for t in data["tokens"] if t.get("id") == check.token_id)
            if not rec.get("private_key"):
                self._attach_key(rec, secret, ring)
                ring.save()
                self._write(data)
            return signing.load_private(rec["private_key"].encode("ascii"), str(self.path), secret)

    def register_member_key(self, member: str, public: str, note: str = "") -> dict[str, Any]:
        """Record a public key the member generated and keeps itself. From then on the server
        holds no key of that member: its votes must come signed (their server-held keys are
        deleted; their public keys stay in the keyring, to check earlier votes)."""
        member = member.strip()
        with self._lock:
            ring = signing.Keyring.open(self.keyring_path)
            rec = ring.add(member, public.strip(), held="member", note=note)
            ring.save()
            data = self._read()
            changed = False
            for t in data["tokens"]:
                if t.get("member", "").casefold() == member.casefold() and t.get("private_key"):
                    t.pop("private_key")
                    changed = True
            if changed:
                self._write(data)
        return rec

    def list(self) -> list[dict[str, Any]]:
        """Stored tokens without their hashes, salts and keys (the id of the signing key instead)."""
        out = []
        for t in self._read()["tokens"]:
            row = {k: t.get(k) for k in ("id", "member", "created", "revoked", "note")}
            row["signing_key"] = signing.key_id(t["public_key"]) if t.get("private_key") and t.get("public_key") else None
            out.append(row)
        return out

    def revoke(self, member: str | None = None, token_id: str | None = None) -> int:
        """Revoke every token of ``member`` (or the token ``token_id``); return how many."""
        n = 0
        with self._lock:
            data = self._read()
            for t in data["tokens"]:
                if t.get("revoked"):
                    continue
                if (token_id is not None and t.get("id") == token_id) or (token_id is None and member is not None and t.get("member", "").casefold() == member.casefold()):
                    t["revoked"] = True
                    n += 1
            if n:
                self._write(data)
        return n

    def check(self, token: str | None, member: str) -> TokenCheck:
        """Is ``token`` a valid, unrevoked token of ``member``?"""
        if not token:
            return TokenCheck(False, "no token given (send it as 'Authorization: Bearer <token>')")
        m = TOKEN_RE.match(token.strip())
        if not m:
            return TokenCheck(False, "the token is malformed")
        tid, secret = m.group(1), m.group(2)
        rec = next((t for t in self._read()["tokens"] if t.get("id") == tid), None)
        if rec is None:
            return TokenCheck(False, "the token is not known to this server")
        calc = _hash(secret, bytes.fromhex(rec["salt"]), int(rec.get("iterations", PBKDF2_ITERATIONS)))
        if not hmac.compare_digest(calc, rec["hash"]):
            return TokenCheck(False, "the token is not valid")
        if rec.get("revoked"):
            return TokenCheck(False, "the token was revoked", tid)
        if rec.get("member", "").casefold() != member.casefold():
            return TokenCheck(False, f"the token belongs to another member and cannot vote for {member}", tid)
        return TokenCheck(True, "", tid)


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: HTTP 413 for request bodies over ``max_bytes``."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        length = headers.get("content-length")
        if length is not None:
            try:
                too_big = int(length) > self.max_bytes
            except ValueError:
                too_big = True
            if too_big:
                await self._reject(send)
                return
        seen = 0
        started = False

        async def limited_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message.get("type") == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message.get("type") == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._reject(send)

    async def _reject(self, send: Any) -> None:
        body = json.dumps({"error": "too large", "message": f"The request body is larger than the limit of {self.max_bytes} bytes."}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
