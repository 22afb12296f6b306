"""The scenarios that ship: they load, and eu-russia's figures are internally consistent."""

from __future__ import annotations

import pytest

from crisislab.scenario import load_scenario

#: Eurostat: EU-27 population on 1 January 2022, 446.8 million
#: (Eurostat news release ddn-20220711-1, 11 July 2022, dataset demo_gind).
EU27_POPULATION_2022_M = 446.8
#: Eurostat nama_10_gdp: EU-27 GDP at current market prices, 2021, about EUR 14,500 bn.
EU27_GDP_2021_BN = 14_500.0

FRONTLINE = {"Finland", "Estonia", "Latvia", "Lithuania", "Poland"}


@pytest.fixture(scope="module")
def eu():
    return load_scenario("eu-russia")


def test_members_and_partners(eu):
    members = eu.coalition.members
    eu_members = [m for m in members if m.eu_member]
    partners = [m for m in members if not m.eu_member]
    assert len(eu_members) == 27
    assert sorted(m.name for m in partners) == ["Norway", "United Kingdom"]
    assert eu.coalition.decision_rule == "unanimity"


def test_exactly_the_five_frontline_states(eu):
    assert {m.name for m in eu.coalition.members if m.frontline} == FRONTLINE


def test_population_sums_to_eu27_total(eu):
    total = sum(m.population for m in eu.coalition.members if m.eu_member)
    assert total == pytest.approx(EU27_POPULATION_2022_M, rel=0.01)


def test_gdp_sums_to_eu27_total(eu):
    total = sum(m.gdp for m in eu.coalition.members if m.eu_member)
    assert total == pytest.approx(EU27_GDP_2021_BN, rel=0.01)


def test_every_member_has_a_code(eu):
    codes = [m.code for m in eu.coalition.members]
    assert all(isinstance(c, str) and len(c) == 2 for c in codes)
    assert len(set(codes)) == len(codes)
    # "NO" must stay a string (YAML 1.1 would read an unquoted NO as false).
    assert next(m.code for m in eu.coalition.members if m.name == "Norway") == "NO"


def test_baltic_and_finnish_trade_exposure_exceeds_atlantic_members(eu):
    by_name = {m.name: m for m in eu.coalition.members}
    high = ["Lithuania", "Latvia", "Estonia", "Finland"]
    low = ["Portugal", "Ireland"]
    assert min(by_name[h].trade_exposure for h in high) > max(by_name[lo].trade_exposure for lo in low)


def test_scenario_frame(eu):
    assert eu.adversary.name == "Russia"
    assert [t.name for t in eu.adversary.types] == ["sincere_defensive", "opportunistic", "revisionist"]
    assert eu.defender.name == "Ukraine"
    assert eu.mediator is not None and eu.mediator.name == "Turkey" and eu.mediator.style == "formulation"
    assert eu.horizon_weeks == 52
    assert [a.name for a in eu.agenda if a.red_line] == ["territory"]
    assert len(eu.agenda) == 8
    assert eu.sources  # every figure is cited


def test_default_scenario_is_eu_russia():
    assert load_scenario().name == "eu-russia"


def test_toy3_loads_with_three_members():
    assert len(load_scenario("toy-3").coalition.members) == 3
