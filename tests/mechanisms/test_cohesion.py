"""Directional tests of the coalition leverage and cohesion mechanisms M01–M12.

Every test compares arms over the same runs (same seed, so the same adversary types and
random draws): the mechanism on vs off, or one lever or parameter at several levels, and
asserts the direction the mechanism catalogue requires with the paired 95 % CI excluding
zero. Doctrines are built from fixed levers (:func:`levers`) so that each arm differs from
the other only in what the mechanism reads.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest
from tests.mechanisms.conftest import (
    LASTING,
    arm,
    assert_monotone,
    assert_negative,
    assert_positive,
    ci_text,
    diff_ci,
    levers,
    off,
    paired_diff,
    probe,
    scenario,
)

RUNS = 2000
DOVE = np.array([False, False, True])  # toy-3: Hawkland (frontline), Middleland, Doveland
MIDDLE = np.array([False, True, False])


def _every(period: int):
    return lambda o: o.week % period == 0


# --- M01 ------------------------------------------------------------------------------


def _own_channels(period: int):
    """Coordinated working-level talks on a package agenda; Doveland also opens its own
    channel every ``period`` weeks (0: never)."""
    if period == 0:
        return levers(talks=True, link_agenda=True)
    return levers(talks=True, link_agenda=True, unilateral=lambda o: DOVE & (o.week % period == 0))


def test_m01_leverage_dilution():
    """More unilateral contacts -> lower final leverage and fewer adversary concessions."""
    periods = (0, 12, 6, 3)  # never, then ever more often
    arms = [arm("toy-3", _own_channels(k), runs=RUNS) for k in periods]
    assert_monotone(arms, "final_leverage", -1, "M01 more own channels", periods)
    assert_monotone(arms, "adversary_concessions", -1, "M01 more own channels", periods)
    # the concessions lost are M01's doing: the same contacts with M01 off concede more
    no_m01 = arm("toy-3", _own_channels(3), runs=RUNS, overrides=off("leverage_dilution"))
    assert_negative(paired_diff(no_m01, arms[-1], "adversary_concessions"), "M01 on - off, concessions")
    assert (no_m01["final_leverage"] == 1.0).all()


# --- M02 ------------------------------------------------------------------------------


def test_m02_escalation_dominance():
    """Longer response lag -> higher peak escalation; pre-delegated triggers cut the lag."""
    lags = (0.0, 3.0, 6.0)
    arms = [
        arm("toy-3", "isolation", runs=RUNS, overrides={"mechanisms.escalation_dominance.params.base_lag_unanimity": x})
        for x in lags
    ]
    assert_monotone(arms, "response_lag", +1, "M02 base lag", lags)
    assert_monotone(arms, "peak_escalation", +1, "M02 base lag", lags)
    assert_monotone(arms, "p_war", +1, "M02 base lag", lags)
    ad_hoc = arm("toy-3", levers(sanction_floor=1, triggers=False), runs=RUNS)
    triggers = arm("toy-3", levers(sanction_floor=1, triggers=True), runs=RUNS)
    assert (triggers["response_lag"] == 0).all()
    assert_negative(paired_diff(ad_hoc, triggers, "response_lag"), "M02 triggers cut the lag")
    assert_negative(paired_diff(ad_hoc, triggers, "peak_escalation"), "M02 triggers, peak escalation")


# --- M03 and M10 share their arms: high-level audiences every 4 weeks -----------------


@cache
def _audiences(earned: bool, without: str = "") -> pd.DataFrame:
    """High-level audiences every 4 weeks, unearned or only when earned (M12a)."""
    d = levers(talks=_every(4), high_level=True, require_earned=earned, sanction_floor=1)
    return arm("toy-3", d, runs=RUNS, overrides=off(without) if without else None)


def test_m03_domestic_exploitation():
    """Meetings without preconditions raise adversary legitimacy (and third-party
    alignment); meetings earned by verified change do not."""
    name = "domestic_exploitation"
    unearned_on, unearned_off = _audiences(False), _audiences(False, name)
    earned_on, earned_off = _audiences(True), _audiences(True, name)
    assert unearned_on["unearned_meetings"].mean() > 1.5  # crises end, so audiences are few
    for metric in ("adversary_legitimacy", "third_party_alignment"):
        assert_positive(paired_diff(unearned_off, unearned_on, metric), f"M03 unearned audiences, {metric}")
    # earned audiences took place, and M03 did nothing with them
    assert earned_on["talks_weeks_total"].sum() > 0 and (earned_on["unearned_meetings"] == 0).all()
    for metric in ("adversary_legitimacy", "third_party_alignment"):
        d = earned_on[metric].to_numpy() - earned_off[metric].to_numpy()
        assert np.abs(d).max() == 0.0, f"M03 earned audiences moved {metric}: {ci_text(diff_ci(d))}"


# --- M04 ------------------------------------------------------------------------------


def test_m04_zero_sum_misreading():
    """Unconditional talks lower the resolve the adversary perceives for aggressive,
    zero-sum types, and (next to) not at all for sincere types."""
    d = levers(talks=True, precondition=0.0)
    on, s_on = probe("toy-3", d, ("perceived_resolve",), runs=RUNS)
    _, s_off = probe("toy-3", d, ("perceived_resolve",), runs=RUNS, overrides=off("zero_sum_misreading"))
    drop = s_on["perceived_resolve"][:, -1] - s_off["perceived_resolve"][:, -1]
    by_type = {t: diff_ci(drop[(on["adversary_type"] == t).to_numpy()]) for t in on["adversary_type"].unique()}
    for t in ("revisionist", "opportunistic"):
        assert_negative(by_type[t], f"M04 {t}, final perceived resolve on - off")
    sincere, rev = by_type["sincere_defensive"], by_type["revisionist"]
    # aggressive types lose clearly more than sincere ones (CIs apart) ...
    assert rev[2] < sincere[1], f"M04 revisionist {ci_text(rev)} vs sincere {ci_text(sincere)}"
    # ... and the sincere type's loss is small next to the revisionist's
    assert abs(sincere[0]) < 0.2 * abs(rev[0]), f"M04 sincere {ci_text(sincere)} vs revisionist {ci_text(rev)}"


# --- M05 ------------------------------------------------------------------------------


def test_m05_deterrence_inequality():
    """Raising believed permanence or sanction damage lowers P(escalation) monotonically."""
    # permanence: how fast consistent enforcement re-anchors it (M06's recovery); it acts
    # on the adversary only through M05's expected cost
    rec = (0.0, 0.03, 0.1, 0.3)
    arms = [
        arm("toy-3", "isolation", runs=RUNS, overrides={"mechanisms.credibility_decay.params.recovery": x}) for x in rec
    ]
    assert_monotone(arms, "final_permanence", +1, "M05 permanence recovery", rec)
    assert_monotone(arms, "p_war", -1, "M05 permanence recovery", rec)
    assert_monotone(arms, "peak_escalation", -1, "M05 permanence recovery", rec)
    # sanction damage: every tranche's damage scaled
    tranches = scenario("toy-3").instruments.sanction_tranches
    scale = (0.5, 1.0, 2.0, 3.0)
    arms = [
        arm(
            "toy-3",
            "isolation",
            runs=RUNS,
            overrides={f"instruments.sanction_tranches.{j}.damage": t.damage * x for j, t in enumerate(tranches)},
        )
        for x in scale
    ]
    assert_monotone(arms, "p_war", -1, "M05 sanction damage", scale)
    assert_monotone(arms, "peak_escalation", -1, "M05 sanction damage", scale)


# --- M06 ------------------------------------------------------------------------------


def test_m06_credibility_decay():
    """Premature talks -> lower permanence -> more escalation, through M05."""
    d_talk = (0.0, 0.03, 0.06)

    def run(x: float, extra: dict | None = None) -> pd.DataFrame:
        ov = {"mechanisms.credibility_decay.params.d_talk": x} | (extra or {})
        return arm("toy-3", "open_channels", runs=RUNS, overrides=ov)

    arms = [run(x) for x in d_talk]
    assert arms[0]["unearned_meetings"].mean() > 0  # the doctrine does talk prematurely
    assert_monotone(arms, "final_permanence", -1, "M06 decay per premature contact", d_talk)
    assert_monotone(arms, "peak_escalation", +1, "M06 decay per premature contact", d_talk)
    assert_monotone(arms, "p_war", +1, "M06 decay per premature contact", d_talk)
    # the escalation runs through deterrence: without M05 the lost permanence changes nothing
    lo, hi = run(0.0, off("deterrence_inequality")), run(0.06, off("deterrence_inequality"))
    assert_negative(paired_diff(lo, hi, "final_permanence"), "M06 without M05, permanence")
    assert (lo["peak_escalation"].to_numpy() == hi["peak_escalation"].to_numpy()).all()


# --- M07 ------------------------------------------------------------------------------


def _bypass(veto: bool):
    """Unearned high-level talks every week, plus Middleland's own channel every 2 weeks:
    both bypass the frontline member (Hawkland), unless the no-surprises veto holds."""
    return levers(
        talks=True, high_level=True, unilateral=lambda o: MIDDLE & (o.week % 2 == 0), veto=veto, sanction_floor=1
    )


def test_m07_frontline_trust():
    """Bypassing frontline states lowers intelligence quality and cohesion; a no-surprises
    veto (M12c) prevents it."""
    on = arm("toy-3", _bypass(False), runs=RUNS)
    no_m07 = arm("toy-3", _bypass(False), runs=RUNS, overrides=off("frontline_trust"))
    assert on["bypasses"].mean() > 5
    for metric in ("intel_quality", "final_frontline_trust", "final_cohesion"):
        assert_negative(paired_diff(no_m07, on, metric), f"M07 bypass, {metric} on - off")
    veto = arm("toy-3", _bypass(True), runs=RUNS)
    assert (veto["bypasses"] == 0).all()
    # without bypasses trust only drifts to its recovery target (below 1 while sanctions strain
    # cohesion), so every run ends with more trust than the same run with bypasses
    assert (veto["final_frontline_trust"].to_numpy() > on["final_frontline_trust"].to_numpy()).all()
    for metric in ("intel_quality", "final_frontline_trust", "final_cohesion"):
        assert_positive(paired_diff(on, veto, metric), f"M07 veto - no veto, {metric}")


# --- M08 ------------------------------------------------------------------------------


def _weeks_to_widen(breadth: np.ndarray) -> np.ndarray:
    """First week (1-based) the envoy's mandate is wider than at the start; horizon + 1 if never."""
    wider = breadth > breadth[:, :1]
    return np.where(wider.any(axis=1), wider.argmax(axis=1) + 1, breadth.shape[1] + 1).astype(float)


