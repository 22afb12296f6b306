"""An append-only, hash-chained decision ledger in SQLite.

Each entry is the canonical JSON object ``{"body": ..., "prev": ..., "seq": ...}`` (keys
sorted, no spaces, UTF-8): ``seq`` counts entries from 1, ``prev`` is the SHA-256 of the
canonical previous entry (64 zeros for the first) and ``body`` is the content. The table
stores ``seq``, ``prev``, the entry's own ``hash`` and ``body`` (as canonical JSON text), so
the canonical entry can be rebuilt without parsing the body:

    ``{"body":`` + body + ``,"prev":"`` + prev + ``","seq":`` + seq + ``}``

Writes are transactions (``BEGIN IMMEDIATE``): the head is read, the new entries are chained
onto it and committed together, so a process killed mid-write leaves the chain as it was at
the last commit, and two writers queue for the lock instead of forking the chain. Triggers
refuse an insert that is not chained onto the head, and any ``UPDATE`` or ``DELETE``. The ``meta``
table records the head (last ``seq`` and ``hash``) in the same transaction, which catches
the removal of entries at the end; an anchor kept elsewhere (``--head SEQ:HASH``) also
catches a rewrite of the whole tail.

:func:`verify` walks the chain and names the first bad entry. A policy console's ledger also
carries signatures (:mod:`crisislab.policy.signing`): each member's vote signed with that
member's key and each decision with the console's, which catch a rewrite of the whole chain
by someone without the keys; :func:`verify` checks them when given a keyring.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crisislab.errors import InputError, Problem

GENESIS = "0" * 64
CHUNK = 50_000  # entries verified per step
FORMAT = "crisislab-ledger-1"

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS entries (
    seq  INTEGER PRIMARY KEY,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL,
    body TEXT NOT NULL
)""",
    # An entry can only be added at the end of the chain, onto the current head: this
    # makes a fork impossible even for a writer that skips the transaction discipline.
    f"""CREATE TRIGGER IF NOT EXISTS entries_chain BEFORE INSERT ON entries
    WHEN NEW.seq != COALESCE((SELECT MAX(seq) FROM entries), 0) + 1
      OR NEW.prev != COALESCE((SELECT hash FROM entries WHERE seq = NEW.seq - 1), '{"0" * 64}')
    BEGIN SELECT RAISE(ABORT, 'an entry must be chained onto the head of the ledger'); END""",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TRIGGER IF NOT EXISTS entries_append_only_update BEFORE UPDATE ON entries
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS entries_append_only_delete BEFORE DELETE ON entries
    BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END""",
)


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical(obj: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 characters kept, no NaN."""
    return _CANONICAL.encode(obj)


def entry_text(seq: int, prev: str, body: str) -> str:
    """The canonical text of an entry from its parts (``body`` already canonical)."""
    return '{"body":' + body + ',"prev":"' + prev + '","seq":' + str(seq) + "}"


def entry_hash(seq: int, prev: str, body: str) -> str:
    """SHA-256 (hex) of the canonical entry."""
    return hashlib.sha256(entry_text(seq, prev, body).encode("utf-8")).hexdigest()


