"""Samplers: sizes, edges, stratification, determinism and value mapping."""

from __future__ import annotations

import numpy as np
import pytest

from crisislab.experiments.sampling import expected_points, make_design
from crisislab.experiments.spec import UncertaintySpec, experiment_from_dict

from .toy_experiment import toy


def _spec(sampler: dict, uncertainties: list | None = None):
    data = toy(sampler=sampler)
    if uncertainties is not None:
        data["uncertainties"] = uncertainties
    return experiment_from_dict(data).spec


def test_full_factorial_has_every_combination_with_edges() -> None:
    spec = _spec({"method": "full_factorial", "levels": 3},
                 [{"name": "paranoia", "range": [0.2, 0.8]}, {"name": "decision_rule", "values": ["unanimity", "qmv"]}])
    d = make_design(spec)
    assert d.n_points == 6 == expected_points(spec)
    assert sorted(set(d.values["paranoia"].round(6))) == [0.2, 0.5, 0.8]
    assert sorted(d.values.groupby(["paranoia", "decision_rule"]).size().tolist()) == [1] * 6


def test_lhs_hits_every_stratum_once_per_axis() -> None:
    d = make_design(_spec({"method": "lhs", "n": 20}))
    for j in range(d.unit.shape[1]):
        strata = np.floor(d.unit[:, j] * 20).astype(int)
        assert sorted(strata.tolist()) == list(range(20))


@pytest.mark.parametrize(("second", "per"), [(True, 2 * 3 + 2), (False, 3 + 2)])
def test_sobol_point_count(second: bool, per: int) -> None:
    spec = _spec({"method": "sobol", "n": 8, "second_order": second})
    assert make_design(spec).n_points == 8 * per == expected_points(spec)


def test_morris_point_count_and_grid() -> None:
    spec = _spec({"method": "morris", "n": 5, "levels": 4})
    d = make_design(spec)
    assert d.n_points == 5 * 4 == expected_points(spec)
    assert set(np.round(d.unit.ravel() * 3, 9)) <= {0.0, 1.0, 2.0, 3.0}


def test_design_is_deterministic_in_the_seed() -> None:
    a = make_design(_spec({"method": "lhs", "n": 10}))
    b = make_design(_spec({"method": "lhs", "n": 10}))
    c = make_design(experiment_from_dict(toy(seed=99, sampler={"method": "lhs", "n": 10})).spec)
    assert np.array_equal(a.unit, b.unit)
    assert not np.array_equal(a.unit, c.unit)


def test_values_stay_in_range_and_map_monotonically() -> None:
    d = make_design(_spec({"method": "lhs", "n": 50}))
    p = d.values["paranoia"].to_numpy()
    assert p.min() >= 0.2 and p.max() <= 0.9
    order = np.argsort(d.unit[:, 1])
    assert np.all(np.diff(p[order]) >= 0)


def test_distributions_map_quantiles() -> None:
    tri = UncertaintySpec(path="x", distribution={"kind": "triangular", "low": 0, "mode": 0, "high": 1})
    assert tri.ppf(0.25) == pytest.approx(1 - np.sqrt(0.75))
    norm = UncertaintySpec(path="x", distribution={"kind": "normal", "mean": 0.5, "sd": 1, "low": 0, "high": 1})
    assert 0 <= norm.ppf(0.0) <= norm.ppf(0.5) <= norm.ppf(1.0) <= 1
    assert norm.ppf(0.5) == pytest.approx(0.5)
    cat = UncertaintySpec(path="x", values=["a", "b", "c"])
    assert [cat.ppf(u) for u in (0.0, 0.34, 0.99, 1.0)] == ["a", "b", "c", "c"]
    assert UncertaintySpec(path="x", range=(1, 5), integer=True).ppf(0.6) == 3
