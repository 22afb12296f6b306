"""Stored results: list, summary, figures, HTML report and the outcomes table."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse, Response

from crisislab.errors import InputError, Problem
from crisislab.server.context import AppContext, Ctx, NotFound, json_response

router = APIRouter()


def _bundle(ctx: AppContext, rid: str) -> Any:
    from crisislab.report.data import load_bundle

    meta = ctx.store.result_meta(rid)
    if meta.get("job") != "compare":
        raise InputError(rid, [Problem("result id", f"a {meta.get('job')} result", "a comparison result")])
    return load_bundle(ctx.store.result_dir(rid))


@router.get("/api/results")
def list_results(ctx: Ctx) -> JSONResponse:
    return json_response(ctx.store.list_results())


@router.get("/api/results/{rid}")
def get_result(rid: str, ctx: Ctx) -> JSONResponse:
    meta = ctx.store.result_meta(rid)
    meta.pop("scenario_data", None)
    out: dict[str, Any] = {"id": rid, "meta": meta, "report": (ctx.store.result_dir(rid) / "report.html").is_file()}
    if meta.get("job") == "compare":
        res = _bundle(ctx, rid)
        cmp = res.comparison()
        out["summary"] = cmp.summary.to_dict("records")
        out["paired"] = cmp.paired.to_dict("records")
        out["doctrines"] = cmp.doctrines
        out["metrics"] = res.metrics
    return json_response(out)


@router.get("/api/results/{rid}/figures")
def result_figures(rid: str, ctx: Ctx) -> Response:
    from crisislab.report import figures as F

    res = _bundle(ctx, rid)
    cmp = res.comparison()
    names = cmp.doctrines
    metrics = res.metrics
    figs: dict[str, Any] = {"comparison": F.comparison_figure(cmp.summary, names, metrics)}
    if len(names) > 1:
        figs["paired"] = F.forest_figure(cmp.paired, names[0], names, metrics)
    bands = res.trajectories
    if bands is not None and not bands.empty:
        figs["escalation"] = F.fan_figure(bands, names, "rung", title="Escalation rung: median, 50% and 90% bands")
        figs["war_share"] = F.share_figure(bands, names, "war_share", title="Share of runs at conventional war or higher")
        figs["cohesion"] = F.trajectory_figure(bands, names, "cohesion", title="Coalition cohesion")
        figs["frontline_trust"] = F.trajectory_figure(bands, names, "final_frontline_trust", title="Frontline trust")
    text = "{" + ",".join(f"{json.dumps(k)}:{fig.to_json()}" for k, fig in figs.items()) + "}"
    return Response(text, media_type="application/json")


@router.get("/api/results/{rid}/report.html")
def result_report(rid: str, ctx: Ctx) -> Response:
    path = ctx.store.result_dir(rid) / "report.html"
    if not path.is_file():
        raise NotFound(f"no HTML report for {rid} yet: build one with POST /api/jobs/report")
    return FileResponse(path, media_type="text/html", filename=f"{rid}-report.html", content_disposition_type="inline")


@router.get("/api/results/{rid}/outcomes.parquet")
def result_outcomes(rid: str, ctx: Ctx) -> Response:
    path = ctx.store.result_dir(rid) / "outcomes.parquet"
    if not path.is_file():
        raise NotFound(f"result {rid} has no outcomes table")
    return FileResponse(path, media_type="application/octet-stream", filename=f"{rid}-outcomes.parquet")
