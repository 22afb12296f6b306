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
from crisislab.model.engine import Point, SimulationResult, TraceRow, run_points
from crisislab.model.params import Params, batch_key, compile_scenario
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


#: Runs per engine batch when many parameter points are simulated together.
POINTS_BATCH_RUNS = 12_000


def simulate_points(
    points: Sequence[tuple[Scenario | Params, str | Doctrine, int, int]] | Sequence[Point],
    *,
    doctrine_params: Sequence[dict[str, Any] | None] | None = None,
    batch_runs: int = POINTS_BATCH_RUNS,
    progress: Progress | None = None,
) -> list[pd.DataFrame]:
    """The outcome tables of many parameter points, in order, from as few engine batches
    as they fit in (about ``batch_runs`` runs each).

    ``points`` are :class:`~crisislab.model.engine.Point` objects or ``(scenario,
    doctrine, runs, seed)`` tuples (runs ``0..runs-1``). Each table is what
    :func:`simulate` returns for that point, bit for bit: the batched engine holds the
    parameters that differ between points per run. Points are grouped by what shapes a
    batch (:func:`~crisislab.model.params.batch_key`); points that name the same doctrine
    and parameters share one doctrine object.

    >>> sc = load_scenario("toy-3")
    >>> pts = [(sc.with_overrides({"adversary.rationality": r}), "isolation", 20, 1) for r in (2.0, 6.0)]
    >>> a, b = simulate_points(pts)
    >>> a.equals(simulate(pts[0][0], "isolation", 20, 1))
    True
    """
    docs: dict[str, Doctrine] = {}
    compiled: dict[int, Params] = {}
    items: list[Point] = []
    for i, q in enumerate(points):
        if isinstance(q, Point):
            items.append(q)
            continue
        spec_: tuple[Scenario | Params, str | Doctrine, int, int] = q  # type: ignore[assignment]
        scen, doc, runs, seed = spec_
        _check_runs(runs)
        dp = (doctrine_params[i] if doctrine_params is not None else None) or {}
        if isinstance(doc, Doctrine):
            d = doc
        else:
            key = f"{doc}|{sorted(dp.items())!r}"
            d = docs.get(key) or docs.setdefault(key, get_doctrine(doc, **dp))
        if isinstance(scen, Params):
            p = scen
        else:
            p = compiled.get(id(scen)) or compiled.setdefault(id(scen), compile_scenario(scen))
        items.append(Point(p, d, runs, seed))
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, q in enumerate(items):
        groups.setdefault(batch_key(q.params), []).append(i)
    pieces: list[list[pd.DataFrame]] = [[] for _ in items]
    limit = max(1, int(batch_runs))
    for members in groups.values():
        batch: list[tuple[int, Point]] = []
        size = 0
        for i in members:
            q = items[i]
            for start in range(0, q.runs, limit):  # a point larger than a batch is cut
                n = min(limit, q.runs - start)
                if batch and size + n > limit:
                    _run_batch_of_points(batch, pieces, progress)
                    batch, size = [], 0
                batch.append((i, Point(q.params, q.doctrine, n, q.seed, q.run_offset + start)))
                size += n
        if batch:
            _run_batch_of_points(batch, pieces, progress)
    return [p[0] if len(p) == 1 else pd.concat(p, ignore_index=True) for p in pieces]


def _run_batch_of_points(batch: list[tuple[int, Point]], pieces: list[list[pd.DataFrame]], progress: Progress | None) -> None:
    for (i, _), res in zip(batch, run_points([q for _, q in batch]), strict=True):
        pieces[i].append(res.outcomes)
    if progress is not None:
        progress(sum(q.runs for _, q in batch))


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


__all__ = ["Comparison", "compare", "iter_simulate", "load_scenario", "simulate", "simulate_full", "simulate_points", "trace"]
