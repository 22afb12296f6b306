"""Honest evaluation of the Council models: whole-proposal cross-validation and a
proposal-level bootstrap.

* A model without fitted parameters predicts every issue as it is.
* A model with fitted parameters is cross-validated over whole proposals: the proposals
  are dealt into ``folds`` folds (:func:`~crisislab.council.models.proposal_folds`), and
  every issue is predicted by a copy of the model fitted on the other folds only, so no
  issue of a test proposal is ever in its training data.
* With a separate training file (``train``), every model is fitted on it once and judged
  on the evaluation issues; nothing of the evaluation file is used to fit.

Intervals: the proposals are the unit of resampling (issues of one proposal share actors,
experts and bargaining, so they are not independent). Each bootstrap replicate draws as
many proposals as there are, with replacement, and recomputes every model's MAE over the
issues of the drawn proposals; the paired difference against the baseline model is
computed on the same draws (percentile 95 % intervals).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crisislab.council.issue import Issue
from crisislab.council.models import CouncilModel, out_of_fold

BASELINE = "compromise"


@dataclass
class ModelScore:
    model: str
    n_issues: int
    n_proposals: int
    mae: float
    ci_low: float
    ci_high: float
    diff: float
    diff_ci_low: float
    diff_ci_high: float
    evaluation: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def beats_baseline(self) -> bool:
        """The whole 95 % interval of the paired difference lies below zero."""
        return self.diff_ci_high < 0

    def as_row(self) -> dict[str, Any]:
        return {"model": self.model, "n_issues": self.n_issues, "n_proposals": self.n_proposals, "mae": self.mae,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "diff_vs_compromise": self.diff,
                "diff_ci_low": self.diff_ci_low, "diff_ci_high": self.diff_ci_high, "evaluation": self.evaluation}


@dataclass
class Evaluation:
    scores: list[ModelScore]
    predictions: dict[str, np.ndarray]
    outcomes: np.ndarray
    groups: list[str]
    folds: int
    seed: int
    reps: int
    boot_seed: int
    trained_on: str | None = None

    def score(self, name: str) -> ModelScore:
        return next(s for s in self.scores if s.model == name)


def predict_all(models: dict[str, CouncilModel], issues: Sequence[Issue], *, folds: int, seed: int,
                train: Sequence[Issue] | None = None) -> dict[str, np.ndarray]:
    """Out-of-sample predictions of every model for ``issues`` (see the module docstring)."""
    out: dict[str, np.ndarray] = {}
    for name, model in models.items():
        if train is not None:
            m = model.fresh().fit(train) if model.fitted else model
            out[name] = m.predict(issues)
        else:
            out[name] = out_of_fold(model, issues, folds, seed)
    return out


def bootstrap_groups(groups: Sequence[str], reps: int, seed: int) -> np.ndarray:
    """``[reps, issues]`` counts: how often each issue enters each replicate."""
    names = sorted(set(groups))
    gi = np.array([names.index(g) for g in groups])
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(names), size=(reps, len(names)))
    per_group = np.zeros((reps, len(names)))
    np.add.at(per_group, (np.repeat(np.arange(reps), len(names)), draws.ravel()), 1.0)
    return per_group[:, gi]


def _mean_ci(err: np.ndarray, counts: np.ndarray) -> tuple[float, float, float]:
    ok = ~np.isnan(err)
    e = np.where(ok, err, 0.0)
    n = counts @ ok.astype(float)
    boot = (counts @ e) / np.where(n > 0, n, np.nan)
    lo, hi = np.nanquantile(boot, [0.025, 0.975])
    return float(e[ok].mean()), float(lo), float(hi)


def evaluate(models: dict[str, CouncilModel], issues: Sequence[Issue], *, folds: int = 10, seed: int = 20240601,
             reps: int = 2000, boot_seed: int = 20240601, train: Sequence[Issue] | None = None,
             trained_on: str | None = None, baseline: str = BASELINE) -> Evaluation:
    """Score every model: MAE, its proposal-bootstrap CI, the paired difference to ``baseline``."""
    if baseline not in models:
        raise ValueError(f"the baseline model {baseline!r} must be among the models")
    preds = predict_all(models, issues, folds=folds, seed=seed, train=train)
    y = np.array([i.out for i in issues], dtype=float)
    groups = [i.group for i in issues]
    counts = bootstrap_groups(groups, reps, boot_seed)
    base = np.abs(preds[baseline] - y)
    scores: list[ModelScore] = []
    for name, model in models.items():
        err = np.abs(preds[name] - y)
        mae, lo, hi = _mean_ci(err, counts)
        diff, dlo, dhi = _mean_ci(err - base, counts)
        if name == baseline:
            diff, dlo, dhi = 0.0, 0.0, 0.0
        ok = ~np.isnan(err)
        if not model.fitted:
            how = "no fitted parameters"
        elif train is not None:
            how = f"fitted on {trained_on or 'the training file'}"
        else:
            how = f"cross-validated over whole proposals ({folds} folds)"
        params: dict[str, Any] = {}
        if model.fitted:
            params = (model.fresh().fit(train if train is not None else issues)).params()
        scores.append(ModelScore(name, int(ok.sum()), len({g for g, k in zip(groups, ok, strict=True) if k}), mae, lo,
                                 hi, diff, dlo, dhi, how, params))
    return Evaluation(scores, preds, y, groups, folds, seed, reps, boot_seed, trained_on)
