"""Calibration of a few default parameters to the calibration facts only.

Simulated method of moments: the parameters in :data:`CAL_PARAMS` are chosen to minimise

    J(theta) = sum over calibration facts f of ((sim_f(theta) - hist_f) / se_f)^2,

``se_f`` being the historical bootstrap CI width divided by 3.92 (floored at 0.005), on a
fixed set of crises and run numbers (common random numbers, so ``J`` is a deterministic
function of ``theta``). The search is a Latin-hypercube scan of the box followed by bounded
Nelder-Mead from the best point, both seeded.

Only facts whose role in the tolerance file is ``calibration`` enter ``J``, and only the ICB
crisis-level file is read (every calibration fact is an ICB fact); the MID, TIES and GSDB
files, which hold every held-out fact, are never opened here. The fitted values are written
with their provenance (file hashes, seed, objective, date) to ``calibration.yaml``; they
apply to the generic family (``crisislab validate --calibrated``) and to any scenario a user
passes to :func:`calibrated_scenario`, never silently to a shipped scenario.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from scipy.optimize import minimize
from scipy.stats import qmc

from crisislab.errors import InputError, Problem, short_repr
from crisislab.scenario import Scenario, load_scenario
from crisislab.validation.data import ICB1, load_table, resolve_data_dir
from crisislab.validation.facts import DEFAULT_REPS, DEFAULT_SEED, Fact, icb_facts
from crisislab.validation.family import Family, family_path, load_family
from crisislab.validation.simulated import run_family, simulated_values
from crisislab.validation.tolerances import ToleranceFile, default_path, load_tolerances

#: Calibrated parameters (dotted scenario paths) and their search bounds.
CAL_PARAMS: dict[str, tuple[float, float]] = {
    "adversary.rationality": (0.5, 10.0),
    "mechanisms.agenda_linkage.params.base_rate": (0.005, 0.3),
    "mechanisms.mediation.strength": (0.0, 3.0),
    "mechanisms.mediation.params.information": (0.0, 0.5),
    "mechanisms.mediation.params.leverage": (0.0, 0.5),
    "dynamics.war_threshold": (0.0, 3.0),
    "dynamics.fade_rate": (0.002, 0.3),
    "dynamics.coercion_weight": (0.0, 20.0),
    "dynamics.uncertainty_weight": (0.0, 20.0),
}
SE_FLOOR = 0.005
HASH_CHARS = 16


def sha256_prefix(path: Path, chars: int = HASH_CHARS) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:chars]


#: The fixed simulation whose indicator counts fingerprint the model's behaviour.
FINGERPRINT_DESIGN = {"crises": 2, "runs": 20, "seed": 424242}


def model_fingerprint(family: Family | None = None, *, fresh: bool = False) -> str:
    """SHA-256 prefix of the indicator counts of a small fixed simulation of the generic
    family at its defaults (2 stratified crises x 20 runs x 4 mediation variants).

    It names the *behaviour* of the engine, doctrines and policy engine rather than their
    source: a refactoring that leaves every run bit-identical keeps it, a change of dynamics
    (almost surely) does not. A fitted calibration whose fingerprint differs from the
    installed code's is stale. The shipped family's fingerprint is computed once per process
    unless ``fresh``.
    """
    if family is None and not fresh:
        return _default_fingerprint()
    return _fingerprint(family or load_family())


@lru_cache(maxsize=1)
def _default_fingerprint() -> str:
    return _fingerprint(load_family())


def _fingerprint(fam: Family) -> str:
    d = FINGERPRINT_DESIGN
    sim = run_family(fam, crises=d["crises"], runs=d["runs"], seed=d["seed"], populations=("icb",), stratified=True)
    counts = np.ascontiguousarray(np.rint(sim.counts["icb"]), dtype=np.int64)
    return hashlib.sha256(counts.tobytes()).hexdigest()[:HASH_CHARS]


def calibration_path() -> Path:
    return Path(str(resources.files("crisislab.validation") / "calibration.yaml"))


def default_values(family: Family) -> dict[str, float]:
    """The values of :data:`CAL_PARAMS` in the family's base scenario."""
    from crisislab.model.mechanisms.registry import by_name

    base = family.base
    out: dict[str, float] = {}
    for path in CAL_PARAMS:
        parts = path.split(".")
        if parts[0] == "mechanisms":
            setting = base.mechanism(parts[1])
            if parts[2] == "strength":
                out[path] = float(setting.strength)
            else:
                out[path] = float(setting.params.get(parts[3], by_name(parts[1]).params[parts[3]]))
        elif path == "adversary.rationality":
            out[path] = float(base.adversary.rationality)
        elif parts[0] == "dynamics":
            out[path] = float(getattr(base.dynamics, parts[1]))
        else:  # pragma: no cover - CAL_PARAMS is fixed above
            raise KeyError(path)
    return out


