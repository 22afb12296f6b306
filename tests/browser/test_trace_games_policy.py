"""Step through a trace, move a game's sliders, and cast a veto in the policy console."""

from __future__ import annotations

import re

from .conftest import shot

POLICY = "conditionality-no-preconditions"


def test_step_through_a_trace(live, page):
    page.goto(live.url + "/trace")
    page.select_option("#scenario", "toy-3")
    page.select_option("#doctrine", "conditionality")
    page.fill("#run", "3")
    page.click("#start-trace")
    page.wait_for_url("**/results/trace-*", timeout=120_000)
    page.wait_for_selector("#trace-table tbody tr")
    assert "revisionist" in page.inner_text(".meta") or "type" in page.inner_text(".meta")
    page.click("#next-week")
    page.click("#next-week")
    page.wait_for_function("document.querySelector('#week-label').textContent === 'week 2'")
    page.wait_for_function("document.querySelector('#week-title').textContent.endsWith('week 2')")
    rows = page.locator("#trace-table tbody tr")
    assert rows.count() > 5
    text = page.inner_text("#trace-table")
    assert re.search(r"M\d\d", text) and "economic_contagion" in text
    chips = page.inner_text("#week-mechanisms")
    assert re.search(r"M\d\d \w+ \d+", chips)
    rid = page.get_attribute("#trace-id", "data-rid")
    week2 = page.request.get(f"{live.url}/api/traces/{rid}/week/2").json()["rows"]
    page.wait_for_function(f"document.querySelectorAll('#trace-table tbody tr').length === {len(week2)}")
    first = page.locator("#trace-table tbody tr").first.inner_text()
    assert week2[0]["variable"] in first and week2[0]["step"] in first
    page.click("#prev-week")
    page.wait_for_function("document.querySelector('#week-label').textContent === 'week 1'")
    page.click("#next-week")
    page.wait_for_function("document.querySelector('#week-label').textContent === 'week 2'")
    page.wait_for_selector("#fig-trajectory .main-svg")
    shot(page, "06-trace-viewer.png")


def test_game_sliders_move_the_equilibrium(live, page):
    page.goto(live.url + "/games")
    page.wait_for_selector("#game option", state="attached")
    page.select_option("#game", "deterrence")
    page.wait_for_selector("input[data-param=permanence]")
    page.wait_for_function("document.querySelector('#game-summary').textContent.includes('deterred')")
    assert "true" in page.locator("#game-summary tr", has_text="deterred").first.inner_text()
    page.locator("input[data-param=permanence]").fill("0.3")
    page.wait_for_function("document.querySelector('#game-summary tr:nth-child(4)') && "
                           "Array.from(document.querySelectorAll('#game-summary tr')).some(r => r.textContent.startsWith('deterred') && r.textContent.includes('false'))")
    page.wait_for_function("(() => { const el = document.getElementById('fig-sweep');"
                           " return el && el.layout && el.layout.title.text.includes('comparative statics in permanence'); })()")
    assert page.inner_text("#out-permanence") == "0.3"
    shot(page, "07-games-explorer.png")


def test_frontline_member_casts_a_veto_with_its_token(live, page):
    page.goto(live.url + f"/policy?policy={POLICY}")
    page.wait_for_selector("#vote-member option", state="attached")
    page.click("[data-preset=request]")
    page.fill("#ev-date", "2024-03-01")
    page.click("#post-event")
    page.wait_for_function("document.querySelector('#vote-state') && document.querySelector('#vote-state').textContent.startsWith('open')")
    assert "veto_requested" in page.inner_text("#decisions")
    page.select_option("#vote-member", "Finland")
    # Estonia's token cannot vote for Finland
    page.fill("#vote-token", live.tokens["Estonia"])
    page.click("#cast-veto")
    page.wait_for_selector("#vote-msg.error")
    assert "belongs to another member" in page.inner_text("#vote-msg")
    page.fill("#vote-token", live.tokens["Finland"])
    page.click("#cast-veto")
    page.wait_for_selector("#vote-msg.ok")
    page.wait_for_function("document.querySelector('#decisions').textContent.includes('talks_denied')")
    decisions = page.inner_text("#decisions")
    assert "veto_cast" in decisions and "Finland vetoes" in decisions
    assert page.inner_text("#vote-state") == "none open"
    page.click("#verify-ledger")
    page.wait_for_selector("#verify-msg.ok")
    assert "ledger intact" in page.inner_text("#verify-msg")
    ledger = page.inner_text("#ledger")
    assert "vote: Finland veto" in ledger
    shot(page, "08-policy-veto.png")
