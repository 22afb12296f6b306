"""Rule semantics of the replay engine, one block at a time, and the shipped example."""

from __future__ import annotations

from typing import Any

import pytest

from crisislab.policy.cameo import roots_table
from crisislab.policy.compiled import CompiledPolicy
from crisislab.policy.engine import Decision, ReplayEngine, replay_events
from crisislab.policy.events import read_events, resolve_events
from crisislab.policy.load import compile_loaded, load_policy, policy_from_dict

from .factory import D0, EU, RU, UA, ev, mini, ready, start


def cp_of(d: dict[str, Any]) -> CompiledPolicy:
    return CompiledPolicy(policy_from_dict(d, "mini"), roots_table())


def replay_sorted(cp: CompiledPolicy, evs: list[Any], until: int | None = None) -> list[Decision]:
    """Replay events sorted by day (stable: same-day events keep their order)."""
    return replay_events(cp, sorted(evs, key=lambda e: e.day), until=until)


def kinds(decs: list[Decision]) -> list[tuple[str, str]]:
    return [(d.kind, d.rule) for d in decs]


def no_veto() -> dict[str, Any]:
    d = mini()
    d["no_surprises"]["enabled"] = False
    return d


# -- (a) preconditions --------------------------------------------------------------------


def test_talks_need_observed_history() -> None:
    cp = cp_of(no_veto())
    [d] = replay_sorted(cp, [start(), *ready(5), ev(5, "Germany", RU, "036")])
    assert (d.kind, d.rule) == ("talks_denied", "preconditions.no_attacks")
    assert d.detail["conditions"][0] == {"condition": "no_attacks", "status": "history", "observed_days": 6, "needed_days": 7}
    [d] = replay_sorted(cp, [start(), *ready(6), ev(6, "Germany", RU, "036")])
    assert (d.kind, d.rule) == ("talks_allowed", "mandate")


def test_attack_blocks_talks_until_the_sustained_span_has_passed() -> None:
    cp = cp_of(no_veto())
    # attack on day 10; windows of 5 days sustained 3 days -> clean from day 10 + 5 + 3 - 1 = 17
    evs = [start(), ev(10, RU, UA, "190"), *ready(16)]
    d16 = replay_sorted(cp, [*evs, ev(16, "Germany", RU, "036")])[-1]
    assert (d16.kind, d16.rule) == ("talks_denied", "preconditions.no_attacks")
    rep = d16.detail["conditions"][0]
    assert rep["status"] == "threshold" and rep["value"] == 1 and rep["fail_day"] == D0 + 14
    assert 1 in d16.events  # the attack is cited as the reason
    d17 = replay_sorted(cp, [*evs, ev(17, "Germany", RU, "036")])[-1]
    assert (d17.kind, d17.rule) == ("talks_allowed", "mandate")
    assert d17.detail["round_until_day"] == D0 + 17 + 10


def test_verified_change_needs_independent_sources_and_reliability() -> None:
    cp = cp_of(no_veto())
    same_source = [start(), ev(7, RU, UA, "087", pub="A", rel=0.9), ev(9, RU, UA, "087", pub="A", rel=0.9), ev(10, "Germany", RU, "036")]
    d = replay_sorted(cp, same_source)[-1]
    assert d.rule == "preconditions.de_escalation" and d.detail["conditions"][1]["status"] == "sources"
    assert d.detail["conditions"][1]["sources"] == 1
    unreliable = [start(), ev(7, RU, UA, "087", pub="A", rel=0.9), ev(9, RU, UA, "087", pub="B", rel=0.3), ev(10, "Germany", RU, "036")]
    d = replay_sorted(cp, unreliable)[-1]
    assert d.rule == "preconditions.de_escalation" and d.detail["conditions"][1]["status"] == "threshold"
    two_sources = [start(), ev(7, RU, UA, "087", pub="A", rel=0.9), ev(9, RU, UA, "087", pub="B", rel=0.9), ev(10, "Germany", RU, "036")]
    assert replay_sorted(cp, two_sources)[-1].kind == "talks_allowed"


