"""Loading and validating scenario files, with errors a person can act on."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from crisislab.errors import InputError, Problem, short_repr
from crisislab.limits import (
    MAX_YAML_BYTES,
    LimitExceeded,
    check_yaml_text,
    compose_yaml,
    read_text_limited,
    yaml_limit_error,
)
from crisislab.scenario.schema import Scenario

DEFAULT_SCENARIO = "eu-russia"


def shipped() -> dict[str, Path]:
    """Names and paths of the scenarios that ship with crisislab."""
    folder = resources.files("crisislab.scenario") / "data"
    out: dict[str, Path] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            out[entry.name[: -len(".yaml")]] = Path(str(entry))
    return dict(sorted(out.items()))


def _loc(parts: tuple[Any, ...]) -> str:
    text = ""
    for p in parts:
        if isinstance(p, int):
            text += f"[{p}]"
        else:
            text += ("." if text else "") + str(p)
    return text or "(top level)"


def problems_from_validation(exc: ValidationError, data: Any = None) -> list[Problem]:
    """Translate pydantic errors into :class:`Problem` items (location, found, expected)."""
    out: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err.get("loc", ()) if not (isinstance(p, str) and p.startswith("function-")))
        kind = err.get("type", "")
        msg = err.get("msg", "invalid value")
        if kind == "missing":
            found, expected = "nothing (the field is missing)", "this required field"
        elif kind == "extra_forbidden":
            found, expected = f"unknown field {loc[-1]!r}" if loc else "an unknown field", "only the documented fields (see `crisislab scenarios --schema`)"
        else:
            found = short_repr(err.get("input"))
            expected = msg[len("Value error, "):] if msg.startswith("Value error, ") else msg
            expected = expected[0].lower() + expected[1:] if expected else expected
        out.append(Problem(_loc(loc), found, expected))
    return out


@functools.lru_cache(maxsize=32)
def _safe_load(text: str) -> Any:
    """:func:`~crisislab.limits.compose_yaml` with the documents of the last few distinct
    texts kept: a scenario or policy file is parsed once per process however many batches
    load it (PyYAML's pure-Python parser takes ~70 ms for ``eu-russia.yaml``). Callers get a
    deep copy. Only texts up to :data:`CACHED_CHARS` are kept, so the cache stays small."""
    return compose_yaml(text)


CACHED_CHARS = 256 * 1024


def _syntax_error(exc: yaml.YAMLError, source: str) -> InputError:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "(unknown line)"
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return InputError(source, [Problem(where, f"a YAML syntax error ({problem})", "valid YAML")], summary="cannot be parsed")


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML text, turning syntax errors into an :class:`InputError` with line and column.

    The text is refused, with an :class:`InputError`, when it is larger, more deeply nested
    or (with its aliases expanded) has more values than :mod:`crisislab.limits` allows.
    """
    if not text.strip():
        raise InputError(source, [Problem("(whole file)", "an empty file", "a YAML mapping")])
    check_yaml_text(text, source)
    try:
        data = copy.deepcopy(_safe_load(text) if len(text) <= CACHED_CHARS else compose_yaml(text))
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, source) from None
    except LimitExceeded as exc:
        raise yaml_limit_error(exc, source) from None
    except (ValueError, OverflowError, RecursionError) as exc:
        raise InputError(source, [Problem("(whole file)", f"a value that cannot be read ({str(exc)[:80]})",
                                          "plain numbers, text, dates, lists and mappings")]) from None
    if data is None:
        raise InputError(source, [Problem("(whole file)", "no content (only comments or blank lines)", "a YAML mapping")])
    if not isinstance(data, dict):
        raise InputError(source, [Problem("(top level)", f"a {type(data).__name__}", "a mapping of scenario fields")])
    return data


def scenario_from_dict(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate a mapping as a scenario; raise :class:`InputError` on any problem."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError(source, problems_from_validation(exc, data)) from None


def load_scenario(name_or_path: str | Path | None = None) -> Scenario:
    """Load a shipped scenario by name or a YAML file by path.

    >>> s = load_scenario("toy-3")
    >>> [m.name for m in s.coalition.members]
    ['Hawkland', 'Middleland', 'Doveland']
    """
    key = str(name_or_path) if name_or_path is not None else DEFAULT_SCENARIO
    table = shipped()
    path = table.get(key)
    if path is None:
        path = Path(key)
        if not path.exists():
            raise InputError(
                key,
                [Problem("(path)", "no such file and no shipped scenario of that name",
                         f"a YAML file or one of: {', '.join(table)}")],
                summary="cannot be found",
            )
        if path.is_dir():
            raise InputError(key, [Problem("(path)", "a directory", "a YAML file")])
    source = key if key in table else str(path)
    text = read_text_limited(path, source, MAX_YAML_BYTES, "YAML scenario file")
    return scenario_from_dict(parse_yaml(text, source), source)


def scenario_hash(scenario: Scenario) -> str:
    """A stable SHA-256 of the scenario's content (for manifests)."""
    blob = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def apply_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """Return a validated copy of ``scenario`` with dotted-path values replaced."""
    data = copy.deepcopy(scenario.model_dump(mode="python"))
    for path, value in overrides.items():
        parts = path.split(".")
        node: Any = data
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise InputError("overrides", [Problem(path, f"index {part!r}", f"an index below {len(node)}")])
                if last:
                    node[int(part)] = value
                else:
                    node = node[int(part)]
            elif isinstance(node, dict):
                if part not in node:
                    if parts[0] == "mechanisms" and i >= 1:
                        if not last:
                            node[part] = {}
                    else:
                        raise InputError("overrides", [Problem(path, f"no field {part!r}", f"one of {', '.join(map(str, node))}")])
                if last:
                    node[part] = value
                else:
                    if node[part] is None:
                        node[part] = {}
                    node = node[part]
            else:
                raise InputError("overrides", [Problem(path, f"a scalar at {part!r}", "a mapping or list")])
    return scenario_from_dict(data, f"{scenario.name} with overrides")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files, for editors."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "crisislab scenario"
    return schema
