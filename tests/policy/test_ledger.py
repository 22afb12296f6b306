"""The decision ledger: every kind of tampering is caught and named; kills and concurrent writers keep one valid chain."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from crisislab.errors import InputError
from crisislab.policy.cameo import roots_table
from crisislab.policy.ledger import GENESIS, Ledger, canonical, entry_hash, parse_anchor, verify
from crisislab.policy.replay import replay

Row = tuple[int, str, str, str]


@pytest.fixture()
def ledger(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.sqlite"
    res = replay("conditionality", "example", path, cameo=roots_table(), batch=7)
    assert res.end_seq == 30 and verify(path).ok and verify(path, deep=True).ok
    return path


def test_stored_bodies_are_the_canonical_decision_bodies(ledger: Path) -> None:
    """The fast body writer gives exactly canonical(decision_body(...)) for every decision."""
    from crisislab.policy.engine import replay_events
    from crisislab.policy.events import read_events, resolve_events
    from crisislab.policy.load import compile_loaded, load_policy
    from crisislab.policy.replay import decision_body

    cp = compile_loaded(load_policy("conditionality"), roots_table())
    events, _ = read_events(resolve_events("example"), cp.table)
    decs = replay_events(cp, events)
    stored = [r[3] for r in rows_of(ledger)[1:-1]]
    assert len(stored) == len(decs) == 28
    for n, (dec, text) in enumerate(zip(decs, stored, strict=True), start=1):
        line = events[dec.at].line if dec.at is not None else None
        assert text == canonical(decision_body(dec, 1, n, line))


def rows_of(path: Path) -> list[Row]:
    with sqlite3.connect(path) as conn:
        return [tuple(r) for r in conn.execute("SELECT seq, prev, hash, body FROM entries ORDER BY seq")]  # type: ignore[misc]


def rewrite(path: Path, change: Callable[[list[Row]], list[Row]], head: bool = False) -> None:
    """Tamper with the file the way an attacker with write access could: drop the guards, rewrite the rows."""
    rows = change(rows_of(path))
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER IF EXISTS entries_append_only_update")
    conn.execute("DROP TRIGGER IF EXISTS entries_append_only_delete")
    conn.execute("DROP TRIGGER IF EXISTS entries_chain")
    conn.execute("DELETE FROM entries")
    conn.executemany("INSERT INTO entries VALUES (?, ?, ?, ?)", rows)
    if head:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'head_seq'", (str(rows[-1][0]),))
        conn.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (rows[-1][2],))
    conn.commit()
    conn.close()


def edited(body: str) -> str:
    d = json.loads(body)
    d["rule"] = "something else"
    return canonical(d)


def rechain(rows: list[Row], start: int) -> list[Row]:
    """Renumber rows from index ``start`` and recompute every hash from there (a thorough forger)."""
    out = rows[:start]
    prev = out[-1][2] if out else GENESIS
    for i, (_, _, _, body) in enumerate(rows[start:], start=start + 1):
        h = entry_hash(i, prev, body)
        out.append((i, prev, h, body))
        prev = h
    return out


def check(path: Path, first_bad: int, words: str) -> None:
    res = verify(path)
    assert not res.ok
    assert res.first_bad == first_bad, res.problem
    assert words in res.problem


def test_edit_is_detected(ledger: Path) -> None:
    rewrite(ledger, lambda r: [x if x[0] != 10 else (x[0], x[1], x[2], edited(x[3])) for x in r])
    check(ledger, 10, "was edited")


def test_edit_with_a_forged_hash_is_detected(ledger: Path) -> None:
    def forge(rows: list[Row]) -> list[Row]:
        s, p, _, b = rows[9]
        b2 = edited(b)
        rows[9] = (s, p, entry_hash(s, p, b2), b2)
        return rows

    rewrite(ledger, forge)
    check(ledger, 10, "entry 10 was changed")


@pytest.mark.parametrize("column", [1, 2])
def test_forged_hash_or_prev_column_is_detected(ledger: Path, column: int) -> None:
    def forge(rows: list[Row]) -> list[Row]:
        row = list(rows[9])
        row[column] = hashlib.sha256(b"forged").hexdigest()
        rows[9] = tuple(row)  # type: ignore[assignment]
        return rows

    rewrite(ledger, forge)
    check(ledger, 10, "entry 10")


def test_deletion_is_detected(ledger: Path) -> None:
    rewrite(ledger, lambda r: [x for x in r if x[0] != 10])
    check(ledger, 10, "entry 10 is missing")


def test_deletion_with_renumbering_is_detected(ledger: Path) -> None:
    rewrite(ledger, lambda r: [(i + 1, p, h, b) for i, (_, p, h, b) in enumerate(x for x in r if x[0] != 10)])
    check(ledger, 10, "does not follow entry 9")


def test_insertion_is_detected(ledger: Path) -> None:
    def insert(rows: list[Row]) -> list[Row]:
        body = canonical({"type": "decision", "kind": "talks_allowed", "rule": "forged"})
        new = (10, rows[8][2], entry_hash(10, rows[8][2], body), body)
        return [*rows[:9], new, *[(s + 1, p, h, b) for s, p, h, b in rows[9:]]]

    rewrite(ledger, insert)
    check(ledger, 10, "entry 10 was inserted")


def test_reordering_is_detected(ledger: Path) -> None:
    def swap_rows(rows: list[Row]) -> list[Row]:
        a, b = rows[9], rows[10]
        rows[9], rows[10] = (10, b[1], b[2], b[3]), (11, a[1], a[2], a[3])
        return rows

    rewrite(ledger, swap_rows)
    check(ledger, 10, "does not follow entry 9")


def test_reordering_bodies_is_detected(ledger: Path) -> None:
    def swap_bodies(rows: list[Row]) -> list[Row]:
        a, b = rows[9], rows[10]
        rows[9], rows[10] = (a[0], a[1], a[2], b[3]), (b[0], b[1], b[2], a[3])
        return rows

    rewrite(ledger, swap_bodies)
    check(ledger, 10, "was edited")


def test_truncation_is_caught_by_the_head_record_or_an_anchor(ledger: Path) -> None:
    anchor = (30, rows_of(ledger)[-1][2])
    rewrite(ledger, lambda r: r[:-2])
    check(ledger, 29, "entries 29..30 are missing")
    # a forger who also rewrites the head record is caught by an anchor kept elsewhere
    rewrite(ledger, lambda r: r, head=True)
    assert verify(ledger).ok
    res = verify(ledger, anchor=anchor)
    assert not res.ok and res.first_bad == 29


def test_a_complete_rewrite_is_caught_only_by_an_anchor(ledger: Path) -> None:
    anchor = parse_anchor(f"30:{rows_of(ledger)[-1][2]}")

    def rewrite_tail(rows: list[Row]) -> list[Row]:
        rows[14] = (rows[14][0], rows[14][1], rows[14][2], edited(rows[14][3]))
        return rechain(rows, 14)

    rewrite(ledger, rewrite_tail, head=True)
    assert verify(ledger).ok  # internally consistent...
    res = verify(ledger, anchor=anchor)
    assert not res.ok and res.first_bad == 30  # ...but not what was published
    with pytest.raises(InputError):
        parse_anchor("30:nothex")


def test_deep_check_finds_a_non_canonical_body(ledger: Path) -> None:
    def loosen(rows: list[Row]) -> list[Row]:
        rows[4] = (rows[4][0], rows[4][1], rows[4][2], json.dumps(json.loads(rows[4][3]), indent=1))
        return rechain(rows, 4)

    rewrite(ledger, loosen, head=True)
    assert verify(ledger).ok
    res = verify(ledger, deep=True)
    assert not res.ok and res.first_bad == 5 and "canonical" in res.problem


def test_the_database_refuses_updates_deletes_and_forks(ledger: Path) -> None:
    conn = sqlite3.connect(ledger)
    for stmt in ("UPDATE entries SET body = '{}' WHERE seq = 3", "DELETE FROM entries WHERE seq = 30"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(stmt)
    body = canonical({"type": "note"})
    stale_prev = rows_of(ledger)[-2][2]  # a writer that read the head before the last entry was added
    with pytest.raises(sqlite3.IntegrityError, match="chained onto the head"):
        conn.execute("INSERT INTO entries VALUES (31, ?, ?, ?)", (stale_prev, entry_hash(31, stale_prev, body), body))
    with pytest.raises(sqlite3.IntegrityError, match="chained onto the head"):
        conn.execute("INSERT INTO entries VALUES (30, ?, ?, ?)", (stale_prev, entry_hash(30, stale_prev, body), body))
    conn.close()
    assert verify(ledger).ok


def test_not_a_ledger(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(InputError, match="not an SQLite database"):
        verify(junk)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(InputError, match="entries and meta"):
        verify(other)
    with pytest.raises(InputError, match="cannot be found"):
        verify(tmp_path / "none.sqlite")


def test_replay_records_that_no_event_was_lost(tmp_path: Path) -> None:
    events = tmp_path / "e.csv"
    events.write_text(
        "date,source,target,cameo\n2025-01-06,Germany,Russian Federation,036\nnot a line\n"
        "2025-01-07,Germany,Russian Federation,2199\n2025-01-08,Germany,Russian Federation,036\n")
    path = tmp_path / "l.sqlite"
    res = replay("conditionality", events, path, cameo=roots_table(), skip_bad=tmp_path / "bad.jsonl")
    with Ledger(path, create=False) as led:
        end = led.entry(res.end_seq)
        start = led.entry(res.start_seq)
    assert end is not None and start is not None
    b = end["body"]
    assert (b["lines"], b["events"], b["skipped"]) == (4, 2, 2) and b["events"] + b["skipped"] == b["lines"]
    assert b["decisions"] == 2 and len((tmp_path / "bad.jsonl").read_text().splitlines()) == 2
    assert start["body"]["events_sha256"] == hashlib.sha256(events.read_bytes()).hexdigest()
    assert start["body"]["policy"]["name"] == "conditionality"


# -- crashes and concurrency -----------------------------------------------------------------
# Real processes, forked so that they start with crisislab already imported.

FORK = multiprocessing.get_context("fork")


def _big_events(path: Path, n: int) -> None:
    with path.open("w") as fh:
        fh.write("date,source,target,cameo\n")
        for i in range(n):
            fh.write(f"2025-{1 + i // 20000:02d}-{1 + (i // 800) % 25:02d},Germany,Russian Federation,036\n")


def _count(path: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def _replay_slowly(events: str, path: str) -> None:
    replay("conditionality", events, path, cameo=roots_table(), batch=50)


def test_killing_a_replay_mid_way_leaves_a_valid_chain(tmp_path: Path) -> None:
    events = tmp_path / "big.csv"
    _big_events(events, 60_000)
    path = tmp_path / "l.sqlite"
    proc = FORK.Process(target=_replay_slowly, args=(str(events), str(path)))
    proc.start()
    deadline = time.monotonic() + 60
    while _count(path) < 200 and time.monotonic() < deadline and proc.is_alive():
        time.sleep(0.01)
    assert proc.is_alive(), "the replay finished before it could be killed"
    assert proc.pid is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    assert proc.exitcode == -signal.SIGKILL
    res = verify(path)
    assert res.ok, res.problem
    assert 200 <= res.entries < 60_002  # it was stopped before the end
    with Ledger(path, create=False) as led:
        last = led.entry(res.head_seq)
        assert last is not None and last["body"]["type"] != "replay_end"
    # the ledger goes on from where it stopped
    replay("conditionality", "example", path, cameo=roots_table())
    assert verify(path).ok and verify(path).entries == res.entries + 30


def _writer(path: str, w: int) -> None:
    with Ledger(path) as led:
        for i in range(150):
            led.append([{"type": "note", "writer": w, "i": i}])
    replay("conditionality", "example", path, cameo=roots_table(), batch=1)


def test_concurrent_writers_never_fork_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    Ledger(path).close()
    procs = [FORK.Process(target=_writer, args=(str(path), w)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    res = verify(path)
    assert res.ok, res.problem
    assert res.entries == 2 * 150 + 2 * 30
    with Ledger(path, create=False) as led:
        bodies = [e["body"] for e in led.entries()]
    for w in range(2):
        assert [b["i"] for b in bodies if b.get("writer") == w] == list(range(150))
    starts = [i + 1 for i, b in enumerate(bodies) if b["type"] == "replay_start"]
    assert len(starts) == 2
    for s in starts:  # each replay's decisions point at their own start entry, all 28 of them
        assert sum(1 for b in bodies if b["type"] == "decision" and b["replay"] == s) == 28


@pytest.mark.parametrize("chunk", [1, 4, 7, 50_000])
def test_detection_does_not_depend_on_how_the_walk_is_chunked(ledger: Path, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import crisislab.policy.ledger as ledger_mod

    monkeypatch.setattr(ledger_mod, "CHUNK", chunk)
    assert verify(ledger).ok and verify(ledger).entries == 30

    def forge(rows: list[Row]) -> list[Row]:
        s, p, _, b = rows[15]
        b2 = edited(b)
        rows[15] = (s, p, entry_hash(s, p, b2), b2)
        return rows

    rewrite(ledger, forge)
    check(ledger, 16, "entry 16 was changed")
    rewrite(ledger, lambda r: [x for x in r if x[0] != 22])
    check(ledger, 16, "entry 16 was changed")  # still the first bad entry