def test_combine_any() -> None:
    d = no_veto()
    d["preconditions"]["combine"] = "any"
    cp = cp_of(d)
    # de-escalation fails (one source) but no attacks holds -> allowed under "any"
    evs = [start(), ev(8, RU, UA, "087", pub="A", rel=0.9), ev(10, "Germany", RU, "036")]
    assert replay_sorted(cp, evs)[-1].kind == "talks_allowed"
    assert replay_sorted(cp_of(no_veto()), evs)[-1].kind == "talks_denied"


def test_goldstein_measures() -> None:
    d = no_veto()
    d["preconditions"]["conditions"] = [
        {"name": "warm", "select": {"source": ["adversary"]}, "measure": "mean_goldstein", "op": ">=", "value": 1.5, "window_days": 3}
    ]
    cp = cp_of(d)
    warm = [ev(0, RU, UA, "040", g=1.0), ev(2, RU, UA, "040", g=2.0), ev(2, "Germany", RU, "036")]
    assert replay_sorted(cp, warm)[-1].kind == "talks_allowed"  # mean 1.5
    cold = [ev(0, RU, UA, "040", g=1.0), ev(2, RU, UA, "040", g=1.9), ev(2, "Germany", RU, "036")]
    dec = replay_sorted(cp, cold)[-1]
    assert dec.kind == "talks_denied" and dec.detail["conditions"][0]["value"] == 1.45


# -- (b) triggers -------------------------------------------------------------------------


def test_at_least_trigger_window_cooldown_and_ladder_top() -> None:
    cp = cp_of(mini())
    f = "talks"
    evs = [
        ev(0, RU, EU, "112", forum=f), ev(3, RU, EU, "112", forum=f),  # 4 days apart: window 3 -> no fire
        ev(4, RU, EU, "112", forum=f),  # day 3 and 4 -> fire (t1)
        ev(5, RU, EU, "112", forum=f), ev(6, RU, EU, "112", forum=f),  # cooldown 5 -> no fire before day 9
        ev(9, RU, EU, "112", forum=f),  # 6 and 9 -> window 3 means days 7..9: only one new -> no fire
        ev(10, RU, EU, "112", forum=f),  # 9 and 10 -> fire (t2)
        ev(15, RU, EU, "112", forum=f), ev(16, RU, EU, "112", forum=f),  # fire (t3)
        ev(21, RU, EU, "112", forum=f), ev(22, RU, EU, "112", forum=f),  # fire again at the top
        ev(22, RU, EU, "112"),  # no forum and no round: not in the forum
    ]
    fired = [d for d in replay_sorted(cp, evs) if d.kind == "trigger_fired"]
    assert [(d.day - D0, d.detail["tranche"], d.detail["at_top"]) for d in fired] == [
        (4, "t1", False), (10, "t2", False), (16, "t3", False), (22, "t3", True)]
    assert fired[0].events == (1, 2)  # the two events that made the pattern


def test_trigger_suspends_talks_and_closes_the_round() -> None:
    cp = cp_of(no_veto())
    evs = [start(), *ready(8), ev(8, "Germany", RU, "036"), ev(9, RU, EU, "112"), ev(10, RU, EU, "112"),
           ev(12, "Germany", RU, "036"), *ready(14), ev(14, "Germany", RU, "036")]
    out = kinds(replay_sorted(cp, evs))
    assert out == [
        ("talks_allowed", "mandate"),
        ("trigger_fired", "triggers.disinfo"),  # in the forum: no forum field, round open
        ("round_closed", "triggers.disinfo"),
        ("talks_denied", "triggers.suspension"),  # day 12 < 10 + 4
        ("talks_allowed", "mandate"),  # day 14: suspension over
    ]