def family_with(family: Family, values: dict[str, float]) -> Family:
    """The family with ``values`` set in its base scenario (ranges then draw around them)."""
    return replace(family, base=family.base.with_overrides(dict(values))) if values else family


def calibration_facts(data_dir: str | Path | None, tol: ToleranceFile, *, reps: int = DEFAULT_REPS,
                      seed: int = DEFAULT_SEED) -> list[Fact]:
    """The facts with role ``calibration`` (all ICB); reads only the ICB crisis-level file."""
    facts = [f for f in icb_facts(load_table(data_dir, ICB1), reps, seed)
             if f.id in tol.facts and tol.facts[f.id].role == "calibration"]
    wanted = {k for k, t in tol.facts.items() if t.role == "calibration"}
    missing = wanted - {f.id for f in facts}
    if missing:
        raise InputError("tolerances", [Problem(k, "a calibration fact that is not an ICB fact",
                                                "calibration facts computed from ICB only") for k in sorted(missing)])
    return facts


def se_of(f: Fact) -> float:
    return max((f.ci_high - f.ci_low) / 3.92, SE_FLOOR)


@dataclass
class Objective:
    """``J(theta)`` on a fixed set of crises and runs; remembers every evaluation."""

    family: Family
    facts: list[Fact]
    crises: int
    runs: int
    seed: int
    executor: Executor | None = None
    history: list[tuple[dict[str, float], float]] = field(default_factory=list)
    sims: list[dict[str, float]] = field(default_factory=list)

    def simulate(self, values: dict[str, float]) -> dict[str, float]:
        sim = run_family(family_with(self.family, values), crises=self.crises, runs=self.runs, seed=self.seed,
                         populations=("icb",), executor=self.executor, stratified=True)
        return {k: v.value for k, v in simulated_values(sim, reps=0).items()}

    def __call__(self, values: dict[str, float]) -> float:
        sims = self.simulate(values)
        j = 0.0
        for f in self.facts:
            s = sims[f.id]
            j += ((s - f.value) / se_of(f)) ** 2 if math.isfinite(s) else 1e6
        self.history.append((dict(values), j))
        self.sims.append(sims)
        return j

    def best(self) -> int:
        return int(np.argmin([h[1] for h in self.history]))


def _to_values(u: np.ndarray) -> dict[str, float]:
    out = {}
    for x, (k, (lo, hi)) in zip(u, CAL_PARAMS.items(), strict=True):
        out[k] = float(round(lo + float(np.clip(x, 0.0, 1.0)) * (hi - lo), 6))
    return out


def _to_unit(values: dict[str, float]) -> np.ndarray:
    return np.array([(values[k] - lo) / (hi - lo) for k, (lo, hi) in CAL_PARAMS.items()])


@dataclass
class CalibrationResult:
    values: dict[str, float]
    defaults: dict[str, float]
    j_default: float
    j_fitted: float
    evaluations: int
    simulated_default: dict[str, float]
    simulated_fitted: dict[str, float]
    facts: list[Fact]
    fingerprint: str = ""
    fingerprint_after: str = ""


