"""The mapping from runs to facts, the weighting of variants, intervals and the verdicts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from crisislab.validation.compare import FAIL, NOT_SIM, PASS, compare, orderings, summary
from crisislab.validation.facts import Fact
from crisislab.validation.family import VARIANTS, load_family
from crisislab.validation.simulated import (
    INDICATORS,
    NOT_SIMULATED,
    SIM_FACTS,
    SimulationSet,
    SimValue,
    indicators,
    run_family,
    simulated_values,
)
from crisislab.validation.tolerances import load_tolerances


def test_indicators_follow_the_declared_mapping():
    out = pd.DataFrame({
        "peak_escalation": [1, 2, 3, 5, 6, 2, 2, 4, 3],
        "p_settlement": [0, 0, 0, 0, 0, 1, 0, 0, 0],
        "final_rung": [1, 2, 3, 5, 6, 0, 1, 1, 0],
        "final_tranche": [1, 2, 2, 4, 4, 1, 1, 3, 1],
        "war_weeks": [0, 0, 0, 4, 5, 0, 0, 2, 0],
        "force_weeks": [0, 0, 2, 6, 8, 0, 0, 3, 6],
        "end_kind": ["concession", "open", "fade", "war_end", "open", "settlement", "fade", "war_end", "concession"],
    })
    ind = indicators(out, initial_rung=2)
    for k, v in ind.items():
        assert v.dtype == bool, k
    assert ind["peak_le2"].tolist() == [True, True, False, False, False, True, True, False, False]
    assert ind["threat_stage"].tolist() == [True, False, False, False, False, True, True, False, True]
    # mapping 1: rung >= 4 for at most 4 weeks is "serious clashes", more is war
    assert ind["peak_eq3"].tolist() == [False, False, True, False, False, False, False, False, True]
    assert ind["war_short"].tolist() == [False, False, False, True, False, False, False, True, False]
    assert ind["war_long"].tolist() == [False, False, False, False, True, False, False, False, False]
    total = ind["peak_le2"].astype(int) + ind["peak_eq3"] + ind["war_short"] + ind["war_long"]
    assert (total == 1).all()  # the four ICB classes partition the runs
    acq = ind["acq_threat"] | ind["acq_imposed"]  # no settlement, ends below its start, at tension or peace
    assert acq.tolist() == [True, False, False, False, False, False, True, True, True]
    assert ind["acq_imposed"].tolist() == [False, False, False, False, False, False, False, True, False]
    # mapping 2: war is rung >= 4 however long; force short of war split by its weeks
    assert ind["peak_ge4"].tolist() == [False, False, False, True, True, False, False, True, False]
    assert ind["force_short"].tolist() == [False, False, True, False, False, False, False, False, False]
    assert ind["force_long"].tolist() == [False, False, False, False, False, False, False, False, True]
    total = ind["peak_le2"].astype(int) + ind["force_short"] + ind["force_long"] + ind["peak_ge4"]
    assert (total == 1).all()
    # acquiescence 2: a concession, or ending below the start at tension or peace; never a settlement
    acq2 = ind["acq2_threat"] | ind["acq2_imposed"]
    assert acq2.tolist() == [True, False, False, False, False, False, True, True, True]
    assert not (acq2 & (out["p_settlement"] > 0.5)).any()
    conceded_high = out.assign(final_rung=[3] * 9)  # a concession counts whatever the rung read
    acq2_high = indicators(conceded_high, initial_rung=2)
    assert (acq2_high["acq2_threat"] | acq2_high["acq2_imposed"]).tolist() == (out["end_kind"] == "concession").tolist()


def _set(counts_icb: np.ndarray, counts_mid: np.ndarray | None = None) -> SimulationSet:
    fam = load_family()
    counts = {"icb": counts_icb}
    if counts_mid is not None:
        counts["mid"] = counts_mid
    return SimulationSet(["a"], fam.mediation.variant_weights(), fam.mediation.style_weights, counts, 10, 0)


def test_variant_weighting_of_facts():
    fam = load_family()
    # 2 crises, 4 variants, 1 doctrine; settled in 1/10 runs unmediated and 5/10, 6/10, 8/10 by style
    c = np.zeros((2, len(VARIANTS), 1, len(INDICATORS) + 1))
    c[..., -1] = 10
    s = INDICATORS.index("settled")
    for v, k in enumerate([1, 5, 6, 8]):
        c[:, v, 0, s] = k
    vals = simulated_values(_set(c), reps=200)
    assert vals["icb.agreement.unmediated"].value == pytest.approx(0.1)
    assert vals["icb.agreement.facilitation"].value == pytest.approx(0.5)
    assert vals["icb.agreement.manipulation"].value == pytest.approx(0.8)
    sw = fam.mediation.style_weights
    assert vals["icb.agreement.mediated"].value == pytest.approx(0.5 * sw["facilitation"] + 0.6 * sw["formulation"] + 0.8 * sw["manipulation"])
    # identical crises: no spread between crises, so the interval collapses on the value
    v = vals["icb.agreement.formulation"]
    assert v.ci_low == pytest.approx(0.6) and v.ci_high == pytest.approx(0.6)
    assert "mid.hostlev.war" not in vals  # population not simulated


def test_conditional_facts_are_ratios_and_intervals_cover_crisis_spread():
    c = np.zeros((4, len(VARIANTS), 1, len(INDICATORS) + 1))
    c[..., -1] = 10
    th, aq = INDICATORS.index("threat_stage"), INDICATORS.index(SIM_FACTS["ties.acquiescence.threat"][2])
    c[:, :, 0, th] = [[2], [4], [6], [8]]
    c[:, :, 0, aq] = [[0], [2], [3], [8]]
    vals = simulated_values(_set(c), reps=500, seed=3)
    v = vals["ties.acquiescence.threat"]
    assert v.value == pytest.approx(13 / 20)
    assert v.ci_low < v.value < v.ci_high
    none = simulated_values(_set(c), reps=0)["ties.acquiescence.threat"]
    assert none.value == v.value and math.isnan(none.ci_low)


def _fact(fid: str, value: float) -> Fact:
    return Fact(fid, "d", "s", "share", value, value - 0.01, value + 0.01, 100)


def test_verdicts_use_the_tolerance_and_report_what_is_not_simulated():
    tol = load_tolerances()
    facts = [_fact("icb.viol.none", 0.25), _fact("icb.viol.minor", 0.29), _fact("gsdb.duration.same_year", 0.17),
             _fact("icb.mediation.rate", 0.317)]
    t = tol.facts["icb.viol.none"].tolerance
    sims = {"icb.viol.none": SimValue("icb.viol.none", 0.25 + t - 1e-9, 0.2, 0.3, 10),
            "icb.viol.minor": SimValue("icb.viol.minor", 0.29 - tol.facts["icb.viol.minor"].tolerance - 0.001, 0.1, 0.3, 10)}
    rows = {r.fact: r for r in compare(facts, sims, tol)}
    assert rows["icb.viol.none"].result == PASS
    assert rows["icb.viol.minor"].result == FAIL
    assert rows["gsdb.duration.same_year"].result == NOT_SIM and "never lifts" in rows["gsdb.duration.same_year"].note
    assert rows["icb.mediation.rate"].result == NOT_SIM and rows["icb.mediation.rate"].role == "context"
    assert summary(list(rows.values()))["calibration"] == {PASS: 1, FAIL: 1, NOT_SIM: 0}


def test_orderings_verdict():
    tol = load_tolerances()
    def sv(k: str, x: float) -> SimValue:
        return SimValue(k, x, x, x, 1)
    good = {k: sv(k, x) for k, x in [("icb.agreement.facilitation", 0.4), ("icb.agreement.formulation", 0.5),
                                      ("icb.agreement.manipulation", 0.7), ("icb.agreement.unmediated", 0.2),
                                      ("icb.agreement.mediated", 0.6)]}
    assert all(r["result"] == PASS for r in orderings(good, tol))
    bad = dict(good, **{"icb.agreement.formulation": sv("icb.agreement.formulation", 0.8)})
    res = {r["ordering"]: r["result"] for r in orderings(bad, tol)}
    assert res["mediation style ranking"] == FAIL and res["mediation helps"] == PASS


def test_every_fact_is_simulated_or_has_a_reason():
    tol = load_tolerances()
    assert set(SIM_FACTS) | set(NOT_SIMULATED) == set(tol.facts)
    assert not set(SIM_FACTS) & set(NOT_SIMULATED)
    assert all(reason for reason in NOT_SIMULATED.values())


def test_small_family_run_is_reproducible_and_coherent():
    fam = load_family()
    a = run_family(fam, crises=2, runs=25, seed=5)
    b = run_family(fam, crises=2, runs=25, seed=5, jobs=2)
    for pop in ("icb", "mid"):
        assert np.array_equal(a.counts[pop], b.counts[pop])
    vals = simulated_values(a, reps=100)
    viol = sum(vals[f"icb.viol.{k}"].value for k in ("none", "minor", "serious", "war"))
    host = sum(vals[f"mid.hostlev.{k}"].value for k in ("threat", "display", "force", "war"))
    assert viol == pytest.approx(1.0) and host == pytest.approx(1.0)
    for v in vals.values():
        assert 0.0 <= v.value <= 1.0 or math.isnan(v.value)
    # every variant ran every run of every crisis
    assert (a.counts["icb"][..., -1].sum(axis=2) == 25).all()
    # the mid population starts at tension, so it can stay at rung <= 1; icb crises start at 1 or 2
    assert a.counts["mid"][..., INDICATORS.index("peak_le1")].sum() >= a.counts["icb"][..., INDICATORS.index("peak_le1")].sum()