def test_absent_trigger_fires_on_stalling_without_an_event_that_day() -> None:
    cp = cp_of(no_veto())
    evs = [start(), *ready(8), ev(8, "Germany", RU, "036"), ev(20, "India", "China", "040")]
    decs = replay_sorted(cp, evs)
    assert kinds(decs) == [("talks_allowed", "mandate"), ("trigger_fired", "triggers.stalling"),
                           ("trigger_fired", "triggers.stalling"), ("round_closed", "talks.round_end")]
    # every 4 days without a yield, found by the timer (no event on those days); the round ends on day 18
    assert [(d.day - D0, d.at) for d in decs[1:]] == [(12, None), (16, None), (18, None)]
    assert [d.detail["tranche"] for d in decs[1:3]] == ["t1", "t2"]
    # a yield by the adversary in the round postpones it
    decs = replay_sorted(cp, [start(), *ready(8), ev(8, "Germany", RU, "036"), ev(11, RU, UA, "087", rel=0.9), ev(20, "India", "China", "040")])
    assert [d.day - D0 for d in decs if d.kind == "trigger_fired"] == [15]


# -- (b) mandate --------------------------------------------------------------------------


def test_mandate_limits() -> None:
    cp = cp_of(no_veto())
    evs = [
        start(),
        ev(1, EU, RU, "0354"),  # no round yet
        *ready(9),
        ev(9, "Germany", RU, "036"),  # round opens
        ev(10, EU, RU, "0874"),  # territory: red line
        ev(10, EU, RU, "030", agenda="enlargement"),  # outside the mandate
        ev(10, EU, RU, "030", agenda="space"),  # not listed -> outside
        ev(11, EU, RU, "0354"), ev(11, EU, RU, "030", agenda="arms_control"),  # two allowed offers
        ev(12, EU, RU, "0354"),  # third: over the limit of 2
        ev(12, "Germany", RU, "036", agenda="territory"),  # a request about a red line
    ]
    out = [(d.kind, d.rule, d.detail.get("agenda")) for d in replay_sorted(cp, evs)]
    assert out == [
        ("mandate_limit", "mandate.no_round", "sanctions_relief"),
        ("talks_allowed", "mandate", None),
        ("mandate_limit", "mandate.red_line", "territory"),
        ("mandate_limit", "mandate.outside", "enlargement"),
        ("mandate_limit", "mandate.outside", "space"),
        ("mandate_limit", "mandate.offer_limit", "sanctions_relief"),
        ("talks_denied", "mandate.red_line", "territory"),
    ]


# -- (c) no surprises ---------------------------------------------------------------------


def test_all_holders_consenting_closes_the_vote_early() -> None:
    cp = cp_of(mini())
    evs = [start(), *ready(8), ev(8, "Germany", RU, "036"), ev(9, "Poland", EU, "051"), ev(9, "Germany", EU, "051"),
           ev(9, "Poland", EU, "129"), ev(10, "Estonia", EU, "051")]
    decs = replay_sorted(cp, evs)
    assert kinds(decs) == [
        ("veto_requested", "no_surprises"),
        ("consent_cast", "no_surprises.consent"),  # Germany is not a holder; Poland's later veto does not count
        ("consent_cast", "no_surprises.consent"),
        ("talks_allowed", "no_surprises.consent"),
    ]
    assert decs[-1].day == D0 + 10 and decs[-1].detail["passed"] == ["triggers", "preconditions", "mandate", "no_surprises"]


def test_timing_veto_denies_and_agenda_veto_strikes_an_item() -> None:
    cp = cp_of(mini())
    evs = [start(), *ready(8), ev(8, "Germany", RU, "036"), ev(9, "Estonia", EU, "129"), ev(10, "Germany", RU, "036")]
    assert kinds(replay_sorted(cp, evs))[-3:] == [("veto_cast", "no_surprises.veto"), ("talks_denied", "no_surprises.veto"), ("veto_requested", "no_surprises")]
    evs = [start(), *ready(8), ev(8, "Germany", RU, "036"), ev(9, "Estonia", EU, "129", agenda="sanctions_relief"),
           ev(11, "India", "China", "040"), ev(12, EU, RU, "0354")]
    decs = replay_sorted(cp, evs)
    assert kinds(decs) == [
        ("veto_requested", "no_surprises"),
        ("veto_cast", "no_surprises.veto"),
        ("veto_expired", "no_surprises.deadline"),
        ("talks_allowed", "no_surprises.silence"),
        ("mandate_limit", "mandate.vetoed_item"),
    ]
    assert decs[2].detail["silent"] == ["Poland", "Estonia"] and decs[3].detail["vetoed_items"] == ["sanctions_relief"]


