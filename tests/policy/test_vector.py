"""The vectorised engine gives exactly the replay engine's decisions, run by run."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisislab.policy.cameo import roots_table
from crisislab.policy.compiled import CompiledPolicy
from crisislab.policy.engine import ReplayEngine, replay_events
from crisislab.policy.events import Event
from crisislab.policy.load import policy_from_dict
from crisislab.policy.vector import VectorEngine

from .factory import EU, RU, UA, base_dict, ev

VOCAB = [
    (RU, UA, "190"), (RU, "Germany", "138"), (RU, UA, "0871"), (RU, UA, "087"), (RU, "Germany", "057"), (RU, "Germany", "0356"),
    ("Germany", RU, "036"), ("France", RU, "040"), (EU, RU, "046"),
    (RU, EU, "112"), (RU, EU, "125"), (RU, EU, "016"),
    (EU, RU, "0354"), (EU, RU, "0874"), (EU, RU, "030"),
    ("Poland", EU, "051"), ("Estonia", EU, "051"), ("Estonia", EU, "129"), ("Poland", EU, "111"), ("India", "China", "040"),
]
AGENDAS = [None, None, None, "sanctions_relief", "territory", "arms_control", "alliance_enlargement", "space"]


def random_policy(rnd: random.Random) -> CompiledPolicy:
    """The shipped policy with random windows, thresholds, order and blocks switched off."""
    p = base_dict()
    for c in p["preconditions"]["conditions"]:
        c.update(window_days=rnd.randint(1, 6), sustained_days=rnd.randint(1, 4), value=rnd.choice([0, 1, 2, -0.5]),
                 min_sources=rnd.choice([0, 0, 1, 2]), measure=rnd.choice(["count", "count", "sum_goldstein", "mean_goldstein"]),
                 op=rnd.choice([">=", "<=", "==", ">", "<"]))
    p["preconditions"]["combine"] = rnd.choice(["all", "any"])
    p["talks"]["round_days"] = rnd.randint(1, 8)
    for t in p["triggers"]["rules"]:
        t.update(window_days=rnd.randint(1, 5), cooldown_days=rnd.randint(0, 5), count=rnd.randint(1, 3), suspend_talks_days=rnd.choice([0, 2, 5]),
                 step=rnd.choice([1, 1, 2]))
    p["no_surprises"].update(vote_days=rnd.randint(1, 4), silence=rnd.choice(["consent", "veto"]), holders=["Estonia", "Poland"])
    p["mandate"]["max_offers_per_round"] = rnd.choice([None, 0, 1, 3])
    order = ["triggers", "preconditions", "mandate", "no_surprises"]
    rnd.shuffle(order)
    p["order"] = order
    for block in ("preconditions", "triggers", "no_surprises", "mandate"):
        if rnd.random() < 0.15:
            p[block]["enabled"] = False
    return CompiledPolicy(policy_from_dict(p, "random"), roots_table())


def random_stream(rnd: random.Random, n: int) -> list[Event]:
    day, out = 0, []
    for _ in range(n):
        day += rnd.choice([0, 0, 1, 1, 2, 5])
        s, t, c = rnd.choice(VOCAB)
        out.append(ev(day, s, t, c, g=None if rnd.random() < 0.8 else rnd.randint(-100, 100) / 10, pub=rnd.choice("abc "),
                      forum=rnd.choice([None, None, "talks", "press"]), agenda=rnd.choice(AGENDAS), rel=rnd.choice([None, None, 0.3, 0.9])))
    return out


def same_decisions(cp: CompiledPolicy, streams: list[list[Event]], until: int) -> int:
    vec = VectorEngine(cp, len(streams), record=True)
    vec.feed_events(streams)
    vec.advance_to(until)
    n = 0
    for r, stream in enumerate(streams):
        a = [d.key() for d in replay_events(cp, stream, until=until)]
        b = [d.key() for d in vec.decisions(r)]
        assert a == b, f"run {r}: first difference at {next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))}"
        n += len(a)
    # the counters the simulator reads agree with the decisions
    counts = vec.summary()
    for r in range(len(streams)):
        kinds = [d.kind for d in vec.decisions(r)]
        assert counts["n_talks_allowed"][r] == kinds.count("talks_allowed")
        assert counts["n_trigger_fired"][r] == kinds.count("trigger_fired")
    return n


def test_identical_sequences_give_identical_decisions_over_many_random_policies() -> None:
    total = 0
    kinds: set[str] = set()
    for seed in range(40):
        rnd = random.Random(seed)
        cp = random_policy(rnd)
        streams = [random_stream(rnd, rnd.randint(0, 50)) for _ in range(6)]
        total += same_decisions(cp, streams, until=streams[0][-1].day + 10 if streams[0] else 0)
        for s in streams:
            kinds.update(d.kind for d in replay_events(cp, s))
    assert total > 500  # the comparison is not vacuous
    assert kinds >= {"talks_allowed", "talks_denied", "talks_pending", "veto_requested", "veto_cast", "consent_cast",
                     "veto_expired", "trigger_fired", "mandate_limit", "round_closed"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), runs=st.integers(1, 5), length=st.integers(0, 40))
def test_identical_sequences_give_identical_decisions_property(seed: int, runs: int, length: int) -> None:
    rnd = random.Random(seed)
    cp = random_policy(rnd)
    streams = [random_stream(rnd, rnd.randint(0, length)) for _ in range(runs)]
    same_decisions(cp, streams, until=max((s[-1].day for s in streams if s), default=0) + 7)


def test_stepwise_feeding_with_gaps_matches_replay_with_timers() -> None:
    """The simulator's way: each week every run may emit a few events (or none), then time moves on."""
    rnd = random.Random(7)
    cp = random_policy(random.Random(3))
    R, steps, k = 8, 30, 3
    plan: list[list[list[tuple[Any, ...]]]] = [[[rnd.choice(VOCAB) for _ in range(rnd.randint(0, k))] for _ in range(steps)] for _ in range(R)]
    vec = VectorEngine(cp, R, record=True, start_day=0)
    cls = vec.classes
    for s in range(steps):
        day = 7 * s
        vec.advance_to(day)
        for j in range(k):
            valid = np.array([j < len(plan[r][s]) for r in range(R)])
            ids = np.array([cls.id_for(*plan[r][s][j]) if valid[r] else 0 for r in range(R)])
            g10 = np.array([roots_table().goldstein10(plan[r][s][j][2]) if valid[r] else 0 for r in range(R)])
            vec.feed(np.full(R, day), ids, g10, valid=valid)
    vec.advance_to(7 * steps)
    assert sum(len(vec.decisions(r)) for r in range(R)) > 20
    for r in range(R):
        eng = ReplayEngine(cp, start_day=0)
        out = []
        for s in range(steps):
            out += eng.advance_to(7 * s)
            for src, tgt, code in plan[r][s]:
                g10 = roots_table().goldstein10(code)
                assert g10 is not None
                out += eng.feed(Event(7 * s, src, tgt, code, g10))
        out += eng.advance_to(7 * steps)
        assert [d.key() for d in out] == [d.key() for d in vec.decisions(r)]
        assert vec.level[r] == eng.level and bool(vec.talks_open[r]) == eng.talks_open


