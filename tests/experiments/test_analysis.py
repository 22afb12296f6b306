"""Sobol and Morris indices against functions with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from crisislab.experiments.analysis import AnalysisError, morris_indices, sobol_indices
from crisislab.experiments.sampling import make_design
from crisislab.experiments.spec import experiment_from_dict

from .toy_experiment import toy

A = np.array([4.0, 2.0, 1.0])  # Y = 4 u1 + 2 u2 + u3 on the unit cube: S_i = a_i^2 / sum a^2


def _design(sampler: dict):
    return make_design(experiment_from_dict(toy(sampler=sampler)).spec)


def test_sobol_linear_model_known_indices() -> None:
    d = _design({"method": "sobol", "n": 1024, "second_order": True})
    y = d.unit @ A
    rows = sobol_indices(d, y, second_order=True, seed=1)
    exact = A**2 / (A**2).sum()
    by = {r["uncertainty"]: r for r in rows}
    names = d.problem["names"]
    assert [r["uncertainty"] for r in rows] == names  # ranked by ST: 4 > 2 > 1
    for name, s in zip(names, exact, strict=True):
        assert by[name]["S1"] == pytest.approx(s, abs=0.03)
        assert by[name]["ST"] == pytest.approx(s, abs=0.03)
        assert by[name]["ST_low"] <= by[name]["ST"] <= by[name]["ST_high"]
    assert [r["rank"] for r in rows] == [1, 2, 3]


def test_sobol_interaction_shows_in_total_not_first_order() -> None:
    d = _design({"method": "sobol", "n": 1024, "second_order": False})
    u = d.unit
    y = (u[:, 0] - 0.5) * (u[:, 1] - 0.5)  # pure interaction: S1 = 0, ST = 1 for u1, u2
    by = {r["uncertainty"]: r for r in sobol_indices(d, y, second_order=False, seed=1)}
    first, second, third = d.problem["names"]
    assert abs(by[first]["S1"]) < 0.05 and by[first]["ST"] > 0.9
    assert by[third]["ST"] < 0.02


def test_morris_linear_model_mu_star_equals_slopes() -> None:
    d = _design({"method": "morris", "n": 20, "levels": 4})
    rows = morris_indices(d, d.unit @ A, levels=4, seed=1)
    by = {r["uncertainty"]: r for r in rows}
    for name, a in zip(d.problem["names"], A, strict=True):
        assert by[name]["mu_star"] == pytest.approx(a, rel=1e-9)
        assert by[name]["sigma"] == pytest.approx(0.0, abs=1e-9)
    assert rows[0]["uncertainty"] == d.problem["names"][0]


def test_missing_or_constant_outcomes_are_refused() -> None:
    d = _design({"method": "sobol", "n": 8, "second_order": False})
    y = np.ones(d.n_points)
    with pytest.raises(AnalysisError, match="does not vary"):
        sobol_indices(d, y, second_order=False)
    y = d.unit[:, 0].copy()
    y[3] = np.nan
    with pytest.raises(AnalysisError, match="no value"):
        sobol_indices(d, y, second_order=False)
