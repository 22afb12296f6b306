"""Background jobs: a bounded queue in front of a small thread pool.

At most ``workers`` jobs run at once and at most ``queue`` more wait; a job submitted when
both are full is refused at once with :class:`Busy` (the web app answers HTTP 429 with a
``Retry-After`` header), so a burst of requests can never pile up unbounded work. Each job
reports progress (``done`` of ``total`` steps) while it runs. Jobs live in memory; what a
finished job produced is a result folder on disk, which is what survives a restart.
"""

from __future__ import annotations

import secrets
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crisislab.errors import InputError


class Busy(Exception):
    """The job queue is full."""

    def __init__(self, active: int, limit: int) -> None:
        super().__init__(f"the server is busy: {active} jobs are running or waiting (limit {limit}); try again shortly")
        self.active = active
        self.limit = limit


@dataclass
class Job:
    id: str
    kind: str
    title: str
    status: str = "queued"  # queued | running | done | failed
    done: int = 0
    total: int = 1
    stage: str = ""
    result: str | None = None  # id of the result folder
    error: str | None = None
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    started_at: float | None = None
    finished_at: float | None = None

    def progress(self, done: int, total: int | None = None, stage: str | None = None) -> None:
        if total is not None:
            self.total = max(1, int(total))
        self.done = min(int(done), self.total)
        if stage is not None:
            self.stage = stage

    def as_dict(self) -> dict[str, Any]:
        elapsed = None
        if self.started_at is not None:
            elapsed = round((self.finished_at or time.time()) - self.started_at, 2)
        return {"id": self.id, "kind": self.kind, "title": self.title, "status": self.status, "done": self.done,
                "total": self.total, "fraction": round(self.done / self.total, 4) if self.total else 0.0, "stage": self.stage,
                "result": self.result, "error": self.error, "created": self.created, "seconds": elapsed}


Work = Callable[[Job], str]


def new_id(kind: str) -> str:
    """A sortable, unique id such as ``cmp-20261123-141502-3fa9c1``."""
    return f"{kind}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


class JobManager:
    """Runs jobs in a thread pool behind a bounded queue."""

    def __init__(self, workers: int = 1, queue: int = 4, keep: int = 200) -> None:
        self.workers = max(1, workers)
        self.queue = max(0, queue)
        self.keep = keep
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="crisislab-job")
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}

    @property
    def limit(self) -> int:
        return self.workers + self.queue

    def active(self) -> int:
        with self._lock:
            return sum(1 for j in self._jobs.values() if j.status in ("queued", "running"))

    def submit(self, kind: str, title: str, work: Work, *, job_id: str | None = None) -> Job:
        """Queue ``work(job) -> result id``; raise :class:`Busy` when the queue is full."""
        with self._lock:
            active = sum(1 for j in self._jobs.values() if j.status in ("queued", "running"))
            if active >= self.limit:
                raise Busy(active, self.limit)
            job = Job(job_id or new_id(kind), kind, title)
            self._jobs[job.id] = job
            self._trim()
        self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Work) -> None:
        job.status = "running"
        job.started_at = time.time()
        try:
            job.result = work(job)
            job.done = job.total
            job.status = "done"
        except InputError as exc:
            job.error = str(exc)
            job.status = "failed"
        except Exception as exc:  # noqa: BLE001 - a job must never take the server down
            job.error = f"internal error: {type(exc).__name__}: {exc}"
            job.status = "failed"
            traceback.print_exc()
        finally:
            job.finished_at = time.time()

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.created, reverse=True)

    def _trim(self) -> None:
        finished = [j for j in self._jobs.values() if j.status in ("done", "failed")]
        if len(finished) > self.keep:
            for j in sorted(finished, key=lambda j: j.created)[: len(finished) - self.keep]:
                self._jobs.pop(j.id, None)

    def shutdown(self, wait: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=True)