class Ledger:
    """A ledger file opened for appending and reading.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "l.sqlite")
    >>> with Ledger(path) as led:
    ...     led.append([{"type": "note", "text": "hello"}])
    [(1, '...')]
    >>> verify(path).ok
    True
    """

    def __init__(self, path: str | Path, *, create: bool = True, timeout: float = 120.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        if not create and not self.path.exists():
            raise InputError(str(path), [Problem("(path)", "no such file", "a ledger written by `crisislab policy replay`")], summary="cannot be found")
        if self.path.is_dir():
            raise InputError(str(path), [Problem("(path)", "a directory", "a ledger file")])
        try:
            self.conn = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None)
            self.conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if create:
                mode = self.conn.execute("PRAGMA journal_mode").fetchone()[0]
                if str(mode).lower() != "wal":
                    self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=NORMAL")
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _SCHEMA:
                        self.conn.execute(statement)
                    self.conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('format', ?)", (FORMAT,))
                    self.conn.execute("COMMIT")
                except BaseException:
                    self.conn.execute("ROLLBACK")
                    raise
            self._check()
        except sqlite3.DatabaseError as exc:
            raise InputError(str(path), [Problem("(whole file)", f"a file SQLite cannot use as a ledger ({exc})", "a ledger written by `crisislab policy replay`")]) from None

    def _check(self) -> None:
        names = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"entries", "meta"} <= names:
            raise InputError(str(self.path), [Problem("(tables)", f"tables {sorted(names)}", "the tables entries and meta of a crisislab ledger")])

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    # -- writing -------------------------------------------------------------------------

    def append(self, bodies: Iterable[dict[str, Any]]) -> list[tuple[int, str]]:
        """Append entries in one transaction; return their ``(seq, hash)``."""
        return self.append_texts([canonical(b) for b in bodies])

    def append_texts(self, texts: list[str]) -> list[tuple[int, str]]:
        """Like :meth:`append` for bodies already serialised with :func:`canonical`."""
        if not texts:
            return []
        conn = self.conn
        self._begin()
        try:
            row = conn.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (row[0], row[1]) if row else (0, GENESIS)
            rows = []
            out = []
            for body in texts:
                seq += 1
                h = entry_hash(seq, prev, body)
                rows.append((seq, prev, h, body))
                out.append((seq, h))
                prev = h
            conn.executemany("INSERT INTO entries(seq, prev, hash, body) VALUES (?, ?, ?, ?)", rows)
            conn.executemany(
                "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [("head_seq", str(seq)), ("head_hash", prev)],
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return out

    def _begin(self) -> None:
        """``BEGIN IMMEDIATE``, retrying quickly while another writer holds the lock.

        SQLite's own busy handler backs off to 100 ms sleeps; short random sleeps hand the
        lock over much faster when several writers take turns.
        """
        deadline = time.monotonic() + self.timeout
        self.conn.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) and "busy" not in str(exc):
                        raise
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(random.uniform(0.0005, 0.003))
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")

    # -- reading -------------------------------------------------------------------------

    def head(self) -> tuple[int, str]:
        """``(seq, hash)`` of the last entry (``(0, GENESIS)`` when empty)."""
        row = self.conn.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
        return (int(row[0]), str(row[1])) if row else (0, GENESIS)

    def entry(self, seq: int) -> dict[str, Any] | None:
        """One entry as ``{"seq", "prev", "hash", "body"}`` with the body parsed."""
        row = self.conn.execute("SELECT seq, prev, hash, body FROM entries WHERE seq = ?", (seq,)).fetchone()
        if row is None:
            return None
        return {"seq": row[0], "prev": row[1], "hash": row[2], "body": json.loads(row[3])}

    def entries(self, start: int = 1, stop: int | None = None) -> Iterator[dict[str, Any]]:
        """Entries with ``start <= seq <= stop`` in order, bodies parsed."""
        q = "SELECT seq, prev, hash, body FROM entries WHERE seq >= ?" + (" AND seq <= ?" if stop is not None else "") + " ORDER BY seq"
        args: tuple[int, ...] = (start, stop) if stop is not None else (start,)
        for row in self.conn.execute(q, args):
            yield {"seq": row[0], "prev": row[1], "hash": row[2], "body": json.loads(row[3])}

    def find_before(self, seq: int, body_type: str) -> dict[str, Any] | None:
        """The last entry before ``seq`` (inclusive) whose body has ``type == body_type``."""
        for row in self.conn.execute("SELECT seq FROM entries WHERE seq <= ? ORDER BY seq DESC", (seq,)):
            e = self.entry(int(row[0]))
            if e is not None and e["body"].get("type") == body_type:
                return e
        return None


