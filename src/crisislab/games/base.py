"""Shared pieces of the analytic games: parameters, solutions, the registry, sweeps.

Every game is a small module with

* a pydantic ``Params`` model (defaults, ranges and one-line descriptions, so that
  ``--param key=value`` is validated with messages that name the parameter, the value
  and the expected range),
* ``solve(params) -> Solution`` listing the equilibria with strategies, beliefs and
  payoffs, plus headline numbers (``summary``),
* optionally ``metrics(params, key, values) -> {name: array}``: the same closed forms
  evaluated with NumPy over a whole array of one parameter, used by ``--sweep``.

Modules register a :class:`GameSpec` in :data:`GAMES` at import time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.fields import FieldInfo

from crisislab.errors import InputError, Problem, short_repr


class GameParams(BaseModel):
    """Base of every game's parameter model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass
class Solution:
    """The solution of one game at one parameter point.

    ``equilibria`` holds one dict per equilibrium (or per equilibrium component: a set
    of equilibria with the same outcome that differ only off the path of play), each
    with at least ``name``, ``kind`` and ``payoffs``; ``summary`` holds the headline
    numbers (thresholds, probabilities, values) that ``--sweep`` can also trace.
    """

    game: str
    params: dict[str, Any]
    equilibria: list[dict[str, Any]]
    summary: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "game": self.game,
            "params": self.params,
            "summary": self.summary,
            "equilibria": self.equilibria,
            "notes": self.notes,
        }


Metrics = Callable[[Any, str, np.ndarray], dict[str, np.ndarray]]


@dataclass(frozen=True)
class GameSpec:
    """A registered game: name, description, sources, parameters and solvers."""

    name: str
    title: str
    description: str
    sources: str
    params: type[GameParams]
    solve: Callable[[Any], Solution]
    metrics: Metrics | None = None
    finite: bool = True

    def parse(self, values: dict[str, Any], source: str = "--param") -> GameParams:
        """Validate raw ``key -> value`` pairs into this game's parameters."""
        return parse_params(self.params, values, source=source, game=self.name)


GAMES: dict[str, GameSpec] = {}


def register(spec: GameSpec) -> GameSpec:
    """Add a game to :data:`GAMES` (names are unique)."""
    if spec.name in GAMES and GAMES[spec.name] is not spec:
        raise ValueError(f"game {spec.name!r} registered twice")
    GAMES[spec.name] = spec
    return spec


def get_game(name: str) -> GameSpec:
    """The registered game called ``name``, or an :class:`InputError` listing the known ones."""
    try:
        return GAMES[name]
    except KeyError:
        raise InputError(
            "crisislab solve",
            [Problem("GAME", repr(name), "one of: " + ", ".join(sorted(GAMES)))],
        ) from None


def field_bounds(info: FieldInfo) -> tuple[Any, bool, Any, bool]:
    """``(low, low_open, high, high_open)`` of a pydantic field's ``ge``/``gt``/``le``/``lt``
    constraints (``None`` where a side is unbounded)."""
    lo: Any = None
    hi: Any = None
    lo_open = hi_open = False
    for m in info.metadata:
        if getattr(m, "ge", None) is not None:
            lo = m.ge
        if getattr(m, "gt", None) is not None:
            lo, lo_open = m.gt, True
        if getattr(m, "le", None) is not None:
            hi = m.le
        if getattr(m, "lt", None) is not None:
            hi, hi_open = m.lt, True
    return lo, lo_open, hi, hi_open


def describe_field(model: type[BaseModel], name: str) -> str:
    """A readable statement of what a parameter accepts, e.g. ``a number in [0, 1]``."""
    info = model.model_fields[name]
    ann = info.annotation
    kind = "an integer" if ann is int else "a number" if ann is float else "a value"
    lo, lo_open, hi, hi_open = field_bounds(info)
    if lo is not None and hi is not None:
        return f"{kind} in {'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
    if lo is not None:
        return f"{kind} {'>' if lo_open else '>='} {lo}"
    if hi is not None:
        return f"{kind} {'<' if hi_open else '<='} {hi}"
    args = getattr(ann, "__args__", None)
    if args:
        return "one of: " + ", ".join(map(str, args))
    return kind


