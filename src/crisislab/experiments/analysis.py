"""Sensitivity analysis of stored experiments: Sobol indices and Morris screening (SALib).

Analysis only reads what sampling and evaluation stored: the points (unit coordinates)
and the per-run outcomes, reduced to one value per point (the mean over runs, so ``p_war``
at a point is the share of runs that reached war). It never samples or simulates.

* Sobol (Saltelli design): first-order ``S1`` and total-order ``ST`` indices with bootstrap
  confidence intervals (``*_conf`` is the half-width at the chosen level).
* Morris: ``mu_star`` (mean absolute elementary effect, with a bootstrap CI) and ``sigma``
  (spread of the effects: interactions or non-linearity). Effects are per unit of the
  uncertainty's quantile (the unit coordinate), so ranges of different units compare.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from crisislab.experiments.sampling import Design


def sobol_indices(
    design: Design,
    y: np.ndarray,
    *,
    second_order: bool,
    conf_level: float = 0.95,
    num_resamples: int = 500,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """First- and total-order Sobol indices with CIs, one row per uncertainty, ranked by ST."""
    from SALib.analyze import sobol

    y = np.asarray(y, dtype=float)
    _check(y, design)
    res = sobol.analyze(
        design.problem,
        y,
        calc_second_order=second_order,
        num_resamples=num_resamples,
        conf_level=conf_level,
        print_to_console=False,
        seed=seed,
    )
    rows = []
    for j, name in enumerate(design.problem["names"]):
        s1, s1c, st, stc = (float(res[k][j]) for k in ("S1", "S1_conf", "ST", "ST_conf"))
        rows.append(
            {
                "uncertainty": name,
                "S1": s1,
                "S1_low": s1 - s1c,
                "S1_high": s1 + s1c,
                "ST": st,
                "ST_low": st - stc,
                "ST_high": st + stc,
            }
        )
    rows.sort(key=lambda r: -_nan_low(r["ST"]))
    for rank, r in enumerate(rows, 1):
        r["rank"] = rank
    return rows


def morris_indices(
    design: Design,
    y: np.ndarray,
    *,
    levels: int,
    conf_level: float = 0.95,
    num_resamples: int = 500,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Morris ``mu_star`` (with CI), ``mu`` and ``sigma``, one row per uncertainty, ranked by mu*."""
    from SALib.analyze import morris

    y = np.asarray(y, dtype=float)
    _check(y, design)
    res = morris.analyze(
        design.problem,
        design.unit,
        y,
        num_resamples=num_resamples,
        conf_level=conf_level,
        print_to_console=False,
        num_levels=levels,
        seed=seed,
    )
    rows = []
    for j, name in enumerate(design.problem["names"]):
        ms, msc = float(res["mu_star"][j]), float(res["mu_star_conf"][j])
        rows.append(
            {
                "uncertainty": name,
                "mu_star": ms,
                "mu_star_low": ms - msc,
                "mu_star_high": ms + msc,
                "mu": float(res["mu"][j]),
                "sigma": float(res["sigma"][j]),
            }
        )
    rows.sort(key=lambda r: -_nan_low(r["mu_star"]))
    for rank, r in enumerate(rows, 1):
        r["rank"] = rank
    return rows


def _nan_low(x: float) -> float:
    return -np.inf if np.isnan(x) else x


class AnalysisError(ValueError):
    """The outcome cannot be analysed (missing values, no variance)."""


def _check(y: np.ndarray, design: Design) -> None:
    if y.shape != (design.n_points,):
        raise AnalysisError(f"expected {design.n_points} values (one per point), found shape {y.shape}")
    bad = int(np.isnan(y).sum())
    if bad:
        raise AnalysisError(f"{bad} of {y.size} points have no value (e.g. no run settled)")
    if float(np.var(y)) == 0.0:
        raise AnalysisError("the outcome does not vary across points (all indices undefined)")
