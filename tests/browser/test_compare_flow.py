"""Open the app, edit a scenario, start a comparison, see the charts, open the offline report."""

from __future__ import annotations

from .conftest import ARTIFACTS, shot


def test_edit_scenario_then_compare_and_report(live, page, browser):
    page.goto(live.url + "/")
    page.get_by_role("heading", name="A laboratory for coalition diplomacy under threat").wait_for()
    shot(page, "01-home.png", full=False)

    # scenario editor: live validation names the field; a fixed scenario saves under a name
    page.goto(live.url + "/scenarios")
    page.select_option("#base-scenario", "toy-3")
    page.click("#load-scenario")
    page.wait_for_selector("#validation.ok")
    editor = page.locator("#scenario-yaml")
    original = editor.input_value()
    assert "name: toy-3" in original and "horizon_weeks: 26" in original
    editor.fill(original.replace("horizon_weeks: 26", "horizon_weeks: -1"))
    error = page.wait_for_selector("#validation.error")
    assert "horizon_weeks" in error.inner_text() and "found -1" in error.inner_text()
    shot(page, "02-scenario-error.png", full=False)
    editor.fill(original.replace("name: toy-3", "name: my-toy").replace("horizon_weeks: 26", "horizon_weeks: 20"))
    page.wait_for_selector("#validation.ok")
    assert "my-toy" in page.inner_text("#validation") and "20 weeks" in page.inner_text("#validation")
    page.fill("#scenario-name", "my-toy")
    page.click("#save-scenario")
    page.wait_for_selector("#save-msg.ok")
    assert "user:my-toy" in page.inner_text("#save-msg")
    shot(page, "03-scenario-saved.png", full=False)

    # compare three doctrines on the saved scenario, with live progress, then the result page
    page.goto(live.url + "/compare")
    page.select_option("#scenario", "user:my-toy")
    for box in page.locator("input[name=doctrine]").all():
        box.set_checked(box.get_attribute("value") in ("isolation", "conditionality", "test_by_offer"))
    page.fill("#runs", "150")
    page.fill("#seed", "7")
    page.click("#start-compare")
    page.wait_for_selector("#job:not(.hidden)")
    page.wait_for_url("**/results/cmp-*", timeout=90_000)
    page.wait_for_selector("#fig-comparison.rendered .main-svg")
    page.wait_for_selector("#fig-escalation.rendered .main-svg")
    points = page.evaluate("document.querySelectorAll('#fig-comparison .scatterlayer .point').length")
    assert points >= 3 * 10  # three doctrines, one marker per metric panel
    assert page.locator("#fig-paired .main-svg").count() >= 1
    assert "my-toy" in page.inner_text("h1")
    table = page.inner_text("#summary-table")
    assert "p_war" in table and "test_by_offer" in table
    shot(page, "04-result-charts.png")

    # build the HTML report, then open it with every other network request blocked
    page.fill("#attribution-runs", "20")
    page.click("#build-report")
    page.wait_for_selector("#report-link:not(.hidden)", timeout=120_000)
    report_url = page.get_attribute("#report-link", "href")
    assert report_url
    full_url = live.url + report_url
    offline = browser.new_context(viewport={"width": 1300, "height": 950})
    requested: list[str] = []

    def route(r):  # type: ignore[no-untyped-def]
        requested.append(r.request.url)
        return r.continue_() if r.request.url == full_url else r.abort()

    offline.route("**/*", route)
    rp = offline.new_page()
    rp.goto(full_url)
    rp.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 6", timeout=60_000)
    assert requested == [full_url], f"the report asked for more than itself: {requested}"
    assert rp.locator("#attribution .js-plotly-plot").count() == 1
    rp.evaluate("document.getElementById('escalation').scrollIntoView(); window.scrollBy(0, -80)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    rp.screenshot(path=str(ARTIFACTS / "05-report-offline.png"), full_page=False)
    offline.close()
