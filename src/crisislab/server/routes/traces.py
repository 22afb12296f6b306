"""Stored traces: the weeks of one run, what changed in a week, one variable over time."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from crisislab.errors import InputError, Problem
from crisislab.server.context import AppContext, Ctx, json_response

router = APIRouter()


def _trace_frames(ctx: AppContext, rid: str) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    meta = ctx.store.result_meta(rid)
    if meta.get("job") != "trace":
        raise InputError(rid, [Problem("result id", f"a {meta.get('job')} result", "a trace result")])
    folder = ctx.store.result_dir(rid)
    return meta, pd.read_parquet(folder / "trace.parquet"), pd.read_parquet(folder / "trajectory.parquet")


@router.get("/api/traces/{rid}")
def get_trace(rid: str, ctx: Ctx) -> JSONResponse:
    meta, tr, traj = _trace_frames(ctx, rid)
    meta.pop("scenario_data", None)
    per_week = []
    for w in range(int(meta.get("weeks", 0))):
        sub = tr[tr.week == w]
        counts = sub[sub.mechanism != "core"].groupby("mechanism").size().sort_values(ascending=False)
        per_week.append({"week": w, "changes": int(len(sub)), "mechanisms": {str(k): int(v) for k, v in counts.items()}})
    return json_response({"id": rid, "meta": meta, "weeks": per_week, "trajectory": {c: traj[c].tolist() for c in traj.columns},
                          "variables": sorted(set(tr.variable))})


@router.get("/api/traces/{rid}/week/{week}")
def trace_week(rid: str, week: int, ctx: Ctx) -> JSONResponse:
    from crisislab.model.mechanisms.registry import MECHANISMS

    _meta, tr, _ = _trace_frames(ctx, rid)
    sub = tr[tr.week == week]
    rows = []
    for r in sub.itertuples(index=False):
        name = MECHANISMS[r.mechanism].name if r.mechanism in MECHANISMS else r.step
        rows.append({"mechanism": r.mechanism, "name": name, "step": r.step, "variable": r.variable, "member": r.member,
                     "before": r.before, "after": r.after, "delta": r.after - r.before})
    return json_response({"week": week, "rows": rows})


@router.get("/api/traces/{rid}/variable/{variable}")
def trace_variable(rid: str, variable: str, ctx: Ctx) -> JSONResponse:
    meta, tr, _ = _trace_frames(ctx, rid)
    sub = tr[tr.variable == variable]
    series: dict[str, list[Any]] = {}
    for member, g in sub.groupby("member", sort=False):
        last = g.groupby("week")["after"].last()
        weeks = np.arange(int(meta.get("weeks", 0)))
        series[str(member) or variable] = [float(last[w]) if w in last.index else None for w in weeks]
    return json_response({"variable": variable, "series": series})
