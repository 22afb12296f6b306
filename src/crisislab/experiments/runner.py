"""Running an experiment: points in chunks, on a backend, into the result store, resumably.

The runner takes the model function as a parameter (default: the simulator's
``crisislab.api.simulate``; ``model: toy`` selects the analytic stand-in). A model function
has the signature ``model(scenario, doctrine, runs, seed, *, run_offset, doctrine_params)``
and returns one row per run with a ``run`` column and the outcome metrics.

Every point is evaluated for every policy on the same runs ``0..runs-1`` of the same seed
(common random numbers), so differences between points and between doctrines are not noise
from different draws.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crisislab.errors import InputError, Problem
from crisislab.experiments.backends import Backend, LocalBackend
from crisislab.experiments.sampling import Design, make_design
from crisislab.experiments.spec import METRICS, LoadedExperiment, ModelSpec, Policy, point_overrides
from crisislab.experiments.store import ResultStore, now_iso, package_version
from crisislab.scenario.load import scenario_hash
from crisislab.scenario.schema import Scenario

ModelFn = Callable[..., pd.DataFrame]

#: Chunks an experiment is split into when ``chunk_points`` is not given (at most).
TARGET_CHUNKS = 200


def resolve_model(model: ModelSpec) -> ModelFn:
    """The model function an experiment file names."""
    if model.name == "toy":
        from crisislab.experiments.toymodel import toy_simulate

        return functools.partial(toy_simulate, delay_s=model.delay_s) if model.delay_s else toy_simulate
    try:
        from crisislab.api import simulate
    except ImportError as exc:
        raise RuntimeError(
            f"the simulator (crisislab.api.simulate) cannot be imported ({exc}); "
            "use `model: toy` to exercise the experiment machinery without it"
        ) from None
    return simulate  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Context:
    """What every worker needs, sent once per worker."""

    experiment_id: str
    loaded: LoadedExperiment
    policies: tuple[Policy, ...]
    model: ModelFn


@dataclass(frozen=True)
class ChunkTask:
    """A block of points to evaluate for every policy."""

    chunk: int
    points: tuple[int, ...]
    values: tuple[dict[str, Any], ...]


def batched_model(model: ModelFn) -> Callable[..., list[pd.DataFrame]] | None:
    """The many-points twin of a model function, if it has one: for the simulator,
    :func:`crisislab.api.simulate_points`, which gives each point the table the model
    function gives it, bit for bit, from a few engine batches."""
    try:
        from crisislab.api import simulate, simulate_points
    except ImportError:  # pragma: no cover - the toy model runs without the simulator
        return None
    return simulate_points if model is simulate else None


def evaluate_chunk(ctx: Context, task: ChunkTask) -> tuple[int, pd.DataFrame]:
    """Per-run rows of every (point, policy) of one chunk, sorted by point, policy, run."""
    spec = ctx.loaded.spec
    base = ctx.loaded.scenario
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("point", "policy", "doctrine", "run", *METRICS)}
    todo: list[tuple[int, Policy, Scenario]] = []
    for point, vals in zip(task.points, task.values, strict=True):
        cache: dict[str, Scenario] = {}
        for policy in ctx.policies:
            key = repr(sorted(policy.settings.items()))
            scen = cache.get(key)
            if scen is None:
                overrides = point_overrides(spec, base, vals, policy)
                scen = base.with_overrides(overrides) if overrides else base
                cache[key] = scen
            todo.append((point, policy, scen))
    many = batched_model(ctx.model)
    if many is not None:
        frames = many([(scen, policy.doctrine, spec.runs, spec.seed) for _, policy, scen in todo],
                      doctrine_params=[dict(policy.params) or None for _, policy, _ in todo])
    else:
        frames = [ctx.model(scen, policy.doctrine, spec.runs, spec.seed, run_offset=0, doctrine_params=dict(policy.params) or None)
                  for _, policy, scen in todo]
    for (point, policy, _), df in zip(todo, frames, strict=True):
        missing = [m for m in METRICS if m not in df.columns]
        if missing or "run" not in df.columns or len(df) != spec.runs:
            raise RuntimeError(f"model returned {len(df)} rows and columns {list(df.columns)}; missing {missing}")
        n = len(df)
        cols["point"].append(np.full(n, point, dtype=np.int64))
        cols["policy"].append(np.full(n, policy.label, dtype=object))
        cols["doctrine"].append(np.full(n, policy.doctrine, dtype=object))
        cols["run"].append(df["run"].to_numpy(dtype=np.int64))
        for m in METRICS:
            cols[m].append(df[m].to_numpy(dtype=np.float64))
    data: dict[str, Any] = {k: np.concatenate(v) for k, v in cols.items()}
    total = len(data["run"])
    data = {"experiment": np.full(total, ctx.experiment_id, dtype=object),
            "chunk": np.full(total, task.chunk, dtype=np.int32), **data}
    return task.chunk, pd.DataFrame(data)


#: With the batched simulator, chunks hold at least about this many runs (all policies),
#: so that the engine's fixed cost per batch is paid rarely.
CHUNK_RUNS = 10_000


def chunk_size(loaded: LoadedExperiment, n_points: int, policies: int = 1, batched: bool = False) -> int:
    """Points per chunk: the spec's ``chunk_points``; otherwise about :data:`TARGET_CHUNKS`
    chunks, and with a batched model at least :data:`CHUNK_RUNS` runs per chunk."""
    if loaded.spec.chunk_points:
        return loaded.spec.chunk_points
    size = max(1, math.ceil(n_points / TARGET_CHUNKS))
    if batched:
        size = max(size, math.ceil(CHUNK_RUNS / max(1, loaded.spec.runs * policies)))
    return size


def make_tasks(design_values: pd.DataFrame, size: int) -> list[ChunkTask]:
    """Split points into consecutive chunks of ``size`` points."""
    records = design_values.to_dict(orient="records")
    tasks: list[ChunkTask] = []
    for c, start in enumerate(range(0, len(records), size)):
        idx = tuple(range(start, min(start + size, len(records))))
        tasks.append(ChunkTask(c, idx, tuple(_plain(records[i]) for i in idx)))
    return tasks


def _plain(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in rec.items()}


@dataclass
class RunReport:
    """What a call to :func:`run_experiment` did."""

    experiment_id: str
    design: Design
    policies: list[Policy]
    n_chunks: int
    chunks_done_before: int
    chunks_computed: int
    seconds: float
    resumed: bool
    manifest: dict[str, Any] = field(default_factory=dict)


def build_manifest(
    loaded: LoadedExperiment, design: Design, policies: list[Policy], n_chunks: int, size: int, model_name: str
) -> dict[str, Any]:
    """The manifest written when an experiment starts."""
    spec = loaded.spec
    return {
        "experiment_id": loaded.experiment_id,
        "name": spec.name,
        "description": spec.description,
        "source": loaded.source,
        "experiment_sha256": loaded.file_sha256,
        "spec_sha256": loaded.spec_sha256,
        "scenario": {"name": loaded.scenario.name, "ref": spec.scenario, "sha256": scenario_hash(loaded.scenario)},
        "package_version": package_version(),
        "model": model_name,
        "seed": spec.seed,
        "runs": spec.runs,
        "seeds": {
            "seed": spec.seed,
            "runs": f"0..{spec.runs - 1}",
            "scheme": "every point and policy uses runs 0..runs-1 of this seed (per-run streams keyed by seed and run)",
        },
        "sampler": spec.sampler.model_dump(mode="json"),
        "uncertainties": [u.model_dump(mode="json", exclude_none=True) for u in spec.uncertainties],
        "policies": [{"label": p.label, "doctrine": p.doctrine, "params": p.params, "settings": p.settings} for p in policies],
        "outcomes": spec.outcomes,
        "n_points": design.n_points,
        "chunk_points": size,
        "n_chunks": n_chunks,
        "rows_expected": design.n_points * len(policies) * spec.runs,
        "status": "running",
        "created": now_iso(),
        "attempts": [],
        "finished": None,
    }


def run_experiment(
    loaded: LoadedExperiment,
    store: ResultStore,
    backend: Backend | None = None,
    *,
    model: ModelFn | None = None,
    fresh: bool = False,
    experiment_text: str | None = None,
    on_start: Callable[[int, int], None] | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> RunReport:
    """Evaluate (or resume) an experiment and store its chunks.

    ``on_start(total_chunks, already_done)`` and ``on_chunk(chunk)`` report progress.
    Resuming needs the same experiment (same spec and scenario content, which give the same
    experiment id) and the same package version; ``fresh`` deletes stored results first.
    """
    backend = backend or LocalBackend()
    spec = loaded.spec
    eid = loaded.experiment_id
    policies = spec.policies()
    model_fn = model or resolve_model(spec.model)
    model_name = spec.model.name if model is None else getattr(model, "__name__", repr(model))
    if fresh:
        store.remove(eid)
    resumed = store.has_experiment(eid)
    design = make_design(spec)
    size = chunk_size(loaded, design.n_points, len(policies), batched=batched_model(model_fn) is not None)
    tasks = make_tasks(design.values, size)
    if resumed:
        manifest = store.read_manifest(eid)
        _check_resumable(store, eid, manifest, design, size, loaded)
    else:
        manifest = build_manifest(loaded, design, policies, len(tasks), size, model_name)
        store.init_experiment(eid, manifest, design.table(), experiment_text)
    store.clean_temporaries(eid)
    rows_per_point = len(policies) * spec.runs
    expected = {t.chunk: len(t.points) * rows_per_point for t in tasks}
    done = store.completed_chunks(eid, expected)
    todo = [t for t in tasks if t.chunk not in done]
    manifest["status"] = "running" if todo else manifest.get("status", "complete")
    attempt = {"started": now_iso(), "backend": backend.describe(), "chunks_before": len(done)}
    manifest.setdefault("attempts", []).append(attempt)
    store.write_manifest(eid, manifest)
    store.refresh_catalog()
    if on_start:
        on_start(len(tasks), len(done))
    t0 = time.perf_counter()
    ctx = Context(eid, loaded, tuple(policies), model_fn)
    computed = 0
    for chunk, frame in backend.map_unordered(evaluate_chunk, ctx, todo):
        store.write_chunk(eid, chunk, frame)
        computed += 1
        if on_chunk:
            on_chunk(chunk)
    seconds = time.perf_counter() - t0
    final = store.completed_chunks(eid)
    if len(final) != len(tasks):  # pragma: no cover - defensive
        raise RuntimeError(f"{len(tasks) - len(final)} chunks are missing after the run")
    attempt.update({"finished": now_iso(), "chunks_computed": computed, "seconds": round(seconds, 3)})
    if todo or manifest.get("finished") is None:
        manifest["finished"] = now_iso()
    manifest["status"] = "complete"
    store.write_manifest(eid, manifest)
    store.refresh_catalog()
    return RunReport(eid, design, policies, len(tasks), len(done), computed, seconds, resumed, manifest)


def _check_resumable(
    store: ResultStore, eid: str, manifest: dict[str, Any], design: Design, size: int, loaded: LoadedExperiment
) -> None:
    problems: list[Problem] = []
    if manifest.get("package_version") != package_version():
        problems.append(Problem("package_version", str(manifest.get("package_version")), f"{package_version()} (the running version); rerun with --fresh"))
    if manifest.get("chunk_points") != size or manifest.get("n_points") != design.n_points:
        problems.append(Problem("chunking", f"{manifest.get('n_points')} points in chunks of {manifest.get('chunk_points')}", f"{design.n_points} points in chunks of {size}"))
    stored = store.read_points(eid)
    keys = list(design.values.columns)
    if len(stored) != design.n_points or not np.allclose(
        stored[[f"u_{k}" for k in keys]].to_numpy(dtype=float), design.unit, rtol=0, atol=1e-12
    ):
        problems.append(Problem("points.parquet", "points that differ from the sampler's", "the same design (same spec and seed)"))
    if problems:
        raise InputError(str(store.exp_dir(eid)), problems, summary="cannot be resumed")


def point_means(outcomes: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Mean of each metric over runs per (policy, point); NaNs (e.g. unsettled weeks) skipped."""
    grouped = outcomes.groupby(["policy", "point"], sort=True)[metrics].mean()
    return grouped.reset_index()
