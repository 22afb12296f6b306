"""The generic crisis family: loading, seeded sampling, ranges, inputs and the doctrine mix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from crisislab.api import simulate_full
from crisislab.errors import InputError
from crisislab.model.params import compile_scenario
from crisislab.scenario import load_scenario
from crisislab.validation.data import ICB1, load_table
from crisislab.validation.facts import icb_facts
from crisislab.validation.family import (
    STYLES,
    MixDoctrine,
    draw_crises,
    family_path,
    load_family,
    quotas,
)


@pytest.fixture(scope="module")
def family():
    return load_family()


def test_family_is_a_generic_scenario_not_the_eu_case(family):
    assert family.base.name == "generic-crisis"
    eu = {m.name for m in load_scenario("eu-russia").coalition.members}
    assert not eu & {m.name for m in family.base.coalition.members}
    assert family.base.mediator is None
    # tranche 1 is the threat of sanctions: no bite, so TIES stages can be read from the tranche
    first = family.base.instruments.sanction_tranches[0]
    assert first.intensity == 0.0 and first.damage == 0.0
    assert sum(family.doctrines.values()) == pytest.approx(1.0)


def test_sampling_is_seeded_and_independent_of_n(family):
    a = draw_crises(6, seed=3, family=family)
    b = draw_crises(3, seed=3, family=family)
    c = draw_crises(3, seed=4, family=family)
    assert [x.scenario for x in a[:3]] == [x.scenario for x in b]
    assert a[0].scenario != c[0].scenario
    assert len({x.scenario.adversary.rationality for x in a}) == 6


def test_draws_stay_in_the_declared_ranges(family):
    crises = draw_crises(60, seed=11, family=family)
    base = family.base
    rat = np.array([c.scenario.adversary.rationality for c in crises])
    assert rat.min() >= 0.5 * base.adversary.rationality and rat.max() <= 1.5 * base.adversary.rationality
    assert {c.scenario.adversary.initial_rung for c in crises} == {1, 2, 3}
    assert {c.scenario.coalition.decision_rule for c in crises} == {"unanimity", "qmv"}
    for c in crises:
        for t, t0 in zip(c.scenario.adversary.types, base.adversary.types, strict=True):
            assert abs(t.aggression - t0.aggression) <= 0.15 + 1e-12
            assert 0.0 <= t.resolve <= 1.0
        assert 0.2 <= c.scenario.defender.capability <= 0.7
        assert 0.3 <= c.trust_adversary <= 0.9 and 0.3 <= c.trust_coalition <= 0.9
        assert c.scenario.mediator is None


def test_calibrated_base_values_shift_draws_but_keep_the_random_numbers(family):
    from crisislab.validation.calibrate import family_with

    shifted = family_with(family, {"adversary.rationality": 8.0})
    a = draw_crises(4, seed=5, family=family)
    b = draw_crises(4, seed=5, family=shifted)
    for x, y in zip(a, b, strict=True):
        assert y.scenario.adversary.rationality == pytest.approx(2.0 * x.scenario.adversary.rationality)
        assert y.scenario.adversary.types == x.scenario.adversary.types


def test_mediation_inputs_are_the_icb_numbers(family, data_dir: Path):
    facts = {f.id: f for f in icb_facts(load_table(data_dir, ICB1), reps=10)}
    assert family.mediation.rate == round(facts["icb.mediation.rate"].value, 3)
    for style in STYLES:
        assert family.mediation.styles[style] == facts[f"icb.agreement.{style}"].n
    w = family.mediation.variant_weights()
    assert sum(w.values()) == pytest.approx(1.0) and w[None] == pytest.approx(1 - family.mediation.rate)


def test_variants_add_the_mediator_with_the_crisis_trust(family):
    c = draw_crises(1, seed=2, family=family)[0]
    assert c.variant(None).mediator is None
    m = c.variant("manipulation").mediator
    assert m is not None and m.style == "manipulation"
    assert (m.trust_adversary, m.trust_coalition) == (c.trust_adversary, c.trust_coalition)
    assert c.variant(None, {"adversary.initial_rung": 1}).adversary.initial_rung == 1


def test_quotas():
    assert quotas({"a": 0.3, "b": 0.3, "c": 0.4}, 10) == {"a": 3, "b": 3, "c": 4}
    assert sum(quotas({"a": 1, "b": 1, "c": 1}, 100).values()) == 100


def test_mix_runs_each_block_exactly_as_its_doctrine_alone():
    sc = load_scenario("toy-3").with_overrides({"horizon_weeks": 12})
    p = compile_scenario(sc)
    weights = {"isolation": 0.4, "open_channels": 0.3, "test_by_offer": 0.3}
    mix = MixDoctrine(weights)
    runs = 20
    mixed = simulate_full(sc, mix, runs, 9, params=p).outcomes
    names = mix.assignment()
    start = 0
    for d, k in quotas(weights, runs).items():
        assert names[start:start + k] == [d] * k
        alone = simulate_full(sc, d, k, 9, run_offset=start, params=p).outcomes
        block = mixed.iloc[start:start + k].reset_index(drop=True)
        assert block.equals(alone), d
        start += k


def test_mediated_mix_engages_the_mediator():
    sc = load_scenario("toy-3").with_overrides({"horizon_weeks": 26})
    p = compile_scenario(sc)
    weights = {"isolation": 0.5, "conditionality": 0.5}
    plain = simulate_full(sc, MixDoctrine(weights), 60, 4, params=p).outcomes
    mediated = simulate_full(sc, MixDoctrine(weights, mediated=True), 60, 4, params=p).outcomes
    # isolation makes no offers: it settles only through the parties' own channel (at
    # `dynamics.direct_share` of the rate of talks); with the mediator engaged it settles more
    assert mediated["p_settlement"].iloc[:30].sum() >= plain["p_settlement"].iloc[:30].sum() + 5
    assert mediated["p_settlement"].sum() > plain["p_settlement"].sum()


def _write_family(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load(family_path().read_text(encoding="utf-8"))
    mutate(data)
    out = tmp_path / "fam.yaml"
    out.write_text(yaml.safe_dump(data), encoding="utf-8")
    return out


def test_bad_family_files_are_input_errors(tmp_path: Path):
    cases = [
        (lambda d: d["family"]["sample"].update({"adversary.nonsense": {"uniform": [0, 1]}}), "adversary.nonsense"),
        (lambda d: d["family"]["sample"].update({"defender.capability": {"uniform": [0.9, 0.1]}}), "defender.capability"),
        (lambda d: d["family"]["doctrines"].update({"appeasement": 0.2}), "appeasement"),
        (lambda d: d["family"]["mediation"].update({"rate": 1.5}), "mediation.rate"),
        (lambda d: d["family"].pop("crises"), "family.crises"),
        (lambda d: d.pop("family"), "family"),
        (lambda d: d["family"]["sample"].update({"coalition.decision_rule": {"jitter": 0.1}}), "decision_rule"),
        (lambda d: d["family"]["sample"].update({"defender.capability": {"uniform": [2.0, 3.0]}}), "capability"),
    ]
    for mutate, needle in cases:
        path = _write_family(tmp_path, mutate)
        with pytest.raises(InputError) as err:
            load_family(path)
        assert needle in str(err.value), (needle, str(err.value))


def test_stratified_draws_put_one_crisis_in_each_slice(family):
    n = 8
    crises = draw_crises(n, seed=6, family=family, stratified=True)
    base = family.base.adversary.rationality
    u = [(c.scenario.adversary.rationality / base - 0.5) for c in crises]  # scale [0.5, 1.5] -> [0, 1)
    assert sorted(int(x * n) for x in u) == list(range(n))
    # a stratified choice gives each value its weight's share of the crises, to within one
    rungs = [c.scenario.adversary.initial_rung for c in crises]
    for rung, share in ((1, 142 / 486), (2, 142 / 486), (3, 202 / 486)):
        assert abs(rungs.count(rung) - n * share) < 1.0, (rung, rungs)
    # iid draws are not stratified and do not depend on n
    iid = draw_crises(n, seed=6, family=family)
    assert iid[0].scenario == draw_crises(2, seed=6, family=family)[0].scenario
    assert crises[0].scenario != draw_crises(4, seed=6, family=family, stratified=True)[0].scenario
