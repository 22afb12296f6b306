"""Background jobs: submit a comparison, a trace or a report; follow a job's progress."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from crisislab.errors import InputError, Problem
from crisislab.server.context import Body, Ctx, NotFound, json_response, whole_number
from crisislab.server.jobs import Job

router = APIRouter()


def _doctrines(value: Any) -> list[str]:
    from crisislab.doctrines import PRESETS

    if isinstance(value, str):
        value = list(PRESETS) if value == "all" else [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not value:
        raise InputError("compare", [Problem("doctrines", repr(value)[:60], f"a list of doctrines from: {', '.join(PRESETS)}")])
    out: list[str] = []
    for d in value:
        if d not in PRESETS:
            raise InputError("compare", [Problem("doctrines", repr(d)[:60], f"one of: {', '.join(PRESETS)}")])
        if d not in out:
            out.append(str(d))
    return out


@router.post("/api/jobs/compare", status_code=202)
async def submit_compare(ctx: Ctx, data: Body) -> JSONResponse:
    config, store = ctx.config, ctx.store
    sc = store.scenario(data.get("scenario"), data.get("yaml"))
    names = _doctrines(data.get("doctrines", "all"))
    runs = whole_number(data, "runs", 1000, 1, config.max_runs, "compare")
    seed = whole_number(data, "seed", 0, 0, 2**31 - 1, "compare")
    traj = whole_number(data, "trajectory_runs", min(runs, 300), 0, config.max_trajectory_runs, "compare")
    work = runs * sc.horizon_weeks * len(names)
    if work > config.max_run_weeks:
        raise InputError("compare", [Problem("runs x weeks x doctrines", f"{work:,}", f"at most {config.max_run_weeks:,} simulated run-weeks per job")])
    title = f"{sc.name}: {', '.join(names)} ({runs} runs, seed {seed})"
    from crisislab.server.work import run_compare

    job = ctx.jobs.submit("cmp", title, lambda j: run_compare(j, store, sc, names, runs, seed, min(traj, runs), data.get("scenario")))
    return json_response(job.as_dict(), 202)


@router.post("/api/jobs/trace", status_code=202)
async def submit_trace(ctx: Ctx, data: Body) -> JSONResponse:
    store = ctx.store
    sc = store.scenario(data.get("scenario"), data.get("yaml"))
    doctrine = _doctrines([data.get("doctrine", "isolation")])[0]
    run = whole_number(data, "run", 0, 0, 10**9, "trace")
    seed = whole_number(data, "seed", 0, 0, 2**31 - 1, "trace")
    if sc.horizon_weeks > 520:
        raise InputError("trace", [Problem("horizon_weeks", str(sc.horizon_weeks), "at most 520 weeks for a trace in the web app")])
    from crisislab.server.work import run_trace

    job = ctx.jobs.submit("trace", f"trace of run {run}: {sc.name}, {doctrine}, seed {seed}",
                          lambda j: run_trace(j, store, sc, doctrine, run, seed, data.get("scenario")))
    return json_response(job.as_dict(), 202)


@router.post("/api/jobs/report", status_code=202)
async def submit_report(ctx: Ctx, data: Body) -> JSONResponse:
    store = ctx.store
    rid = str(data.get("result", ""))
    meta = store.result_meta(rid)
    if meta.get("job") != "compare":
        raise InputError("report", [Problem("result", rid, "the id of a comparison result")])
    att = whole_number(data, "attribution_runs", 50, 0, ctx.config.max_attribution_runs, "report")
    from crisislab.server.work import run_report

    lock = ctx.report_locks.setdefault(rid, threading.Lock())
    job = ctx.jobs.submit("report", f"HTML report of {rid}", lambda j: run_report(j, store, rid, att, lock))
    return json_response(job.as_dict(), 202)


@router.get("/api/jobs")
def list_jobs(ctx: Ctx) -> JSONResponse:
    return json_response([j.as_dict() for j in ctx.jobs.list()])


@router.get("/api/jobs/{job_id}")
def get_job(job_id: str, ctx: Ctx) -> JSONResponse:
    job = ctx.jobs.get(job_id)
    if job is not None:
        return json_response(job.as_dict())
    if ctx.store.has_result(job_id):  # finished before a restart: the result is on disk
        meta = ctx.store.result_meta(job_id)
        return json_response(Job(job_id, meta.get("job", "?"), meta.get("title", job_id), status="done", done=1, total=1,
                                 result=job_id).as_dict())
    raise NotFound(f"no job {job_id!r} (jobs are kept in memory; finished results are listed under /api/results)")
