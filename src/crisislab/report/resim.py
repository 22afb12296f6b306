"""Re-simulation for reports: weekly trajectory bands and mechanism attribution.

The engine is deterministic per (seed, run), so a report can re-derive what the stored
outcomes do not contain (weekly trajectories) and ask counterfactual questions on the very
same runs (the same doctrine with one mechanism switched off).

**Attribution by ablation.** For a doctrine ``d`` and the baseline ``b``, the paired
difference on a metric is ``D = mean_r (y_d,r - y_b,r)``. Switching mechanism ``m`` off in
the scenario (``mechanisms.<m>.enabled: false``) and simulating both doctrines again on the
same runs gives ``D_-m``. The part of the difference that ``m`` explains is
``E_m = D - D_-m``: how much smaller (or larger) the doctrine's advantage becomes when the
mechanism is absent. Because the runs are paired, ``E_m`` has a per-run value
``(y_d,r - y_b,r) - (y_d,r^-m - y_b,r^-m)`` and a t-interval. The shares ``E_m / D`` need
not sum to one: mechanisms interact, and one switched off can change what others do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crisislab.doctrines import PRESETS, get_doctrine
from crisislab.errors import InputError, Problem
from crisislab.experiments.compare import mean_ci
from crisislab.model.mechanisms.registry import MECHANISMS, by_name
from crisislab.model.outcomes import METRICS
from crisislab.scenario import LADDER, Scenario

WAR_RUNG = LADDER.index("conventional_war")
NUCLEAR_SIGNALLING_RUNG = LADDER.index("nuclear_signalling")
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
BAND_VARIABLES = ("rung", "cohesion", "final_frontline_trust", "permanence", "talks_open", "belief_true_type")

Tick = Callable[[int], None]


def resolvable(doctrine: str) -> bool:
    """Whether a doctrine label from stored results can be simulated again."""
    return doctrine in PRESETS


def contiguous_runs(runs: np.ndarray, n: int) -> tuple[int, int]:
    """The first ``n`` stored runs as ``(offset, count)`` when they are consecutive."""
    r = np.sort(np.asarray(runs, dtype=np.int64))[:n]
    if r.size == 0 or not np.array_equal(r, np.arange(r[0], r[0] + r.size)):
        raise ValueError("the stored runs are not consecutive")
    return int(r[0]), int(r.size)


def _sim(scenario: Scenario, doctrine: str, runs: int, seed: int, offset: int, record: bool):  # type: ignore[no-untyped-def]
    from crisislab.api import simulate_full

    return simulate_full(scenario, get_doctrine(doctrine), runs, seed, run_offset=offset, record=record)


def _all_doctrines(scenario: Scenario, doctrines: Sequence[str], runs: int, seed: int, offset: int) -> dict[str, pd.DataFrame]:
    """Every doctrine's outcomes on one scenario, from one engine batch (the same tables as
    one simulation per doctrine)."""
    from crisislab.api import simulate_points
    from crisislab.model.engine import Point
    from crisislab.model.params import compile_scenario

    p = compile_scenario(scenario)
    tables = simulate_points([Point(p, get_doctrine(d), runs, seed, offset) for d in doctrines])
    return dict(zip(doctrines, tables, strict=True))


def verify(scenario: Scenario, seed: int, stored: dict[str, pd.DataFrame], source: str, *, runs: int = 3) -> None:
    """Re-simulate a few stored runs of one doctrine and raise :class:`InputError` if they differ.

    This is what catches a report built with the wrong ``--scenario`` or ``--seed``.
    """
    name = next((d for d in stored if resolvable(d)), None)
    if name is None:
        return
    frame = stored[name]
    offset, n = contiguous_runs(frame["run"].to_numpy(), runs)
    got = _sim(scenario, name, n, seed, offset, record=False).outcomes.reset_index(drop=True)
    want = frame.iloc[:n].reset_index(drop=True)
    for metric in METRICS:
        if metric in want.columns and metric in got.columns:
            a, b = want[metric].to_numpy(dtype=float), got[metric].to_numpy(dtype=float)
            if not np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True):
                i = int(np.flatnonzero(~np.isclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True))[0])
                raise InputError(
                    source,
                    [Problem(f"run {int(want['run'].iloc[i])} of {name}, {metric}",
                             f"{a[i]:.6g} stored but {b[i]:.6g} when simulated with scenario {scenario.name} and seed {seed}",
                             "the scenario and seed that produced the results: pass them with --scenario and --seed "
                             "(or --no-resimulate to report the stored outcomes only)")],
                    summary="does not match the scenario and seed given",
                )


def trajectory_bands(
    scenario: Scenario, doctrines: Sequence[str], seed: int, offset: int, runs: int, *, tick: Tick | None = None
) -> pd.DataFrame:
    """Weekly quantile bands of the recorded trajectories, one row per doctrine, variable and week.

    Columns: ``doctrine, variable, week, mean, p05, p25, p50, p75, p95``; the variable
    ``war_share`` is the share of runs at conventional war or higher that week and
    ``nuclear_signalling_share`` the share at nuclear signalling or higher.
    """
    rows: list[pd.DataFrame] = []
    for d in doctrines:
        res = _sim(scenario, d, runs, seed, offset, record=True)
        traj = dict(res.trajectories)
        traj["war_share"] = (traj["rung"] >= WAR_RUNG).astype(float)
        traj["nuclear_signalling_share"] = (traj["rung"] >= NUCLEAR_SIGNALLING_RUNG).astype(float)
        for var, arr in traj.items():
            a = np.asarray(arr, dtype=float)
            q = np.quantile(a, QUANTILES, axis=0)
            weeks = np.arange(1, a.shape[1] + 1)
            rows.append(pd.DataFrame({
                "doctrine": d, "variable": var, "week": weeks, "mean": a.mean(axis=0),
                **{f"p{int(round(qq * 100)):02d}": q[i] for i, qq in enumerate(QUANTILES)},
            }))
        if tick:
            tick(1)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def default_mechanisms(doctrines: Sequence[str], limit: int = 12) -> list[str]:
    """The mechanisms the compared doctrines' cases rest on (their ``mechanisms`` metadata)."""
    out: list[str] = []
    for d in doctrines:
        if d in PRESETS:
            for m in PRESETS[d].mechanisms:
                name = by_name(m).name
                if name not in out:
                    out.append(name)
    return out[:limit]


