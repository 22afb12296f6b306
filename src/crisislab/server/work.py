"""What the background jobs do: compare doctrines, trace a run, build an HTML report.

Each function takes the :class:`~crisislab.server.jobs.Job` (to report progress), does the
work with the public Python API, writes one result folder atomically and returns its id
(the job's id).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from crisislab.api import simulate_full
from crisislab.doctrines import get_doctrine
from crisislab.experiments.store import atomic_write_bytes, package_version
from crisislab.model.params import compile_scenario
from crisislab.scenario import Scenario
from crisislab.server.jobs import Job
from crisislab.server.store import ServerStore


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_compare(job: Job, store: ServerStore, sc: Scenario, doctrines: list[str], runs: int, seed: int,
                trajectory_runs: int, ref: Any) -> str:
    """Simulate every doctrine on the same runs, then weekly bands for the first runs."""
    from crisislab.report.resim import trajectory_bands

    total = runs * len(doctrines) + (len(doctrines) if trajectory_runs else 0)
    job.progress(0, total, "simulating")
    params = compile_scenario(sc)
    chunk = max(50, runs // 20)
    outcomes: dict[str, pd.DataFrame] = {}
    done = 0
    for name in doctrines:
        job.stage = f"simulating {name}"

        def tick(k: int) -> None:
            nonlocal done
            done += k
            job.progress(done)

        outcomes[name] = simulate_full(sc, get_doctrine(name), runs, seed, chunk_size=chunk, progress=tick, params=params).outcomes
    bands = None
    if trajectory_runs:
        job.stage = "weekly trajectories"

        def tick2(k: int) -> None:
            nonlocal done
            done += k
            job.progress(done)

        bands = trajectory_bands(sc, doctrines, seed, 0, trajectory_runs, tick=tick2)
    frame = pd.concat([df.assign(doctrine=n) for n, df in outcomes.items()], ignore_index=True)
    files: dict[str, Any] = {"outcomes.parquet": frame}
    if bands is not None:
        files["trajectories.parquet"] = bands
    meta = {"job": "compare", "kind": "comparison", "title": job.title, "created": _now(), "scenario": sc.name,
            "scenario_ref": ref if isinstance(ref, str) else None, "scenario_data": sc.model_dump(mode="json"), "seed": seed,
            "runs": runs, "doctrines": doctrines, "trajectory_runs": trajectory_runs, "package_version": package_version()}
    store.write_result(job.id, files, meta)
    return job.id


def run_trace(job: Job, store: ServerStore, sc: Scenario, doctrine: str, run: int, seed: int, ref: Any) -> str:
    """Trace one run: every state change with the mechanism that made it, plus its weekly path."""
    job.progress(0, 2, f"tracing run {run} (every state change of every step; this takes a few seconds)")
    res = simulate_full(sc, get_doctrine(doctrine), 1, seed, run_offset=run, trace_runs=[run], record=True)
    job.progress(1)
    trace = pd.DataFrame([r.__dict__ for r in res.trace])
    if trace.empty:
        trace = pd.DataFrame(columns=["run", "week", "mechanism", "step", "variable", "member", "before", "after"])
    traj = pd.DataFrame({k: v[0] for k, v in res.trajectories.items()})
    traj.insert(0, "week", range(len(traj)))
    outcome = {k: (v.item() if hasattr(v, "item") else v) for k, v in res.outcomes.iloc[0].to_dict().items()}
    meta = {"job": "trace", "kind": "trace", "title": job.title, "created": _now(), "scenario": sc.name,
            "scenario_ref": ref if isinstance(ref, str) else None, "scenario_data": sc.model_dump(mode="json"), "seed": seed,
            "doctrine": doctrine, "run": run, "weeks": sc.horizon_weeks, "adversary_type": outcome.get("adversary_type"),
            "outcome": outcome, "changes": len(trace), "package_version": package_version()}
    store.write_result(job.id, {"trace.parquet": trace, "trajectory.parquet": traj}, meta)
    job.progress(2)
    return job.id


def run_report(job: Job, store: ServerStore, rid: str, attribution_runs: int, lock: threading.Lock) -> str:
    """Build the HTML report of a stored comparison into its folder (``report.html``)."""
    from crisislab.report.build import ReportOptions, build_report, render_html
    from crisislab.report.data import load_bundle

    job.progress(0, 3, "loading")
    with lock:
        res = load_bundle(store.result_dir(rid))
        res.source = f"result {rid}"

        def tick(stage: str, done: int, total: int) -> None:
            job.stage = f"{stage} {done}/{total}"

        opts = ReportOptions(attribution_runs=min(attribution_runs, res.runs), trajectory_runs=min(300, res.runs), progress=tick)
        job.progress(1, stage="building")
        rep = build_report(res, opts)
        job.progress(2, stage="writing")
        atomic_write_bytes(store.result_dir(rid) / "report.html", render_html(rep).encode("utf-8"))
    return rid
