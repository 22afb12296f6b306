"""Engine benchmark: throughput against the plain reference, the compare command, memory
at a million runs, and how cost grows with runs, members and horizon.

Every ratio is against a baseline measured in the same run on the same machine (machines
are noisy): ``speedup`` is the engine's run-weeks per second over the reference model's
(``benchmarks/reference``, Mesa agents, one run at a time) on ``eu-russia`` with all six
doctrines. Wall-clock figures are reported with the CPU time and the load average, so a
busy machine can be recognised.

Usage (after ``pip install -e ".[bench]"``, which adds Mesa and psutil)::

    python benchmarks/run.py --format json          # full (several minutes; 1,000,000-run memory check)
    python benchmarks/run.py --quick --format json  # under a minute: smaller sizes (compare 2,000 runs, memory 20,000)
    python benchmarks/run.py --only engine,reference --format table

Figures (JSON keys): ``engine_run_weeks_per_s``, ``reference_run_weeks_per_s``, ``speedup``,
``compare_default_s`` (wall time of ``crisislab compare eu-russia --runs 10000 -f json``,
default options), ``compare_local_s`` (the same with ``--backend local``), ``peak_rss_mib``
(peak resident memory, all processes of ``crisislab run eu-russia --runs N --output``),
``scaling`` (seconds and fitted exponents for runs, members, horizon), ``profile`` (share
of engine time per step function), ``targets`` and ``meets``.

Jobs that explore parameters (part ``points``): ``sobol_s`` (wall time of the Sobol job of
``benchmarks/bench_experiments.py``: 10 uncertainties, N=256 with second order, 5,632
points x 100 runs of eu-russia under test_by_offer, processes backend with 2 workers, then
the analysis), ``per_point_sobol_s`` (the same job through the per-point path, one
``simulate`` call per point: measured in this process on the first ``--points-sample``
points, scaled to all points and divided by the 2 workers), ``batched_speedup`` (per-point
over batched seconds on that same sample in this process, the like-for-like ratio),
``validate_s`` (``crisislab validate --data DIR --both --jobs 2``, wall) and ``calibrate_s``
(``crisislab validate calibrate --data DIR --seed 1 --crises 12 --runs 300 --scan 27 --evals
120 --jobs 2``, wall); ``--quick`` runs small versions of all of them. The last two need the reference data: ``--data DIR`` or
``$CRISISLAB_DATA``; without it they are skipped and say so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._need import need  # noqa: E402

need("mesa", "psutil")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from benchmarks.reference import simulate_reference  # noqa: E402

from crisislab.doctrines import PRESETS, get_doctrine  # noqa: E402
from crisislab.model.engine import STEP_ORDER, run_batch, step_label  # noqa: E402
from crisislab.model.params import Params, compile_scenario  # noqa: E402
from crisislab.scenario import Scenario, load_scenario  # noqa: E402

SCENARIO = "eu-russia"
TARGETS = {
    "compare_default_s_max": 10.0,
    "speedup_min": 100.0,
    "peak_rss_mib_max": 2048.0,
    "runs_exponent_max": 1.1,
    "members_exponent_max": 1.1,
    "sobol_s_max": 60.0,
    "validate_s_max": 60.0,
    "batched_speedup_min": 5.0,
}


def machine() -> dict[str, Any]:
    import numba
    import psutil

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "platform": platform.platform(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }


def _cpu() -> float:
    import resource

    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def _timed(fn: Any) -> tuple[float, float, Any]:
    c0, t0 = _cpu(), time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, _cpu() - c0, out


# --- engine and reference ----------------------------------------------------------------


def bench_engine(p: Params, runs: int) -> dict[str, Any]:
    """All six doctrines, ``runs`` runs each, one batch each, in this process."""
    for d in PRESETS:  # warm-up: compiled kernels loaded, caches filled
        run_batch(p, get_doctrine(d), 50, 0)
    wall, cpu, _ = _timed(lambda: [run_batch(p, get_doctrine(d), runs, 1) for d in PRESETS])
    rw = len(PRESETS) * runs * p.horizon
    return {"runs_per_doctrine": runs, "run_weeks": rw, "wall_s": wall, "cpu_s": cpu,
            "engine_run_weeks_per_s": rw / wall, "engine_run_weeks_per_cpu_s": rw / cpu}


def bench_reference(p: Params, runs: int) -> dict[str, Any]:
    """The reference model on the same scenario and doctrines; also checks it agrees."""
    wall = cpu = 0.0
    max_diff, discrete_equal, text_equal = 0.0, True, True
    for d in PRESETS:
        w, c, (ref, traj) = _timed(lambda d=d: simulate_reference(p, d, runs, 1))
        wall, cpu = wall + w, cpu + c
        eng = run_batch(p, get_doctrine(d), runs, 1, record=True)
        # text columns (adversary_type, end_kind) must match exactly; the rest within max_diff
        num = [col for col in eng.outcomes.columns if pd.api.types.is_numeric_dtype(eng.outcomes[col])]
        text = [col for col in eng.outcomes.columns if col not in num]
        text_equal &= bool((eng.outcomes[text].astype(str).to_numpy() == ref[text].astype(str).to_numpy()).all())
        x, y = eng.outcomes[num].to_numpy(float), ref[num].to_numpy(float)
        both_nan = np.isnan(x) & np.isnan(y)
        max_diff = max(max_diff, float(np.max(np.where(both_nan, 0.0, np.abs(x - y)))))
        discrete_equal &= bool(np.array_equal(eng.trajectories["rung"], traj["rung"]))
    rw = len(PRESETS) * runs * p.horizon
    return {"runs_per_doctrine": runs, "run_weeks": rw, "wall_s": wall, "cpu_s": cpu,
            "reference_run_weeks_per_s": rw / wall, "reference_run_weeks_per_cpu_s": rw / cpu,
            "max_abs_outcome_diff_vs_engine": max_diff, "weekly_rungs_identical": discrete_equal,
            "text_outcomes_identical": text_equal}


# --- the command line --------------------------------------------------------------------


def _cli(args: list[str]) -> list[str]:
    """The ``crisislab`` command installed beside this Python (what users run)."""
    exe = Path(sys.executable).with_name("crisislab")
    if exe.exists():
        return [str(exe), *args]
    return [sys.executable, "-c", "import sys; from crisislab.cli import main; sys.exit(main(sys.argv[1:]))", *args]


def _run_sampled(cmd: list[str]) -> tuple[float, float, float, int]:
    """Run ``cmd``; return wall seconds, CPU seconds, peak summed RSS of its process tree
    (MiB, sampled every 50 ms) and the exit code."""
    import psutil

    peak = 0
    done = threading.Event()
    c0, t0 = _cpu(), time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def sample() -> None:
        nonlocal peak
        try:
            root = psutil.Process(proc.pid)
        except psutil.Error:
            return
        while not done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                peak = max(peak, sum(q.memory_info().rss for q in procs))
            except psutil.Error:
                pass
            time.sleep(0.05)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    _, err = proc.communicate()
    done.set()
    th.join()
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    if proc.returncode != 0:
        sys.stderr.write(err.decode(errors="replace"))
    return wall, cpu, peak / 2**20, proc.returncode


def bench_compare(runs: int, local: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"runs": runs, "doctrines": len(PRESETS), "weeks": load_scenario(SCENARIO).horizon_weeks}
    variants: list[tuple[str, list[str]]] = [("default", [])] + ([("local", ["--backend", "local"])] if local else [])
    for key, extra in variants:
        wall, cpu, rss, code = _run_sampled(_cli(["compare", SCENARIO, "--runs", str(runs), "-f", "json", *extra]))
        out[f"compare_{key}_s"] = wall
        out[f"compare_{key}_cpu_s"] = cpu
        out[f"compare_{key}_peak_rss_mib"] = rss
        out[f"compare_{key}_exit"] = code
    return out


def bench_memory(runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "outcomes.parquet"
        wall, cpu, rss, code = _run_sampled(_cli(["run", SCENARIO, "--runs", str(runs), "--output", str(path), "-f", "json"]))
        rows = len(pd.read_parquet(path, columns=["run"])) if path.exists() else 0
    return {"runs": runs, "wall_s": wall, "cpu_s": cpu, "peak_rss_mib": rss, "rows_written": rows, "exit": code,
            "run_weeks_per_s": runs * load_scenario(SCENARIO).horizon_weeks / wall}


# --- jobs that explore parameters -----------------------------------------------------------


def bench_points(quick: bool, data: str | None, sample: int) -> dict[str, Any]:
    """Sobol job batched and point by point, the validation and the calibration."""
    from benchmarks.bench_experiments import SOBOL_UNCERTAINTIES, _spec

    from crisislab.api import simulate
    from crisislab.experiments.analysis import sobol_indices
    from crisislab.experiments.backends import make_backend
    from crisislab.experiments.runner import Context, evaluate_chunk, make_tasks, point_means, run_experiment
    from crisislab.experiments.sampling import make_design
    from crisislab.experiments.store import ResultStore

    n, runs = (16, 20) if quick else (256, 100)
    loaded = _spec("bench-sobol", SOBOL_UNCERTAINTIES, {"method": "sobol", "n": n, "second_order": True}, runs, 1)
    out: dict[str, Any] = {"sobol_points": 0, "sobol_runs": runs}
    with tempfile.TemporaryDirectory() as tmp:
        store = ResultStore(Path(tmp) / "sobol")
        t0 = time.perf_counter()
        with make_backend("processes", 2) as be:
            report = run_experiment(loaded, store, be)
        means = point_means(store.read_outcomes(loaded.experiment_id, ["point", "policy", "p_war"]), ["p_war"])
        sobol_indices(report.design, means.sort_values("point")["p_war"].to_numpy(), second_order=True, seed=1)
        out["sobol_s"] = time.perf_counter() - t0
        out["sobol_points"] = report.design.n_points
    # like for like, in this process: the first `sample` points, batched and point by point
    design = make_design(loaded.spec)
    k = min(sample, design.n_points)
    task = make_tasks(design.values.iloc[:k], k)[0]
    policies = tuple(loaded.spec.policies())

    def one_point_at_a_time(*a: Any, **kw: Any) -> Any:
        return simulate(*a, **kw)

    batched = Context("b", loaded, policies, simulate)
    per_point = Context("p", loaded, policies, one_point_at_a_time)
    evaluate_chunk(batched, make_tasks(design.values.iloc[:2], 2)[0])  # warm up (compiled kernels)
    tb, _, fb = _timed(lambda: evaluate_chunk(batched, task))
    tp, _, fp = _timed(lambda: evaluate_chunk(per_point, task))
    out["sample_points"] = k
    out["sample_batched_s"] = tb
    out["sample_per_point_s"] = tp
    out["sample_rows_identical"] = bool(fb[1].drop(columns=["experiment"]).equals(fp[1].drop(columns=["experiment"])))
    out["batched_speedup"] = tp / tb
    out["per_point_sobol_s"] = tp / k * out["sobol_points"] / 2.0
    out["per_point_sobol_note"] = f"per-point seconds on {k} points in one process, x {out['sobol_points']} / {k} points, / 2 workers"
    if data is None:
        out["validate_s"] = None
        out["calibrate_s"] = None
        out["data_note"] = "validate_s and calibrate_s need --data DIR or $CRISISLAB_DATA (the reference data); skipped"
        return out
    val = ["validate", "--data", data, "--both", "--jobs", "2", "--format", "json"]
    wall, _, _, code = _run_sampled(_cli([*val, "--crises", "12", "--runs", "40", "--reps", "100"] if quick else val))
    out["validate_s"], out["validate_exit"] = wall, code
    cal = ["validate", "calibrate", "--data", data, "--seed", "1", "--jobs", "2", "--format", "json"]
    cal += ["--crises", "3", "--runs", "60", "--scan", "4", "--evals", "8"] if quick else \
           ["--crises", "12", "--runs", "300", "--scan", "27", "--evals", "120"]
    with tempfile.TemporaryDirectory() as tmp:
        wall, _, _, code = _run_sampled(_cli([*cal, "--out", str(Path(tmp) / "fit.yaml")]))
    out["calibrate_s"], out["calibrate_exit"] = wall, code
    return out


# --- scaling -----------------------------------------------------------------------------


def synthetic(members: int | None = None, horizon: int | None = None) -> Scenario:
    """``eu-russia`` with ``members`` members (its members repeated, renamed) and/or
    another horizon."""
    sc = load_scenario(SCENARIO)
    update: dict[str, Any] = {}
    if members is not None:
        base = sc.coalition.members
        ms = [base[i % len(base)].model_copy(update={"name": f"{base[i % len(base)].name} {i // len(base)}"}) for i in range(members)]
        update["coalition"] = sc.coalition.model_copy(update={"members": ms, "veto_holders": None})
    if horizon is not None:
        update["horizon_weeks"] = horizon
    return sc.model_copy(update=update)


def _cost(p: Params, runs: int, doctrines: list[str], reps: int = 2) -> float:
    """Best-of-``reps`` wall seconds to simulate ``runs`` runs of each doctrine."""
    for d in doctrines:
        run_batch(p, get_doctrine(d), 20, 0)
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        for d in doctrines:
            run_batch(p, get_doctrine(d), runs, 1)
        best = min(best, time.perf_counter() - t0)
    return best


def _exponent(sizes: list[int], secs: list[float]) -> float:
    return float(np.polyfit(np.log(sizes), np.log(secs), 1)[0])


def bench_scaling(quick: bool) -> dict[str, Any]:
    doctrines = ["isolation", "mediated_offramp"]
    runs = 500 if quick else 4000
    reps = 1 if quick else 2
    out: dict[str, Any] = {"doctrines": doctrines}
    p = compile_scenario(load_scenario(SCENARIO))
    rr = [500, 2000, 8000] if quick else [2500, 10000, 40000]
    secs = [_cost(p, r, doctrines, reps) for r in rr]
    out["runs"] = {"sizes": rr, "seconds": secs, "exponent": _exponent(rr, secs)}
    mm = [3, 27, 100]
    secs = [_cost(compile_scenario(synthetic(members=m)), runs, doctrines, reps) for m in mm]
    out["members"] = {"sizes": mm, "runs": runs, "seconds": secs, "exponent": _exponent(mm, secs),
                      "exponent_27_100": _exponent(mm[1:], secs[1:])}
    hh = [26, 52, 208]
    secs = [_cost(compile_scenario(synthetic(horizon=h)), runs, doctrines, reps) for h in hh]
    out["horizon"] = {"sizes": hh, "runs": runs, "seconds": secs, "exponent": _exponent(hh, secs)}
    return out


# --- profile -----------------------------------------------------------------------------


def bench_profile(p: Params, runs: int) -> dict[str, Any]:
    """Share of engine time per step function (and the doctrine's own time) for all six
    doctrines on ``eu-russia``."""
    from crisislab.model import engine

    acc: Counter[str] = Counter()

    def wrap(fn: Any) -> Any:
        def timed(s: Any, p_: Any, a: Any, rng: Any) -> Any:
            t = time.perf_counter()
            r = fn(s, p_, a, rng)
            acc[step_label(fn)] += time.perf_counter() - t
            return r

        timed.__name__ = fn.__name__
        return timed

    steps = tuple(wrap(f) for f in STEP_ORDER)
    orig_obs = engine.observe

    def observe(*a: Any) -> Any:
        t = time.perf_counter()
        r = orig_obs(*a)
        acc["observe"] += time.perf_counter() - t
        return r

    engine.observe = observe
    try:
        t0 = time.perf_counter()
        for d in PRESETS:
            doc = get_doctrine(d)
            act = doc.act

            def timed_act(obs: Any, act: Any = act) -> Any:
                t = time.perf_counter()
                r = act(obs)
                acc["doctrine act"] += time.perf_counter() - t
                return r

            doc.act = timed_act  # type: ignore[method-assign]
            run_batch(p, doc, runs, 1, steps=steps)
        total = time.perf_counter() - t0
    finally:
        engine.observe = orig_obs
    acc["other (setup, actions, outcome table)"] = total - sum(acc.values())
    top = [{"step": k, "share": v / total, "seconds": v} for k, v in acc.most_common()]
    return {"runs_per_doctrine": runs, "total_s": total, "steps": top}


# --- main --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes: under a minute")
    ap.add_argument("--format", choices=("json", "table"), default="table")
    ap.add_argument("--only", default="engine,reference,compare,memory,scaling,profile,points",
                    help="comma-separated parts to run")
    ap.add_argument("--memory-runs", type=int, default=None, help="runs for the memory check (default 1,000,000; quick 20,000)")
    ap.add_argument("--compare-runs", type=int, default=None, help="runs per doctrine for the compare timing (default 10,000; quick 2,000)")
    ap.add_argument("--data", default=os.environ.get("CRISISLAB_DATA"),
                    help="reference data folder for validate_s and calibrate_s (default: $CRISISLAB_DATA)")
    ap.add_argument("--points-sample", type=int, default=None,
                    help="points of the Sobol design timed point by point (default 300; quick 100)")
    args = ap.parse_args(argv)
    parts = set(args.only.split(","))
    quick = args.quick
    p = compile_scenario(load_scenario(SCENARIO))
    res: dict[str, Any] = {"machine": machine(), "quick": quick, "scenario": SCENARIO}
    started = time.perf_counter()

    def progress(part: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {part}", file=sys.stderr, flush=True)
    if "engine" in parts:
        progress("engine")
        res["engine"] = bench_engine(p, 2000 if quick else 10_000)
        res["engine_run_weeks_per_s"] = res["engine"]["engine_run_weeks_per_s"]
    if "reference" in parts:
        progress("reference")
        res["reference"] = bench_reference(p, 1 if quick else 4)
        res["reference_run_weeks_per_s"] = res["reference"]["reference_run_weeks_per_s"]
    if "engine" in parts and "reference" in parts:
        res["speedup"] = res["engine_run_weeks_per_s"] / res["reference_run_weeks_per_s"]
        res["speedup_cpu"] = res["engine"]["engine_run_weeks_per_cpu_s"] / res["reference"]["reference_run_weeks_per_cpu_s"]
    if "compare" in parts:
        progress("compare")
        res["compare"] = bench_compare(args.compare_runs or (2000 if quick else 10_000), local=not quick)
        res["compare_default_s"] = res["compare"]["compare_default_s"]
        res["compare_runs"] = res["compare"]["runs"]
        if "compare_local_s" in res["compare"]:
            res["compare_local_s"] = res["compare"]["compare_local_s"]
    if "memory" in parts:
        progress("memory")
        n = args.memory_runs or (20_000 if quick else 1_000_000)
        res["memory"] = bench_memory(n)
        res["peak_rss_mib"] = res["memory"]["peak_rss_mib"]
        res["peak_rss_runs"] = n
    if "scaling" in parts:
        progress("scaling")
        res["scaling"] = bench_scaling(quick)
    if "profile" in parts:
        progress("profile")
        res["profile"] = bench_profile(p, 1000 if quick else 10_000)
    if "points" in parts:
        progress("points")
        res["points"] = bench_points(quick, args.data, args.points_sample or (100 if quick else 300))
        for key in ("sobol_s", "per_point_sobol_s", "batched_speedup", "validate_s", "calibrate_s"):
            res[key] = res["points"][key]
    res["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    res["targets"] = TARGETS
    meets: dict[str, bool] = {}
    if "compare_default_s" in res and res["compare_runs"] == 10_000:
        meets["compare_default_s"] = res["compare_default_s"] <= TARGETS["compare_default_s_max"]
    if "speedup" in res:
        meets["speedup"] = res["speedup"] >= TARGETS["speedup_min"]
    if "peak_rss_mib" in res and res["peak_rss_runs"] >= 1_000_000:
        meets["peak_rss_mib"] = res["peak_rss_mib"] <= TARGETS["peak_rss_mib_max"]
    if "scaling" in res:
        meets["runs_linear"] = res["scaling"]["runs"]["exponent"] <= TARGETS["runs_exponent_max"]
        meets["members_linear"] = res["scaling"]["members"]["exponent"] <= TARGETS["members_exponent_max"]
    if res.get("sobol_s") is not None and res["points"]["sobol_points"] >= 5632:
        meets["sobol_s"] = res["sobol_s"] <= TARGETS["sobol_s_max"]
        meets["batched_speedup"] = res["batched_speedup"] >= TARGETS["batched_speedup_min"]
    if res.get("validate_s") is not None and not quick:
        meets["validate_s"] = res["validate_s"] <= TARGETS["validate_s_max"]
    res["meets"] = meets
    if args.format == "json":
        print(json.dumps(res, indent=2, default=float))
    else:
        _table(res)
    return 0


def _table(res: dict[str, Any]) -> None:
    m = res["machine"]
    print(f"machine: {m['cpu']}, {m['cpus']} CPUs, {m['memory_gib']} GiB; Python {m['python']}, NumPy {m['numpy']}, Numba {m['numba']}; "
          f"load {m['load_average_start']} -> {m.get('load_average_end')}")
    for key in ("engine_run_weeks_per_s", "reference_run_weeks_per_s", "speedup", "speedup_cpu", "compare_default_s", "compare_local_s", "peak_rss_mib",
                "sobol_s", "per_point_sobol_s", "batched_speedup", "validate_s", "calibrate_s"):
        if res.get(key) is not None:
            print(f"  {key:28s} {res[key]:,.2f}")
    if "points" in res:
        print(f"  points: {res['points'].get('per_point_sobol_note')}; {res['points'].get('data_note', '')}")
    if "scaling" in res:
        for k in ("runs", "members", "horizon"):
            s = res["scaling"][k]
            print(f"  scaling in {k:8s} sizes {s['sizes']} seconds {[round(x, 3) for x in s['seconds']]} exponent {s['exponent']:.2f}")
    if "profile" in res:
        print("  profile (share of engine time):")
        for row in res["profile"]["steps"][:8]:
            print(f"    {row['share']:6.1%}  {row['step']}")
    print("  meets:", res["meets"])


if __name__ == "__main__":
    raise SystemExit(main())
