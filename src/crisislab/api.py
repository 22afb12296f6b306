"""The Python API, mirroring the command line.

>>> from crisislab import simulate
>>> df = simulate("toy-3", "conditionality", runs=20, seed=1)
>>> len(df), "p_war" in df.columns
(20, True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pandas as pd

from crisislab.doctrines import PRESETS, Doctrine, get_doctrine
from crisislab.experiments.compare import Comparison, compare_outcomes
from crisislab.model.batches import Job, iter_chunks
from crisislab.model.engine import SimulationResult, TraceRow
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
    backend: str = "local",
    workers: int | None = None,
) -> pd.DataFrame:
    """Simulate ``runs`` runs of one doctrine; one row per run (column ``run`` is the global
    run index ``run_offset + i``). Results do not depend on ``chunk_size`` (runs per batch,
    which bounds memory), on ``backend`` (``local``, ``processes`` or ``auto``) or on
    ``workers`` (processes; default: the CPUs available)."""
    return simulate_full(
        scenario, doctrine, runs, seed, run_offset=run_offset, doctrine_params=doctrine_params,
        chunk_size=chunk_size, progress=progress, backend=backend, workers=workers,
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
    backend: str = "local",
    workers: int | None = None,
) -> SimulationResult:
    """Like :func:`simulate` but returns trajectories (``record=True``) and traces too."""
    _check_runs(runs)
    p = params if params is not None else compile_scenario(_scenario(scenario))
    doc = get_doctrine(doctrine, **(doctrine_params or {}))
    job = Job(doc, runs, seed, run_offset, tuple(trace_runs), record)
    parts: list[SimulationResult] = []
    for _, part in iter_chunks(p, [job], chunk_size=chunk_size or DEFAULT_CHUNK, backend=backend, workers=workers):
        parts.append(part)
        if progress is not None:
            progress(len(part.outcomes))
    return _merge(parts)


def iter_simulate(
    scenario: Scenario | str | None = None,
    doctrine: str | Doctrine = "isolation",
    runs: int = 1000,
    seed: int = 0,
    *,
    run_offset: int = 0,
    doctrine_params: dict[str, Any] | None = None,
    chunk_size: int | None = None,
    backend: str = "local",
    workers: int | None = None,
) -> Iterator[pd.DataFrame]:
    """Like :func:`simulate`, but yield the outcome table chunk by chunk (in run order), so
    that memory stays bounded by ``chunk_size`` however many runs there are."""
    _check_runs(runs)
    p = compile_scenario(_scenario(scenario))
    job = Job(get_doctrine(doctrine, **(doctrine_params or {})), runs, seed, run_offset)
    for _, part in iter_chunks(p, [job], chunk_size=chunk_size or DEFAULT_CHUNK, backend=backend, workers=workers):
        yield part.outcomes


def _check_runs(runs: int) -> None:
    if runs < 1:
        from crisislab.errors import InputError, Problem

        raise InputError("--runs", [Problem("runs", str(runs), "a whole number of at least 1")])


def _merge(parts: list[SimulationResult]) -> SimulationResult:
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
    backend: str = "local",
    workers: int | None = None,
) -> Comparison:
    """Compare doctrines on the same runs (common random numbers); see :class:`Comparison`.
    With ``backend="processes"`` (or ``"auto"``) the doctrines' chunks are spread over
    worker processes; results do not depend on the backend or the chunk size.

    >>> c = compare("toy-3", ["isolation", "open_channels"], runs=50, seed=2)
    >>> sorted(c.to_json()["paired"])
    ['open_channels']
    """
    sc = _scenario(scenario)
    p = compile_scenario(sc)
    if isinstance(doctrines, str):
        doctrines = list(PRESETS) if doctrines == "all" else [d.strip() for d in doctrines.split(",") if d.strip()]
    _check_runs(runs)
    docs = [get_doctrine(d) for d in doctrines]
    parts: list[list[SimulationResult]] = [[] for _ in docs]
    jobs = [Job(doc, runs, seed) for doc in docs]
    for i, part in iter_chunks(p, jobs, chunk_size=chunk_size or DEFAULT_CHUNK, backend=backend, workers=workers):
        parts[i].append(part)
        if progress is not None:
            progress(len(part.outcomes))
    outs = {doc.name: _merge(ps).outcomes for doc, ps in zip(docs, parts, strict=True)}
    return compare_outcomes(outs, scenario=sc.name, seed=seed)


def trace(
    scenario: Scenario | str | None = None, doctrine: str | Doctrine = "isolation", run: int = 0, seed: int = 0
) -> pd.DataFrame:
    """Every state change of one run, step by step, with the mechanism that caused it."""
    res = simulate_full(scenario, doctrine, runs=1, seed=seed, run_offset=run, trace_runs=[run])
    return pd.DataFrame([r.__dict__ for r in res.trace])


__all__ = ["Comparison", "compare", "iter_simulate", "load_scenario", "simulate", "simulate_full", "trace"]
