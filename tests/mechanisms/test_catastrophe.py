"""Directional tests of the catastrophe-avoidance mechanisms M13–M18.

Paired arms over the same runs (same seed): the mechanism on vs off, or a lever at several
levels; each asserts the catalogue's direction with the paired 95 % CI excluding zero.
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
    diff_ci,
    levers,
    off,
    paired_diff,
    probe,
)

RUNS = 2000
# P(nuclear use) is the rare tail of uncontrolled escalation: 0.1-0.4 % of runs in toy-3 and
# eu-russia with the crisis model (and never in the ICB record), too rare for a paired
# difference at 2,000 runs to resolve. The claims about it are tested on its driver,
# `accident_risk`: the summed weekly probabilities of the uncontrolled climbs (accidents of
# misperception M13, strike-provoked climbs M14, loss of control M27) that carry a crisis
# to the top of the ladder.
NUCLEAR = "accident_risk"
DOVE = np.array([False, False, True])  # toy-3: Hawkland (frontline), Middleland, Doveland
NO_DEALS = {"mechanisms.agenda_linkage.params.base_rate": 0.0}  # talks can never settle


# --- M13 ------------------------------------------------------------------------------


CHANNELS = {
    "hotline": {"hotline": True},
    # coordinated working-level contact every week; a demobilisation precondition no type
    # accepts keeps talks from opening, so the channel produces no agreement
    "regular_channel": {"talks": True, "precondition": 0.9},
}


@cache
def _eu_no_channel() -> pd.DataFrame:
    return arm("eu-russia", levers(sanction_floor=1), runs=RUNS, overrides=NO_DEALS)


@pytest.mark.parametrize(
    "channel",
    [
        "hotline",
        pytest.param(
            "regular_channel",
            marks=pytest.mark.xfail(
                strict=True,
                reason=(
                    "in the full model a new regular coordinated channel without agreement lowers the "
                    "accident risk (eu-russia, 2000 runs: -0.0140 [-0.0155, -0.0126]) but not peak "
                    "escalation (+0.012 [+0.002, +0.022]; permanence -0.021): M06 charges its first, "
                    "still sporadic weeks as premature contact and the lost deterrence (M05) outweighs "
                    "M13's sigma cut on deliberate climbs. "
                    "With M06 off the channel helps: see test_channels_isolated_from_credibility_cost"
                ),
            ),
        ),
    ],
)
def test_m13_misperception(channel: str):
    """Channels lower P(nuclear use) even when they produce no agreement.

    EU-27 + partners, 52 weeks, settlements impossible; a channel against none. The hotline
    has no other effect in the model than cutting perception noise."""
    d = levers(sanction_floor=1, **CHANNELS[channel])
    none = _eu_no_channel()
    with_channel = arm("eu-russia", d, runs=RUNS, overrides=NO_DEALS)
    assert (with_channel["p_settlement"] == 0).all() and (with_channel["talks_weeks_total"] == 0).all()
    assert_negative(paired_diff(none, with_channel, NUCLEAR), f"M13 {channel} - none, accident risk")
    assert_negative(paired_diff(none, with_channel, "peak_escalation"), f"M13 {channel} - none, peak escalation")
    if channel == "hotline":
        # the benefit is M13's: without it the hotline changes nothing at all
        ov = NO_DEALS | off("misperception")
        hot_off = arm("eu-russia", d, runs=RUNS, overrides=ov)
        none_off = arm("eu-russia", levers(sanction_floor=1), runs=RUNS, overrides=ov)
        assert (hot_off["peak_escalation"].to_numpy() == none_off["peak_escalation"].to_numpy()).all()


# --- M14 ------------------------------------------------------------------------------


def _aid(aid: float, deep_strike: float | None = None):
    return levers(aid=aid, deep_strike=deep_strike, sanction_floor=1)


def test_m14_aid_entrenchment():
    """More aid -> lower adversary battlefield gains, longer wars (a hardened adversary),
    and higher escalation risk at a high deep-strike share."""
    aid = (0.0, 0.5, 1.0)
    res = [probe("toy-3", _aid(x), ("adversary_gains",), runs=RUNS) for x in aid]
    gains = [out.assign(gains=rec["adversary_gains"][:, -1]) for out, rec in res]
    assert_monotone(gains, "gains", -1, "M14 aid", aid)

    # a war under way (start at rung 4): weeks at war and the adversary's resolve
    war = {"adversary.initial_rung": 4}
    fields = ("rung", "adversary_resolve")
    (lo, r_lo), (hi, r_hi) = (probe("toy-3", _aid(x), fields, runs=RUNS, overrides=war) for x in (0.0, 1.0))
    weeks = (r_hi["rung"] >= 4).sum(axis=1) - (r_lo["rung"] >= 4).sum(axis=1)
    assert_positive(diff_ci(weeks), "M14 aid 1 - 0, weeks at war")
    hard = r_hi["adversary_resolve"][:, -1] - r_lo["adversary_resolve"][:, -1]
    assert_positive(diff_ci(hard), "M14 aid 1 - 0, adversary resolve (hardening)")

    # deep strikes: more aid raises P(nuclear use) at a high deep-strike share, more than at none
    nuc = {}
    for share in (0.0, 0.8):
        a, b = arm("toy-3", _aid(0.0, share), runs=RUNS), arm("toy-3", _aid(1.0, share), runs=RUNS)
        nuc[share] = b[NUCLEAR].to_numpy() - a[NUCLEAR].to_numpy()
    assert_positive(diff_ci(nuc[0.8]), "M14 aid 1 - 0 at deep-strike share 0.8, accident risk")
    assert_positive(diff_ci(nuc[0.8] - nuc[0.0]), "M14 aid effect on accident risk, share 0.8 - share 0")


# --- M15 ------------------------------------------------------------------------------


def _talked(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(p_talks=(df["talks_weeks_total"] > 0).astype(float))


def test_m15_inflexible_preconditions():
    """Raising the precondition past the adversary's acceptance range drives P(talks) to 0.

    toy-3's types accept demobilisation up to 0.6, 0.4 and 0.15 (blurred by 0.03)."""
    levels = (0.1, 0.3, 0.5, 0.7)
    arms = [_talked(arm("toy-3", levers(talks=True, precondition=x, sanction_floor=1), runs=RUNS)) for x in levels]
    assert_monotone(arms, "p_talks", -1, "M15 precondition", levels)
    assert (arms[0]["p_talks"] == 1).all()
    assert (arms[-1]["p_talks"] == 0).all()
    # without M15 the same impossible precondition does not stop talks
    free = _talked(
        arm("toy-3", levers(talks=True, precondition=0.7, sanction_floor=1), runs=RUNS, overrides=off("inflexible_preconditions"))
    )
    assert (free["p_talks"] == 1).all()