def parse_mechanisms(text: str | None, doctrines: Sequence[str]) -> list[str]:
    """``None``/``auto`` → :func:`default_mechanisms`; ``all``; or a comma list of IDs/names."""
    if text is None or text.strip() in ("", "auto"):
        return default_mechanisms(doctrines)
    if text.strip() == "all":
        return [m.name for m in MECHANISMS.values()]
    out: list[str] = []
    for part in (t.strip() for t in text.split(",")):
        if not part:
            continue
        try:
            out.append(by_name(part).name)
        except KeyError:
            raise InputError("--attribution-mechanisms", [Problem("(value)", repr(part), "mechanism IDs or names such as M06 or credibility_decay, 'auto' or 'all'")]) from None
    return out


@dataclass
class Attribution:
    """Ablation results: one row per doctrine, mechanism and metric."""

    baseline: str
    runs: int
    offset: int
    table: pd.DataFrame  # doctrine, mechanism_id, mechanism, metric, diff, diff_without, explained, ci_low, ci_high, share


def attribute(
    scenario: Scenario,
    doctrines: Sequence[str],
    baseline: str,
    seed: int,
    offset: int,
    runs: int,
    mechanisms: Sequence[str],
    metrics: Sequence[str] = ("p_war",),
    *,
    tick: Tick | None = None,
) -> Attribution:
    """Explain each doctrine's paired difference against ``baseline`` mechanism by mechanism."""
    others = [d for d in doctrines if d != baseline]
    names = [baseline, *others]
    full = _all_doctrines(scenario, names, runs, seed, offset)
    rows: list[dict[str, object]] = []
    for mech in mechanisms:
        info = by_name(mech)
        ablated = scenario.with_overrides({f"mechanisms.{info.name}.enabled": False})
        off = _all_doctrines(ablated, names, runs, seed, offset)
        for d in others:
            for metric in metrics:
                with_m = full[d][metric].to_numpy(float) - full[baseline][metric].to_numpy(float)
                without = off[d][metric].to_numpy(float) - off[baseline][metric].to_numpy(float)
                diff, _, _ = mean_ci(with_m)
                diff_wo, _, _ = mean_ci(without)
                expl, lo, hi = mean_ci(with_m - without)
                share = expl / diff if np.isfinite(diff) and abs(diff) > 1e-12 else float("nan")
                rows.append({"doctrine": d, "mechanism_id": info.id, "mechanism": info.name, "metric": metric,
                             "diff": diff, "diff_without": diff_wo, "explained": expl, "ci_low": lo, "ci_high": hi,
                             "share": share})
        if tick:
            tick(1)
    cols = ["doctrine", "mechanism_id", "mechanism", "metric", "diff", "diff_without", "explained", "ci_low", "ci_high", "share"]
    return Attribution(baseline, runs, offset, pd.DataFrame(rows, columns=cols))
