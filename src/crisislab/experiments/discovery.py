"""Scenario discovery with PRIM: where in the uncertainty space does a doctrine fail?

A point *fails* when the doctrine's mean outcome over runs meets the user's condition
(``p_war > 0.3``). PRIM (the Patient Rule Induction Method, Friedman and Fisher 1999) peels
thin slices off the box that holds all points, each time removing the slice that most
raises the share of failing points inside, then pastes back slices that help. Each step of
that *peeling trajectory* is a box with

* **coverage**: the share of all failing points that lie inside the box;
* **density**: the share of points inside the box that fail.

We use the PRIM of the EMA Workbench (``ema_workbench.analysis.prim``) and pick, on each
trajectory, the box with the highest coverage among those with density at least
``min_density`` and at most ``max_dims`` restricted uncertainties (so a box reads as a
sentence). Further boxes are searched among the failing points the earlier boxes missed.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass
class Restriction:
    """One restricted uncertainty of a box."""

    name: str
    low: float | None = None
    high: float | None = None
    values: list[Any] | None = None

    def words(self) -> str:
        """``"paranoia > 0.7"``, ``"0.2 < x < 0.4"`` or ``"decision_rule = qmv"``."""
        if self.values is not None:
            vals = sorted(map(str, self.values))
            return f"{self.name} = {vals[0]}" if len(vals) == 1 else f"{self.name} in {{{', '.join(vals)}}}"
        if self.low is not None and self.high is not None:
            return f"{_num(self.low)} < {self.name} < {_num(self.high)}"
        if self.low is not None:
            return f"{self.name} > {_num(self.low)}"
        return f"{self.name} < {_num(self.high)}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"uncertainty": self.name}
        if self.values is not None:
            out["values"] = sorted(map(str, self.values))
        else:
            out["low"] = self.low
            out["high"] = self.high
        return out


def _num(x: float | None) -> str:
    return f"{x:.3g}" if x is not None else "?"


@dataclass
class Box:
    """A box of the uncertainty space where failures concentrate."""

    restrictions: list[Restriction]
    coverage: float
    density: float
    mass: float
    n_points: int
    trajectory_index: int
    meets_density: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def clauses(self) -> str:
        return " and ".join(r.words() for r in self.restrictions)

    def describe(self, doctrine: str, condition: str) -> str:
        """The box as a sentence."""
        return (
            f"`{doctrine}` has {condition} when {self.clauses()}: "
            f"coverage {self.coverage:.2f}, density {self.density:.2f}"
        )

    def contains(self, x: pd.DataFrame) -> np.ndarray:
        """Boolean mask of the rows of ``x`` inside the box."""
        mask = np.ones(len(x), dtype=bool)
        for r in self.restrictions:
            col = x[r.name]
            if r.values is not None:
                mask &= col.astype(str).isin([str(v) for v in r.values]).to_numpy()
            else:
                v = col.to_numpy(dtype=float)
                if r.low is not None:
                    mask &= v >= r.low
                if r.high is not None:
                    mask &= v <= r.high
        return mask


def _ema_prim() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("EMA").setLevel(logging.ERROR)
        from ema_workbench.analysis import prim

    return prim


def _restrictions(lims: pd.DataFrame, init: pd.DataFrame) -> list[Restriction]:
    out: list[Restriction] = []
    for col in lims.columns:
        lo, hi = lims[col].iloc[0], lims[col].iloc[1]
        ilo, ihi = init[col].iloc[0], init[col].iloc[1]
        if isinstance(ilo, (set, frozenset)):
            if set(lo) != set(ilo):
                out.append(Restriction(str(col), values=sorted(lo, key=str)))
            continue
        low = float(lo) if float(lo) > float(ilo) else None
        high = float(hi) if float(hi) < float(ihi) else None
        if low is not None or high is not None:
            out.append(Restriction(str(col), low=low, high=high))
    return out


def find_boxes(
    x: pd.DataFrame,
    failed: np.ndarray,
    *,
    min_density: float = 0.7,
    max_dims: int = 3,
    max_boxes: int = 2,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
    prune_tol: float = 0.01,
) -> list[Box]:
    """PRIM boxes of ``x`` (one column per uncertainty) where ``failed`` concentrates.

    A restriction whose removal lowers the box's density by less than ``prune_tol`` (and
    loses no failing point) is dropped, so boxes do not mention edges that do not matter.
    """
    failed = np.asarray(failed, dtype=bool)
    if len(x) != len(failed):
        raise ValueError(f"{len(x)} points but {len(failed)} outcomes")
    if failed.sum() == 0 or failed.all():
        return []
    prim = _ema_prim()
    xx = x.reset_index(drop=True).copy()
    for c in xx.columns:
        if xx[c].dtype == bool or xx[c].dtype == object or str(xx[c].dtype) in ("string", "str"):
            xx[c] = xx[c].astype(str).astype("category")
        elif np.issubdtype(xx[c].dtype, np.integer):
            xx[c] = xx[c].astype(np.int64)
        else:
            xx[c] = xx[c].astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # EMA's threshold both defines the cases of interest (y >= threshold) and replaces a
        # final box whose mean is below it by the whole space, dropping its trajectory. With
        # binary y a tiny positive threshold keeps exactly the failing points as cases of
        # interest and every trajectory; the density requirement is applied below instead.
        p = prim.Prim(xx, failed.astype(int), threshold=1e-9, peel_alpha=peel_alpha, mass_min=mass_min)
        boxes: list[Box] = []
        for _ in range(max_boxes):
            box = p.find_box()
            if box is None:
                break
            traj = box.peeling_trajectory
            ok_dims = (traj["res_dim"] >= 1) & (traj["res_dim"] <= max_dims)
            cand = traj[ok_dims & (traj["density"] >= min_density)]
            meets = not cand.empty
            if cand.empty:
                cand = traj[ok_dims]
                if cand.empty:
                    break
                idx = int(cand.sort_values(["density", "coverage"], ascending=False).index[0])
            else:
                idx = int(cand.sort_values(["coverage", "density"], ascending=False).index[0])
            if not meets and boxes:
                break  # later boxes are reported only when they are dense enough
            box.select(idx)
            restr = _restrictions(box.box_lims[idx], p.box_init)
            if not restr:
                break
            remaining = np.zeros(len(xx), dtype=bool)
            remaining[p.yi_remaining] = True
            found = _prune(Box(restr, 0.0, 0.0, 0.0, 0, idx, meets), xx, failed, remaining, prune_tol)
            boxes.append(found)
            if not meets:
                break
    return boxes


def _stats(box: Box, x: pd.DataFrame, failed: np.ndarray, remaining: np.ndarray) -> tuple[float, float, float, int]:
    inside = box.contains(x) & remaining
    n = int(inside.sum())
    total = int(failed.sum())
    k = int((failed & inside).sum())
    coverage = k / total if total else 0.0
    density = k / n if n else 0.0
    return coverage, density, n / len(x), n


def _prune(box: Box, x: pd.DataFrame, failed: np.ndarray, remaining: np.ndarray, tol: float) -> Box:
    """Drop restrictions that do not matter; set coverage and density from the data."""
    cov, dens, _, _ = _stats(box, x, failed, remaining)
    changed = True
    while changed and len(box.restrictions) > 1:
        changed = False
        for r in list(box.restrictions):
            trial = Box([q for q in box.restrictions if q is not r], 0, 0, 0, 0, box.trajectory_index, box.meets_density)
            c2, d2, _, _ = _stats(trial, x, failed, remaining)
            if c2 >= cov and d2 >= dens - tol:
                box.restrictions.remove(r)
                cov, dens = c2, d2
                changed = True
                break
    box.coverage, box.density, box.mass, box.n_points = _stats(box, x, failed, remaining)
    return box


def failure_frame(points: pd.DataFrame, means: pd.DataFrame, keys: list[str], policy: str, outcome: str) -> pd.DataFrame:
    """Uncertainty values and the policy's mean ``outcome`` per point, aligned by point."""
    sub = means[means["policy"] == policy][["point", outcome]]
    return points[["point", *keys]].merge(sub, on="point", how="inner").sort_values("point").reset_index(drop=True)