@pytest.mark.parametrize(("silence", "outcome"), [("consent", "talks_allowed"), ("veto", "talks_denied")])
def test_what_silence_means(silence: str, outcome: str) -> None:
    d = mini()
    d["no_surprises"]["silence"] = silence
    evs = [start(), *ready(8), ev(8, "Germany", RU, "036"), ev(9, "Germany", RU, "036"), ev(9, "Poland", EU, "051")]
    decs = replay_sorted(cp_of(d), evs, until=D0 + 30)
    assert kinds(decs)[:3] == [("veto_requested", "no_surprises"), ("talks_pending", "no_surprises.vote_open"), ("consent_cast", "no_surprises.consent")]
    assert decs[3].kind == "veto_expired" and decs[3].day == D0 + 11 and decs[3].detail["silent"] == ["Estonia"]
    assert decs[4].kind == outcome and decs[4].day == D0 + 11


# -- order of evaluation ------------------------------------------------------------------


def test_order_of_evaluation_changes_who_decides() -> None:
    early = [ev(0, "Germany", RU, "036"), ev(2, "India", "China", "040")]
    default = kinds(replay_sorted(cp_of(mini()), early, until=D0 + 5))
    assert default == [("talks_denied", "preconditions.no_attacks")]  # no vote is opened
    d = mini()
    d["order"] = ["no_surprises", "triggers", "preconditions", "mandate"]
    vote_first = kinds(replay_sorted(cp_of(d), early, until=D0 + 5))
    assert vote_first == [("veto_requested", "no_surprises"), ("veto_expired", "no_surprises.deadline"), ("talks_denied", "preconditions.no_attacks")]


def test_engine_refuses_events_out_of_order() -> None:
    eng = ReplayEngine(cp_of(mini()))
    eng.feed(ev(5, RU, UA, "190"))
    with pytest.raises(ValueError):
        eng.feed(ev(4, RU, UA, "190"))


# -- the shipped example -------------------------------------------------------------------


def test_shipped_example_timeline() -> None:
    cp = compile_loaded(load_policy("conditionality"), roots_table())
    events, _ = read_events(resolve_events("example"), cp.table)
    decs = replay_events(cp, events)
    assert kinds(decs) == [
        ("talks_denied", "preconditions.no_armed_attacks"),
        ("veto_requested", "no_surprises"),
        ("consent_cast", "no_surprises.consent"),
        ("veto_cast", "no_surprises.veto"),
        ("talks_pending", "no_surprises.vote_open"),
        ("veto_expired", "no_surprises.deadline"),
        ("talks_allowed", "no_surprises.silence"),
        ("talks_allowed", "talks.round"),
        ("mandate_limit", "mandate.vetoed_item"),
        ("mandate_limit", "mandate.outside"),
        ("trigger_fired", "triggers.disinformation_in_forum"),
        ("round_closed", "triggers.disinformation_in_forum"),
        ("talks_denied", "triggers.suspension"),
        ("talks_denied", "preconditions.no_armed_attacks"),
        ("veto_requested", "no_surprises"),
        ("veto_cast", "no_surprises.veto"),
        ("talks_denied", "no_surprises.veto"),
        ("veto_requested", "no_surprises"),
        *[("consent_cast", "no_surprises.consent")] * 5,
        ("talks_allowed", "no_surprises.consent"),
        ("talks_allowed", "talks.round"),
        ("trigger_fired", "triggers.stalling"),
        ("round_closed", "triggers.stalling"),
        ("mandate_limit", "mandate.no_round"),
    ]
    # every decision cites the events that justify it, except timer decisions with nothing to cite
    for d in decs:
        assert d.events or d.kind in ("veto_expired", "round_closed", "trigger_fired", "talks_allowed")
        assert d.records is not None and len(d.records) == len(d.events)
