"""HTML pages (Jinja2 templates) and the plotly.js bundle they load."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from crisislab.server.context import Ctx

router = APIRouter()


def _plotly_js_path() -> Path:
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


@router.get("/", response_class=HTMLResponse)
def home(ctx: Ctx) -> HTMLResponse:
    return ctx.page("home.html", active="home", results=ctx.store.list_results()[:8])


@router.get("/scenarios", response_class=HTMLResponse)
def scenarios_page(ctx: Ctx) -> HTMLResponse:
    from crisislab.scenario import shipped as shipped_scenarios

    return ctx.page("scenarios.html", active="scenarios", shipped=list(shipped_scenarios()), saved=ctx.store.saved_scenarios())


@router.get("/compare", response_class=HTMLResponse)
def compare_page(ctx: Ctx) -> HTMLResponse:
    from crisislab.doctrines import PRESETS
    from crisislab.scenario import shipped as shipped_scenarios

    return ctx.page("compare.html", active="compare", shipped=list(shipped_scenarios()), saved=ctx.store.saved_scenarios(),
                    doctrines=[{"name": n, "summary": c.summary} for n, c in PRESETS.items()], max_runs=ctx.config.max_runs)


@router.get("/results", response_class=HTMLResponse)
def results_page(ctx: Ctx) -> HTMLResponse:
    return ctx.page("results.html", active="results", results=ctx.store.list_results())


@router.get("/results/{rid}", response_class=HTMLResponse)
def result_page(rid: str, ctx: Ctx) -> Response:
    meta = ctx.store.result_meta(rid)
    if meta.get("job") == "trace":
        return ctx.page("trace_view.html", active="trace", rid=rid, meta=meta)
    return ctx.page("result.html", active="results", rid=rid, meta=meta)


@router.get("/trace", response_class=HTMLResponse)
def trace_page(ctx: Ctx) -> HTMLResponse:
    from crisislab.doctrines import PRESETS
    from crisislab.scenario import shipped as shipped_scenarios

    return ctx.page("trace.html", active="trace", shipped=list(shipped_scenarios()), saved=ctx.store.saved_scenarios(),
                    doctrines=list(PRESETS), traces=[r for r in ctx.store.list_results() if r["kind"] == "trace"])


@router.get("/games", response_class=HTMLResponse)
def games_page(ctx: Ctx) -> HTMLResponse:
    return ctx.page("games.html", active="games")


@router.get("/policy", response_class=HTMLResponse)
def policy_page(ctx: Ctx, policy: str | None = None) -> HTMLResponse:
    keys = ctx.policy_keys()
    key = policy if policy in keys else (keys[0] if keys else "")
    return ctx.page("policy.html", active="policy", policies=keys, policy=key)


@router.get("/static-plotly.js")
def plotly_js() -> FileResponse:
    return FileResponse(_plotly_js_path(), media_type="application/javascript", headers={"Cache-Control": "max-age=86400"})