def test_m08_mandate_paradox():
    """EU-27 + partners asking capitals to widen the envoy's mandate every week: unanimity
    with the real spread of positions is slower and fails more often than QMV, and under
    unanimity a wider spread is slower and fails more often than a narrow one."""
    stances = np.array([m.stance for m in scenario("eu-russia").coalition.members])
    centre = float(stances.mean())
    narrow = {f"coalition.members.{i}.stance": centre + 0.3 * (x - centre) for i, x in enumerate(stances)}
    d = levers(widen_mandate=True, sanction_floor=1)

    def run(rule: str, extra: dict | None = None) -> tuple[pd.DataFrame, np.ndarray]:
        out, rec = probe(
            "eu-russia", d, ("mandate_breadth",), runs=1000, overrides={"coalition.decision_rule": rule} | (extra or {})
        )
        out = out.assign(weeks_to_widen=_weeks_to_widen(rec["mandate_breadth"]))
        return out, rec

    una, _ = run("unanimity")
    qmv, _ = run("qmv")
    una_narrow, _ = run("unanimity", narrow)
    assert_positive(paired_diff(qmv, una, "mandate_failures"), "M08 unanimity - QMV, failed votes")
    assert_positive(paired_diff(qmv, una, "weeks_to_widen"), "M08 unanimity - QMV, weeks to widen")
    assert_negative(paired_diff(qmv, una, "mandate_breadth"), "M08 unanimity - QMV, final breadth")
    assert_positive(paired_diff(una_narrow, una, "mandate_failures"), "M08 wide - narrow spread, failed votes")
    assert_positive(paired_diff(una_narrow, una, "weeks_to_widen"), "M08 wide - narrow spread, weeks to widen")


