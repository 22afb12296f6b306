"""``crisislab solve``: solve an analytic game, list the games, or sweep one parameter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from crisislab.errors import InputError, Problem
from crisislab.games import GAMES, get_game
from crisislab.games.base import GameSpec, Solution, describe_field, parse_key_values, parse_sweep
from crisislab.output import Format, console, emit, to_json

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table, json or csv")]
TABLE_SWEEP_ROWS = 21


def game_listing() -> list[dict[str, Any]]:
    """One row per registered game (name, title, parameters, sources)."""
    rows = []
    for spec in sorted(GAMES.values(), key=lambda s: s.name):
        rows.append(
            {
                "game": spec.name,
                "title": spec.title,
                "parameters": ", ".join(spec.params.model_fields),
                "sweep": "yes" if spec.metrics else "no",
                "sources": spec.sources,
            }
        )
    return rows


def _param_listing(spec: GameSpec) -> list[dict[str, Any]]:
    out = []
    for name, info in spec.params.model_fields.items():
        out.append(
            {"parameter": name, "default": info.default, "accepts": describe_field(spec.params, name), "meaning": info.description or ""}
        )
    return out


def _split_tables(eq: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    flat: dict[str, Any] = {}
    tables: dict[str, list[dict[str, Any]]] = {}
    for k, v in eq.items():
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            tables[k] = v
        else:
            flat[k] = v
    return flat, tables


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flat(v, key + "."))
        elif isinstance(v, list):
            out[key] = json.dumps(v) if any(isinstance(x, (dict, list)) for x in v) else ", ".join(
                f"{x:.4g}" if isinstance(x, float) else str(x) for x in v
            )
        else:
            out[key] = v
    return out


def emit_solution(sol: Solution, fmt: Format) -> None:
    """Print a solution: JSON as is; table as summary + equilibria (+ sub-tables); CSV rows."""
    if fmt is Format.json:
        print(to_json(sol.to_dict()))
        return
    rows = []
    extra: list[tuple[str, list[dict[str, Any]]]] = []
    for eq in sol.equilibria:
        flat, tables = _split_tables(eq)
        rows.append(_flat(flat))
        for name, tab in tables.items():
            extra.append((f"{eq.get('name', sol.game)}: {name}", [_flat(r) for r in tab]))
    if fmt is Format.csv:
        emit(fmt, [_flat({k: v for k, v in eq.items()}) for eq in sol.equilibria])
        return
    summary_rows = [{"quantity": k, "value": v} for k, v in _flat(sol.summary).items()]
    emit(fmt, summary_rows, title=f"{sol.game}: summary")
    if GAMES[sol.game].finite:
        # one column per equilibrium, one row per field: readable however many fields
        fields: list[str] = []
        for r in rows:
            fields.extend(k for k in r if k not in fields)
        heads = [f"#{i + 1}" for i in range(len(rows))]
        tr = [{"field": f, **{h: r.get(f) for h, r in zip(heads, rows, strict=True)}} for f in fields]
        emit(fmt, tr, title=f"{sol.game}: equilibria")
    else:
        emit(fmt, rows, title=f"{sol.game}: results")
    for title, tab in extra:
        emit(fmt, tab, title=title)
    for note in sol.notes:
        console.print(f"[dim]note: {note}[/]", highlight=False)


def run_sweep(spec: GameSpec, params: Any, sweep_text: str) -> tuple[str, np.ndarray, dict[str, np.ndarray]]:
    """Evaluate the game's vectorised closed forms over the swept parameter."""
    if spec.metrics is None:
        raise InputError(
            f"crisislab solve {spec.name}",
            [Problem("--sweep", sweep_text, "a game with closed forms to sweep: " + ", ".join(n for n, s in GAMES.items() if s.metrics))],
            summary="cannot sweep",
        )
    sw = parse_sweep(sweep_text, spec.params, game=spec.name)
    return sw.key, sw.values, spec.metrics(params, sw.key, sw.values)


def emit_sweep(game: str, params: Any, key: str, values: np.ndarray, metrics: dict[str, np.ndarray], fmt: Format) -> None:
    names = list(metrics)
    if fmt is Format.json:
        print(
            to_json(
                {
                    "game": game,
                    "params": params.model_dump(),
                    "sweep": {"key": key, "values": values.tolist()},
                    "metrics": {k: np.asarray(v, dtype=float).tolist() for k, v in metrics.items()},
                }
            )
        )
        return
    idx = np.arange(values.size)
    if fmt is Format.table and values.size > TABLE_SWEEP_ROWS:
        idx = np.unique(np.linspace(0, values.size - 1, TABLE_SWEEP_ROWS).round().astype(int))
    rows = [{key: float(values[i]), **{n: float(np.asarray(metrics[n])[i]) for n in names}} for i in idx]
    emit(fmt, rows, title=f"{game}: sweep of {key} ({values.size} points)")
    if fmt is Format.table and values.size > TABLE_SWEEP_ROWS:
        console.print(f"[dim]showing {len(idx)} of {values.size} points; use --format csv or json for all[/]")


def register(app: typer.Typer) -> None:
    @app.command("solve")
    def solve_cmd(
        game: Annotated[str | None, typer.Argument(help="game to solve (see --list)")] = None,
        param: Annotated[list[str] | None, typer.Option("--param", "-p", help="key=value; repeat for several")] = None,
        sweep: Annotated[str | None, typer.Option("--sweep", help="key=lo:hi:n: evaluate the closed forms over n values")] = None,
        plot: Annotated[Path | None, typer.Option("--plot", help="with --sweep: write a comparative-statics plot (HTML)")] = None,
        list_games: Annotated[bool, typer.Option("--list", help="list the games and exit")] = False,
        fmt: FormatOpt = Format.table,
    ) -> None:
        """Solve an analytic game exactly: equilibria, beliefs, payoffs; or sweep a parameter."""
        if list_games or game is None:
            rows = game_listing()
            if fmt is Format.json:
                data = [{**r, "params": _param_listing(GAMES[r["game"]])} for r in rows]
                emit(fmt, rows, json_data=data)
            else:
                emit(fmt, rows, title="games (crisislab solve GAME --param key=value)")
            return
        spec = get_game(game)
        params = spec.parse(parse_key_values(param or []), source="--param")
        if plot is not None and sweep is None:
            raise InputError(f"crisislab solve {game}", [Problem("--plot", str(plot), "--sweep key=lo:hi:n as well")], summary="cannot plot")
        if sweep is not None:
            key, values, metrics = run_sweep(spec, params, sweep)
            if plot is not None:
                from crisislab.games.plot import write_sweep_plot

                write_sweep_plot(plot, spec, params, key, values, metrics)
            emit_sweep(spec.name, params, key, values, metrics, fmt)
            return
        emit_solution(spec.solve(params), fmt)
