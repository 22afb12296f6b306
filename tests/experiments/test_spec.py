"""Experiment file validation: good files load, bad ones raise InputError naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisislab.errors import InputError
from crisislab.experiments.spec import (
    experiment_from_dict,
    experiment_from_text,
    load_experiment,
    point_overrides,
    prior_overrides,
)
from crisislab.scenario import load_scenario

from .toy_experiment import toy

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("name", ["sensitivity.yaml", "discover.yaml", "sweep.yaml"])
def test_examples_load(name: str) -> None:
    loaded = load_experiment(EXAMPLES / name)
    assert loaded.scenario.name == "eu-russia"
    assert loaded.experiment_id.startswith(loaded.spec.name + "-")
    assert len(loaded.file_sha256) == 64


def test_experiment_id_ignores_comments_but_not_content() -> None:
    text = yaml.safe_dump(toy())
    a = experiment_from_text(text)
    b = experiment_from_text("# a comment\n" + text)
    c = experiment_from_text(yaml.safe_dump(toy(seed=5)))
    d = experiment_from_text(yaml.safe_dump(toy(outcomes=["p_war"], discover={"fails_when": "p_war > 0.2"},
                                                 robust={"satisficing": ["p_war < 0.1"]}, description="new")))
    assert a.experiment_id == b.experiment_id == d.experiment_id  # analysis settings reuse the data
    assert a.experiment_id != c.experiment_id


def _problem(data: dict) -> str:
    with pytest.raises(InputError) as info:
        experiment_from_dict(data, "exp.yaml")
    assert info.value.source == "exp.yaml"
    return " | ".join(f"{p.location}: {p.found} / {p.expected}" for p in info.value.problems)


def test_unknown_doctrine_is_named() -> None:
    msg = _problem(toy(levers={"doctrines": ["appeasement"]}))
    assert "levers.doctrines" in msg and "appeasement" in msg


def test_unknown_outcome_is_named() -> None:
    assert "p_peace" in _problem(toy(outcomes=["p_peace"]))


def test_reversed_range_is_rejected() -> None:
    msg = _problem(toy(uncertainties=[{"name": "paranoia", "range": [0.9, 0.2]}]))
    assert "uncertainties[0]" in msg and "low <= high" in msg


def test_unknown_path_is_reported_at_the_uncertainty() -> None:
    msg = _problem(toy(uncertainties=[{"path": "adversary.nerve", "range": [0, 1]}]))
    assert msg.startswith("uncertainties[0]") and "nerve" in msg


def test_value_the_scenario_rejects_is_reported() -> None:
    msg = _problem(toy(uncertainties=[{"name": "paranoia", "range": [0.2, 2.0]}]))
    assert "uncertainties[0]" in msg and "paranoia = 2.0" in msg


def test_sobol_needs_power_of_two() -> None:
    assert "power of two" in _problem(toy(sampler={"method": "sobol", "n": 100}))


def test_two_uncertainties_writing_one_path_are_rejected() -> None:
    msg = _problem(toy(uncertainties=[{"name": "prior_sincere", "range": [0, 0.5]},
                                      {"name": "prior_revisionist", "range": [0, 0.5]}]))
    assert "uncertainties[1]" in msg and "weight" in msg


def test_bad_doctrine_parameter_fails_at_load() -> None:
    data = toy(model="crisislab", levers={"doctrines": [{"name": "test_by_offer", "params": {"nonsense": 1}}]})
    assert "levers.doctrines[0].params" in _problem(data)


def test_lever_grid_expands() -> None:
    data = toy(levers={"doctrines": ["isolation", {"name": "open_channels", "params": {"boost": [0.0, 0.1]}}],
                       "settings": {"coalition.decision_rule": ["unanimity", "qmv"]}})
    labels = [p.label for p in experiment_from_dict(data).spec.policies()]
    assert len(labels) == 6 and len(set(labels)) == 6
    assert "open_channels[boost=0.1,coalition.decision_rule=qmv]" in labels


def test_prior_share_keeps_total_and_relative_weights() -> None:
    s = load_scenario("toy-3")  # weights 0.3, 0.4, 0.3; type 0 is sincere
    ov = prior_overrides(s, [0], 0.1)
    w = [ov[f"adversary.types.{i}.weight"] for i in range(3)]
    assert sum(w) == pytest.approx(1.0)
    assert w[0] == pytest.approx(0.1)
    assert w[1] / w[2] == pytest.approx(0.4 / 0.3)


def test_point_overrides_reach_the_scenario() -> None:
    loaded = experiment_from_dict(toy())
    base = loaded.scenario
    ov = point_overrides(loaded.spec, base, {"prior_sincere": 0.5, "paranoia": 0.8, "strength:credibility_decay": 1.3})
    s = base.with_overrides(ov)
    assert s.adversary.types[0].weight / sum(t.weight for t in s.adversary.types) == pytest.approx(0.5)
    assert all(t.paranoia == 0.8 for t in s.adversary.types)
    assert s.mechanism("credibility_decay").strength == pytest.approx(1.3)


def test_missing_file_and_directory() -> None:
    with pytest.raises(InputError):
        load_experiment("no/such/file.yaml")
    with pytest.raises(InputError):
        load_experiment(EXAMPLES)


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                    st.text(max_size=12))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                      max_leaves=12)
keys = st.sampled_from(["name", "scenario", "levers", "uncertainties", "outcomes", "sampler", "runs", "seed",
                        "model", "overrides", "discover", "robust", "chunk_points", "extra"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, values, max_size=8))
def test_garbage_mappings_raise_only_input_error(data: dict) -> None:
    try:
        experiment_from_dict(data, "garbage.yaml")
    except InputError:
        return
    raise AssertionError("garbage was accepted")  # pragma: no cover


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_garbage_text_raises_only_input_error(text: str) -> None:
    with pytest.raises(InputError):
        experiment_from_text(text, "garbage.yaml")


@settings(max_examples=80, deadline=None)
@given(st.fixed_dictionaries({}, optional={
    "sampler": values, "uncertainties": st.lists(st.dictionaries(st.sampled_from(
        ["name", "path", "range", "values", "distribution", "label", "integer"]), values, max_size=4), max_size=3),
    "levers": values, "outcomes": values, "runs": values}))
def test_garbage_fields_in_a_valid_file_raise_only_input_error(patch: dict) -> None:
    data = {**toy(), **patch}
    try:
        experiment_from_dict(data, "garbage.yaml")
    except InputError:
        pass
