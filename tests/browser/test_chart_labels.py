"""Charts name their doctrines, in the web app and in the offline report; tables say n/a where
there is no value. The names are read from the rendered SVG (legend entries, axis tick labels),
not from the figure data, so a hidden legend or hidden tick labels fail the test."""

from __future__ import annotations

import numpy as np

from .conftest import shot

LABELS_JS = """(sel) => Array.from(document.querySelectorAll(
    sel + ' .legendtext, ' + sel + ' .xtick text, ' + sel + ' .ytick text')).map((e) => e.textContent.trim())"""


def labels(page, selector: str) -> list[str]:
    return page.evaluate(LABELS_JS, selector)


def names_in(page, selector: str, doctrines: list[str]) -> list[str]:
    """The doctrines the chart at ``selector`` names (exactly, or as 'doctrine − baseline')."""
    texts = labels(page, selector)
    return [d for d in doctrines if any(t == d or t.startswith(d + " −") for t in texts)]


def test_a_single_doctrine_is_named_on_every_chart(live, page):
    page.goto(live.url + "/compare")
    page.select_option("#scenario", "toy-3")
    for box in page.locator("input[name=doctrine]").all():
        box.set_checked(box.get_attribute("value") == "conditionality")
    page.fill("#runs", "40")
    page.fill("#seed", "2")
    page.click("#start-compare")
    page.wait_for_url("**/results/cmp-*", timeout=90_000)
    page.wait_for_selector("#fig-frontline_trust.rendered .main-svg")
    for fig in ("comparison", "escalation", "war_share", "cohesion", "frontline_trust"):
        # plotly hides the legend of a one-trace chart unless told otherwise
        assert names_in(page, f"#fig-{fig}", ["conditionality"]) == ["conditionality"], (
            fig,
            labels(page, f"#fig-{fig}"),
        )


def _bundle_with_a_doctrine_that_never_settles(live) -> tuple[str, list[str]]:
    """A comparison result written straight into the app's data folder: three doctrines on the
    same runs, the second with no settled run (weeks_to_settlement is missing everywhere)."""
    import pandas as pd

    from crisislab import compare
    from crisislab.report.resim import trajectory_bands
    from crisislab.scenario import load_scenario
    from crisislab.server.store import ServerStore

    doctrines = ["isolation", "conditionality", "test_by_offer"]
    sc = load_scenario("toy-3")
    cmp = compare(sc, doctrines, runs=60, seed=5)
    outcomes = {d: df.copy() for d, df in cmp.outcomes.items()}
    outcomes["conditionality"]["weeks_to_settlement"] = np.nan
    outcomes["conditionality"]["p_settlement"] = 0.0
    frame = pd.concat([df.assign(doctrine=d) for d, df in outcomes.items()], ignore_index=True)
    bands = trajectory_bands(sc, doctrines, 5, 0, 60)
    rid = "cmp-never-settles"
    meta = {
        "job": "compare",
        "kind": "comparison",
        "title": "toy-3: a doctrine that never settles",
        "created": "2026-01-01T00:00:00+00:00",
        "scenario": sc.name,
        "scenario_ref": "toy-3",
        "scenario_data": sc.model_dump(mode="json"),
        "seed": 5,
        "runs": 60,
        "doctrines": doctrines,
        "trajectory_runs": 60,
    }
    ServerStore(live.data).write_result(
        rid, {"outcomes.parquet": frame, "trajectories.parquet": bands}, meta
    )
    return rid, doctrines


def test_charts_and_tables_in_the_app_and_the_report(live, page, browser):
    rid, doctrines = _bundle_with_a_doctrine_that_never_settles(live)
    page.goto(f"{live.url}/results/{rid}")
    page.wait_for_selector("#fig-frontline_trust.rendered .main-svg")
    page.wait_for_selector("#summary-table table")
    for fig in ("comparison", "escalation", "war_share", "cohesion", "frontline_trust"):
        assert names_in(page, f"#fig-{fig}", doctrines) == doctrines, (
            fig,
            labels(page, f"#fig-{fig}"),
        )
    # the forest plot names the two doctrines paired against the baseline
    assert names_in(page, "#fig-paired", doctrines[1:]) == doctrines[1:], labels(
        page, "#fig-paired"
    )
    # weeks_to_settlement of the doctrine that never settles: n/a, no dash, no empty interval
    row = page.locator("#summary-table tr", has_text="weeks_to_settlement").inner_text().split("\t")
    assert row[0].strip() == "weeks_to_settlement" and row[2].strip() == "n/a", row
    assert "[" in row[1] and "[" in row[3]
    table = page.inner_text("#summary-table")
    assert "–" not in table and "n/a: no value" in table
    shot(page, "08-result-labels.png")

    page.fill("#attribution-runs", "10")
    page.click("#build-report")
    page.wait_for_selector("#report-link:not(.hidden)", timeout=180_000)
    report = browser.new_context(viewport={"width": 1300, "height": 950}).new_page()
    report.goto(live.url + page.get_attribute("#report-link", "href"))
    report.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 6", timeout=60_000
    )
    figures = report.evaluate(
        "Array.from(document.querySelectorAll('[data-figure]')).map((e) => e.dataset.figure)"
    )
    expected = {
        "comparison": doctrines,
        "paired-forest": doctrines[1:],
        "escalation-fan": doctrines,
        "war-share": doctrines,
        "cohesion": doctrines,
        "frontline-trust": doctrines,
    }
    for name, want in expected.items():
        assert name in figures, (name, figures)
        sel = f"[data-figure='{name}']"
        assert names_in(report, sel, want) == want, (name, labels(report, sel))
    att = [f for f in figures if f.startswith("attribution-")]
    assert att, figures
    assert names_in(report, f"[data-figure='{att[0]}']", doctrines[1:]) == doctrines[1:]
    mean_table = report.locator("table", has_text="Mean [95% CI]")
    cells = mean_table.locator("tr", has_text="weeks_to_settlement").locator("td").all_inner_texts()
    assert cells[0] == "weeks_to_settlement" and cells[2] == "n/a", cells
    assert "–" not in mean_table.inner_text()
    report.close()
