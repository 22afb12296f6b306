"""Security and limits: member tokens, size limits, the bounded queue, validated inputs,
no path traversal through names."""

from __future__ import annotations

import json
import threading

import pytest

from crisislab.cli import main
from crisislab.server.jobs import Busy, JobManager
from crisislab.server.security import TokenStore

from .conftest import POLICY, make_client, talks_request, wait_job

# -- tokens --------------------------------------------------------------------------------


def test_tokens_are_stored_only_as_salted_hashes(tmp_path):
    store = TokenStore(tmp_path / "tokens.json")
    t1, id1 = store.create("Finland")
    t2, _ = store.create("Finland")
    text = (tmp_path / "tokens.json").read_text()
    assert t1.split(".")[1] not in text and t2.split(".")[1] not in text
    recs = json.loads(text)["tokens"]
    assert recs[0]["salt"] != recs[1]["salt"] and recs[0]["hash"] != recs[1]["hash"]
    assert store.check(t1, "Finland").ok and store.check(t1, "finland").ok
    assert not store.check(t1[:-1] + ("A" if t1[-1] != "A" else "B"), "Finland").ok
    assert store.revoke("Finland") == 2 and not store.check(t1, "Finland").ok


def test_token_admin_command(tmp_path, capsys):
    data = tmp_path / "d"
    assert main(["serve", "token", "create", "Estonia", "--data", str(data), "--format", "json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["member"] == "Estonia" and row["token"].startswith(row["token_id"] + ".")
    assert TokenStore(data / "tokens.json").check(row["token"], "Estonia").ok
    assert main(["serve", "token", "list", "--data", str(data), "--format", "json"]) == 0
    listed = capsys.readouterr().out
    assert "Estonia" in listed and row["token"] not in listed and "hash" not in listed
    assert main(["serve", "token", "create", "Atlantis", "--data", str(data)]) == 2
    assert "holder of the no-surprises veto" in capsys.readouterr().err
    assert main(["serve", "token", "revoke", "Estonia", "--data", str(data), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"revoked": 1}


def test_veto_needs_the_members_own_token(data):
    store = TokenStore(data / "tokens.json")
    fin, _ = store.create("Finland")
    est, _ = store.create("Estonia")
    with make_client(data) as c:
        c.post(f"/api/policy/{POLICY}/events", json=talks_request())
        url = f"/api/policy/{POLICY}/vote"
        vote = {"member": "Finland", "vote": "veto"}
        r = c.post(url, json=vote)
        assert r.status_code == 403 and "no token" in r.json()["message"]
        r = c.post(url, json=vote, headers={"Authorization": f"Bearer {est}"})
        assert r.status_code == 403 and "belongs to another member" in r.json()["message"]
        r = c.post(url, json=vote, headers={"Authorization": "Bearer abc"})
        assert r.status_code == 403 and "malformed" in r.json()["message"]
        # the vote was not counted by any refused attempt
        assert c.get(f"/api/policy/{POLICY}/status").json()["vote_open"] is True
        r = c.post(url, json=vote, headers={"Authorization": f"Bearer {fin}"})
        assert r.status_code == 200
        assert [d["kind"] for d in r.json()["decisions"]] == ["veto_cast", "talks_denied"]
        ledger = c.get(f"/api/policy/{POLICY}/ledger").json()
        votes = [e for e in ledger if e["type"] == "console_event" and "vote:" in e["text"]]
        assert len(votes) == 1 and "Finland veto" in votes[0]["text"] and fin.split(".")[1] not in json.dumps(ledger)
        # no vote is open any more
        r = c.post(url, json={"member": "Estonia", "vote": "consent"}, headers={"Authorization": f"Bearer {est}"})
        assert r.status_code == 409


def test_holder_votes_cannot_be_posted_as_plain_events(client):
    client.post(f"/api/policy/{POLICY}/events", json=talks_request())
    forged = {"date": "2024-03-02", "source": "Finland", "target": "European Union", "cameo": "129"}
    r = client.post(f"/api/policy/{POLICY}/events", json=forged)
    assert r.status_code == 403 and "token" in r.json()["message"]
    assert client.get(f"/api/policy/{POLICY}/status").json()["vote_open"] is True


def test_revoked_token_cannot_vote(data):
    store = TokenStore(data / "tokens.json")
    fin, _ = store.create("Finland")
    store.revoke("Finland")
    with make_client(data) as c:
        c.post(f"/api/policy/{POLICY}/events", json=talks_request())
        r = c.post(f"/api/policy/{POLICY}/vote", json={"member": "Finland", "vote": "veto"}, headers={"Authorization": f"Bearer {fin}"})
        assert r.status_code == 403 and "revoked" in r.json()["message"]


# -- size limits, busy queue ------------------------------------------------------------------


def test_request_size_limit(data):
    with make_client(data, max_body=2048) as c:
        big = {"yaml": "x" * 5000}
        r = c.post("/api/scenarios/validate", json=big)
        assert r.status_code == 413 and "limit of 2048 bytes" in r.json()["message"]

        def chunks():
            for _ in range(10):
                yield b"x" * 500

        r = c.post("/api/scenarios/validate", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413
        assert c.post("/api/scenarios/validate", json={"yaml": "a: 1"}).status_code == 200


def test_job_manager_refuses_beyond_its_bound():
    gate = threading.Event()
    jm = JobManager(workers=1, queue=1)
    jm.submit("x", "one", lambda j: gate.wait(5) and "a")
    jm.submit("x", "two", lambda j: "b")
    with pytest.raises(Busy):
        jm.submit("x", "three", lambda j: "c")
    gate.set()
    jm.shutdown(wait=True)


def test_full_queue_answers_busy(data, monkeypatch):
    import crisislab.server.work as work

    gate = threading.Event()
    monkeypatch.setattr(work, "run_compare", lambda job, *a, **k: (gate.wait(10), job.id)[1])
    with make_client(data, workers=1, queue=1) as c:
        body = {"scenario": "toy-3", "doctrines": ["isolation"], "runs": 10}
        first = c.post("/api/jobs/compare", json=body)
        second = c.post("/api/jobs/compare", json=body)
        third = c.post("/api/jobs/compare", json=body)
        assert first.status_code == 202 and second.status_code == 202
        assert third.status_code == 429 and third.json()["error"] == "busy" and third.headers["retry-after"]
        gate.set()
        wait_job(c, first.json()["id"])
        wait_job(c, second.json()["id"])
        assert c.post("/api/jobs/compare", json=body).status_code == 202
        gate.set()


# -- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "needle"), [
    ({"scenario": "toy-3", "doctrines": ["isolation"], "runs": 0}, "runs"),
    ({"scenario": "toy-3", "doctrines": ["isolation"], "runs": 10**7}, "runs"),
    ({"scenario": "toy-3", "doctrines": ["evil.py:Doctrine"], "runs": 10}, "doctrines"),
    ({"scenario": "toy-3", "doctrines": [], "runs": 10}, "doctrines"),
    ({"scenario": "toy-3", "doctrines": ["isolation"], "runs": "ten"}, "runs"),
    ({"yaml": "name: x\nhorizon_weeks: 3\n", "doctrines": ["isolation"]}, "coalition"),
])
def test_job_inputs_are_validated(client, body, needle):
    r = client.post("/api/jobs/compare", json=body)
    assert r.status_code == 422 and needle in r.json()["message"]
    assert "Traceback" not in r.text


def test_non_json_and_yaml_bombs_are_refused(client):
    r = client.post("/api/scenarios/validate", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "not JSON" in r.json()["message"]
    bomb = "k0: &k0 [x, x]\n" + "".join(f"k{i}: &k{i} [*k{i - 1}, *k{i - 1}]\n" for i in range(1, 31)) + "name: boom\n"
    r = client.post("/api/scenarios/validate", json={"yaml": bomb}).json()
    assert r["ok"] is False and "aliases" in r["message"]


# -- path traversal ----------------------------------------------------------------------


def test_no_path_traversal_through_names(data):
    secret = data.parent / "secret.yaml"
    secret.write_text("name: do-not-read\n")
    with make_client(data) as c:
        for rid in ("..", "..%2F..%2Fsecret", ".hidden", "a..b", "x%00y"):
            r = c.get(f"/api/results/{rid}")
            assert r.status_code in (404, 422), rid
            assert "do-not-read" not in r.text
        r = c.get("/api/results/../../secret.yaml")
        assert r.status_code == 404 and "do-not-read" not in r.text
        for ref in ("../secret", "user:../secret", "user:..%2Fsecret", str(secret)):
            r = c.get(f"/api/scenarios/{ref}")
            assert r.status_code in (404, 422) and "do-not-read" not in r.text, ref
            r = c.post("/api/jobs/compare", json={"scenario": ref, "doctrines": ["isolation"], "runs": 5})
            assert r.status_code in (404, 422) and "do-not-read" not in r.text, ref
        assert c.put("/api/scenarios/..%2Fevil", json={"yaml": "a: 1"}).status_code in (404, 422)
        r = c.post("/api/games/power/solve", json={"params": {"scenario": str(secret)}})
        assert r.status_code == 422 and "shipped scenario" in r.json()["message"]
        r = c.post("/api/policies/validate", json={"yaml": f"base: {secret}\nname: x\n"}).json()
        assert r["ok"] is False and "shipped policy" in r["message"]
        assert c.get("/api/policy/..%2F..%2Fetc/status").status_code == 404
    assert not (data / "evil.yaml").exists() and not (data.parent / "evil.yaml").exists()
