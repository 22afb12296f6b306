"""The analytic games: their parameter forms, solutions and one-parameter sweeps."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from crisislab.errors import InputError, Problem
from crisislab.server.context import Body, json_response

router = APIRouter()


def _game_params(spec: Any) -> list[dict[str, Any]]:
    """The form of a game's parameters: kind, default, range and step of each."""
    import typing

    from crisislab.games.base import field_bounds
    from crisislab.scenario import shipped as shipped_scenarios

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


def _parse_game(name: str, data: dict[str, Any]) -> tuple[Any, Any]:
    from crisislab.games import get_game
    from crisislab.scenario import shipped as shipped_scenarios

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


@router.get("/api/games")
def games() -> JSONResponse:
    from crisislab.games import GAMES

    return json_response([{"name": s.name, "title": s.title, "description": s.description, "sources": s.sources,
                           "sweep": s.metrics is not None, "params": _game_params(s)} for s in sorted(GAMES.values(), key=lambda s: s.name)])


@router.post("/api/games/{name}/solve")
async def solve_game(name: str, data: Body) -> JSONResponse:
    spec, params = _parse_game(name, data)
    return json_response(spec.solve(params).to_dict())


@router.post("/api/games/{name}/sweep")
async def sweep_game(name: str, data: Body) -> Response:
    from crisislab.games.plot import sweep_figure

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
