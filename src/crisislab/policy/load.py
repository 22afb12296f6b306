"""Loading policy files: shipped names, ``base:`` inheritance, validation with clear errors.

A policy file may start from another with ``base: NAME`` (a shipped policy or a path
relative to the file) and override parts of it; mappings are merged key by key, lists and
values are replaced. The shipped policies live in the package (``crisislab/policy/data``)
and are addressed by name: ``conditionality``, ``conditionality-no-veto``,
``conditionality-no-triggers``, ``conditionality-no-preconditions``.
"""

from __future__ import annotations

import copy
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from crisislab.errors import InputError, Problem
from crisislab.limits import MAX_YAML_BYTES, read_text_limited
from crisislab.policy.cameo import CameoTable, load_table
from crisislab.policy.compiled import CompiledPolicy
from crisislab.policy.schema import Policy
from crisislab.scenario.load import parse_yaml, problems_from_validation

DEFAULT_POLICY = "conditionality"
MAX_BASE_CHAIN = 16  # policies in one chain of ``base:`` references


def shipped() -> dict[str, Path]:
    """Names and paths of the policies that ship with crisislab."""
    folder = resources.files("crisislab.policy") / "data"
    out: dict[str, Path] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            out[entry.name[: -len(".yaml")]] = Path(str(entry))
    return dict(sorted(out.items()))


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(over)


def _read(name_or_path: str | Path, seen: tuple[str, ...] = ()) -> tuple[dict[str, Any], str]:
    key = str(name_or_path)
    table = shipped()
    path = table.get(key)
    if path is None:
        path = Path(key)
        if not path.exists():
            raise InputError(
                key,
                [Problem("(path)", "no such file and no shipped policy of that name", f"a YAML file or one of: {', '.join(table)}")],
                summary="cannot be found",
            )
        if path.is_dir():
            raise InputError(key, [Problem("(path)", "a directory", "a YAML policy file")])
    source = key if key in table else str(path)
    if source in seen:
        raise InputError(source, [Problem("base", f"a cycle of base policies ({' -> '.join((*seen, source))})", "a chain of base policies without cycles")])
    if len(seen) >= MAX_BASE_CHAIN:
        raise InputError(source, [Problem("base", f"a chain of more than {MAX_BASE_CHAIN} base policies ({' -> '.join((*seen[:3], '...', source))})",
                                          f"at most {MAX_BASE_CHAIN} policies, each the base of the next")])
    text = read_text_limited(path, source, MAX_YAML_BYTES, "YAML policy file")
    data = parse_yaml(text, source)
    base = data.pop("base", None)
    if base is not None:
        if not isinstance(base, str) or not base:
            raise InputError(source, [Problem("base", repr(base), "the name of a shipped policy or a path")])
        if base in table or Path(base).is_absolute():
            base_key = base
        else:
            base_key = str(path.parent / base)
        parent, _ = _read(base_key, (*seen, source))
        data = _merge(parent, data)
    return data, source


def policy_from_dict(data: Any, source: str = "<policy>") -> Policy:
    """Validate a mapping as a policy; raise :class:`InputError` on any problem."""
    if not isinstance(data, dict):
        raise InputError(source, [Problem("(top level)", f"a {type(data).__name__}", "a mapping of policy fields")])
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = problems_from_validation(exc, data)
        for p in problems:
            if "crisislab scenarios --schema" in p.expected:
                p.expected = "only the documented fields (see `crisislab policy schema`)"
        raise InputError(source, problems) from None
    except (TypeError, ValueError, RecursionError) as exc:  # pragma: no cover - defensive
        raise InputError(source, [Problem("(top level)", f"an unusable value ({exc})", "a policy mapping")]) from None


def load_policy(name_or_path: str | Path | None = None) -> Policy:
    """Load a shipped policy by name or a YAML file by path.

    >>> load_policy("conditionality").name
    'conditionality'
    """
    data, source = _read(name_or_path if name_or_path is not None else DEFAULT_POLICY)
    return policy_from_dict(data, source)


def compile_loaded(policy: Policy, table: CameoTable | None = None) -> CompiledPolicy:
    """Compile a policy against a CAMEO table (default: :func:`load_table`)."""
    return CompiledPolicy(policy, table if table is not None else load_table())


def policy_hash(policy: Policy) -> str:
    """A stable SHA-256 of a policy's content."""
    blob = json.dumps(policy.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
