"""Paired-run helpers for mechanism tests.

Every mechanism test compares two arms on the same runs (same seed, same run indices, so
the same adversary types and random draws): mechanism on vs off, or a parameter low vs
high. ``paired_diff`` returns the mean per-run difference (b - a) with a 95 % CI, so a test
asserts a direction *and* that the CI excludes zero.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from crisislab.api import simulate
from crisislab.doctrines import Doctrine, get_doctrine
from crisislab.experiments.compare import mean_ci
from crisislab.model.engine import STEP_ORDER, run_batch
from crisislab.model.params import Params, compile_scenario
from crisislab.model.rng import Streams
from crisislab.model.state import Actions, Observation, State
from crisislab.scenario import Scenario, load_scenario


def arm(
    scenario: str | Scenario = "toy-3",
    doctrine: str | Doctrine = "isolation",
    *,
    runs: int = 2000,
    seed: int = 11,
    overrides: dict[str, Any] | None = None,
    doctrine_params: dict[str, Any] | None = None,
) -> pd.DataFrame:
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if overrides:
        sc = sc.with_overrides(overrides)
    return simulate(sc, doctrine, runs, seed, doctrine_params=doctrine_params)


def paired_diff(a: pd.DataFrame, b: pd.DataFrame, metric: str) -> tuple[float, float, float]:
    """Mean of b[metric] - a[metric] over the same runs, with its 95 % CI."""
    assert (a["run"].to_numpy() == b["run"].to_numpy()).all(), "arms must cover the same runs"
    return mean_ci(b[metric].to_numpy(dtype=float) - a[metric].to_numpy(dtype=float))


#: Crises that last the horizon: no compliance under threat and no fading. In the full model
#: most crises end within weeks, which shrinks every effect on how a crisis unfolds toward
#: zero; tests of such effects (on escalation, gains, signals) hold the crisis open with this.
LASTING: dict[str, Any] = {"dynamics.comply_rate": 0.0, "dynamics.fade_rate": 0.0}


def off(name: str) -> dict[str, Any]:
    """Override that switches a mechanism off."""
    return {f"mechanisms.{name}.enabled": False}


@pytest.fixture
def toy() -> Scenario:
    return load_scenario("toy-3")


# --- helpers added for the directional tests -------------------------------------------


class Levers(Doctrine):
    """A doctrine that pulls the same levers every week.

    A lever's value may be a function of the :class:`Observation` (e.g. ``lambda o: o.week == 0``),
    so a test can set exactly the levers its mechanism reads and nothing else.
    """

    name = "levers"
    summary = "fixed levers for mechanism tests"

    def __init__(self, **levers: Any) -> None:
        super().__init__()
        self.fixed = levers

    def act(self, obs: Observation) -> Actions:
        return Actions(**{k: (v(obs) if callable(v) else v) for k, v in self.fixed.items()})


def levers(**kw: Any) -> Levers:
    return Levers(**kw)


def scenario(name: str | Scenario = "toy-3", overrides: dict[str, Any] | None = None) -> Scenario:
    sc = name if isinstance(name, Scenario) else load_scenario(name)
    return sc.with_overrides(overrides) if overrides else sc


def probe(
    scenario_: str | Scenario = "toy-3",
    doctrine: str | Doctrine = "isolation",
    fields: tuple[str, ...] = (),
    *,
    runs: int = 2000,
    seed: int = 11,
    overrides: dict[str, Any] | None = None,
    doctrine_params: dict[str, Any] | None = None,
    before: str | None = None,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Simulate one arm like :func:`arm` and also record state ``fields`` every week.

    The recorder is an extra step that only copies state: at the end of each week, or just
    before the step named ``before``. Returns the outcomes and ``{field: [runs, weeks, ...]}``.
    The runs are the same runs :func:`arm` simulates with the same seed.
    """
    p = compile_scenario(scenario(scenario_, overrides))
    doc = get_doctrine(doctrine, **(doctrine_params or {}))
    rec: dict[str, list[np.ndarray]] = {f: [] for f in fields}

    def record(s: State, p: Params, a: Actions, rng: Streams) -> State:
        for f in fields:
            rec[f].append(np.array(getattr(s, f), copy=True))
        return s

    steps = list(STEP_ORDER)
    at = len(steps) if before is None else [fn.__name__ for fn in steps].index(before)
    steps.insert(at, record)
    res = run_batch(p, doc, runs, seed, steps=tuple(steps))
    return res.outcomes, {f: np.stack(v, axis=1) for f, v in rec.items()}


def ci_text(d: tuple[float, float, float]) -> str:
    return f"{d[0]:+.4g} [{d[1]:+.4g}, {d[2]:+.4g}]"


def assert_positive(d: tuple[float, float, float], what: str) -> None:
    """The paired difference's 95 % CI lies above zero."""
    assert d[1] > 0, f"{what}: expected > 0, paired difference {ci_text(d)}"


def assert_negative(d: tuple[float, float, float], what: str) -> None:
    """The paired difference's 95 % CI lies below zero."""
    assert d[2] < 0, f"{what}: expected < 0, paired difference {ci_text(d)}"


def diff_ci(x: np.ndarray) -> tuple[float, float, float]:
    """Mean of per-run differences ``x`` with its 95 % CI (for differences of differences)."""
    return mean_ci(np.asarray(x, dtype=float))


def assert_monotone(arms: list[pd.DataFrame], metric: str, sign: int, what: str, levels: Any = None) -> list[tuple[float, float, float]]:
    """Each step from one level's arm to the next moves ``metric`` in direction ``sign``
    (+1 up, -1 down), with the paired 95 % CI excluding zero. Returns the paired steps."""
    steps = []
    for i in range(len(arms) - 1):
        d = paired_diff(arms[i], arms[i + 1], metric)
        label = f"{what}: {metric} from level {levels[i]} to {levels[i + 1]}" if levels is not None else f"{what}: {metric} step {i}"
        (assert_positive if sign > 0 else assert_negative)(d, label)
        steps.append(d)
    return steps


__all__ = ["Levers", "arm", "assert_monotone", "assert_negative", "assert_positive", "ci_text", "diff_ci", "levers", "np", "off", "paired_diff", "probe", "scenario"]
