"""The JSON API and pages: scenarios, comparisons as jobs, results that survive a restart,
traces, games, the policy console."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd

from crisislab import compare
from crisislab.scenario import shipped

from .conftest import POLICY, make_client, talks_request, wait_job


def test_pages_are_served_without_a_build_step(client):
    for url in ("/", "/scenarios", "/compare", "/results", "/trace", "/games", "/policy"):
        r = client.get(url)
        assert r.status_code == 200 and "<html" in r.text and "/static/app.js" in r.text, url
    js = client.get("/static-plotly.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000 and b"plotly" in js.content[:2000].lower()


def test_scenario_validation_lists_every_problem_like_the_cli(client):
    text = shipped()["toy-3"].read_text(encoding="utf-8")
    assert client.post("/api/scenarios/validate", json={"yaml": text}).json()["ok"] is True
    bad = text.replace("horizon_weeks: 26", "horizon_weeks: -3").replace("decision_rule: unanimity", "decision_rule: majority")
    r = client.post("/api/scenarios/validate", json={"yaml": bad}).json()
    assert r["ok"] is False
    where = {p["location"] for p in r["problems"]}
    assert {"horizon_weeks", "coalition.decision_rule"} <= where
    assert "scenario is invalid" in r["message"]
    broken = client.post("/api/scenarios/validate", json={"yaml": "name: [unclosed"}).json()
    assert broken["ok"] is False and "line 1" in broken["problems"][0]["location"]


def test_saved_scenario_is_listed_and_usable(client):
    text = shipped()["toy-3"].read_text(encoding="utf-8").replace("name: toy-3", "name: my-toy")
    assert client.put("/api/scenarios/my-toy", json={"yaml": text}).json()["ref"] == "user:my-toy"
    assert "user:my-toy" in client.get("/api/scenarios").json()["saved"]
    assert client.get("/api/scenarios/user:my-toy").json()["yaml"] == text
    r = client.put("/api/scenarios/bad", json={"yaml": text.replace("horizon_weeks: 26", "horizon_weeks: 0")})
    assert r.status_code == 422 and "horizon_weeks" in r.json()["message"]
    assert "user:bad" not in client.get("/api/scenarios").json()["saved"]


def test_comparison_job_matches_the_python_api_and_survives_restart(data):
    with make_client(data) as c:
        r = c.post("/api/jobs/compare", json={"scenario": "toy-3", "doctrines": ["isolation", "test_by_offer"], "runs": 80, "seed": 3,
                                               "trajectory_runs": 20})
        assert r.status_code == 202
        job = wait_job(c, r.json()["id"])
        assert job["status"] == "done" and job["done"] == job["total"] and job["result"] == job["id"]
        rid = job["result"]
        res = c.get(f"/api/results/{rid}").json()
        figs = c.get(f"/api/results/{rid}/figures").json()
        assert {"comparison", "paired", "escalation", "war_share", "cohesion", "frontline_trust"} <= set(figs)
        assert c.get(f"/results/{rid}").status_code == 200
    want = compare("toy-3", ["isolation", "test_by_offer"], runs=80, seed=3).summary
    got = pd.DataFrame(res["summary"])
    m = want.merge(got, on=["doctrine", "metric"], suffixes=("", "_web"))
    assert len(m) >= 10 and np.allclose(m["mean"], m["mean_web"], equal_nan=True)
    # a new server over the same folder still has the result, and knows the job finished
    with make_client(data) as c2:
        assert rid in [x["id"] for x in c2.get("/api/results").json()]
        assert c2.get(f"/api/jobs/{rid}").json()["status"] == "done"
        assert c2.get(f"/api/results/{rid}").json()["summary"] == res["summary"]


def test_report_job_builds_a_downloadable_report(client):
    rid = wait_job(client, client.post("/api/jobs/compare", json={"scenario": "toy-3", "doctrines": ["isolation", "conditionality"],
                                                                    "runs": 40, "seed": 1, "trajectory_runs": 10}).json()["id"])["result"]
    assert client.get(f"/api/results/{rid}/report.html").status_code == 404
    job = wait_job(client, client.post("/api/jobs/report", json={"result": rid, "attribution_runs": 10}).json()["id"])
    assert job["status"] == "done", job
    r = client.get(f"/api/results/{rid}/report.html")
    assert r.status_code == 200 and "Mechanism attribution" in r.text and "Plotly.newPlot" in r.text


def test_trace_job_records_which_mechanism_moved_what(client):
    job = wait_job(client, client.post("/api/jobs/trace", json={"scenario": "toy-3", "doctrine": "conditionality", "run": 3, "seed": 0}).json()["id"], 120)
    assert job["status"] == "done", job
    rid = job["result"]
    info = client.get(f"/api/traces/{rid}").json()
    assert info["meta"]["run"] == 3 and len(info["weeks"]) == 26 and len(info["trajectory"]["rung"]) == 26
    week = client.get(f"/api/traces/{rid}/week/0").json()["rows"]
    assert week and all(r["mechanism"] == "core" or r["mechanism"].startswith("M") for r in week)
    m06 = [r for r in week if r["mechanism"] == "M06" and r["variable"] == "permanence"]
    assert m06 and m06[0]["name"] == "credibility_decay" and np.isclose(m06[0]["delta"], m06[0]["after"] - m06[0]["before"])
    perm = client.get(f"/api/traces/{rid}/variable/permanence").json()["series"]["permanence"]
    assert np.isclose(perm[0], m06[-1]["after"])


def test_game_solutions_follow_the_sliders(client):
    games = {g["name"]: g for g in client.get("/api/games").json()}
    params = {p["name"]: p for p in games["deterrence"]["params"]}
    assert params["permanence"]["kind"] == "float" and params["permanence"]["min"] == 0 and params["permanence"]["max"] == 1
    assert games["power"]["params"][0]["kind"] == "choice" and "toy-3" in games["power"]["params"][0]["choices"]
    hi = client.post("/api/games/deterrence/solve", json={"params": {"permanence": 0.99}}).json()
    lo = client.post("/api/games/deterrence/solve", json={"params": {"permanence": 0.2}}).json()
    assert hi["summary"]["deterred"] is True and lo["summary"]["deterred"] is False
    assert hi["summary"]["p_aggress"] < lo["summary"]["p_aggress"]
    bad = client.post("/api/games/deterrence/solve", json={"params": {"permanence": 3}})
    assert bad.status_code == 422 and "permanence" in bad.json()["message"]
    sweep = client.post("/api/games/deterrence/sweep", json={"params": {}, "key": "permanence"})
    assert sweep.status_code == 200
    x = sweep.json()["data"][0]["x"]
    xs = np.frombuffer(base64.b64decode(x["bdata"]), dtype=x["dtype"]) if isinstance(x, dict) else np.asarray(x)
    assert len(xs) == 101 and xs[0] == 0 and xs[-1] == 1


def test_policy_console_decides_and_chains_the_ledger(client):
    assert client.post(f"/api/policy/{POLICY}/events", json=talks_request()).json()["decisions"][0]["kind"] == "veto_requested"
    st = client.get(f"/api/policy/{POLICY}/status").json()
    assert st["vote_open"] and st["events"] == 1 and [h["vote"] for h in st["holders"]] == ["pending"] * 5
    led = client.get(f"/api/policy/{POLICY}/ledger").json()
    assert [e["type"] for e in led] == ["console_start", "console_event", "decision"]
    assert all(b["prev"] == a["hash"] for a, b in zip(led, led[1:], strict=False))
    assert client.post(f"/api/policy/{POLICY}/verify").json()["ok"] is True
    late = client.post(f"/api/policy/{POLICY}/events", json=talks_request("2024-02-01"))
    assert late.status_code == 422 and "time order" in late.json()["message"]
    bad = client.post(f"/api/policy/{POLICY}/events", json={**talks_request(), "cameo": "99999"})
    assert bad.status_code == 422 and "cameo" in bad.json()["message"]


def test_policy_console_state_survives_restart(data):
    with make_client(data) as c:
        c.post(f"/api/policy/{POLICY}/events", json=talks_request())
    with make_client(data) as c2:
        st = c2.get(f"/api/policy/{POLICY}/status").json()
        assert st["vote_open"] and st["events"] == 1 and st["decisions"] == 1
        assert c2.post(f"/api/policy/{POLICY}/verify").json()["ok"] is True