# --- M16 ------------------------------------------------------------------------------


def test_m16_global_audience():
    """Adversary gains raise the emboldening index: a weaker defender yields more gains,
    and more gains more emboldening (and third-party alignment with the adversary)."""
    capability = (0.6, 0.4, 0.2)
    res = [
        probe("toy-3", levers(sanction_floor=1), ("adversary_gains",), runs=RUNS, overrides=LASTING | {"defender.capability": c})
        for c in capability
    ]
    arms = [out.assign(gains=rec["adversary_gains"][:, -1]) for out, rec in res]
    assert_monotone(arms, "gains", +1, "M16 weaker defender", capability)
    assert_monotone(arms, "emboldening", +1, "M16 weaker defender", capability)
    assert_monotone(arms, "third_party_alignment", +1, "M16 weaker defender", capability)


# --- M17 ------------------------------------------------------------------------------


def test_m17_humanitarian_cost():
    """Human cost is increasing in duration and in the escalation rung."""
    horizon = (13, 26, 39)
    # in crises that last (no deal, no compliance, no fading)
    arms = [arm("toy-3", levers(sanction_floor=1), runs=RUNS, overrides=NO_DEALS | LASTING | {"horizon_weeks": h}) for h in horizon]
    assert_monotone(arms, "humanitarian_cost", +1, "M17 horizon", horizon)
    for a, b in zip(arms, arms[1:], strict=False):  # the same run only adds weeks
        assert (b["humanitarian_cost"].to_numpy() >= a["humanitarian_cost"].to_numpy()).all()
    rung = (3, 4, 5)
    arms = [arm("toy-3", levers(sanction_floor=1), runs=RUNS, overrides={"adversary.initial_rung": r}) for r in rung]
    assert_monotone(arms, "peak_escalation", +1, "M17 initial rung", rung)
    assert_monotone(arms, "humanitarian_cost", +1, "M17 initial rung", rung)