def calibrate(data_dir: str | Path | None, *, seed: int = 1, crises: int = 12, runs: int = 300, scan: int = 12,
              evals: int = 60, jobs: int = 1, family: Family | None = None, tol: ToleranceFile | None = None,
              progress: Callable[[int], None] | None = None) -> CalibrationResult:
    """Fit :data:`CAL_PARAMS` to the calibration facts (``scan`` Latin-hypercube points, then
    Nelder-Mead up to ``evals`` evaluations in total, counting the default point)."""
    fam = family or load_family()
    tol = tol or load_tolerances()
    facts = calibration_facts(data_dir, tol)
    if evals < 1 or scan < 0 or crises < 1 or runs < 1:
        raise InputError("calibrate", [Problem("(options)", f"evals={evals}, scan={scan}, crises={crises}, runs={runs}",
                                               "evals, crises, runs >= 1 and scan >= 0")])
    defaults = default_values(fam)
    fingerprint = model_fingerprint(fresh=True)
    pool = ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else None
    try:
        obj = Objective(fam, facts, crises, runs, seed, pool)

        def counted(values: dict[str, float]) -> float:
            j = obj(values)
            if progress:
                progress(1)
            return j

        j_default = counted(defaults)
        budget = evals - 1
        n_scan = min(scan, budget)
        if n_scan:
            pts = qmc.LatinHypercube(d=len(CAL_PARAMS), seed=seed).random(n_scan)
            for u in pts:
                counted(_to_values(u))
        budget -= n_scan
        best_values, _ = min(obj.history, key=lambda h: h[1])
        if budget > 1:
            x0 = _to_unit(best_values)
            simplex = [x0] + [np.clip(x0 + 0.15 * np.eye(len(x0))[i] * (1 if x0[i] < 0.85 else -1), 0, 1)
                              for i in range(len(x0))]
            used = {"n": 0}

            def f(u: np.ndarray) -> float:
                if used["n"] >= budget:
                    return float("inf")
                used["n"] += 1
                return counted(_to_values(u))

            minimize(f, x0, method="Nelder-Mead", bounds=[(0.0, 1.0)] * len(x0),
                     options={"maxfev": budget, "initial_simplex": np.array(simplex), "xatol": 1e-3, "fatol": 1e-3})
        i = obj.best()
        best_values, j_best = obj.history[i]
        sim_default, sim_fitted = obj.sims[0], obj.sims[i]
    finally:
        if pool is not None:
            pool.shutdown()
    return CalibrationResult(best_values, defaults, j_default, j_best, len(obj.history), sim_default, sim_fitted, facts,
                             fingerprint, model_fingerprint(fresh=True))


