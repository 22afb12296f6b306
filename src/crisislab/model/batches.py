"""Run many batches: in this process or in a pool of worker processes.

A *job* is one doctrine's runs (``runs`` runs from global index ``run_offset`` on); a job
is cut into chunks of at most ``chunk_size`` runs and every chunk is simulated by
:func:`~crisislab.model.engine.run_batch`. Because every random number is a function of
(seed, global run index, step, slot) and every per-run computation is independent of the
other runs in its batch, a run's outcome does not depend on the chunk size, on the
backend or on the number of workers: chunks are only a unit of memory and of work.

Chunks come back in job order and, within a job, in run order, whatever order the
workers finish them in. Small chunks travel to the workers in groups of about a thousand
runs; at most ``2 * workers`` groups are in flight, so memory stays bounded by the chunk
size when the caller streams the results (``crisislab run --output``).
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from crisislab.model.engine import SimulationResult, run_batch
from crisislab.model.params import Params

Backend = Literal["auto", "local", "processes"]
BACKENDS: tuple[str, ...] = ("auto", "local", "processes")

#: ``auto`` uses worker processes from this many runs in total (all jobs together).
AUTO_MIN_RUNS = 4000
#: With worker processes, chunks are cut to give every worker several of them (for load
#: balance), but never smaller than this.
MIN_PROCESS_CHUNK = 1000
#: With worker processes, jobs are cut so that there are at least this many chunks per
#: worker. Every chunk costs a fixed ~0.1 s (Python overhead of the weekly steps), so more
#: chunks balance the load better but cost more in total.
CHUNKS_PER_WORKER = 2


@dataclass(frozen=True)
class Job:
    """One doctrine's runs: ``runs`` runs with global indices ``run_offset ..``."""

    doctrine: Any
    runs: int
    seed: int
    run_offset: int = 0
    trace_runs: tuple[int, ...] = ()
    record: bool = False


def cpu_count() -> int:
    """CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def resolve_backend(backend: str, total_runs: int, workers: int | None = None) -> tuple[str, int]:
    """The backend and worker count to use: ``auto`` picks worker processes when more than
    one CPU is available and the work is large enough to pay for starting them."""
    if backend not in BACKENDS:
        from crisislab.errors import InputError, Problem

        raise InputError("--backend", [Problem("(value)", repr(backend), "one of " + ", ".join(BACKENDS))])
    n = max(1, int(workers)) if workers else cpu_count()
    if backend == "auto":
        backend = "processes" if n > 1 and total_runs >= AUTO_MIN_RUNS else "local"
    return backend, (n if backend == "processes" else 1)


def plan(jobs: Sequence[Job], chunk_size: int, workers: int = 1) -> list[tuple[int, int, int]]:
    """Chunks as ``(job index, first global run, runs)``, in job order then run order."""
    limit = max(1, int(chunk_size))
    total = sum(j.runs for j in jobs)
    if workers > 1:
        limit = min(limit, max(MIN_PROCESS_CHUNK, math.ceil(total / (CHUNKS_PER_WORKER * workers))))
    tasks = []
    for i, job in enumerate(jobs):
        # with workers, cut a job into equal chunks (balanced load); alone, into full ones
        chunk = math.ceil(job.runs / math.ceil(job.runs / limit)) if workers > 1 and job.runs > limit else limit
        for start in range(0, job.runs, chunk):
            tasks.append((i, job.run_offset + start, min(chunk, job.runs - start)))
    return tasks


_WORK: tuple[Params, Sequence[Job]] | None = None


def _init_worker(p: Params, jobs: Sequence[Job]) -> None:
    global _WORK
    _WORK = (p, jobs)


def _run_group(group: list[tuple[int, int, int]]) -> list[tuple[int, SimulationResult]]:
    assert _WORK is not None
    p, jobs = _WORK
    return [(i, _simulate(p, jobs[i], offset, n)) for i, offset, n in group]


def group_chunks(tasks: list[tuple[int, int, int]], target: int) -> list[list[tuple[int, int, int]]]:
    """Consecutive chunks of one job, about ``target`` runs per group: one unit of work for
    a worker process (each chunk is still simulated as its own batch)."""
    groups: list[list[tuple[int, int, int]]] = []
    cur: list[tuple[int, int, int]] = []
    runs = 0
    for t in tasks:
        if cur and (t[0] != cur[0][0] or runs >= target):
            groups.append(cur)
            cur, runs = [], 0
        cur.append(t)
        runs += t[2]
    if cur:
        groups.append(cur)
    return groups


def _simulate(p: Params, job: Job, offset: int, n: int) -> SimulationResult:
    return run_batch(p, job.doctrine, n, job.seed, run_offset=offset, trace_runs=job.trace_runs, record=job.record)


def iter_chunks(
    p: Params,
    jobs: Sequence[Job],
    *,
    chunk_size: int,
    backend: str = "local",
    workers: int | None = None,
) -> Iterator[tuple[int, SimulationResult]]:
    """Simulate every job; yield ``(job index, chunk result)`` in job and run order."""
    kind, n_workers = resolve_backend(backend, sum(j.runs for j in jobs), workers)
    tasks = plan(jobs, chunk_size, n_workers)
    if kind == "local":
        for i, offset, n in tasks:
            yield i, _simulate(p, jobs[i], offset, n)
        return
    # small chunks travel in groups, so that a worker round trip carries enough work
    total = sum(j.runs for j in jobs)
    groups = group_chunks(tasks, max(1, min(MIN_PROCESS_CHUNK, math.ceil(total / (CHUNKS_PER_WORKER * n_workers)))))
    # fork where available: workers inherit the parameters and the doctrine objects (which
    # then need not be picklable)
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    n_workers = min(n_workers, len(groups))
    with ProcessPoolExecutor(n_workers, mp_context=mp.get_context(method), initializer=_init_worker, initargs=(p, jobs)) as pool:
        pending: deque[Future[list[tuple[int, SimulationResult]]]] = deque()
        todo = iter(groups)
        for group in todo:
            pending.append(pool.submit(_run_group, group))
            if len(pending) >= 2 * n_workers:
                break
        while pending:
            results = pending.popleft().result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(pool.submit(_run_group, nxt))
            yield from results
