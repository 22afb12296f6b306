"""Benchmarks of experiments at scale.

Three figures, each printed with its target and the ratio to it:

* ``store``: write 10 million per-run outcome rows as Parquet chunks through the result
  store, then time a grouped DuckDB query over them (target <= 2 s); the baseline is the
  same aggregation in pandas after reading the Parquet files, measured in the same run.
* ``backends``: the same eu-russia job on the ``processes`` backend and on a Dask
  ``LocalCluster``, both with 2 workers (target: Dask within 20% of processes); results
  must be identical.
* ``sobol``: a full Sobol job -- 10 uncertainties, N=256 with second order
  (5,632 points) x 100 runs x 52 weeks of eu-russia on the processes backend, then the
  analysis (target <= 600 s on 2 cores).

Usage::

    python benchmarks/bench_experiments.py            # all three, full size
    python benchmarks/bench_experiments.py --quick    # small versions (about a minute)
    python benchmarks/bench_experiments.py --only store,backends
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crisislab.experiments.analysis import sobol_indices
from crisislab.experiments.backends import make_backend
from crisislab.experiments.runner import point_means, run_experiment
from crisislab.experiments.spec import METRICS, experiment_from_dict
from crisislab.experiments.store import ResultStore

SOBOL_UNCERTAINTIES: list[dict[str, Any]] = [
    {"name": "prior_sincere", "range": [0.05, 0.6]},
    {"name": "paranoia", "range": [0.2, 0.9]},
    {"name": "resolve", "range": [0.3, 0.9]},
    {"name": "aggression", "range": [0.2, 0.8]},
    {"name": "rationality", "range": [1.0, 8.0]},
    {"name": "strength:credibility_decay", "range": [0.5, 1.5]},
    {"name": "strength:misperception", "range": [0.5, 1.5]},
    {"name": "strength:economic_contagion", "range": [0.5, 1.5]},
    {"name": "defender_capability", "range": [0.2, 0.7]},
    {"name": "decision_rule", "values": ["unanimity", "qmv"]},
]


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children (worker processes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def load() -> str:
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def line(name: str, value: float, unit: str, target: float | None = None, extra: str = "") -> None:
    tgt = f"  target {target:g} {unit}  ratio {value / target:.2f}" if target else ""
    print(f"{name:<44} {value:10.3f} {unit}{tgt}{('  ' + extra) if extra else ''}", flush=True)


def bench_store(quick: bool, workdir: Path) -> None:
    rows_total = 1_000_000 if quick else 10_000_000
    chunk_rows = 100_000
    store = ResultStore(workdir / "store")
    eid = "bench-store-0000000000"
    points = rows_total // (100 * 2)
    pts = pd.DataFrame({"point": np.arange(points), "x": np.random.default_rng(0).random(points)})
    store.init_experiment(eid, {"experiment_id": eid, "name": "bench-store", "created": "", "outcomes": list(METRICS)}, pts, None)
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    start = 0
    for c in range(rows_total // chunk_rows):
        idx = np.arange(start, start + chunk_rows)
        start += chunk_rows
        frame = pd.DataFrame(
            {
                "experiment": eid,
                "chunk": np.full(chunk_rows, c, dtype=np.int32),
                "point": (idx // 200).astype(np.int64),
                "policy": np.where(idx % 2 == 0, "isolation", "test_by_offer"),
                "doctrine": np.where(idx % 2 == 0, "isolation", "test_by_offer"),
                "run": (idx // 2 % 100).astype(np.int64),
            }
        )
        for m in METRICS:
            frame[m] = (rng.random(chunk_rows) < 0.3).astype(float) if m.startswith("p_") else rng.random(chunk_rows)
        store.write_chunk(eid, c, frame)
    write_s = time.perf_counter() - t0
    line(f"store: write {rows_total:,} rows", write_s, "s")
    sql = "SELECT policy, point, avg(p_war) AS p_war, avg(coalition_cost) AS cost, count(*) AS n FROM outcomes GROUP BY policy, point"
    store.query(sql)  # warm the file cache
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        res = store.query(sql)
        times.append(time.perf_counter() - t0)
    assert int(res["n"].sum()) == rows_total, res["n"].sum()
    q = min(times)
    line(f"store: grouped query over {rows_total:,} rows", q, "s", 2.0, f"({len(res):,} groups)")
    t0 = time.perf_counter()
    df = store.read_outcomes(eid, columns=["policy", "point", "p_war", "coalition_cost"])
    df.groupby(["policy", "point"]).agg(p_war=("p_war", "mean"), cost=("coalition_cost", "mean"))
    base = time.perf_counter() - t0
    line("store: same aggregation in pandas (baseline)", base, "s", None, f"DuckDB is {base / q:.1f}x faster")


def _spec(name: str, uncertainties: list[dict[str, Any]], sampler: dict[str, Any], runs: int, seed: int) -> Any:
    return experiment_from_dict(
        {
            "name": name,
            "scenario": "eu-russia",
            "levers": {"doctrines": ["test_by_offer"]},
            "uncertainties": uncertainties,
            "outcomes": ["p_war", "p_settlement", "coalition_cost"],
            "sampler": sampler,
            "runs": runs,
            "seed": seed,
        },
        name,
    )


def bench_backends(quick: bool, workdir: Path) -> None:
    n, runs = (32, 20) if quick else (192, 100)
    loaded = _spec("bench-backends", SOBOL_UNCERTAINTIES[:5], {"method": "lhs", "n": n}, runs, 3)
    times: dict[str, list[float]] = {"processes": [], "dask": []}
    cpus: dict[str, list[float]] = {"processes": [], "dask": []}
    frames: dict[str, pd.DataFrame] = {}
    # Alternate the backends (twice each) and keep each one's best time, so that a change
    # in the machine's load between two runs does not decide the ratio.
    for rep in range(2):
        for name in ("processes", "dask"):
            store = ResultStore(workdir / f"backends-{name}-{rep}")
            c0 = cpu_seconds()
            t0 = time.perf_counter()
            with make_backend(name, 2) as be:
                t1 = time.perf_counter()
                run_experiment(loaded, store, be)
            times[name].append(time.perf_counter() - t0)
            time.sleep(1.0)  # let the cluster's processes be reaped so their CPU time counts
            cpus[name].append(cpu_seconds() - c0)
            line(f"backends: {name} ({n} points x {runs} runs)", times[name][-1], "s", None,
                 f"(start-up {t1 - t0:.1f} s; CPU {cpus[name][-1]:.1f} s; {load()})")
            frames[name] = store.read_outcomes(loaded.experiment_id)
    same = frames["processes"].equals(frames["dask"])
    ratio = min(times["dask"]) / min(times["processes"])
    print(f"{'backends: dask / processes (best of 2 each)':<44} {ratio:10.3f}    target <= 1.20  identical results: {same}", flush=True)
    cratio = min(cpus["dask"]) / min(cpus["processes"])
    print(f"{'backends: dask / processes CPU time':<44} {cratio:10.3f}    (all processes; less sensitive to other load)", flush=True)


def bench_sobol(quick: bool, workdir: Path) -> None:
    n, runs = (16, 20) if quick else (256, 100)
    loaded = _spec("bench-sobol", SOBOL_UNCERTAINTIES, {"method": "sobol", "n": n, "second_order": True}, runs, 1)
    store = ResultStore(workdir / "sobol")
    print(f"sobol: start ({load()})", flush=True)
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    with make_backend("processes", 2) as be:
        report = run_experiment(loaded, store, be)
    run_s = time.perf_counter() - t0
    cpu = cpu_seconds() - c0
    t1 = time.perf_counter()
    means = point_means(store.read_outcomes(loaded.experiment_id, ["point", "policy", "p_war"]), ["p_war"])
    rows = sobol_indices(report.design, means.sort_values("point")["p_war"].to_numpy(), second_order=True, seed=1)
    ana_s = time.perf_counter() - t1
    total = run_s + ana_s
    line(f"sobol: {report.design.n_points} points x {runs} runs (run)", run_s, "s", None, f"({load()})")
    line("sobol: CPU time of the run (all processes)", cpu, "s", None,
         f"-> {cpu / 2:.0f} s of wall time on 2 otherwise idle cores")
    line("sobol: analysis (S1, ST with 500 bootstrap CIs)", ana_s, "s")
    line("sobol: total", total, "s", None if quick else 600.0)
    top = ", ".join(f"{r['uncertainty']} ST={r['ST']:.2f}" for r in rows[:3])
    print(f"{'sobol: top uncertainties for p_war':<44} {top}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small versions of every benchmark")
    ap.add_argument("--only", default="store,backends,sobol", help="comma-separated subset")
    ap.add_argument("--keep", type=Path, default=None, help="write stores here instead of a temporary folder")
    args = ap.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="crisislab-bench-"))
    try:
        for part in args.only.split(","):
            {"store": bench_store, "backends": bench_backends, "sobol": bench_sobol}[part.strip()](args.quick, workdir)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