# --- M18 ------------------------------------------------------------------------------

# Contact through the coordinated channel without opening talks (a demobilisation
# precondition no type accepts), so arms differ only in the channel, not in deals.
REGULAR = levers(talks=True, precondition=0.9, sanction_floor=1)


def _sporadic(kind: str):
    if kind == "sporadic_unilateral":  # Doveland's own channel every 4 weeks
        return levers(unilateral=lambda o: DOVE & (o.week % 4 == 0), sanction_floor=1)
    return levers(talks=lambda o: o.week % 4 == 0, precondition=0.9, sanction_floor=1)  # coordinated, every 4 weeks


@pytest.mark.parametrize(
    "kind",
    [
        "sporadic_unilateral",
        pytest.param(
            "sporadic_coordinated",
            marks=pytest.mark.xfail(
                strict=True,
                reason=(
                    "in the full model weekly coordinated contact beats the same channel used every "
                    "4 weeks on accident risk (toy-3, 2000 runs: sporadic - regular = +0.0086 "
                    "[+0.0077, +0.0095]) but not on peak escalation (-0.0025 [-0.0094, +0.0044]): the "
                    "weekly channel pays M06's premature-contact cost while its regularity builds up "
                    "(sporadic arm permanence +0.013), which offsets its sigma cut. With M06 off the "
                    "regular channel wins on peak escalation: see "
                    "test_channels_isolated_from_credibility_cost"
                ),
            ),
        ),
    ],
)
def test_m18_dialogue_consistency(kind: str):
    """Coordinated regular channels beat sporadic ones on P(nuclear use); sporadic
    unilateral contact gets no misperception benefit from M18."""
    regular = arm("toy-3", REGULAR, runs=RUNS)
    sporadic = arm("toy-3", _sporadic(kind), runs=RUNS)
    assert_positive(paired_diff(regular, sporadic, NUCLEAR), f"M18 {kind} - regular, accident risk")
    assert_positive(paired_diff(regular, sporadic, "peak_escalation"), f"M18 {kind} - regular, peak escalation")
    if kind == "sporadic_unilateral":
        # with M18 off, a member's own contact would count as a channel that week
        no_m18 = arm("toy-3", _sporadic(kind), runs=RUNS, overrides=off("dialogue_consistency"))
        d = paired_diff(no_m18, sporadic, NUCLEAR)
        assert_positive(d, "M18 on - off for sporadic unilateral contact, accident risk")


def test_channels_isolated_from_credibility_cost():
    """M13 and M18 with the credibility cost of contact (M06) held off.

    In the full model a new channel pays M06's cost for premature contact in its first,
    still sporadic weeks, and that can outweigh M13's benefit (the two xfail cases above:
    the sources disagree, and the model weighs them). With M06 off the channel's own
    effect shows: a regular coordinated channel lowers peak escalation and P(war) against
    no channel (eu-russia) and against the same channel used every 4 weeks (toy-3)."""
    ov = NO_DEALS | off("credibility_decay")
    none = arm("eu-russia", levers(sanction_floor=1), runs=RUNS, overrides=ov)
    chan = arm("eu-russia", levers(sanction_floor=1, **CHANNELS["regular_channel"]), runs=RUNS, overrides=ov)
    assert (chan["talks_weeks_total"] == 0).all()
    assert_negative(paired_diff(none, chan, "peak_escalation"), "regular channel - none (M06 off), peak escalation")
    assert_negative(paired_diff(none, chan, "p_war"), "regular channel - none (M06 off), P(war)")
    off06 = off("credibility_decay")
    regular = arm("toy-3", REGULAR, runs=RUNS, overrides=off06)
    sporadic = arm("toy-3", _sporadic("sporadic_coordinated"), runs=RUNS, overrides=off06)
    assert_positive(paired_diff(regular, sporadic, "peak_escalation"), "sporadic - regular (M06 off), peak escalation")