@dataclass
class VerifyResult:
    """The outcome of :func:`verify`."""

    path: str
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    first_bad: int | None = None
    problem: str = ""
    notes: list[str] = field(default_factory=list)
    signed: bool = False  # a console ledger: its votes and decisions carry signatures
    signatures_checked: int | None = None  # votes + decisions whose signature was checked (None: not checked)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ledger": self.path,
            "ok": self.ok,
            "entries": self.entries,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "first_bad_entry": self.first_bad,
            "problem": self.problem,
            "signatures_checked": self.signatures_checked,
            "notes": self.notes,
        }


def parse_anchor(text: str) -> tuple[int, str]:
    """Parse ``SEQ:HASH`` (as printed by ``policy replay``)."""
    seq_s, _, h = text.partition(":")
    if not seq_s.isdigit() or len(h) != 64 or any(c not in "0123456789abcdef" for c in h):
        raise InputError("--head", [Problem("(option)", repr(text), "SEQ:HASH, e.g. 42:<64 hex digits>, as printed by `policy replay`")])
    return int(seq_s), h


def verify(path: str | Path, *, anchor: tuple[int, str] | None = None, deep: bool = False, keyring: Any = None) -> VerifyResult:
    """Check the whole chain; name the first bad entry if there is one.

    ``anchor`` (``(seq, hash)`` kept elsewhere) must match the entry of that number; ``deep``
    also checks that every body is canonical JSON. ``keyring`` (a
    :class:`~crisislab.policy.signing.Keyring`) also checks the signature of every vote and
    decision of a policy console's ledger (:func:`~crisislab.policy.signing.verify_signatures`);
    without one, a console ledger's result says that its signatures were not checked.
    """
    res = _verify_chain(path, anchor, deep)
    if res.entries == 0:
        return res
    from crisislab.policy import signing

    res.signed = signing.is_console_ledger(path)
    if not res.signed or not res.ok:
        return res
    if keyring is None:
        res.notes.append("signatures not checked: this console ledger's votes and decisions are signed; pass the keyring (--keys)")
        return res
    check = signing.verify_signatures(path, keyring)
    res.signatures_checked = check.votes + check.decisions
    if not check.ok:
        res.ok, res.first_bad, res.problem = False, check.first_bad, check.problem
    return res


def _verify_chain(path: str | Path, anchor: tuple[int, str] | None, deep: bool) -> VerifyResult:
    p = Path(path)
    if not p.exists():
        raise InputError(str(path), [Problem("(path)", "no such file", "a ledger written by `crisislab policy replay`")], summary="cannot be found")
    try:
        conn = sqlite3.connect(f"file:{p}?mode=ro", uri=True, timeout=120.0)
    except sqlite3.DatabaseError as exc:  # pragma: no cover - depends on the OS
        raise InputError(str(path), [Problem("(whole file)", f"a file SQLite cannot open ({exc})", "a ledger")]) from None
    try:
        try:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            raise InputError(str(path), [Problem("(whole file)", f"a file that is not an SQLite database ({exc})", "a ledger written by `crisislab policy replay`")]) from None
        if not {"entries", "meta"} <= names:
            raise InputError(str(path), [Problem("(tables)", f"tables {sorted(names)}", "the tables entries and meta of a crisislab ledger")])
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        return _walk(conn, str(path), meta, anchor, deep)
    finally:
        conn.close()


