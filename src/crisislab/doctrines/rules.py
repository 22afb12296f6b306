"""User doctrines written in YAML: rules over observable state → actions.

Example::

    name: cautious-talker
    summary: talk while below war, surge aid once at war
    defaults: {hotline: true, aid: 0.5}
    rules:
      - when: "rung < 4 and verified_weeks >= 2"
        set: {talks: true, high_level: true}
      - when: "rung >= 4"
        set: {aid: 1.0}

Rules are applied in order for every run; later rules override earlier ones where their
condition holds. Conditions are small expressions (comparisons, ``and``/``or``/``not``,
arithmetic) over these observables: ``week``, ``rung``, ``last_action``,
``verified_weeks``, ``talks_open``, ``settled``, ``offer_state``, ``tranche``,
``cohesion``, ``frontline_trust`` (mean over frontline members), ``enlarged``, and
``belief_<type>`` for each adversary type (e.g. ``belief_revisionist``). They are parsed
with :mod:`ast` and evaluated on arrays; nothing else of Python is reachable.
"""

from __future__ import annotations

import ast
import operator
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from crisislab.doctrines.base import Doctrine
from crisislab.errors import InputError, Problem
from crisislab.limits import MAX_YAML_BYTES, read_text_limited
from crisislab.model.state import Actions, Observation
from crisislab.scenario.load import parse_yaml, problems_from_validation

MAX_CONDITION_CHARS = 2000
MAX_CONDITION_DEPTH = 64
ACTION_FIELDS = {f.name for f in fields(Actions)} - {"unilateral"}
OBSERVABLES = ("week", "rung", "last_action", "verified_weeks", "talks_open", "settled", "offer_state", "tranche", "cohesion", "frontline_trust", "enlarged")

_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv, ast.Mod: operator.mod, ast.FloorDiv: operator.floordiv}
_CMP = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Eq: operator.eq, ast.NotEq: operator.ne}


def compile_condition(text: str) -> ast.Expression:
    """Parse and check a condition; raise ``ValueError`` naming what is not allowed.

    A condition is at most :data:`MAX_CONDITION_CHARS` characters and
    :data:`MAX_CONDITION_DEPTH` operations deep (it is evaluated recursively).
    """
    if len(text) > MAX_CONDITION_CHARS:
        raise ValueError(f"condition {text[:40]!r}... has {len(text):,} characters; at most {MAX_CONDITION_CHARS:,} are allowed")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"condition {text!r} is not a valid expression ({exc.msg})") from None
    except (RecursionError, MemoryError):
        raise ValueError(f"condition {text[:40]!r}... is nested too deeply to parse") from None
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_CONDITION_DEPTH:
            raise ValueError(f"condition {text[:40]!r}... nests more than {MAX_CONDITION_DEPTH} operations; split it into several rules")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    for node in ast.walk(tree):
        ok = isinstance(node, (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.Compare, ast.BinOp, ast.Name, ast.Constant, ast.Load)) or type(node) in _BIN or type(node) in _CMP
        if not ok:
            raise ValueError(f"condition {text!r} uses {type(node).__name__}, which rules do not allow")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, bool)):
            raise ValueError(f"condition {text!r} has a constant {node.value!r}; only numbers and true/false are allowed")
    return tree


