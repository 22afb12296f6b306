"""Robust choice among doctrines across sampled futures (Robust Decision Making style).

Every policy (doctrine with its lever settings) was evaluated at the same points of the
uncertainty space on the same runs. At each point (a *future*) the policy's outcome is its
mean over runs.

* **Regret** of a policy in a future: how much worse it does than the best policy in that
  future (``outcome - min`` for outcomes to minimise, ``max - outcome`` to maximise).
  **Minimax regret** picks the policy whose worst regret over all futures is smallest.
* **Satisficing**: the share of futures in which a policy meets every constraint
  (``p_war <= 0.2`` and ``coalition_cost <= 0.05``); the most robust policy meets them in
  the most futures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from crisislab.experiments.spec import Objective, Threshold

#: Outcomes where more is better (everything else: less is better).
HIGHER_IS_BETTER = frozenset({"p_settlement", "final_cohesion", "final_frontline_trust", "adversary_concessions"})


def default_direction(outcome: str) -> Literal["min", "max"]:
    """``max`` for outcomes where more is better, else ``min``."""
    return "max" if outcome in HIGHER_IS_BETTER else "min"


def _matrix(means: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Futures x policies matrix of an outcome (rows: points, columns: policies)."""
    return means.pivot(index="point", columns="policy", values=outcome)


def regret_table(means: pd.DataFrame, objective: Objective) -> list[dict[str, Any]]:
    """Per policy: mean and worst outcome, worst / 90th percentile / mean regret; ranked by worst regret."""
    m = _matrix(means, objective.outcome)
    m = m.dropna(axis=0, how="any")
    if m.empty:
        return []
    values = m.to_numpy(dtype=float)
    if objective.direction == "min":
        regret = values - values.min(axis=1, keepdims=True)
        worst = values.max(axis=0)
    else:
        regret = values.max(axis=1, keepdims=True) - values
        worst = values.min(axis=0)
    rows = []
    for j, policy in enumerate(m.columns):
        rows.append(
            {
                "policy": str(policy),
                "outcome": objective.outcome,
                "direction": objective.direction,
                "mean": float(values[:, j].mean()),
                "worst": float(worst[j]),
                "max_regret": float(regret[:, j].max()),
                "p90_regret": float(np.quantile(regret[:, j], 0.9)),
                "mean_regret": float(regret[:, j].mean()),
                "futures": int(values.shape[0]),
            }
        )
    rows.sort(key=lambda r: (r["max_regret"], r["mean_regret"], r["policy"]))
    for rank, r in enumerate(rows, 1):
        r["rank"] = rank
    return rows


def satisficing_table(means: pd.DataFrame, constraints: list[Threshold]) -> list[dict[str, Any]]:
    """Per policy: share of futures meeting all constraints (and each one); ranked by the first."""
    if not constraints:
        return []
    rows = []
    for policy, sub in means.groupby("policy", sort=True):
        ok_all = np.ones(len(sub), dtype=bool)
        row: dict[str, Any] = {"policy": str(policy)}
        for c in constraints:
            ok = c.holds(sub[c.outcome].to_numpy(dtype=float))
            ok_all &= ok
            row[str(c)] = float(ok.mean())
        row["share_satisfied"] = float(ok_all.mean())
        row["futures"] = len(sub)
        rows.append(row)
    rows.sort(key=lambda r: (-r["share_satisfied"], r["policy"]))
    for rank, r in enumerate(rows, 1):
        r["rank"] = rank
    return rows


@dataclass
class RobustChoice:
    """The choices by each criterion."""

    minimax: dict[str, dict[str, Any]]  # outcome -> best regret row
    satisficing: dict[str, Any] | None  # best satisficing row

    def sentences(self, constraints: list[Threshold]) -> list[str]:
        out = []
        for outcome, row in self.minimax.items():
            out.append(
                f"By minimax regret on {outcome} ({row['direction']}imise): {row['policy']} "
                f"(worst-case regret {row['max_regret']:.3f}, mean {row['mean']:.3f})."
            )
        if self.satisficing is not None:
            cond = " and ".join(str(c) for c in constraints)
            out.append(
                f"By satisficing ({cond}): {self.satisficing['policy']} meets them in "
                f"{100 * self.satisficing['share_satisfied']:.0f}% of {self.satisficing['futures']} sampled futures."
            )
        return out


def choose(regrets: dict[str, list[dict[str, Any]]], satisficing: list[dict[str, Any]]) -> RobustChoice:
    """The top row of each ranked table."""
    return RobustChoice(
        {k: v[0] for k, v in regrets.items() if v},
        satisficing[0] if satisficing else None,
    )
