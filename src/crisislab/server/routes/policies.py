"""Policies and the policy console: check and save a policy, post events, cast signed veto
votes, read decisions and the ledger, verify it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from crisislab.errors import InputError, Problem
from crisislab.server.console import Forbidden
from crisislab.server.context import Body, Ctx, json_body, json_response, yaml_text
from crisislab.server.security import safe_name
from crisislab.server.store import atomic_write_text

router = APIRouter()


def _policy_from_text(text: str, name: str) -> Any:
    import tempfile

    from crisislab.policy.load import compile_loaded, load_policy
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
    compile_loaded(pol)
    return pol


@router.get("/api/policies")
def policies(ctx: Ctx) -> JSONResponse:
    return json_response({"policies": ctx.policy_keys()})


@router.post("/api/policies/validate")
async def validate_policy(data: Body) -> JSONResponse:
    text = yaml_text(data, "policy")
    try:
        pol = _policy_from_text(text, "text")
    except InputError as exc:
        return json_response({"ok": False, "message": str(exc), "problems": [p.__dict__ for p in exc.problems]})
    return json_response({"ok": True, "message": "valid", "problems": [], "name": pol.name})


@router.put("/api/policies/{name}")
async def save_policy(name: str, request: Request, ctx: Ctx) -> JSONResponse:
    safe_name(name, "policy name")
    text = yaml_text(await json_body(request), "policy")
    _policy_from_text(text, name)
    atomic_write_text(ctx.store.policy_path(name), text)
    with ctx.consoles_lock:
        ctx.consoles.pop(f"user.{name}", None)
    return json_response({"ok": True, "policy": f"user.{name}"})


@router.get("/api/policy/{key}/status")
def policy_status(key: str, ctx: Ctx) -> JSONResponse:
    return json_response(ctx.console(key).status())


@router.post("/api/policy/{key}/events")
async def policy_event(key: str, request: Request, ctx: Ctx) -> JSONResponse:
    con = ctx.console(key)
    decisions = con.post(await json_body(request))
    return json_response({"decisions": decisions, "status": con.status()})


@router.post("/api/policy/{key}/vote")
async def policy_vote(key: str, request: Request, ctx: Ctx) -> JSONResponse:
    con = ctx.console(key)
    data = await json_body(request)
    member = data.get("member")
    if not isinstance(member, str) or not member.strip():
        raise InputError("vote", [Problem("member", repr(member)[:40], f"a veto holder: {', '.join(con.holders)}")])
    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    check = ctx.tokens.check(token, member.strip())
    if not check.ok:
        raise Forbidden(f"vote refused: {check.reason}")
    signature = data.get("signature")
    # no signature sent: the server signs with the member's key, which only its token unlocks
    signing = ctx.tokens.signing_key(token, member.strip()) if signature is None and token else None
    decisions = con.vote(member.strip(), str(data.get("vote", "")), check.token_id, data.get("agenda"), data.get("date"),
                         key=signing, signature=signature)
    return json_response({"decisions": decisions, "status": con.status()})


@router.get("/api/policy/{key}/vote/payload")
def policy_vote_payload(key: str, member: str, vote: str, ctx: Ctx, date: str | None = None, agenda: str | None = None) -> JSONResponse:
    """What a member that holds its own key signs to cast this vote (then POST it to /vote with the signature)."""
    return json_response(ctx.console(key).vote_payload(member, vote, agenda, date))


@router.get("/api/policy/{key}/decisions")
def policy_decisions(key: str, ctx: Ctx) -> JSONResponse:
    return json_response(ctx.console(key).decisions_list())


@router.get("/api/policy/{key}/ledger")
def policy_ledger(key: str, ctx: Ctx, start: int = 1, limit: int = 200) -> JSONResponse:
    return json_response(ctx.console(key).ledger_entries(start, max(1, min(limit, 1000))))


@router.post("/api/policy/{key}/verify")
def policy_verify(key: str, ctx: Ctx) -> JSONResponse:
    return json_response(ctx.console(key).verify())
