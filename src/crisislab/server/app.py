"""The web app: FastAPI routes for pages and a JSON API.

Pages are Jinja2 templates with a little vanilla JavaScript and plotly.js served from the
installed plotly package: there is no build step. Long work (comparisons, traces, reports)
runs as background jobs in a bounded queue (:mod:`crisislab.server.jobs`); results are
written to the data folder (:mod:`crisislab.server.store`) and survive a restart.

Errors: bad input → HTTP 422 with the same one-paragraph message as the command line (a
body nested deeper than :data:`crisislab.limits.MAX_DEPTH` levels, or YAML in it beyond the
limits of :mod:`crisislab.limits`, is bad input);
a full job queue → 429 with ``Retry-After``; a veto vote without that member's token, or with
a signature that does not verify against the member's key → 403;
a body over the size limit → 413; an unknown result → 404.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from crisislab.errors import InputError, Problem
from crisislab.limits import parse_json_text
from crisislab.output import _clean
from crisislab.server.console import Conflict, Forbidden, PolicyConsole
from crisislab.server.jobs import Busy, Job, JobManager
from crisislab.server.security import BodyLimit, TokenStore, safe_name
from crisislab.server.store import USER_PREFIX, ServerStore, atomic_write_text


@dataclass
class ServerConfig:
    """Settings of one server (``crisislab serve --help`` lists the matching options)."""

    data_dir: Path
    workers: int = 1
    queue: int = 4
    max_body: int = 1_000_000
    max_runs: int = 20_000
    max_run_weeks: int = 20_000_000
    max_trajectory_runs: int = 1_000
    max_attribution_runs: int = 300
    policies: list[str] = field(default_factory=list)


class NotFound(Exception):
    pass


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(_clean(data), status_code=status, headers=headers)


def _int(data: dict[str, Any], key: str, default: int, lo: int, hi: int, source: str) -> int:
    v = data.get(key, default)
    if v is None or v == "":
        v = default
    if isinstance(v, bool):
        raise InputError(source, [Problem(key, repr(v), f"a whole number from {lo} to {hi}")])
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise InputError(source, [Problem(key, repr(v)[:40], f"a whole number from {lo} to {hi}")]) from None
    if not math.isfinite(f) or f != int(f) or not (lo <= int(f) <= hi):
        raise InputError(source, [Problem(key, repr(v)[:40], f"a whole number from {lo} to {hi}")])
    return int(f)


def _package_dir(name: str) -> Path:
    return Path(str(resources.files("crisislab.server") / name))


def _plotly_js_path() -> Path:
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


def create_app(config: ServerConfig) -> FastAPI:
    """Build the app for one data folder."""
    import jinja2

    from crisislab.doctrines import PRESETS
    from crisislab.model.mechanisms.registry import MECHANISMS
    from crisislab.model.outcomes import DESCRIPTIONS, METRICS
    from crisislab.scenario import shipped as shipped_scenarios

    store = ServerStore(config.data_dir)
    tokens = TokenStore(store.tokens)
    jobs = JobManager(workers=config.workers, queue=config.queue)
    consoles: dict[str, PolicyConsole] = {}
    consoles_lock = threading.Lock()
    report_locks: dict[str, threading.Lock] = {}
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_package_dir("templates"))),
                             autoescape=jinja2.select_autoescape(["html"]))

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.shutdown(wait=False)

    app = FastAPI(title="crisislab", docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json", lifespan=lifespan)
    app.state.config = config
    app.state.store = store
    app.state.jobs = jobs
    app.state.tokens = tokens
    app.add_middleware(BodyLimit, max_bytes=config.max_body)
    app.mount("/static", StaticFiles(directory=str(_package_dir("static"))), name="static")

    # -- errors ------------------------------------------------------------------------------

    @app.exception_handler(InputError)
    async def _input_error(_: Request, exc: InputError) -> JSONResponse:
        status = 404 if exc.summary == "cannot be found" else 422
        return _json({"error": "invalid input" if status == 422 else "not found", "message": str(exc),
                      "problems": [p.__dict__ for p in exc.problems]}, status)

    @app.exception_handler(Busy)
    async def _busy(_: Request, exc: Busy) -> JSONResponse:
        return _json({"error": "busy", "message": f"The server is busy: {exc.active} jobs are running or waiting "
                      f"(limit {exc.limit}). Try again in a minute."}, 429, {"Retry-After": "30"})

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        return _json({"error": "conflict", "message": str(exc)}, 409)

    @app.exception_handler(Forbidden)
    async def _forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return _json({"error": "forbidden", "message": str(exc)}, 403)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return _json({"error": "not found", "message": str(exc)}, 404)

    async def body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        data = parse_json_text(raw or b"{}", "request", whole="(body)")
        if not isinstance(data, dict):
            raise InputError("request", [Problem("(body)", f"a JSON {type(data).__name__}", "a JSON object")])
        return data

    # -- pages -------------------------------------------------------------------------------

    def page(name: str, **ctx: Any) -> HTMLResponse:
        tpl = env.get_template(name)
        return HTMLResponse(tpl.render(**ctx))

    @app.get("/", response_class=HTMLResponse)
    def home() -> HTMLResponse:
        return page("home.html", active="home", results=store.list_results()[:8])

    @app.get("/scenarios", response_class=HTMLResponse)
    def scenarios_page() -> HTMLResponse:
        return page("scenarios.html", active="scenarios", shipped=list(shipped_scenarios()), saved=store.saved_scenarios())

    @app.get("/compare", response_class=HTMLResponse)
    def compare_page() -> HTMLResponse:
        return page("compare.html", active="compare", shipped=list(shipped_scenarios()), saved=store.saved_scenarios(),
                    doctrines=[{"name": n, "summary": c.summary} for n, c in PRESETS.items()], max_runs=config.max_runs)

    @app.get("/results", response_class=HTMLResponse)
    def results_page() -> HTMLResponse:
        return page("results.html", active="results", results=store.list_results())

    @app.get("/results/{rid}", response_class=HTMLResponse)
    def result_page(rid: str) -> Response:
        meta = store.result_meta(rid)
        if meta.get("job") == "trace":
            return page("trace_view.html", active="trace", rid=rid, meta=meta)
        return page("result.html", active="results", rid=rid, meta=meta)

    @app.get("/trace", response_class=HTMLResponse)
    def trace_page() -> HTMLResponse:
        return page("trace.html", active="trace", shipped=list(shipped_scenarios()), saved=store.saved_scenarios(),
                    doctrines=list(PRESETS), traces=[r for r in store.list_results() if r["kind"] == "trace"])

    @app.get("/games", response_class=HTMLResponse)
    def games_page() -> HTMLResponse:
        return page("games.html", active="games")

    @app.get("/policy", response_class=HTMLResponse)
    def policy_page(policy: str | None = None) -> HTMLResponse:
        keys = policy_keys()
        key = policy if policy in keys else (keys[0] if keys else "")
        return page("policy.html", active="policy", policies=keys, policy=key)

    @app.get("/static-plotly.js")
    def plotly_js() -> FileResponse:
        return FileResponse(_plotly_js_path(), media_type="application/javascript", headers={"Cache-Control": "max-age=86400"})

    # -- reference data ------------------------------------------------------------------------

    @app.get("/api/health")
    def health() -> JSONResponse:
        return _json({"ok": True, "jobs_active": jobs.active(), "jobs_limit": jobs.limit})

    @app.get("/api/doctrines")
    def doctrines() -> JSONResponse:
        return _json([c().describe() for c in PRESETS.values()])

    @app.get("/api/mechanisms")
    def mechanisms() -> JSONResponse:
        return _json([{"id": m.id, "name": m.name, "family": m.family, "claim": m.claim, "source": m.source} for m in MECHANISMS.values()])

    @app.get("/api/metrics")
    def metrics() -> JSONResponse:
        return _json([{"name": m, "meaning": DESCRIPTIONS.get(m, "")} for m in METRICS])

    # -- scenarios ---------------------------------------------------------------------------

    @app.get("/api/scenarios")
    def scenarios() -> JSONResponse:
        return _json({"shipped": list(shipped_scenarios()), "saved": [USER_PREFIX + n for n in store.saved_scenarios()]})

    @app.get("/api/scenarios/{ref}")
    def scenario_text(ref: str) -> JSONResponse:
        return _json({"ref": ref, "yaml": store.scenario_text(ref)})

    @app.post("/api/scenarios/validate")
    async def validate_scenario(request: Request) -> JSONResponse:
        data = await body(request)
        text = data.get("yaml")
        if not isinstance(text, str):
            raise InputError("request", [Problem("yaml", "nothing" if text is None else type(text).__name__, "the scenario as YAML text")])
        try:
            sc = store.scenario(None, text) if text.strip() else None
        except InputError as exc:
            return _json({"ok": False, "message": str(exc), "problems": [p.__dict__ for p in exc.problems]})
        if sc is None:
            return _json({"ok": False, "message": "scenario is empty: expected a YAML mapping of scenario fields.",
                          "problems": [{"location": "(whole file)", "found": "an empty text", "expected": "a YAML mapping"}]})
        return _json({"ok": True, "message": "valid", "problems": [],
                      "summary": {"name": sc.name, "members": len(sc.coalition.members), "horizon_weeks": sc.horizon_weeks,
                                  "types": [t.name for t in sc.adversary.types], "rule": sc.coalition.decision_rule}})

    @app.put("/api/scenarios/{name}")
    async def save_scenario(name: str, request: Request) -> JSONResponse:
        data = await body(request)
        text = data.get("yaml")
        if not isinstance(text, str):
            raise InputError("request", [Problem("yaml", "nothing", "the scenario as YAML text")])
        sc = store.save_scenario(name, text)
        return _json({"ok": True, "ref": USER_PREFIX + name, "name": sc.name})

    # -- jobs --------------------------------------------------------------------------------

    def _doctrines(value: Any) -> list[str]:
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

    @app.post("/api/jobs/compare", status_code=202)
    async def submit_compare(request: Request) -> JSONResponse:
        data = await body(request)
        sc = store.scenario(data.get("scenario"), data.get("yaml"))
        names = _doctrines(data.get("doctrines", "all"))
        runs = _int(data, "runs", 1000, 1, config.max_runs, "compare")
        seed = _int(data, "seed", 0, 0, 2**31 - 1, "compare")
        traj = _int(data, "trajectory_runs", min(runs, 300), 0, config.max_trajectory_runs, "compare")
        work = runs * sc.horizon_weeks * len(names)
        if work > config.max_run_weeks:
            raise InputError("compare", [Problem("runs x weeks x doctrines", f"{work:,}", f"at most {config.max_run_weeks:,} simulated run-weeks per job")])
        title = f"{sc.name}: {', '.join(names)} ({runs} runs, seed {seed})"
        from crisislab.server.work import run_compare

        job = jobs.submit("cmp", title, lambda j: run_compare(j, store, sc, names, runs, seed, min(traj, runs), data.get("scenario")))
        return _json(job.as_dict(), 202)

    @app.post("/api/jobs/trace", status_code=202)
    async def submit_trace(request: Request) -> JSONResponse:
        data = await body(request)
        sc = store.scenario(data.get("scenario"), data.get("yaml"))
        doctrine = _doctrines([data.get("doctrine", "isolation")])[0]
        run = _int(data, "run", 0, 0, 10**9, "trace")
        seed = _int(data, "seed", 0, 0, 2**31 - 1, "trace")
        if sc.horizon_weeks > 520:
            raise InputError("trace", [Problem("horizon_weeks", str(sc.horizon_weeks), "at most 520 weeks for a trace in the web app")])
        from crisislab.server.work import run_trace

        job = jobs.submit("trace", f"trace of run {run}: {sc.name}, {doctrine}, seed {seed}",
                          lambda j: run_trace(j, store, sc, doctrine, run, seed, data.get("scenario")))
        return _json(job.as_dict(), 202)

    @app.post("/api/jobs/report", status_code=202)
    async def submit_report(request: Request) -> JSONResponse:
        data = await body(request)
        rid = str(data.get("result", ""))
        meta = store.result_meta(rid)
        if meta.get("job") != "compare":
            raise InputError("report", [Problem("result", rid, "the id of a comparison result")])
        att = _int(data, "attribution_runs", 50, 0, config.max_attribution_runs, "report")
        from crisislab.server.work import run_report

        lock = report_locks.setdefault(rid, threading.Lock())
        job = jobs.submit("report", f"HTML report of {rid}", lambda j: run_report(j, store, rid, att, lock))
        return _json(job.as_dict(), 202)

    @app.get("/api/jobs")
    def list_jobs() -> JSONResponse:
        return _json([j.as_dict() for j in jobs.list()])

    @app.get("/api/jobs/{job_id}")
    def get_job(job_id: str) -> JSONResponse:
        job = jobs.get(job_id)
        if job is not None:
            return _json(job.as_dict())
        if store.has_result(job_id):  # finished before a restart: the result is on disk
            meta = store.result_meta(job_id)
            return _json(Job(job_id, meta.get("job", "?"), meta.get("title", job_id), status="done", done=1, total=1, result=job_id).as_dict())
        raise NotFound(f"no job {job_id!r} (jobs are kept in memory; finished results are listed under /api/results)")

    # -- results -----------------------------------------------------------------------------

    @app.get("/api/results")
    def list_results() -> JSONResponse:
        return _json(store.list_results())

    def _bundle(rid: str) -> Any:
        from crisislab.report.data import load_bundle

        meta = store.result_meta(rid)
        if meta.get("job") != "compare":
            raise InputError(rid, [Problem("result id", f"a {meta.get('job')} result", "a comparison result")])
        return load_bundle(store.result_dir(rid))

    @app.get("/api/results/{rid}")
    def get_result(rid: str) -> JSONResponse:
        meta = store.result_meta(rid)
        meta.pop("scenario_data", None)
        out: dict[str, Any] = {"id": rid, "meta": meta, "report": (store.result_dir(rid) / "report.html").is_file()}
        if meta.get("job") == "compare":
            res = _bundle(rid)
            cmp = res.comparison()
            out["summary"] = cmp.summary.to_dict("records")
            out["paired"] = cmp.paired.to_dict("records")
            out["doctrines"] = cmp.doctrines
            out["metrics"] = res.metrics
        return _json(out)

    @app.get("/api/results/{rid}/figures")
    def result_figures(rid: str) -> Response:
        from crisislab.report import figures as F

        res = _bundle(rid)
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

    @app.get("/api/results/{rid}/report.html")
    def result_report(rid: str) -> Response:
        path = store.result_dir(rid) / "report.html"
        if not path.is_file():
            raise NotFound(f"no HTML report for {rid} yet: build one with POST /api/jobs/report")
        return FileResponse(path, media_type="text/html", filename=f"{rid}-report.html", content_disposition_type="inline")

    @app.get("/api/results/{rid}/outcomes.parquet")
    def result_outcomes(rid: str) -> Response:
        path = store.result_dir(rid) / "outcomes.parquet"
        if not path.is_file():
            raise NotFound(f"result {rid} has no outcomes table")
        return FileResponse(path, media_type="application/octet-stream", filename=f"{rid}-outcomes.parquet")

    # -- traces ------------------------------------------------------------------------------

    def _trace_frames(rid: str) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
        meta = store.result_meta(rid)
        if meta.get("job") != "trace":
            raise InputError(rid, [Problem("result id", f"a {meta.get('job')} result", "a trace result")])
        folder = store.result_dir(rid)
        return meta, pd.read_parquet(folder / "trace.parquet"), pd.read_parquet(folder / "trajectory.parquet")

    @app.get("/api/traces/{rid}")
    def get_trace(rid: str) -> JSONResponse:
        meta, tr, traj = _trace_frames(rid)
        meta.pop("scenario_data", None)
        per_week = []
        for w in range(int(meta.get("weeks", 0))):
            sub = tr[tr.week == w]
            counts = sub[sub.mechanism != "core"].groupby("mechanism").size().sort_values(ascending=False)
            per_week.append({"week": w, "changes": int(len(sub)), "mechanisms": {str(k): int(v) for k, v in counts.items()}})
        return _json({"id": rid, "meta": meta, "weeks": per_week, "trajectory": {c: traj[c].tolist() for c in traj.columns},
                      "variables": sorted(set(tr.variable))})

    @app.get("/api/traces/{rid}/week/{week}")
    def trace_week(rid: str, week: int) -> JSONResponse:
        _meta, tr, _ = _trace_frames(rid)
        sub = tr[tr.week == week]
        rows = []
        for r in sub.itertuples(index=False):
            name = MECHANISMS[r.mechanism].name if r.mechanism in MECHANISMS else r.step
            rows.append({"mechanism": r.mechanism, "name": name, "step": r.step, "variable": r.variable, "member": r.member,
                         "before": r.before, "after": r.after, "delta": r.after - r.before})
        return _json({"week": week, "rows": rows})

    @app.get("/api/traces/{rid}/variable/{variable}")
    def trace_variable(rid: str, variable: str) -> JSONResponse:
        meta, tr, _ = _trace_frames(rid)
        sub = tr[tr.variable == variable]
        series: dict[str, list[Any]] = {}
        for member, g in sub.groupby("member", sort=False):
            last = g.groupby("week")["after"].last()
            weeks = np.arange(int(meta.get("weeks", 0)))
            series[str(member) or variable] = [float(last[w]) if w in last.index else None for w in weeks]
        return _json({"variable": variable, "series": series})

    # -- games -------------------------------------------------------------------------------

    def _game_params(spec: Any) -> list[dict[str, Any]]:
        import typing

        from crisislab.games.base import field_bounds

        out = []
        for name, info in spec.params.model_fields.items():
            ann = info.annotation
            item: dict[str, Any] = {"name": name, "default": info.default, "description": info.description or ""}
            lo, lo_open, hi, hi_open = field_bounds(info)
            if typing.get_origin(ann) is typing.Literal:
                item.update(kind="choice", choices=list(typing.get_args(ann)))
            elif ann is str and name == "scenario":
                item.update(kind="choice", choices=list(shipped_scenarios()))
            elif ann is bool:
                item.update(kind="bool")
            elif ann in (int, float):
                d = float(info.default)
                span = max(1.0, 2 * abs(d))
                if lo is None and hi is None:
                    lo, hi = (0.0, span) if d >= 0 and "payoff" not in (info.description or "") else (-span, span)
                elif lo is None:
                    lo = float(hi) - 2 * span
                elif hi is None:
                    hi = max(float(lo) + 1.0, float(lo) + span, d + 1.0 if ann is float else d + 5)
                lo, hi = float(lo), float(hi)
                if ann is int:
                    hi = min(hi, max(20.0, 4 * abs(d) + 5))
                    lo = lo + 1 if lo_open else lo
                    hi = hi - 1 if hi_open else hi
                    item.update(kind="int", min=int(lo), max=int(hi), step=1)
                else:
                    step = (hi - lo) / 200
                    item.update(kind="float", min=lo + step if lo_open else lo, max=hi - step if hi_open else hi, step=step)
            else:
                item.update(kind="fixed")
            out.append(item)
        return out

    @app.get("/api/games")
    def games() -> JSONResponse:
        from crisislab.games import GAMES

        return _json([{"name": s.name, "title": s.title, "description": s.description, "sources": s.sources,
                       "sweep": s.metrics is not None, "params": _game_params(s)} for s in sorted(GAMES.values(), key=lambda s: s.name)])

    def _parse_game(name: str, data: dict[str, Any]) -> tuple[Any, Any]:
        from crisislab.games import get_game

        spec = get_game(name)
        params = data.get("params", {})
        if not isinstance(params, dict):
            raise InputError(f"game {name}", [Problem("params", type(params).__name__, "an object of parameter values")])
        for key, value in params.items():
            info = spec.params.model_fields.get(key)
            if info is not None and info.annotation is str and key == "scenario" and value not in shipped_scenarios():
                raise InputError(f"game {name}", [Problem(f"param {key}", repr(value)[:60], f"a shipped scenario: {', '.join(shipped_scenarios())}")])
            if isinstance(value, (dict, list)):
                raise InputError(f"game {name}", [Problem(f"param {key}", type(value).__name__, "a number or a name")])
        return spec, spec.parse(params, source="param")

    @app.post("/api/games/{name}/solve")
    async def solve_game(name: str, request: Request) -> JSONResponse:
        spec, params = _parse_game(name, await body(request))
        return _json(spec.solve(params).to_dict())

    @app.post("/api/games/{name}/sweep")
    async def sweep_game(name: str, request: Request) -> Response:
        from crisislab.games.plot import sweep_figure

        data = await body(request)
        spec, params = _parse_game(name, data)
        key = str(data.get("key"))
        if spec.metrics is None or key not in spec.params.model_fields or spec.params.model_fields[key].annotation is not float:
            raise InputError(f"game {name}", [Problem("key", repr(key)[:40], "a number parameter of a game with closed forms")])
        info = next(p for p in _game_params(spec) if p["name"] == key)
        values = np.linspace(float(info["min"]), float(info["max"]), 101)
        fig = sweep_figure(spec, params, key, values, spec.metrics(params, key, values))
        current = float(getattr(params, key))
        if values[0] <= current <= values[-1]:
            fig.add_vline(x=current, line={"color": "#c00", "dash": "dot"}, row="all", col="all")  # type: ignore[arg-type]
        fig.update_layout(height=max(380, int(fig.layout.height or 400) // 2 + 120))
        return Response(fig.to_json(), media_type="application/json")

    # -- policy console ------------------------------------------------------------------------

    def policy_keys() -> list[str]:
        from crisislab.policy.load import shipped as shipped_policies

        names = list(config.policies) or list(shipped_policies())
        return names + [f"user.{n}" for n in store.saved_policies()]

    def console(key: str) -> PolicyConsole:
        from crisislab.policy.load import compile_loaded, load_policy, policy_hash

        if key not in policy_keys():
            raise NotFound(f"no policy {key!r}; known: {', '.join(policy_keys())}")
        with consoles_lock:
            if key in consoles:
                return consoles[key]
            if key.startswith("user."):
                path = store.policy_path(key[len("user."):])
                pol, source = load_policy(path), f"saved policy {key[5:]}"
            else:
                pol, source = load_policy(key), f"shipped policy {key}"
            cp = compile_loaded(pol)
            folder = store.console_dir(f"{safe_name(key, 'policy')}-{policy_hash(pol)[:12]}")
            consoles[key] = PolicyConsole(key, cp, folder, source, signer=store.console_key(), keyring_path=store.keyring_path)
            return consoles[key]

    @app.get("/api/policies")
    def policies() -> JSONResponse:
        return _json({"policies": policy_keys()})

    def _policy_from_text(text: str, name: str) -> Any:
        import tempfile

        from crisislab.policy.load import load_policy
        from crisislab.policy.load import shipped as shipped_policies
        from crisislab.scenario.load import parse_yaml

        data = parse_yaml(text, f"policy {name}")
        base = data.get("base")
        if base is not None and base not in shipped_policies():
            raise InputError(f"policy {name}", [Problem("base", repr(base)[:60], f"the name of a shipped policy: {', '.join(shipped_policies())}")])
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "policy.yaml"
            path.write_text(text, encoding="utf-8")
            try:
                pol = load_policy(path)
            except InputError as exc:
                exc.source = f"policy {name}"
                raise
        from crisislab.policy.load import compile_loaded

        compile_loaded(pol)
        return pol

    @app.post("/api/policies/validate")
    async def validate_policy(request: Request) -> JSONResponse:
        data = await body(request)
        text = data.get("yaml")
        if not isinstance(text, str):
            raise InputError("request", [Problem("yaml", "nothing", "the policy as YAML text")])
        try:
            pol = _policy_from_text(text, "text")
        except InputError as exc:
            return _json({"ok": False, "message": str(exc), "problems": [p.__dict__ for p in exc.problems]})
        return _json({"ok": True, "message": "valid", "problems": [], "name": pol.name})

    @app.put("/api/policies/{name}")
    async def save_policy(name: str, request: Request) -> JSONResponse:
        safe_name(name, "policy name")
        data = await body(request)
        text = data.get("yaml")
        if not isinstance(text, str):
            raise InputError("request", [Problem("yaml", "nothing", "the policy as YAML text")])
        _policy_from_text(text, name)
        atomic_write_text(store.policy_path(name), text)
        with consoles_lock:
            consoles.pop(f"user.{name}", None)
        return _json({"ok": True, "policy": f"user.{name}"})

    @app.get("/api/policy/{key}/status")
    def policy_status(key: str) -> JSONResponse:
        return _json(console(key).status())

    @app.post("/api/policy/{key}/events")
    async def policy_event(key: str, request: Request) -> JSONResponse:
        con = console(key)
        decisions = con.post(await body(request))
        return _json({"decisions": decisions, "status": con.status()})

    @app.post("/api/policy/{key}/vote")
    async def policy_vote(key: str, request: Request) -> JSONResponse:
        con = console(key)
        data = await body(request)
        member = data.get("member")
        if not isinstance(member, str) or not member.strip():
            raise InputError("vote", [Problem("member", repr(member)[:40], f"a veto holder: {', '.join(con.holders)}")])
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        check = tokens.check(token, member.strip())
        if not check.ok:
            raise Forbidden(f"vote refused: {check.reason}")
        signature = data.get("signature")
        # no signature sent: the server signs with the member's key, which only its token unlocks
        key = tokens.signing_key(token, member.strip()) if signature is None and token else None
        decisions = con.vote(member.strip(), str(data.get("vote", "")), check.token_id, data.get("agenda"), data.get("date"),
                             key=key, signature=signature)
        return _json({"decisions": decisions, "status": con.status()})

    @app.get("/api/policy/{key}/vote/payload")
    def policy_vote_payload(key: str, member: str, vote: str, date: str | None = None, agenda: str | None = None) -> JSONResponse:
        """What a member that holds its own key signs to cast this vote (then POST it to /vote with the signature)."""
        return _json(console(key).vote_payload(member, vote, agenda, date))

    @app.get("/api/policy/{key}/decisions")
    def policy_decisions(key: str) -> JSONResponse:
        return _json(console(key).decisions_list())

    @app.get("/api/policy/{key}/ledger")
    def policy_ledger(key: str, start: int = 1, limit: int = 200) -> JSONResponse:
        return _json(console(key).ledger_entries(start, max(1, min(limit, 1000))))

    @app.post("/api/policy/{key}/verify")
    def policy_verify(key: str) -> JSONResponse:
        return _json(console(key).verify())

    return app