def _eval(node: ast.AST, env: dict[str, Any]) -> Any:
    if isinstance(node, ast.Expression):
        return _eval(node.body, env)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in ("true", "True"):
            return True
        if node.id in ("false", "False"):
            return False
        if node.id not in env:
            raise KeyError(node.id)
        return env[node.id]
    if isinstance(node, ast.BoolOp):
        vals = [np.asarray(_eval(v, env), dtype=bool) for v in node.values]
        out = vals[0]
        for v in vals[1:]:
            out = (out & v) if isinstance(node.op, ast.And) else (out | v)
        return out
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, env)
        return ~np.asarray(v, dtype=bool) if isinstance(node.op, ast.Not) else -np.asarray(v)
    if isinstance(node, ast.BinOp):
        return _BIN[type(node.op)](np.asarray(_eval(node.left, env), dtype=float), np.asarray(_eval(node.right, env), dtype=float))
    if isinstance(node, ast.Compare):
        left = _eval(node.left, env)
        result: Any = None
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = _eval(comp, env)
            res = _CMP[type(op)](np.asarray(left, dtype=float), np.asarray(right, dtype=float))
            result = res if result is None else (result & res)
            left = right
        return result
    raise ValueError(f"unsupported expression {type(node).__name__}")


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    when: str = "true"
    set: dict[str, float | bool | int] = Field(min_length=1)

    @field_validator("when")
    @classmethod
    def _cond(cls, v: str) -> str:
        compile_condition(v)
        return v

    @field_validator("set")
    @classmethod
    def _levers(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key in v:
            if key not in ACTION_FIELDS:
                raise ValueError(f"unknown lever {key!r}; levers are: {', '.join(sorted(ACTION_FIELDS))}")
        return v


class RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    summary: str = ""
    source: str = "user"
    defaults: dict[str, float | bool | int] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)

    @field_validator("defaults")
    @classmethod
    def _levers(cls, v: dict[str, Any]) -> dict[str, Any]:
        return Rule._levers(v)  # type: ignore[operator]


class RuleDoctrine(Doctrine):
    """A doctrine defined by a :class:`RuleSpec` (usually loaded from YAML)."""

    def __init__(self, spec: RuleSpec, **params: Any) -> None:
        super().__init__()
        self.spec = spec
        self.name = spec.name  # type: ignore[misc]
        self.source = spec.source  # type: ignore[misc]
        self.summary = spec.summary  # type: ignore[misc]
        self.levers = tuple(sorted(set(spec.defaults) | {k for r in spec.rules for k in r.set}))  # type: ignore[misc]
        self._compiled = [(compile_condition(r.when), r.set) for r in spec.rules]

    def _env(self, obs: Observation) -> dict[str, Any]:
        fl = obs.frontline_trust[:, obs.frontline].mean(axis=1) if obs.frontline.any() else np.ones(obs.runs)
        env: dict[str, Any] = {
            "week": obs.week, "rung": obs.rung, "last_action": obs.last_action, "verified_weeks": obs.verified_weeks,
            "talks_open": obs.talks_open, "settled": obs.settled, "offer_state": obs.offer_state, "tranche": obs.tranche,
            "cohesion": obs.cohesion, "frontline_trust": fl, "enlarged": obs.enlarged,
        }
        for i, t in enumerate(obs.type_names):
            env[f"belief_{t}"] = obs.belief[:, i]
        return env

    def act(self, obs: Observation) -> Actions:
        n = obs.runs
        values: dict[str, np.ndarray] = {}
        base = Actions()
        for key, v in self.spec.defaults.items():
            values[key] = np.full(n, v)
        env = self._env(obs)
        for tree, setting in self._compiled:
            try:
                cond = np.broadcast_to(np.asarray(_eval(tree, env), dtype=bool), (n,))
            except KeyError as exc:
                raise InputError(f"doctrine {self.name}", [Problem("rules", f"unknown observable {exc.args[0]!r}", f"one of {', '.join(env)}")]) from None
            for key, v in setting.items():
                cur = values.get(key)
                if cur is None:
                    default = getattr(base, key)
                    cur = np.full(n, default if default is not None else 0.0)
                values[key] = np.where(cond, v, cur)
        return Actions(**values)


def load_rule_doctrine(path: str | Path) -> RuleDoctrine:
    """Load a YAML doctrine file; errors name the file, the rule and what is wrong."""
    path = Path(path)
    if path.is_dir():
        raise InputError(str(path), [Problem("(path)", "a directory", "a YAML doctrine file")])
    text = read_text_limited(path, str(path), MAX_YAML_BYTES, "YAML doctrine file")
    data = parse_yaml(text, str(path))
    try:
        spec = RuleSpec.model_validate(data)
    except ValidationError as exc:
        raise InputError(str(path), problems_from_validation(exc)) from None
    return RuleDoctrine(spec)