def _walk(conn: sqlite3.Connection, path: str, meta: dict[str, str], anchor: tuple[int, str] | None, deep: bool) -> VerifyResult:
    # Columns are read as bytes: the canonical entry is rebuilt and hashed without decoding.
    conn.text_factory = bytes
    sha = hashlib.sha256
    genesis = GENESIS.encode("ascii")
    prev_h, prev2_h = genesis, b""
    expected = 1
    n = 0
    last_hash = genesis
    anchor_seen = False
    anchor_b = anchor[1].encode("ascii") if anchor is not None else b""
    anchor_seq = anchor[0] if anchor is not None else -1

    def bad(seq: int, problem: str) -> VerifyResult:
        return VerifyResult(path, False, n, expected - 1, last_hash.decode("ascii", "replace"), seq, problem)

    cur = conn.execute("SELECT seq, prev, hash, body FROM entries ORDER BY seq")
    fmt = b'{"body":%b,"prev":"%b","seq":%d}'
    while True:
        chunk = cur.fetchmany(CHUNK)
        if not chunk:
            break
        # fast path: check the whole chunk with list operations; walk it row by row only
        # when something is wrong, to name the first bad entry
        try:
            seqs, prevs, hashes, bodies = (list(c) for c in zip(*chunk, strict=True))
            calcs = [sha(fmt % (b, p, q)).hexdigest().encode("ascii") for q, p, b in zip(seqs, prevs, bodies, strict=True)]
            clean = (
                seqs == list(range(expected, expected + len(chunk)))
                and calcs == hashes
                and prevs[0] == prev_h
                and prevs[1:] == hashes[:-1]
                and not deep
                and not (expected <= anchor_seq < expected + len(chunk))
            )
        except (TypeError, ValueError):
            clean = False
        if clean:
            prev2_h = hashes[-2] if len(hashes) > 1 else prev_h
            prev_h = hashes[-1]
            expected += len(chunk)
            n += len(chunk)
            last_hash = prev_h
            continue
        for seq, prev, h, body in chunk:
            if seq != expected:
                if not isinstance(seq, int):
                    return bad(expected, f"entry {expected} has a sequence number that is not an integer")
                return bad(expected, f"entry {expected} is missing (the next entry is {seq}): entries were deleted")
            try:
                calc = sha(b'{"body":%b,"prev":"%b","seq":%d}' % (body, prev, seq)).hexdigest().encode("ascii")
            except TypeError:
                return bad(seq, f"entry {seq} has a column of the wrong type")
            if prev != prev_h:
                if seq == 1:
                    return bad(1, "the first entry does not start the chain (its prev hash is not all zeros)")
                if prev == prev2_h:
                    return bad(seq - 1, f"entry {seq - 1} was inserted: entry {seq} was chained directly onto entry {seq - 2}")
                if calc == h:
                    return bad(seq - 1, f"entry {seq - 1} was changed: its hash is no longer the one sealed into entry {seq}")
                return bad(seq, f"entry {seq} does not follow entry {seq - 1} (entries were deleted, inserted or reordered, or its prev hash was forged)")
            if calc != h:
                return bad(seq, f"entry {seq} was edited: its content does not match its stored hash")
            if deep:
                try:
                    text = body.decode("utf-8")
                    if canonical(json.loads(text)) != text:
                        return bad(seq, f"entry {seq} is not stored as canonical JSON")
                except ValueError:
                    return bad(seq, f"entry {seq} is not UTF-8 JSON")
            if seq == anchor_seq:
                anchor_seen = True
                if h != anchor_b:
                    return bad(seq, f"entry {seq} differs from the anchor kept elsewhere (hash {h[:12].decode('ascii', 'replace')}..., anchor {anchor_b[:12].decode()}...)")
            prev2_h = prev_h
            prev_h = h
            expected += 1
            n += 1
        last_hash = prev_h
    last = expected - 1
    head_hex = last_hash.decode("ascii", "replace")
    res = VerifyResult(path, True, n, last, head_hex)
    head_seq = meta.get("head_seq")
    if head_seq is not None:
        hs = int(head_seq) if head_seq.isdigit() else -1
        if hs > last:
            return VerifyResult(path, False, n, last, head_hex, last + 1, f"entries {last + 1}..{hs} are missing: the ledger's head record says it holds {hs} entries")
        if hs != last or meta.get("head_hash") != head_hex:
            return VerifyResult(path, False, n, last, head_hex, hs + 1 if 0 <= hs < last else last, f"the ledger's head record (entry {head_seq}) does not match its last entry ({last})")
    elif n:
        res.notes.append("the ledger has no head record")
    if anchor is not None and not anchor_seen:
        return VerifyResult(path, False, n, last, head_hex, last + 1, f"entries {last + 1}..{anchor[0]} are missing: the anchor names entry {anchor[0]}")
    return res
