"""Sampling the uncertainty space: full factorial, Latin hypercube, Saltelli (Sobol), Morris.

Sampling is separate from evaluation and analysis. Every sampler works in the unit
hypercube ``[0, 1]^k`` (one axis per uncertainty) and each uncertainty maps its unit
coordinate to a value with its inverse CDF (:meth:`UncertaintySpec.ppf`). Sobol and Morris
indices are computed on the unit coordinates; Sobol indices do not change under such
per-axis monotone maps, and Morris effects are then per unit of the uncertainty's quantile.

The design is a pure function of the spec (including its seed), so a resumed experiment
regenerates exactly the same points.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crisislab.experiments.spec import ExperimentSpec, UncertaintySpec


@dataclass
class Design:
    """Points of an experiment: unit coordinates and the values they map to."""

    method: str
    unit: np.ndarray  # shape (points, k), in [0, 1]
    values: pd.DataFrame  # one column per uncertainty key, natural units
    problem: dict[str, Any]  # SALib problem over the unit hypercube

    @property
    def n_points(self) -> int:
        return int(self.unit.shape[0])

    def table(self) -> pd.DataFrame:
        """Points table for the store: ``point``, values, and ``u_<key>`` unit coordinates."""
        df = self.values.copy()
        for j, key in enumerate(self.problem["names"]):
            df[f"u_{key}"] = self.unit[:, j]
        df.insert(0, "point", np.arange(self.n_points, dtype=np.int64))
        return df


def salib_problem(uncertainties: list[UncertaintySpec]) -> dict[str, Any]:
    """The SALib problem definition over the unit hypercube."""
    return {
        "num_vars": len(uncertainties),
        "names": [u.key for u in uncertainties],
        "bounds": [[0.0, 1.0]] * len(uncertainties),
    }


def unit_factorial(uncertainties: list[UncertaintySpec], levels: int) -> np.ndarray:
    """Unit coordinates of a full factorial design.

    Continuous uncertainties take ``levels`` evenly spaced coordinates with both edges;
    categorical ones take the middle of each category's cell.

    >>> from crisislab.experiments.spec import UncertaintySpec
    >>> us = [UncertaintySpec(path="a", range=(0, 1)), UncertaintySpec(path="b", values=["x", "y"])]
    >>> unit_factorial(us, 3).tolist()
    [[0.0, 0.25], [0.0, 0.75], [0.5, 0.25], [0.5, 0.75], [1.0, 0.25], [1.0, 0.75]]
    """
    axes: list[np.ndarray] = []
    for u in uncertainties:
        if u.values is not None:
            m = len(u.values)
            axes.append((np.arange(m) + 0.5) / m)
        else:
            axes.append(np.linspace(0.0, 1.0, levels))
    return np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, len(uncertainties))


def unit_design(spec: ExperimentSpec) -> np.ndarray:
    """Unit-hypercube points for the spec's sampler (deterministic in ``spec.seed``)."""
    s = spec.sampler
    problem = salib_problem(spec.uncertainties)
    seed = int(spec.seed % (2**32))
    if s.method == "full_factorial":
        return unit_factorial(spec.uncertainties, s.levels)
    if s.method == "lhs":
        from SALib.sample import latin

        return np.asarray(latin.sample(problem, s.n, seed=seed), dtype=float)
    if s.method in ("sobol", "saltelli"):
        from SALib.sample import sobol

        return np.asarray(sobol.sample(problem, s.n, calc_second_order=s.second_order, scramble=True, seed=seed), dtype=float)
    if s.method == "morris":
        from SALib.sample import morris

        return np.asarray(morris.sample(problem, s.n, num_levels=s.levels, seed=seed), dtype=float)
    raise ValueError(f"unknown sampler {s.method}")  # pragma: no cover - validated by the spec


def make_design(spec: ExperimentSpec) -> Design:
    """Sample the spec's uncertainty space and map unit coordinates to values."""
    unit = unit_design(spec)
    cols: dict[str, list[Any]] = {}
    for j, u in enumerate(spec.uncertainties):
        cols[u.key] = [u.ppf(x) for x in unit[:, j]]
    values = pd.DataFrame(cols)
    return Design(spec.sampler.method, unit, values, salib_problem(spec.uncertainties))


def expected_points(spec: ExperimentSpec) -> int:
    """Number of points the sampler will produce (without sampling)."""
    s = spec.sampler
    k = len(spec.uncertainties)
    if s.method == "full_factorial":
        total = 1
        for u in spec.uncertainties:
            total *= len(u.values) if u.values is not None else s.levels
        return total
    if s.method == "lhs":
        return s.n
    if s.method in ("sobol", "saltelli"):
        return s.n * (2 * k + 2 if s.second_order else k + 2)
    return s.n * (k + 1)
