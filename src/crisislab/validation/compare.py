"""Historical against simulated: one row per fact with both intervals and a verdict.

A fact passes when ``|simulated - historical| <= tolerance`` (the tolerance file's rule; the
simulated interval is reported but does not enter the verdict). Facts the simulator cannot
produce are reported as ``not simulated`` with the reason, never dropped. Orderings pass when
the simulated values increase strictly in the listed order.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from crisislab.validation.facts import Fact
from crisislab.validation.simulated import NOT_SIMULATED, SimValue
from crisislab.validation.tolerances import ToleranceFile

PASS, FAIL, NOT_SIM = "pass", "FAIL", "not simulated"


@dataclass(frozen=True)
class Comparison:
    fact: str
    role: str
    unit: str
    historical: float
    hist_ci_low: float
    hist_ci_high: float
    n: int
    simulated: float | None
    sim_ci_low: float | None
    sim_ci_high: float | None
    tolerance: float | None
    result: str
    note: str = ""

    @property
    def gap(self) -> float | None:
        return None if self.simulated is None else self.simulated - self.historical

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


def compare(facts: list[Fact], sims: dict[str, SimValue], tol: ToleranceFile) -> list[Comparison]:
    """One :class:`Comparison` per fact, in the order of ``facts``."""
    out: list[Comparison] = []
    for f in facts:
        t = tol.facts.get(f.id)
        role = t.role if t else "unlisted"
        tolerance = t.tolerance if t else None
        sv = sims.get(f.id)
        if sv is None or not math.isfinite(sv.value):
            reason = NOT_SIMULATED.get(f.id, "no simulated counterpart" if sv is None else "no simulated run in the denominator")
            out.append(Comparison(f.id, role, f.unit, f.value, f.ci_low, f.ci_high, f.n, None, None, None,
                                  tolerance, NOT_SIM, reason))
            continue
        ok = tolerance is not None and abs(sv.value - f.value) <= tolerance + 1e-12
        out.append(Comparison(f.id, role, f.unit, f.value, f.ci_low, f.ci_high, f.n, sv.value, sv.ci_low, sv.ci_high,
                              tolerance, PASS if ok else FAIL))
    return out


def orderings(sims: dict[str, SimValue], tol: ToleranceFile) -> list[dict[str, Any]]:
    """Each ordering of the tolerance file with the simulated values and a verdict."""
    rows: list[dict[str, Any]] = []
    for o in tol.orderings:
        vals = [sims[k].value if k in sims else float("nan") for k in o.increasing]
        ok = all(math.isfinite(v) for v in vals) and all(a < b for a, b in zip(vals, vals[1:], strict=False))
        rows.append({"ordering": o.name, "role": o.role, "facts": " < ".join(o.increasing),
                     "simulated": ", ".join(f"{v:.3f}" for v in vals), "result": PASS if ok else FAIL})
    return rows


def summary(rows: list[Comparison]) -> dict[str, dict[str, int]]:
    """Counts of pass / FAIL / not simulated by role."""
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        d = out.setdefault(r.role, {PASS: 0, FAIL: 0, NOT_SIM: 0})
        d[r.result] = d.get(r.result, 0) + 1
    return out