# --- M09 ------------------------------------------------------------------------------


def test_m09_signaling_noise():
    """Higher statement variance -> lower perceived resolve -> more escalation."""
    noise = (0.0, 0.3, 0.6)
    res = [
        probe(
            "toy-3",
            "isolation",
            ("statement_sd", "perceived_resolve"),
            runs=RUNS,
            overrides=LASTING | {"mechanisms.signaling_noise.params.noise": x},
        )
        for x in noise
    ]
    arms = [
        out.assign(sd=rec["statement_sd"].mean(axis=1), resolve=rec["perceived_resolve"].mean(axis=1))
        for out, rec in res
    ]
    assert_monotone(arms, "sd", +1, "M09 statement noise", noise)
    assert_monotone(arms, "resolve", -1, "M09 statement noise", noise)
    assert_monotone(arms, "peak_escalation", +1, "M09 statement noise", noise)


# --- M10 ------------------------------------------------------------------------------


def test_m10_validation_trap():
    """Unearned audiences lower isolation pressure; earned ones do not."""
    name = "validation_trap"
    assert_negative(paired_diff(_audiences(False, name), _audiences(False), "isolation"), "M10 unearned audiences")
    earned_on, earned_off = _audiences(True), _audiences(True, name)
    assert earned_on["talks_weeks_total"].sum() > 0
    assert (earned_on["isolation"].to_numpy() == earned_off["isolation"].to_numpy()).all()