def parse_params(
    model: type[GameParams], values: dict[str, Any], *, source: str = "--param", game: str = ""
) -> GameParams:
    """Validate ``values`` against ``model``; every problem names key, value and range."""
    problems: list[Problem] = []
    for key in values:
        if key not in model.model_fields:
            problems.append(
                Problem(
                    f"{source} {key}",
                    f"unknown parameter {key!r}",
                    f"a parameter of {game or model.__name__}: " + ", ".join(model.model_fields),
                )
            )
    known = {k: v for k, v in values.items() if k in model.model_fields}
    try:
        params = model(**known)
        if problems:
            raise InputError(f"crisislab solve {game}".strip(), problems, summary="got bad parameters")
        return params
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = err.get("loc", ())
            if loc and isinstance(loc[0], str) and loc[0] in model.model_fields:
                key = loc[0]
                problems.append(
                    Problem(f"{source} {key}", short_repr(values.get(key, err.get("input"))), describe_field(model, key))
                )
            else:
                msg = err.get("msg", "invalid combination")
                msg = msg[len("Value error, "):] if msg.startswith("Value error, ") else msg
                problems.append(Problem(source, "parameters " + short_repr(values, 120), msg))
        raise InputError(f"crisislab solve {game}".strip(), problems, summary="got bad parameters") from None


def parse_key_values(items: Sequence[str], source: str = "--param") -> dict[str, str]:
    """Split ``key=value`` strings; a malformed item is an :class:`InputError`."""
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            problems.append(Problem(source, repr(item), "key=value, e.g. prior_sincere=0.4"))
            continue
        out[key.strip()] = value.strip()
    if problems:
        raise InputError("crisislab solve", problems, summary="got bad parameters")
    return out


@dataclass(frozen=True)
class SweepSpec:
    key: str
    values: np.ndarray


def parse_sweep(text: str, model: type[GameParams], game: str = "") -> SweepSpec:
    """Parse ``key=lo:hi:n`` into the swept key and ``n`` evenly spaced values.

    Both ends are validated against the parameter's range; only number parameters can
    be swept.
    """
    where = "--sweep"
    key, sep, rng = text.partition("=")
    parts = rng.split(":")
    if not sep or len(parts) != 3:
        raise InputError(
            f"crisislab solve {game}".strip(),
            [Problem(where, repr(text), "key=lo:hi:n, e.g. prior_sincere=0:1:101")],
            summary="got a bad sweep",
        )
    key = key.strip()
    if key not in model.model_fields:
        raise InputError(
            f"crisislab solve {game}".strip(),
            [Problem(where, f"unknown parameter {key!r}", "one of: " + ", ".join(model.model_fields))],
            summary="got a bad sweep",
        )
    if model.model_fields[key].annotation is not float:
        raise InputError(
            f"crisislab solve {game}".strip(),
            [Problem(f"{where} {key}", "a parameter that is not a real number", "a number parameter (integers and names cannot be swept)")],
            summary="got a bad sweep",
        )
    try:
        lo, hi, n = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise InputError(
            f"crisislab solve {game}".strip(),
            [Problem(f"{where} {key}", repr(rng), "lo:hi:n with numbers lo, hi and an integer n >= 2")],
            summary="got a bad sweep",
        ) from None
    if n < 2 or n > 10_000_000 or not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        raise InputError(
            f"crisislab solve {game}".strip(),
            [Problem(f"{where} {key}", repr(rng), "lo <= hi, both finite, and 2 <= n <= 10,000,000")],
            summary="got a bad sweep",
        )
    for end in (lo, hi):
        parse_params(model, {key: end}, source=where, game=game)
    return SweepSpec(key, np.linspace(lo, hi, n))


def as_arrays(params: GameParams, key: str, values: np.ndarray) -> dict[str, Any]:
    """The parameters as a dict with ``key`` replaced by the array ``values``."""
    d: dict[str, Any] = params.model_dump()
    d[key] = np.asarray(values, dtype=float)
    return d


def logistic(x: Any) -> Any:
    """Numerically stable logistic function, elementwise."""
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out if out.ndim else float(out)
