"""Signed veto votes: a forged or moved vote is caught even when the whole chain is recomputed.

The attacker of these tests can write the ledger file and knows how the chain is made: every
forged ledger is rebuilt entry by entry with :class:`Ledger` (a correct chain and head record,
so the chain check alone passes), but the attacker holds no member's private key.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from crisislab.cli import main
from crisislab.errors import InputError
from crisislab.policy import signing
from crisislab.policy.ledger import Ledger, verify
from crisislab.server.security import TokenStore

from .conftest import POLICY, make_client, talks_request

VOTE = f"/api/policy/{POLICY}/vote"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture()
def voted(data) -> dict[str, Any]:
    """A console where Estonia consented and Finland vetoed, each with its own token."""
    store = TokenStore(data / "tokens.json")
    tokens = {m: store.create(m)[0] for m in ("Finland", "Estonia", "Latvia")}
    with make_client(data) as c:
        assert c.post(f"/api/policy/{POLICY}/events", json=talks_request()).status_code == 200
        assert (
            c.post(
                VOTE,
                json={"member": "Estonia", "vote": "consent"},
                headers=_auth(tokens["Estonia"]),
            ).status_code
            == 200
        )
        r = c.post(
            VOTE, json={"member": "Finland", "vote": "veto"}, headers=_auth(tokens["Finland"])
        )
        assert [d["kind"] for d in r.json()["decisions"]] == ["veto_cast", "talks_denied"]
        check = c.post(f"/api/policy/{POLICY}/verify").json()
    ledger = next((data / "consoles").glob("*/ledger.sqlite"))
    return {
        "data": data,
        "tokens": tokens,
        "ledger": ledger,
        "keyring": signing.Keyring.load(data / "keyring.json"),
        "api_check": check,
    }


def _bodies(path: Path) -> list[dict[str, Any]]:
    with Ledger(path, create=False) as led:
        return [e["body"] for e in led.entries()]


def _rebuild(tmp_path: Path, bodies: list[dict[str, Any]], name: str = "forged.sqlite") -> Path:
    """A new ledger holding ``bodies`` with a correctly recomputed chain and head record."""
    path = tmp_path / name
    with Ledger(path) as led:
        led.append(bodies)
    assert verify(path).ok  # the chain alone cannot tell
    return path


def _find_vote(bodies: list[dict[str, Any]], member: str) -> int:
    return next(
        i
        for i, b in enumerate(bodies)
        if b.get("type") == "console_event" and (b.get("vote") or {}).get("member") == member
    )


def test_an_honest_ledger_verifies_with_every_signature(voted, capsys):
    check = voted["api_check"]
    assert check["ok"] is True and check["signatures_checked"] >= 2 + 4  # two votes, four decisions
    bodies = _bodies(voted["ledger"])
    votes = [b["vote"] for b in bodies if b.get("type") == "console_event" and b.get("vote")]
    assert [v["member"] for v in votes] == ["Estonia", "Finland"]
    ring = voted["keyring"]
    for (
        v
    ) in votes:  # each vote signed with a key of its own member, the decisions with the console's
        assert ring.find(v["signature"]["key"])["signer"] == v["member"]
    assert all(
        ring.find(b["signature"]["key"])["signer"] == "console"
        for b in bodies
        if b.get("type") == "decision"
    )
    keys = voted["data"] / "keyring.json"
    assert main(["policy", "verify", str(voted["ledger"]), "--keys", str(keys), "-f", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and out["signatures_checked"] == check["signatures_checked"]
    # without the keyring a console ledger is not called verified
    assert main(["policy", "verify", str(voted["ledger"])]) == 2
    assert "--keys" in " ".join(capsys.readouterr().err.split())


def test_a_forged_vote_with_a_recomputed_chain_is_caught(voted, tmp_path, capsys):
    bodies = _bodies(voted["ledger"])
    i = _find_vote(bodies, "Estonia")
    forged = copy.deepcopy(bodies)
    forged[i]["vote"]["vote"] = "veto"  # Estonia's consent turned into a veto, signature kept
    forged[i]["event"]["cameo"] = "129"
    path = _rebuild(tmp_path, forged)
    res = verify(path, keyring=voted["keyring"])
    assert not res.ok and res.first_bad == i + 1
    assert "the veto of Estonia does not match its signature" in res.problem
    assert main(["policy", "verify", str(path), "--keys", str(voted["data"] / "keyring.json")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"entry {i + 1}" in err and "fails verification" in err


def test_a_vote_made_up_without_the_members_key_is_caught(voted, tmp_path):
    bodies = _bodies(voted["ledger"])
    i = _find_vote(bodies, "Estonia")
    forged = copy.deepcopy(bodies)
    vote = forged[i]
    vote["event"]["source"] = vote["vote"]["member"] = "Latvia"
    # unsigned
    del vote["vote"]["signature"]
    res = verify(_rebuild(tmp_path, forged, "a.sqlite"), keyring=voted["keyring"])
    assert (
        not res.ok and res.first_bad == i + 1 and "consent of Latvia is not signed" in res.problem
    )
    # signed with the attacker's own key, right payload
    key = signing.new_key()
    payload = signing.vote_payload(
        _ledger_id(voted["ledger"]),
        vote["vote"]["request"],
        "Latvia",
        "consent",
        vote["event"]["date"],
        None,
    )
    vote["vote"]["signature"] = signing.sign(key, payload)
    res = verify(_rebuild(tmp_path, forged, "b.sqlite"), keyring=voted["keyring"])
    assert (
        not res.ok and res.first_bad == i + 1 and "a key that is not in the keyring" in res.problem
    )
    # a holder's veto written as a plain event, without the vote record
    plain = copy.deepcopy(bodies)
    j = _find_vote(plain, "Finland")
    del plain[j]["vote"]
    res = verify(_rebuild(tmp_path, plain, "c.sqlite"), keyring=voted["keyring"])
    assert (
        not res.ok
        and res.first_bad == j + 1
        and "veto of Finland that carries no signed vote" in res.problem
    )


def _ledger_id(path: Path) -> str:
    with Ledger(path, create=False) as led:
        return str(led.entry(1)["hash"])


def test_a_vote_replayed_from_another_member_is_caught(voted, tmp_path):
    bodies = _bodies(voted["ledger"])
    i = _find_vote(bodies, "Estonia")
    # Estonia's signed consent, relabelled as Latvia's consent (a copy next to the original)
    copied = copy.deepcopy(bodies)
    replay = copy.deepcopy(copied[i])
    replay["event"]["source"] = replay["vote"]["member"] = "Latvia"
    replay["n"] = replay["n"] + 1
    copied.insert(i + 1, replay)
    res = verify(_rebuild(tmp_path, copied, "a.sqlite"), keyring=voted["keyring"])
    assert (
        not res.ok
        and res.first_bad == i + 2
        and f"replays the signature of entry {i + 1}" in res.problem
    )
    # the same, moved instead of copied: the key is Estonia's, the vote says Latvia
    moved = copy.deepcopy(bodies)
    moved[i]["event"]["source"] = moved[i]["vote"]["member"] = "Latvia"
    res = verify(_rebuild(tmp_path, moved, "b.sqlite"), keyring=voted["keyring"])
    assert (
        not res.ok
        and res.first_bad == i + 1
        and "the consent of Latvia is signed with a key of Estonia" in res.problem
    )


def test_a_vote_replayed_into_a_later_request_is_caught(voted, tmp_path):
    bodies = _bodies(voted["ledger"])
    i = _find_vote(bodies, "Estonia")
    later = copy.deepcopy(bodies)
    later[i]["vote"]["request"] = "0" * 64  # the signature names the request it was cast on
    res = verify(_rebuild(tmp_path, later), keyring=voted["keyring"])
    assert not res.ok and res.first_bad == i + 1 and "another vote request" in res.problem


def test_a_changed_decision_is_caught(voted, tmp_path):
    bodies = _bodies(voted["ledger"])
    k = next(i for i, b in enumerate(bodies) if b.get("kind") == "talks_denied")
    forged = copy.deepcopy(bodies)
    forged[k]["kind"] = "talks_allowed"
    res = verify(_rebuild(tmp_path, forged), keyring=voted["keyring"])
    assert (
        not res.ok
        and res.first_bad == k + 1
        and "decision 'talks_allowed'" in res.problem
        and "changed after it was signed" in res.problem
    )


def test_the_server_keeps_member_keys_only_encrypted_by_their_tokens(voted):
    data = json.loads((voted["data"] / "tokens.json").read_text())
    for t in data["tokens"]:
        assert "BEGIN ENCRYPTED PRIVATE KEY" in t["private_key"]
        with pytest.raises(InputError, match="cannot be read"):  # no password, no key
            signing.load_private(t["private_key"].encode(), "tokens.json")
    assert voted["tokens"]["Finland"].split(".")[1] not in json.dumps(data)


def test_a_member_can_hold_its_own_key(data, tmp_path, capsys):
    store = TokenStore(data / "tokens.json")
    fin = store.create("Finland")[0]
    keyfile = tmp_path / "finland.pem"
    assert main(["policy", "key", "generate", "--out", str(keyfile), "-f", "json"]) == 0
    public = json.loads(capsys.readouterr().out)["public_key"]
    assert oct(keyfile.stat().st_mode & 0o777) == "0o600"
    assert main(["serve", "key", "add", "Finland", public, "--data", str(data), "-f", "json"]) == 0
    capsys.readouterr()
    assert "private_key" not in json.loads((data / "tokens.json").read_text())["tokens"][0]
    with make_client(data) as c:
        c.post(f"/api/policy/{POLICY}/events", json=talks_request())
        # the server no longer signs for Finland
        r = c.post(VOTE, json={"member": "Finland", "vote": "veto"}, headers=_auth(fin))
        assert r.status_code == 403 and "holds its own key" in r.json()["message"]
        p = c.get(
            f"/api/policy/{POLICY}/vote/payload", params={"member": "Finland", "vote": "veto"}
        ).json()
        assert main(["policy", "key", "sign", str(keyfile), p["payload"], "-f", "json"]) == 0
        sig = json.loads(capsys.readouterr().out)
        # a signature for another vote, or by another key, is refused; the right one counts
        wrong = signing.sign(signing.new_key(), p["payload"].encode())
        r = c.post(
            VOTE,
            json={
                "member": "Finland",
                "vote": "veto",
                "signature": {"key": sig["key"], "sig": wrong["sig"]},
            },
            headers=_auth(fin),
        )
        assert r.status_code == 403 and "does not match" in r.json()["message"]
        r = c.post(
            VOTE,
            json={"member": "Finland", "vote": "consent", "signature": sig},
            headers=_auth(fin),
        )
        assert r.status_code == 403
        r = c.post(
            VOTE,
            json={"member": "Finland", "vote": "veto", "date": p["date"], "signature": sig},
            headers=_auth(fin),
        )
        assert r.status_code == 200 and [d["kind"] for d in r.json()["decisions"]] == [
            "veto_cast",
            "talks_denied",
        ]
        assert c.post(f"/api/policy/{POLICY}/verify").json()["ok"] is True
    ledger = next((data / "consoles").glob("*/ledger.sqlite"))
    vote = next(b["vote"] for b in _bodies(ledger) if b.get("vote"))
    assert vote["signature"]["key"] == signing.key_id(public)