# --- M11 ------------------------------------------------------------------------------


def test_m11_selective_engagement():
    """Selective engagement raises polarisation and the response lag unless outreach is
    centralised."""
    central = arm("toy-3", levers(centralised=True, sanction_floor=1), runs=RUNS)
    split = arm("toy-3", levers(centralised=False, sanction_floor=1), runs=RUNS)
    assert_positive(paired_diff(central, split, "polarisation"), "M11 decentralised - centralised, polarisation")
    assert_positive(paired_diff(central, split, "response_lag"), "M11 decentralised - centralised, response lag")


def test_selective_engagement_cohesion_runs_through_the_threat_rally():
    """Why switching M11 off can *lower* final cohesion, and why that is not against its claim.

    Courting the doves splits the coalition (polarisation up) and slows it (response lag up
    a week), so the adversary escalates more; a higher threat rallies members' support (M30's
    ``threat_recovery``), which outweighs the doves' lost support. With M30 off the rally is
    gone and selective engagement lowers cohesion, as claimed (eu-russia, members' own
    channels)."""
    on = arm("eu-russia", "unilateral_outreach", runs=RUNS)
    no11 = arm("eu-russia", "unilateral_outreach", runs=RUNS, overrides=off("selective_engagement"))
    assert_positive(paired_diff(no11, on, "polarisation"), "M11 on - off, polarisation")
    assert_positive(paired_diff(no11, on, "peak_escalation"), "M11 on - off, peak escalation")
    assert_positive(paired_diff(no11, on, "final_cohesion"), "M11 on - off, final cohesion (with the threat rally)")
    ov = off("economic_contagion")
    on30, no11_30 = (arm("eu-russia", "unilateral_outreach", runs=RUNS, overrides=ov | x) for x in ({}, off("selective_engagement")))
    assert_negative(paired_diff(no11_30, on30, "final_cohesion"), "M11 on - off with M30 off, final cohesion")


# --- M12 ------------------------------------------------------------------------------


@cache
def _conditionality(earned_talks: bool = True, triggers: bool = True, veto: bool = True) -> pd.DataFrame:
    return arm(
        "toy-3",
        "conditionality",
        runs=RUNS,
        doctrine_params={"earned_talks": earned_talks, "triggers": triggers, "veto": veto},
    )


# part -> (framework without the part, baseline it is compared with, {metric: direction of harm})
_M12_PARTS = {
    "a_earned_talks": ({"earned_talks": False}, {}, {"adversary_legitimacy": +1, "isolation": -1}),
    "a_earned_talks_without_veto": (
        {"earned_talks": False, "veto": False},
        {"veto": False},
        {"adversary_legitimacy": +1, "isolation": -1},
    ),
    "b_triggers": ({"triggers": False}, {}, {"response_lag": +1, "peak_escalation": +1, "final_permanence": -1}),
    "c_veto": ({"veto": False}, {}, {"final_frontline_trust": -1, "intel_quality": -1, "final_cohesion": -1}),
}


@pytest.mark.parametrize("part", sorted(_M12_PARTS))
def test_m12_conditionality_framework(part: str):
    """Each of (a) earned talks, (b) automatic triggers, (c) the frontline veto removed in
    turn from the conditionality doctrine worsens the outcome it targets: (a) M03/M10
    legitimacy and isolation, (b) M02/M06 response lag, escalation and permanence, (c) M07
    frontline trust, intelligence and cohesion."""
    without, base, harms = _M12_PARTS[part]
    full = _conditionality(**base)
    removed = _conditionality(**{**base, **without})
    for metric, sign in harms.items():
        d = paired_diff(full, removed, metric)
        (assert_positive if sign > 0 else assert_negative)(d, f"M12 {part} removed, {metric}")