def write_calibration(result: CalibrationResult, path: Path, *, data_dir: str | Path | None, seed: int, crises: int,
                      runs: int, scan: int, evals: int, command: str, tol: ToleranceFile | None = None) -> dict[str, Any]:
    """Write the fitted values with their provenance; returns the written mapping."""
    tol = tol or load_tolerances()
    folder = resolve_data_dir(data_dir)
    doc: dict[str, Any] = {
        "version": 1,
        "date": _dt.date.today().isoformat(),
        "command": command,
        "seed": seed,
        "design": {"crises": crises, "crisis_draws": "Latin hypercube over the family ranges (stratified)",
                   "runs_per_crisis": runs, "latin_hypercube_points": scan,
                   "evaluations_budget": evals, "evaluations_used": result.evaluations,
                   "method": "Latin-hypercube scan, then bounded Nelder-Mead from the best point (scipy)"},
        "objective": ("sum over calibration facts of ((simulated - historical) / se)^2, se = historical "
                      f"bootstrap 95% CI width / 3.92 (floor {SE_FLOOR}); common random numbers"),
        "objective_value": {"default": round(result.j_default, 4), "fitted": round(result.j_fitted, 4)},
        "family": {"file": "generic.yaml", "sha256": sha256_prefix(family_path())},
        "tolerances": {"version": tol.version, "sha256": sha256_prefix(default_path())},
        "data": {ICB1.relpath: sha256_prefix(folder / ICB1.relpath)},
        "data_note": "only the ICB crisis-level file is read; MID, TIES and GSDB (all held-out facts) are not",
        "model_fingerprint": result.fingerprint or model_fingerprint(),
        "model_changed_during_run": bool(result.fingerprint and result.fingerprint_after != result.fingerprint),
        "model_note": ("behavioural fingerprint of the fitted code (crisislab.validation.calibrate.model_fingerprint: "
                       "sha256 prefix of the indicator counts of a small fixed simulation of the generic family), "
                       "taken when the run started; when the installed code gives another, the fit is stale: "
                       "re-run the command. model_changed_during_run compares it with the same check at the end "
                       "(code already loaded is not reloaded, so the start value names the code used)"),
        "fitted_on": {f.id: {"historical": round(f.value, 4), "se": round(se_of(f), 4),
                             "simulated_default": round(result.simulated_default[f.id], 4),
                             "simulated_fitted": round(result.simulated_fitted[f.id], 4)} for f in result.facts},
        "not_fitted": {k: t.role for k, t in sorted(tol.facts.items()) if t.role != "calibration"},
        "parameters": {k: {"default": result.defaults[k], "fitted": result.values[k], "bounds": list(CAL_PARAMS[k])}
                       for k in CAL_PARAMS},
    }
    header = ("# Fitted default parameters for the generic crisis family, with provenance.\n"
              "# Produced by the command below; do not edit by hand. Applies to the generic family\n"
              "# (`crisislab validate --calibrated`) and to scenarios passed to\n"
              "# crisislab.validation.calibrate.calibrated_scenario(); shipped scenarios are unchanged.\n")
    path.write_text(header + yaml.safe_dump(doc, sort_keys=False, width=100), encoding="utf-8")
    return doc


@dataclass(frozen=True)
class Calibration:
    values: dict[str, float]
    provenance: dict[str, Any]


def load_calibration(path: str | Path | None = None) -> Calibration:
    """The fitted values (the shipped ``calibration.yaml`` by default)."""
    p = Path(path) if path is not None else calibration_path()
    source = str(p)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(source, [Problem("(path)", "no such file", "a calibration YAML file")], summary="cannot be found") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(source, [Problem("(whole file)", f"unreadable YAML ({type(exc).__name__})", "a calibration YAML file")]) from None
    params = data.get("parameters") if isinstance(data, dict) else None
    if not isinstance(params, dict) or not params:
        raise InputError(source, [Problem("parameters", short_repr(params), "a mapping of dotted path to {default, fitted}")])
    values: dict[str, float] = {}
    problems: list[Problem] = []
    for k, v in params.items():
        fitted = v.get("fitted") if isinstance(v, dict) else None
        if not isinstance(fitted, (int, float)) or isinstance(fitted, bool) or not math.isfinite(fitted):
            problems.append(Problem(f"parameters.{k}.fitted", short_repr(fitted), "a finite number"))
        else:
            values[str(k)] = float(fitted)
    if problems:
        raise InputError(source, problems)
    return Calibration(values, {k: v for k, v in data.items() if k != "parameters"})


def calibrated_scenario(scenario: Scenario | str, path: str | Path | None = None) -> Scenario:
    """``scenario`` (an object, a shipped name or a file) with the fitted values applied.

    The fitted ``adversary.rationality`` replaces the scenario's own value, and each fitted
    mechanism strength or parameter replaces the scenario's setting.

    >>> s = calibrated_scenario("toy-3")
    >>> s.mechanism("mediation").strength == load_calibration().values["mechanisms.mediation.strength"]
    True
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    return sc.with_overrides(load_calibration(path).values)
