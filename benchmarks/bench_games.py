"""Timings of the analytic games, with ratios against baselines measured in the same run.

Run: ``.venv/bin/python benchmarks/bench_games.py`` (add ``--quick`` for fewer repeats).

* solve time of each game at its defaults (target: <= 10 ms), against Gambit solving the
  same finite game (``enummixed`` or the logit limit) where pygambit is installed;
* a 10,000-point ``--sweep`` of each closed form (target: <= 2 s), against calling
  ``solve`` point by point (measured on 200 points and scaled);
* exact EU-27 power indices under QMV (target: <= 1 s), against brute-force enumeration of
  coalitions for the 16 most populous members (2^16 coalitions) versus the exact count on
  the same 16.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from collections.abc import Callable

import numpy as np

from crisislab.games import GAMES, solve
from crisislab.games import voting as v


def timeit(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``fn`` in seconds (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


SWEEPS = {
    "deterrence": ("permanence", 0.0, 1.0),
    "screening": ("prior_sincere", 0.01, 0.99),
    "bargaining": ("cost_coalition", 0.0, 0.5),
    "mediation": ("mediator_bias", 0.0, 1.0),
    "brinkmanship": ("prior_resolute", 0.01, 0.99),
}


def gambit_baselines() -> dict[str, Callable[[], object]]:
    try:
        from crisislab.games import bargaining, brinkmanship, deterrence, mediation, screening
        from crisislab.games import crosscheck as cc
    except ImportError:
        return {}
    return {
        "deterrence": lambda: cc.logit_limit(cc.deterrence_tree(deterrence.Params())),
        "screening": lambda: cc.screening_pbe(screening.Params()),
        "bargaining": lambda: cc.logit_limit(cc.bargaining_tree(bargaining.Params(types=5))),
        "mediation": lambda: cc.mediation_outcomes(mediation.Params()),
        "brinkmanship": lambda: cc.logit_limit(cc.brinkmanship_tree(brinkmanship.Params())),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    args = ap.parse_args()
    repeat = 5 if args.quick else 25
    baselines = gambit_baselines()

    print("== solve at defaults (median of", repeat, "runs); target <= 10 ms")
    print(f"{'game':14s} {'ours ms':>9s} {'Gambit ms':>10s} {'Gambit/ours':>12s}")
    for name in sorted(GAMES):
        kw = {"types": 5} if name == "bargaining" else {}
        ours = timeit(lambda n=name, k=kw: solve(n, **k), repeat if name != "power" else max(3, repeat // 5))
        base = baselines.get(name)
        if base is not None:
            b = timeit(base, max(3, repeat // 5))
            print(f"{name:14s} {ours * 1e3:9.3f} {b * 1e3:10.3f} {b / ours:12.1f}")
        else:
            print(f"{name:14s} {ours * 1e3:9.3f} {'-':>10s} {'-':>12s}")

    print("\n== 10,000-point sweep of the closed forms; target <= 2 s")
    print(f"{'game':14s} {'key':16s} {'sweep s':>8s} {'loop s (scaled)':>16s} {'loop/sweep':>11s}")
    for name, (key, lo, hi) in SWEEPS.items():
        spec = GAMES[name]
        params = spec.params()
        values = np.linspace(lo, hi, 10_000)
        sweep_t = timeit(lambda s=spec, p=params, k=key, vals=values: s.metrics(p, k, vals), max(3, repeat // 5))
        few = values[:: 50]
        loop_t = timeit(lambda s=spec, p=params, k=key, vals=few: [s.solve(p.model_copy(update={k: float(x)})) for x in vals], 3)
        loop_scaled = loop_t * values.size / few.size
        print(f"{name:14s} {key:16s} {sweep_t:8.3f} {loop_scaled:16.2f} {loop_scaled / sweep_t:11.0f}")
    mp = v.MandateParams()
    t_m = timeit(lambda: v.mandate_metrics(mp, "spread", np.linspace(0, 0.5, 100)), 3)
    print(f"{'mandate':14s} {'spread':16s} {t_m * 100:8.3f} (100 points measured, scaled to 10,000: exact count per point, not a closed form)")

    print("\n== exact voting power; target: EU-27 QMV <= 1 s")
    members = v._scenario_members("eu-russia")
    w = v.population_units([m[2] for m in members], v.UNIT_POWER)
    t_eu = timeit(lambda: v.power_indices(w, "qmv"), max(3, repeat // 5))
    print(f"EU-27 QMV, {len(w)} members, populations in units of {v.UNIT_POWER:,}: {t_eu:.3f} s")
    top = np.sort(w)[-16:]

    def brute() -> None:
        n = top.size
        swings = np.zeros(n, dtype=np.int64)
        for mask in itertools.product((False, True), repeat=n):
            yes = np.array(mask)
            if v.passes("qmv", yes, top):
                for i in np.flatnonzero(yes):
                    yes[i] = False
                    if not v.passes("qmv", yes, top):
                        swings[i] += 1
                    yes[i] = True

    t_dp16 = timeit(lambda: v.power_indices(top, "qmv"), 3)
    t_bf16 = timeit(brute, 1)
    print(f"16 largest members: exact count {t_dp16:.3f} s, brute force 2^16 coalitions {t_bf16:.2f} s, ratio {t_bf16 / t_dp16:.0f}x")
    print(f"(brute force on 27 members would enumerate 2^27 = {2**27:,} coalitions, about {t_bf16 * 2**11:.0f} s at this rate)")


if __name__ == "__main__":
    main()
