"""The Python API, mirroring the command line.

>>> from crisislab import simulate
>>> df = simulate("toy-3", "conditionality", runs=20, seed=1)
>>> len(df), "p_war" in df.columns
(20, True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from crisislab.doctrines import PRESETS, Doctrine, get_doctrine
from crisislab.experiments.compare import Comparison, compare_outcomes
from crisislab.model.engine import SimulationResult, TraceRow, run_batch
from crisislab.model.params import Params, compile_scenario
from crisislab.scenario import Scenario, load_scenario

DEFAULT_CHUNK = 20_000

Progress = Callable[[int], None]


def _scenario(scenario: Scenario | str | None) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def simulate(
    scenario: Scenario | str | None = None,
    doctrine: str | Doctrine = "isolation",
    runs: int = 1000,
    seed: int = 0,
    *,
    run_offset: int = 0,
    doctrine_params: dict[str, Any] | None = None,
    chunk_size: int | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Simulate ``runs`` runs of one doctrine; one row per run (column ``run`` is the global
    run index ``run_offset + i``). Results do not depend on ``chunk_size``."""
    return simulate_full(
        scenario, doctrine, runs, seed, run_offset=run_offset, doctrine_params=doctrine_params,
        chunk_size=chunk_size, progress=progress,
    ).outcomes


def simulate_full(
    scenario: Scenario | str | None = None,
    doctrine: str | Doctrine = "isolation",
    runs: int = 1000,
    seed: int = 0,
    *,
    run_offset: int = 0,
    doctrine_params: dict[str, Any] | None = None,
    chunk_size: int | None = None,
    progress: Progress | None = None,
    trace_runs: Sequence[int] = (),
    record: bool = False,
    params: Params | None = None,
) -> SimulationResult:
    """Like :func:`simulate` but returns trajectories (``record=True``) and traces too."""
    if runs < 1:
        from crisislab.errors import InputError, Problem

        raise InputError("--runs", [Problem("runs", str(runs), "a whole number of at least 1")])
    p = params if params is not None else compile_scenario(_scenario(scenario))
    doc = get_doctrine(doctrine, **(doctrine_params or {}))
    chunk = max(1, chunk_size or DEFAULT_CHUNK)
    parts: list[SimulationResult] = []
    for start in range(0, runs, chunk):
        n = min(chunk, runs - start)
        parts.append(run_batch(p, doc, n, seed, run_offset=run_offset + start, trace_runs=trace_runs, record=record))
        if progress is not None:
            progress(n)
    if len(parts) == 1:
        return parts[0]
    import numpy as np

    outcomes = pd.concat([r.outcomes for r in parts], ignore_index=True)
    traj = {k: np.concatenate([r.trajectories[k] for r in parts]) for k in parts[0].trajectories}
    trace: list[TraceRow] = [row for r in parts for row in r.trace]
    return SimulationResult(outcomes, traj, trace)


def compare(
    scenario: Scenario | str | None = None,
    doctrines: Sequence[str | Doctrine] | str = "all",
    runs: int = 1000,
    seed: int = 0,
    *,
    chunk_size: int | None = None,
    progress: Progress | None = None,
) -> Comparison:
    """Compare doctrines on the same runs (common random numbers); see :class:`Comparison`.

    >>> c = compare("toy-3", ["isolation", "open_channels"], runs=50, seed=2)
    >>> sorted(c.to_json()["paired"])
    ['open_channels']
    """
    sc = _scenario(scenario)
    p = compile_scenario(sc)
    if isinstance(doctrines, str):
        doctrines = list(PRESETS) if doctrines == "all" else [d.strip() for d in doctrines.split(",") if d.strip()]
    outs: dict[str, pd.DataFrame] = {}
    for d in doctrines:
        doc = get_doctrine(d)
        outs[doc.name] = simulate_full(
            sc, doc, runs, seed, chunk_size=chunk_size, progress=progress, params=p
        ).outcomes
    return compare_outcomes(outs, scenario=sc.name, seed=seed)


def trace(
    scenario: Scenario | str | None = None, doctrine: str | Doctrine = "isolation", run: int = 0, seed: int = 0
) -> pd.DataFrame:
    """Every state change of one run, step by step, with the mechanism that caused it."""
    res = simulate_full(scenario, doctrine, runs=1, seed=seed, run_offset=run, trace_runs=[run])
    return pd.DataFrame([r.__dict__ for r in res.trace])


__all__ = ["Comparison", "compare", "load_scenario", "simulate", "simulate_full", "trace"]
