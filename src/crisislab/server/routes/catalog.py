"""Reference data (doctrines, mechanisms, metrics) and scenarios: list, read, check, save."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from crisislab.errors import InputError
from crisislab.server.context import Body, Ctx, json_response, yaml_text
from crisislab.server.store import USER_PREFIX

router = APIRouter()


@router.get("/api/health")
def health(ctx: Ctx) -> JSONResponse:
    return json_response({"ok": True, "jobs_active": ctx.jobs.active(), "jobs_limit": ctx.jobs.limit})


@router.get("/api/doctrines")
def doctrines() -> JSONResponse:
    from crisislab.doctrines import PRESETS

    return json_response([c().describe() for c in PRESETS.values()])


@router.get("/api/mechanisms")
def mechanisms() -> JSONResponse:
    from crisislab.model.mechanisms.registry import MECHANISMS

    return json_response([{"id": m.id, "name": m.name, "family": m.family, "claim": m.claim, "source": m.source}
                          for m in MECHANISMS.values()])


@router.get("/api/metrics")
def metrics() -> JSONResponse:
    from crisislab.model.outcomes import DESCRIPTIONS, METRICS

    return json_response([{"name": m, "meaning": DESCRIPTIONS.get(m, "")} for m in METRICS])


@router.get("/api/scenarios")
def scenarios(ctx: Ctx) -> JSONResponse:
    from crisislab.scenario import shipped as shipped_scenarios

    return json_response({"shipped": list(shipped_scenarios()), "saved": [USER_PREFIX + n for n in ctx.store.saved_scenarios()]})


@router.get("/api/scenarios/{ref}")
def scenario_text(ref: str, ctx: Ctx) -> JSONResponse:
    return json_response({"ref": ref, "yaml": ctx.store.scenario_text(ref)})


@router.post("/api/scenarios/validate")
async def validate_scenario(ctx: Ctx, data: Body) -> JSONResponse:
    text = yaml_text(data, "scenario", detailed=True)
    try:
        sc = ctx.store.scenario(None, text) if text.strip() else None
    except InputError as exc:
        return json_response({"ok": False, "message": str(exc), "problems": [p.__dict__ for p in exc.problems]})
    if sc is None:
        return json_response({"ok": False, "message": "scenario is empty: expected a YAML mapping of scenario fields.",
                              "problems": [{"location": "(whole file)", "found": "an empty text", "expected": "a YAML mapping"}]})
    return json_response({"ok": True, "message": "valid", "problems": [],
                          "summary": {"name": sc.name, "members": len(sc.coalition.members), "horizon_weeks": sc.horizon_weeks,
                                      "types": [t.name for t in sc.adversary.types], "rule": sc.coalition.decision_rule}})


@router.put("/api/scenarios/{name}")
async def save_scenario(name: str, ctx: Ctx, data: Body) -> JSONResponse:
    sc = ctx.store.save_scenario(name, yaml_text(data, "scenario"))
    return json_response({"ok": True, "ref": USER_PREFIX + name, "name": sc.name})
