"""Where chunks are evaluated: in this process, in a process pool, or on Dask.

Every backend runs the same function ``fn(shared, task)`` on every task and yields the
results as they complete (in any order). ``shared`` is the read-only context of an
experiment (spec, base scenario, policies, model function); it is sent to each worker once.
Results do not depend on the backend because each chunk is a pure function of its
points and the spec, and the model draws every run from its own random stream keyed by
``(seed, run)``.

* ``local``: a plain loop in this process (debugging, small jobs);
* ``processes``: :class:`concurrent.futures.ProcessPoolExecutor` (forked workers where the
  platform can fork, so they do not import everything again; spawned elsewhere);
* ``dask``: a ``dask.distributed`` client, on a new ``LocalCluster`` (forked worker
  processes where possible) or, with ``scheduler``, on a running scheduler at that address.
"""

from __future__ import annotations

import multiprocessing
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from crisislab.errors import InputError, Problem

BACKENDS = ("local", "processes", "dask")

TaskFn = Callable[[Any, Any], Any]


def default_workers() -> int:
    """Number of workers when none is given: the usable CPU count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class Backend(ABC):
    """Runs ``fn(shared, task)`` over tasks; subclasses differ only in where."""

    name = "?"
    workers = 1

    @abstractmethod
    def map_unordered(self, fn: TaskFn, shared: Any, tasks: Sequence[Any]) -> Iterator[Any]:
        """Yield ``fn(shared, task)`` for every task as results complete."""

    def describe(self) -> str:
        return f"{self.name} ({self.workers} worker{'s' if self.workers != 1 else ''})"

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release workers."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalBackend(Backend):
    """Evaluate every task in this process, in order."""

    name = "local"

    def map_unordered(self, fn: TaskFn, shared: Any, tasks: Sequence[Any]) -> Iterator[Any]:
        for task in tasks:
            yield fn(shared, task)


_SHARED: Any = None


def _init_worker(shared: Any) -> None:
    global _SHARED
    _SHARED = shared


def _call_with_shared(fn: TaskFn, task: Any) -> Any:
    return fn(_SHARED, task)


class ProcessesBackend(Backend):
    """A pool of worker processes; ``shared`` is sent once per worker."""

    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()

    def map_unordered(self, fn: TaskFn, shared: Any, tasks: Sequence[Any]) -> Iterator[Any]:
        if not tasks:
            return
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        with ProcessPoolExecutor(
            max_workers=min(self.workers, len(tasks)), mp_context=ctx, initializer=_init_worker, initargs=(shared,)
        ) as pool:
            # Keep a bounded window of tasks in flight so results stream back steadily.
            pending: set[Future[Any]] = set()
            it = iter(tasks)
            window = self.workers * 4
            for task in it:
                pending.add(pool.submit(_call_with_shared, fn, task))
                if len(pending) >= window:
                    break
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
                    nxt = next(it, None)
                    if nxt is not None:
                        pending.add(pool.submit(_call_with_shared, fn, nxt))


class DaskBackend(Backend):
    """Tasks on Dask distributed: a new LocalCluster, or a running scheduler by address."""

    name = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None, dashboard: bool = True) -> None:
        from dask.distributed import Client, LocalCluster

        self.cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout="5s")
            except (OSError, TimeoutError) as exc:
                raise InputError(
                    "--scheduler",
                    [Problem("address", f"{scheduler} ({type(exc).__name__}: {exc})", "the address of a running Dask scheduler, e.g. tcp://127.0.0.1:8786")],
                    summary="cannot be reached",
                ) from None
            self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        else:
            import dask

            self.workers = workers or default_workers()
            # Forked workers inherit the imported model (about 1 s to start two workers
            # instead of about 10 s for spawned ones that import everything again).
            # The workers' statistical profiler samples every thread's stack every 10 ms and
            # costs about a quarter of a CPU-bound task's time; it is switched off, and the
            # event-loop health tick and system monitor wake up less often.
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            settings = {
                "distributed.worker.multiprocessing-method": method,
                "distributed.worker.profile.enabled": False,
                "distributed.admin.tick.interval": "500ms",
                "distributed.admin.system-monitor.interval": "2s",
            }
            with dask.config.set(settings):
                self.cluster = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0" if dashboard else None,
                    silence_logs=40,
                )
            self.client = Client(self.cluster)

    @property
    def dashboard_link(self) -> str | None:
        try:
            return str(self.client.dashboard_link)
        except Exception:  # noqa: BLE001 - dashboard not running
            return None

    def describe(self) -> str:
        where = "LocalCluster" if self.cluster is not None else f"scheduler {self.client.scheduler.address}"
        return f"dask ({where}, {self.workers} worker{'s' if self.workers != 1 else ''})"

    def map_unordered(self, fn: TaskFn, shared: Any, tasks: Sequence[Any]) -> Iterator[Any]:
        from dask.distributed import as_completed

        if not tasks:
            return
        shared_future = self.client.scatter(shared, broadcast=True, hash=False)
        futures = self.client.map(fn, [shared_future] * len(tasks), list(tasks), pure=False)
        for fut, result in as_completed(futures, with_results=True):
            fut.release()
            yield result
        del shared_future

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_backend(name: str, workers: int | None = None, scheduler: str | None = None) -> Backend:
    """Build a backend by name (``local``, ``processes``, ``dask``)."""
    if name not in BACKENDS:
        raise InputError("--backend", [Problem("value", repr(name), f"one of {', '.join(BACKENDS)}")])
    if workers is not None and workers < 1:
        raise InputError("--workers", [Problem("value", str(workers), "a whole number >= 1")])
    if scheduler and name != "dask":
        raise InputError("--scheduler", [Problem("value", scheduler, "used only with --backend dask")])
    if name == "local":
        return LocalBackend()
    if name == "processes":
        return ProcessesBackend(workers)
    return DaskBackend(workers, scheduler)
