"""Reading results for reports: ``compare --output`` Parquet files, result bundles written
by the web app, and stored experiment folders.

Three kinds of ``RESULTS`` path are understood:

* a **Parquet file** written by ``crisislab compare --output PATH``: one row per run and
  doctrine (``doctrine`` and ``run`` columns plus the outcome metrics). The file does not
  say which scenario and seed made it, so the report takes them from ``--scenario`` and
  ``--seed`` (default: the shipped ``eu-russia`` scenario, seed 0) and checks them by
  re-simulating a few runs: the engine is deterministic, so the wrong scenario or seed is
  detected rather than silently plotted;
* a **result bundle** (a folder with ``meta.json`` and ``outcomes.parquet``), as the web
  app stores every finished comparison: the scenario and seed are inside;
* a **stored experiment** (a folder with ``manifest.json``, see
  :mod:`crisislab.experiments.store`): policies are compared on the same points and runs,
  and the sensitivity, PRIM and robustness analyses saved next to it are shown.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crisislab.errors import InputError, Problem
from crisislab.experiments.compare import Comparison, compare_outcomes
from crisislab.limits import read_json_limited
from crisislab.model.outcomes import METRICS
from crisislab.scenario import Scenario, load_scenario, scenario_from_dict

BUNDLE_META = "meta.json"
BUNDLE_OUTCOMES = "outcomes.parquet"
BUNDLE_TRAJECTORIES = "trajectories.parquet"
EXPERIMENT_MANIFEST = "manifest.json"
ANALYSES = ("sensitivity", "discover", "robust")


@dataclass
class Results:
    """Results ready for a report: per-doctrine outcomes on the same runs, and context.

    ``outcomes`` maps each doctrine (or experiment policy) label to a table with one row
    per paired run; the ``run`` column is the pairing key (for experiments it numbers the
    (point, run) pairs). The first label is the baseline of paired differences.
    """

    kind: str  # "comparison" or "experiment"
    source: str
    title: str
    outcomes: dict[str, pd.DataFrame]
    scenario: Scenario | None = None
    scenario_ref: str | None = None
    seed: int | None = None
    runs: int = 0
    resimulate: bool = False  # trajectories and attribution can be re-derived by simulation
    verified: bool = False  # the scenario and seed were checked against the stored outcomes
    manifest: dict[str, Any] | None = None
    analyses: dict[str, Any] = field(default_factory=dict)
    trajectories: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def doctrines(self) -> list[str]:
        return list(self.outcomes)

    @property
    def metrics(self) -> list[str]:
        frames = list(self.outcomes.values())
        return [m for m in METRICS if all(m in f.columns for f in frames) and any(f[m].notna().any() for f in frames)]

    def comparison(self, baseline: str | None = None) -> Comparison:
        """Means, CIs and paired differences (against ``baseline`` or the first label)."""
        names = self.doctrines
        if baseline is not None:
            if baseline not in names:
                raise InputError("--baseline", [Problem("(value)", repr(baseline), f"one of the doctrines in the results: {', '.join(names)}")])
            names = [baseline] + [n for n in names if n != baseline]
        outs = {n: self.outcomes[n] for n in names}
        return compare_outcomes(outs, scenario=self.scenario.name if self.scenario else (self.scenario_ref or "?"),
                                seed=self.seed if self.seed is not None else -1, metrics=tuple(self.metrics))


def _bad(source: str, found: str, expected: str, where: str = "RESULTS") -> InputError:
    return InputError(source, [Problem(where, found, expected)], summary="cannot be reported")


def _split(frame: pd.DataFrame, source: str, label_col: str = "doctrine") -> dict[str, pd.DataFrame]:
    if label_col not in frame.columns or "run" not in frame.columns:
        raise _bad(source, f"columns {', '.join(map(str, frame.columns[:8]))}{'...' if len(frame.columns) > 8 else ''}",
                   "a per-run outcome table with 'doctrine' and 'run' columns (written by `crisislab compare --output`)")
    missing = [m for m in METRICS if m not in frame.columns]
    if len(missing) == len(METRICS):
        raise _bad(source, "no outcome metric columns", f"columns such as {', '.join(METRICS[:4])}")
    out: dict[str, pd.DataFrame] = {}
    for name, sub in frame.groupby(label_col, sort=False):
        out[str(name)] = sub.sort_values("run", kind="stable").reset_index(drop=True)
    if not out:
        raise _bad(source, "an empty table", "at least one run of one doctrine")
    runs0 = next(iter(out.values()))["run"].to_numpy()
    for name, sub in out.items():
        if not np.array_equal(sub["run"].to_numpy(), runs0):
            raise _bad(source, f"doctrine {name!r} simulated on other runs than {next(iter(out))!r}",
                       "every doctrine on the same runs (a paired comparison)")
    return out


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is bad input here
        raise _bad(str(path), f"a file that is not readable as Parquet ({type(exc).__name__})",
                   "a Parquet file written by `crisislab compare --output`") from None


def _parquet_meta(path: Path) -> dict[str, Any]:
    """Optional ``crisislab`` key in the Parquet schema metadata (scenario, seed)."""
    try:
        import pyarrow.parquet as pq

        md = pq.read_schema(path).metadata or {}
        raw = md.get(b"crisislab")
        return json.loads(raw) if raw else {}
    except Exception:  # noqa: BLE001 - metadata is optional
        return {}


def load_results(path: str | Path, *, scenario: str | None = None, seed: int | None = None) -> Results:
    """Load ``RESULTS`` (see the module docstring); raise :class:`InputError` when unusable.

    ``scenario`` and ``seed`` tell which scenario and seed a bare Parquet file came from.
    """
    p = Path(path)
    src = str(path)
    if not p.exists():
        raise InputError(src, [Problem("RESULTS", "no such file or folder",
                                       "a Parquet file from `crisislab compare --output`, a result folder, or a stored experiment folder")],
                         summary="cannot be found")
    if p.is_dir():
        if (p / EXPERIMENT_MANIFEST).is_file():
            return _load_experiment(p)
        if (p / BUNDLE_META).is_file():
            return load_bundle(p)
        raise _bad(src, "a folder without manifest.json or meta.json",
                   "a stored experiment folder (with manifest.json) or a result folder (with meta.json)")
    frame = _read_parquet(p)
    outcomes = _split(frame, src)
    meta = _parquet_meta(p)
    ref = scenario or meta.get("scenario") or "eu-russia"
    sc = load_scenario(ref)
    sd = seed if seed is not None else int(meta.get("seed", 0))
    runs = len(next(iter(outcomes.values())))
    res = Results("comparison", src, f"{sc.name}: {len(outcomes)} doctrines, {runs} paired runs",
                  outcomes, scenario=sc, scenario_ref=ref, seed=sd, runs=runs, resimulate=True)
    if scenario is None and "scenario" not in meta:
        res.notes.append(f"The results file does not record its scenario; assumed {ref} (pass --scenario if it was another).")
    return res


def load_bundle(folder: Path) -> Results:
    """A result folder written by :func:`write_bundle` (the web app stores these)."""
    src = str(folder)
    meta = read_json_limited(folder / BUNDLE_META, f"{src}/{BUNDLE_META}", what="meta.json")
    if not isinstance(meta, dict):
        raise _bad(src, f"a meta.json holding a JSON {type(meta).__name__}", "the meta.json object written with the results")
    if not (folder / BUNDLE_OUTCOMES).is_file():
        raise _bad(src, "a result folder without outcomes.parquet", "outcomes.parquet next to meta.json")
    outcomes = _split(_read_parquet(folder / BUNDLE_OUTCOMES), src)
    order = [d for d in meta.get("doctrines", []) if d in outcomes] + [d for d in outcomes if d not in meta.get("doctrines", [])]
    outcomes = {d: outcomes[d] for d in order}
    sc: Scenario | None = None
    if isinstance(meta.get("scenario_data"), dict):
        sc = scenario_from_dict(meta["scenario_data"], f"{src}/meta.json scenario_data")
    elif meta.get("scenario"):
        sc = load_scenario(meta["scenario"])
    traj = None
    if (folder / BUNDLE_TRAJECTORIES).is_file():
        traj = _read_parquet(folder / BUNDLE_TRAJECTORIES)
    runs = len(next(iter(outcomes.values())))
    title = meta.get("title") or f"{sc.name if sc else '?'}: {len(outcomes)} doctrines, {runs} paired runs"
    return Results("comparison", src, title, outcomes, scenario=sc, scenario_ref=meta.get("scenario"),
                   seed=int(meta.get("seed", 0)), runs=runs, resimulate=sc is not None, verified=True,
                   manifest=meta, trajectories=traj)


def _load_experiment(folder: Path) -> Results:
    from crisislab.experiments.store import ResultStore

    src = str(folder)
    store = ResultStore(folder.parent)
    eid = folder.name
    manifest = store.read_manifest(eid)
    frame = store.read_outcomes(eid)
    if frame.empty:
        raise _bad(src, "an experiment with no stored chunks yet", "an experiment that has run (see `crisislab results list`)")
    label = "policy" if "policy" in frame.columns else "doctrine"
    if "point" in frame.columns:
        frame = frame.sort_values(["point", "run"], kind="stable")
        frame["pair_point"] = frame["point"]
        frame["pair_run"] = frame["run"]
        # one pairing key per (point, run): the same future under every policy
        keys = frame[["point", "run"]].drop_duplicates().reset_index(drop=True)
        keys["run_key"] = np.arange(len(keys))
        frame = frame.merge(keys, on=["point", "run"], how="left").drop(columns=["run"]).rename(columns={"run_key": "run"})
    outcomes = _split(frame, src, label_col=label)
    order = [p["label"] for p in manifest.get("policies", []) if p.get("label") in outcomes]
    outcomes = {k: outcomes[k] for k in order + [k for k in outcomes if k not in order]}
    sc: Scenario | None = None
    ref = manifest.get("scenario", {}).get("ref") or manifest.get("scenario", {}).get("name")
    notes: list[str] = []
    if ref:
        try:
            sc = load_scenario(ref)
        except InputError:
            notes.append(f"The experiment's scenario {ref!r} could not be loaded here; the scenario summary is left out.")
    analyses: dict[str, Any] = {}
    for name in ANALYSES:
        f = folder / "analysis" / f"{name}.json"
        if f.is_file():
            try:
                analyses[name] = read_json_limited(f, what="analysis file")
            except InputError as exc:
                notes.append(f"analysis/{name}.json is unreadable and was skipped ({exc.problems[0].found if exc.problems else exc}).")
    points = manifest.get("n_points")
    title = f"experiment {manifest.get('name', eid)} ({eid}): {len(outcomes)} policies over {points} points x {manifest.get('runs')} runs"
    notes.append("Means and intervals pool every sampled point and run; paired differences pair the same point and run across policies.")
    if manifest.get("model") not in (None, "crisislab"):
        notes.append(f"These results come from the model {manifest.get('model')!r}, not the crisislab simulator.")
    return Results("experiment", src, title, outcomes, scenario=sc, scenario_ref=ref, seed=manifest.get("seed"),
                   runs=int(manifest.get("runs") or 0), resimulate=False, manifest=manifest, analyses=analyses, notes=notes)


def write_bundle(folder: Path, *, outcomes: dict[str, pd.DataFrame], scenario: Scenario, seed: int,
                 trajectories: pd.DataFrame | None = None, extra: dict[str, Any] | None = None) -> None:
    """Write a result folder atomically: everything goes to a temporary sibling folder that
    is renamed into place, so a reader sees either the whole result or nothing."""
    import os
    import shutil
    import tempfile

    from crisislab.experiments.store import package_version

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        frame = pd.concat([df.assign(doctrine=name) for name, df in outcomes.items()], ignore_index=True)
        frame.to_parquet(tmp / BUNDLE_OUTCOMES, index=False)
        if trajectories is not None:
            trajectories.to_parquet(tmp / BUNDLE_TRAJECTORIES, index=False)
        meta = {
            "kind": "comparison",
            "scenario": scenario.name,
            "scenario_data": scenario.model_dump(mode="json"),
            "seed": seed,
            "runs": len(next(iter(outcomes.values()))),
            "doctrines": list(outcomes),
            "package_version": package_version(),
            **(extra or {}),
        }
        (tmp / BUNDLE_META).write_text(json.dumps(_json_safe(meta), indent=2), encoding="utf-8")
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _json_safe(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_safe(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        return v.item()
    return v
