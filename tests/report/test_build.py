"""Building reports: contents, self-containment, verification, trajectories and attribution."""

from __future__ import annotations

import re

import numpy as np
import pytest

from crisislab.api import simulate_full
from crisislab.errors import InputError
from crisislab.report import ReportOptions, build_report, load_results, render_html
from crisislab.report.resim import attribute, trajectory_bands
from crisislab.scenario import load_scenario

from .conftest import SEED


@pytest.fixture(scope="module")
def report(compare_parquet):
    res = load_results(compare_parquet, scenario="toy-3", seed=SEED)
    return build_report(res, ReportOptions(trajectory_runs=40, attribution_runs=30, attribution_mechanisms="M12,M25"))


def test_report_has_every_section_with_its_figures(report):
    figs = {s.id: [n for n, _ in s.figures] for s in report.sections}
    assert figs["comparison"] == ["comparison"]
    assert figs["paired"] == ["paired-forest"]
    assert "escalation-fan" in figs["escalation"] and "war-share" in figs["escalation"]
    assert figs["cohesion"] == ["cohesion", "frontline-trust"]
    assert figs["attribution"] == ["attribution-p_war"]
    assert figs["sensitivity"] == [] and report.section("sensitivity").notes
    assert report.section("policy").notes


def test_html_is_self_contained_and_embeds_plotly_once(report):
    html = render_html(report)
    assert html.count("Plotly.newPlot") == len(report.figures())
    assert not re.search(r"<script[^>]+src=", html), "no external script"
    assert not re.search(r"<link[^>]+href=", html), "no external stylesheet"
    # plotly.js is inlined exactly once, in the head; nothing else refers to the network
    # (the bundle itself names map-tile servers that these charts never use)
    head, _, rest = html.partition("</head>")
    assert head.count("plotly.js v") == 1 and rest.count("plotly.js v") == 0
    assert "http://" not in rest and "https://" not in rest
    assert "crisislabDownload('comparison','svg')" in html


def test_forest_plot_shows_the_paired_differences(report, comparison):
    fig = dict(report.figures())["paired-forest"]
    want = comparison.paired.set_index(["doctrine", "metric"])
    p_war_panel = [t for t in fig.data if t.xaxis in ("x", None) and t.y is not None]
    assert {t.y[0] for t in p_war_panel} == {"conditionality", "open_channels"}
    for t in p_war_panel:
        row = want.loc[(t.y[0], "p_war")]
        assert np.isclose(t.x[0], row["diff"])
        assert np.isclose(t.x[0] + t.error_x.array[0], row["ci_high"])
        assert np.isclose(t.x[0] - t.error_x.arrayminus[0], row["ci_low"])


def test_wrong_seed_is_detected_not_plotted(compare_parquet):
    res = load_results(compare_parquet, scenario="toy-3", seed=SEED + 1)
    with pytest.raises(InputError, match="does not match the scenario and seed"):
        build_report(res, ReportOptions(trajectory_runs=5, attribution_runs=0))
    # without re-simulation the stored outcomes are still reported
    rep = build_report(res, ReportOptions(resimulate=False))
    assert rep.section("comparison").figures and not rep.section("escalation").figures


def test_war_share_band_is_the_share_of_runs_at_war():
    sc = load_scenario("toy-3")
    bands = trajectory_bands(sc, ["isolation"], SEED, 0, 50)
    rung = simulate_full(sc, "isolation", 50, SEED, record=True).trajectories["rung"]
    share = bands[bands.variable == "war_share"].sort_values("week")["mean"].to_numpy()
    assert np.allclose(share, (rung >= 4).mean(axis=0))
    med = bands[bands.variable == "rung"].sort_values("week")["p50"].to_numpy()
    assert np.allclose(med, np.median(rung, axis=0))


def test_attribution_is_the_difference_with_minus_without():
    sc = load_scenario("toy-3")
    att = attribute(sc, ["isolation", "conditionality", "open_channels"], "isolation", SEED, 0, 60,
                    ["conditionality_framework", "mediation"], ["p_war"]).table.set_index(["doctrine", "mechanism"])
    off = sc.with_overrides({"mechanisms.conditionality_framework.enabled": False})

    def diff(s, d):
        a = simulate_full(s, d, 60, SEED).outcomes.p_war.to_numpy()
        b = simulate_full(s, "isolation", 60, SEED).outcomes.p_war.to_numpy()
        return (a - b).mean()

    row = att.loc[("conditionality", "conditionality_framework")]
    assert np.isclose(row["diff"], diff(sc, "conditionality"))
    assert np.isclose(row["diff_without"], diff(off, "conditionality"))
    assert np.isclose(row["explained"], row["diff"] - row["diff_without"])
    # the frontline gate (M12) is what conditionality rests on: without it the advantage shrinks
    assert row["ci_high"] < 0 and row["explained"] < 0
    # open channels never pass through the gate, and no doctrine here uses a mediator
    assert att.loc[("open_channels", "conditionality_framework"), "explained"] == 0
    assert att.loc[("conditionality", "mediation"), "explained"] == 0


def test_experiment_report_shows_sensitivity_and_prim(experiment_dir):
    rep = build_report(load_results(experiment_dir))
    assert [n for n, _ in rep.section("sensitivity").figures] == ["sensitivity"]
    assert [n for n, _ in rep.section("discovery").figures] == ["prim"]
    assert "prior_sincere < 0.4" in " ".join(rep.section("discovery").paragraphs)
    assert rep.section("attribution").notes and not rep.section("attribution").figures
    sens = dict(rep.figures())["sensitivity"]
    assert list(sens.data[0].x) == [0.72] and list(sens.data[1].x) == [0.61]  # ST then S1


def test_policy_timeline_from_decisions(report):
    from crisislab.report.build import _policy_section

    decisions = [{"date": "2024-03-01", "kind": "veto_requested", "rule": "no_surprises", "summary": "vote opened"},
                 {"date": "2024-03-02", "kind": "talks_denied", "rule": "no_surprises.veto", "summary": "denied"}]
    sec = _policy_section(ReportOptions(decisions=decisions))
    assert sec is not None
    fig = dict(sec.figures)["policy-timeline"]
    assert sorted(t.name for t in fig.data) == ["talks_denied", "veto_requested"]
    assert len(sec.tables[0].rows) == 2
