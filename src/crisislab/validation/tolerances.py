"""The versioned tolerance file: how close a simulated value must come to each fact.

The file ships as package data (``tolerances.yaml``). It was written before any simulated
comparison existed; see its header for the rules and the change log.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from crisislab.errors import InputError, Problem, short_repr

Role = Literal["calibration", "holdout", "context"]
ROLES: tuple[str, ...] = ("calibration", "holdout", "context")


@dataclass(frozen=True)
class Tolerance:
    fact_id: str
    tolerance: float
    role: Role
    simulated_as: str


@dataclass(frozen=True)
class Ordering:
    name: str
    role: Role
    increasing: tuple[str, ...]


@dataclass(frozen=True)
class ToleranceFile:
    version: int
    date: str
    facts: dict[str, Tolerance]
    orderings: tuple[Ordering, ...]
    mapping: int = 1  # which simulator-to-history mapping (crisislab.validation.simulated)

    def check(self, fact_id: str, historical: float, simulated: float) -> bool:
        """Whether ``simulated`` is within the tolerance of ``historical`` for ``fact_id``."""
        return abs(simulated - historical) <= self.facts[fact_id].tolerance


def default_path() -> Path:
    return Path(str(resources.files("crisislab.validation") / "tolerances.yaml"))


def load_tolerances(path: str | Path | None = None) -> ToleranceFile:
    """Load and check a tolerance file (the shipped one by default).

    >>> t = load_tolerances()
    >>> t.version >= 1 and t.facts["icb.agreement.mediated"].role
    'calibration'
    """
    p = Path(path) if path is not None else default_path()
    source = str(p)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(source, [Problem("(path)", "no such file", "a tolerance YAML file")], summary="cannot be found") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(source, [Problem("(whole file)", f"unreadable YAML ({type(exc).__name__})", "a tolerance YAML file")]) from None
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise InputError(source, [Problem("(top level)", short_repr(data), "a mapping with version, date, facts")])
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append(Problem("version", short_repr(version), "an integer >= 1"))
    date = data.get("date")
    if not isinstance(date, str) or not date:
        problems.append(Problem("date", short_repr(date), "a date string YYYY-MM-DD"))
    facts: dict[str, Tolerance] = {}
    raw_facts = data.get("facts")
    if not isinstance(raw_facts, dict) or not raw_facts:
        problems.append(Problem("facts", short_repr(raw_facts), "a mapping of fact id to {tolerance, role, simulated_as}"))
        raw_facts = {}
    for fid, entry in raw_facts.items():
        loc = f"facts.{fid}"
        if not isinstance(entry, dict):
            problems.append(Problem(loc, short_repr(entry), "a mapping"))
            continue
        tol = entry.get("tolerance")
        role = entry.get("role")
        if not isinstance(tol, (int, float)) or isinstance(tol, bool) or tol < 0:
            problems.append(Problem(f"{loc}.tolerance", short_repr(tol), "a number >= 0"))
            continue
        if role not in ROLES:
            problems.append(Problem(f"{loc}.role", short_repr(role), f"one of {', '.join(ROLES)}"))
            continue
        facts[str(fid)] = Tolerance(str(fid), float(tol), role, str(entry.get("simulated_as", "")))
    orderings: list[Ordering] = []
    for i, entry in enumerate(data.get("orderings") or []):
        loc = f"orderings[{i}]"
        ids = entry.get("increasing") if isinstance(entry, dict) else None
        if not isinstance(ids, list) or len(ids) < 2 or any(x not in raw_facts for x in ids):
            problems.append(Problem(f"{loc}.increasing", short_repr(ids), "a list of two or more fact ids listed under facts"))
            continue
        role = entry.get("role", "calibration")
        if role not in ROLES:
            problems.append(Problem(f"{loc}.role", short_repr(role), f"one of {', '.join(ROLES)}"))
            continue
        orderings.append(Ordering(str(entry.get("name", f"ordering {i}")), role, tuple(map(str, ids))))
    mapping = data.get("mapping", 1)
    if mapping not in (1, 2) or isinstance(mapping, bool):
        problems.append(Problem("mapping", short_repr(mapping), "1 or 2 (the simulator-to-history mapping)"))
    if problems:
        raise InputError(source, problems)
    assert isinstance(version, int) and isinstance(date, str)
    return ToleranceFile(version, date, facts, tuple(orderings), int(mapping))


def as_rows(tol: ToleranceFile) -> list[dict[str, Any]]:
    return [{"fact": t.fact_id, "tolerance": t.tolerance, "role": t.role, "simulated_as": t.simulated_as}
            for t in tol.facts.values()]