def test_without_recording_the_state_is_the_same() -> None:
    """Without records the engine takes short cuts (empty spans, decided conjunctions): same state."""
    for seed in range(12):
        rnd = random.Random(seed)
        cp = random_policy(rnd)
        streams = [random_stream(rnd, 40) for _ in range(4)]
        a = VectorEngine(cp, 4, record=True)
        b = VectorEngine(cp, 4, record=False)
        a.feed_events(streams)
        b.feed_events(streams)
        # lockstep feeding too (every run on the same day), the simulator's case
        c = VectorEngine(cp, 6, record=True, start_day=0)
        e = VectorEngine(cp, 6, record=False, start_day=0)
        for week in range(25):
            for eng in (c, e):
                eng.advance_to(7 * week)
            for _ in range(3):
                picks = [rnd.choice(VOCAB) for _ in range(6)]
                valid = np.array([rnd.random() < 0.7 for _ in range(6)])
                for eng in (c, e):
                    ids = np.array([eng.classes.id_for(*k) for k in picks])
                    g10 = np.array([roots_table().goldstein10(k[2]) for k in picks])
                    eng.feed(np.full(6, 7 * week), ids, g10, valid=valid)
        for x, y in ((a, b), (c, e)):
            for key, arr in x.summary().items():
                assert np.array_equal(arr, y.summary()[key]), (seed, key)
        assert sum(c.summary()["n_talks_allowed"]) + sum(c.summary()["n_talks_denied"]) > 0
