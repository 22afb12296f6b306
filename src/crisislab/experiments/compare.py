"""Paired doctrine comparison on common random numbers.

Every doctrine is simulated on the same runs (same seed, same run indices), so run ``r``
meets the same adversary type and the same random draws under each doctrine, and the
per-run difference isolates the doctrine's effect. Reported: mean and 95 % CI per doctrine
and metric, and the paired mean difference against the first doctrine with its 95 % CI
(Student t on the per-run differences).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # Student-t quantile (what scipy.stats.t.ppf calls)

from crisislab.model.outcomes import METRICS


def mean_ci(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and t-interval of the finite values of ``x`` (NaN when none).

    >>> m, lo, hi = mean_ci(np.array([0.0, 1.0, 1.0, 0.0]))
    >>> round(m, 2), bool(lo < m < hi)
    (0.5, True)
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(x.mean())
    if n == 1:
        return m, m, m
    se = float(x.std(ddof=1)) / np.sqrt(n)
    h = float(stdtrit(n - 1, 0.5 + level / 2)) * se
    return m, m - h, m + h


@dataclass
class Comparison:
    """Result of :func:`compare_outcomes`: tidy tables plus the JSON shape of DESIGN.md."""

    scenario: str
    runs: int
    seed: int
    doctrines: list[str]
    summary: pd.DataFrame  # doctrine, metric, mean, ci_low, ci_high
    paired: pd.DataFrame  # doctrine, metric, diff, ci_low, ci_high (vs the first doctrine)
    outcomes: dict[str, pd.DataFrame]

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"scenario": self.scenario, "runs": self.runs, "seed": self.seed, "doctrines": {}, "paired": {}}
        for row in self.summary.itertuples(index=False):
            doc["doctrines"].setdefault(row.doctrine, {})[row.metric] = {"mean": row.mean, "ci_low": row.ci_low, "ci_high": row.ci_high}
        for row in self.paired.itertuples(index=False):
            doc["paired"].setdefault(row.doctrine, {})[row.metric] = {"diff": row.diff, "ci_low": row.ci_low, "ci_high": row.ci_high}
        return doc

    def best(self, metric: str, lower_is_better: bool = True) -> str:
        """Doctrine with the best mean on ``metric`` (a reading of the model, not a rule)."""
        sub = self.summary[self.summary.metric == metric].set_index("doctrine")["mean"]
        return str(sub.idxmin() if lower_is_better else sub.idxmax())


def compare_outcomes(
    outcomes: dict[str, pd.DataFrame], *, scenario: str, seed: int, metrics: tuple[str, ...] = METRICS
) -> Comparison:
    """Summarise per-run outcome tables (same runs under each doctrine) into a comparison."""
    names = list(outcomes)
    first = outcomes[names[0]].set_index("run")
    srows, prows = [], []
    for name in names:
        df = outcomes[name].set_index("run")
        if not df.index.equals(first.index):
            raise ValueError("doctrines were not simulated on the same runs")
        for metric in metrics:
            m, lo, hi = mean_ci(df[metric].to_numpy())
            srows.append({"doctrine": name, "metric": metric, "mean": m, "ci_low": lo, "ci_high": hi})
            if name != names[0]:
                d, dlo, dhi = mean_ci(df[metric].to_numpy() - first[metric].to_numpy())
                prows.append({"doctrine": name, "metric": metric, "diff": d, "ci_low": dlo, "ci_high": dhi})
    runs = len(first)
    return Comparison(scenario, runs, seed, names, pd.DataFrame(srows), pd.DataFrame(prows, columns=["doctrine", "metric", "diff", "ci_low", "ci_high"]), outcomes)
