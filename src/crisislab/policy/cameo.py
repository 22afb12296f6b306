"""CAMEO event codes and Goldstein weights.

Two levels of table:

* the **full** table (312 codes) is read at run time from the reference data folder
  (``--cameo DIR`` or the ``CRISISLAB_DATA`` environment variable): ``cameo/cameo-codes.csv``
  from the ICEWS code table. We use the ICEWS table, not GDELT's, because it is the more
  complete of the two (it has codes 106 and 1213); the four weights where they disagree are
  listed in the data folder's README.
* the **roots** table (20 root codes) ships with crisislab as ``data/cameo_roots.json``, a
  small derived table with its citation (built by :mod:`crisislab.policy.build_cameo_table`).
  With only this table a code is checked by its two-digit root and its form (2 to 4 digits);
  a missing Goldstein score falls back to the weight of the root.

Codes are strings: ``"010"`` (make statement) and ``"10"`` (demand) are different codes.
Goldstein weights are kept in tenths as integers (``-6.5`` is ``-65``) so sums are exact.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from crisislab.errors import InputError, Problem

FULL_TABLE = "cameo-codes.csv"


def tenths(value: float) -> int:
    """A Goldstein score in integer tenths (scores have one decimal)."""
    return int(round(value * 10.0))


@dataclass(frozen=True)
class CameoTable:
    """A lookup of CAMEO codes to names and Goldstein weights (in tenths)."""

    level: str  # "full" or "roots"
    source: str
    codes: dict[str, tuple[str, int]] = field(default_factory=dict)
    roots: dict[str, tuple[str, int]] = field(default_factory=dict)

    def is_valid_form(self, code: str) -> bool:
        """True if ``code`` looks like a CAMEO code: 2-4 digits with a root 01..20."""
        return 2 <= len(code) <= 4 and code.isdigit() and code[:2] in self.roots

    def is_known(self, code: str) -> bool:
        """True if the code is in the table (for the roots table: has a valid form and root)."""
        if self.level == "full":
            return code in self.codes
        return self.is_valid_form(code)

    def goldstein10(self, code: str) -> int | None:
        """The Goldstein weight of a code in tenths (roots table: the root's weight)."""
        hit = self.codes.get(code)
        if hit is not None:
            return hit[1]
        if self.level == "roots" and self.is_valid_form(code):
            return self.roots[code[:2]][1]
        return None

    def name(self, code: str) -> str:
        """A readable name for a code (or its root when the code is unknown)."""
        hit = self.codes.get(code)
        if hit is not None:
            return hit[0]
        root = self.roots.get(code[:2])
        if root is None:
            return "unknown code"
        return f"{root[0]} (root)" if len(code) > 2 else root[0]


def _roots_json() -> dict[str, Any]:
    text = (resources.files("crisislab.policy") / "data" / "cameo_roots.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@lru_cache(maxsize=1)
def roots_table() -> CameoTable:
    """The shipped table of CAMEO root codes (see the citation in ``data/cameo_roots.json``)."""
    data = _roots_json()
    roots = {r["root"]: (r["name"], tenths(r["goldstein"])) for r in data["roots"]}
    return CameoTable(level="roots", source="crisislab derived root table (cameo_roots.json)", codes=dict(roots), roots=roots)


def citation() -> str:
    """The citation of the CAMEO tables used."""
    return str(_roots_json()["citation"])


def _find_full(path: Path) -> Path | None:
    for candidate in (path / FULL_TABLE, path / "cameo" / FULL_TABLE, path):
        if candidate.is_file() and candidate.name == FULL_TABLE:
            return candidate
    return None


@lru_cache(maxsize=8)
def _read_full(path: Path) -> CameoTable:
    codes: dict[str, tuple[str, int]] = {}
    with path.open(encoding="cp1252", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"code", "name", "goldstein"} - set(reader.fieldnames or [])
        if missing:
            raise InputError(str(path), [Problem("line 1 (header)", f"columns {reader.fieldnames}", f"the columns code, name, goldstein (missing: {', '.join(sorted(missing))})")])
        for row in reader:
            code = (row.get("code") or "").strip()
            try:
                codes[code] = ((row.get("name") or "").strip(), tenths(float(row["goldstein"])))
            except (TypeError, ValueError):
                raise InputError(str(path), [Problem(f"line {reader.line_num}", repr(row.get("goldstein")), "a Goldstein score (a number)")]) from None
    roots = {c: v for c, v in codes.items() if len(c) == 2}
    return CameoTable(level="full", source=str(path), codes=codes, roots=roots)


def load_table(cameo: str | Path | None = None) -> CameoTable:
    """The CAMEO table to use.

    ``cameo`` is a folder holding ``cameo-codes.csv`` (or the reference data folder that has a
    ``cameo/`` sub-folder) or the CSV file itself. Without it, ``CRISISLAB_DATA`` is tried;
    when neither is given, the shipped roots table is used.
    """
    if cameo is not None:
        path = Path(cameo)
        found = _find_full(path)
        if found is None:
            raise InputError(str(path), [Problem("(path)", "no cameo-codes.csv there", "a folder with cameo-codes.csv, the reference data folder, or the CSV file itself")], summary="cannot be used as a CAMEO table")
        return _read_full(found.resolve())
    env = os.environ.get("CRISISLAB_DATA")
    if env:
        found = _find_full(Path(env))
        if found is not None:
            return _read_full(found.resolve())
    return roots_table()
