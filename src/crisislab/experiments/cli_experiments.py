"""Commands for experiments at scale: ``sweep``, ``sensitivity``, ``discover``, ``robust`` and
``results list|show|query``.

Each experiment command loads and validates an experiment file, runs (or resumes) it on the
chosen backend into the results folder, then analyses what is stored. Running the same
file again does not recompute finished chunks; ``--fresh`` starts over.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from crisislab.errors import InputError, Problem
from crisislab.experiments.analysis import AnalysisError, morris_indices, sobol_indices
from crisislab.experiments.backends import BACKENDS, make_backend
from crisislab.experiments.discovery import failure_frame, find_boxes
from crisislab.experiments.robust import choose, default_direction, regret_table, satisficing_table
from crisislab.experiments.runner import RunReport, point_means, run_experiment
from crisislab.experiments.spec import LoadedExperiment, Objective, Threshold, load_experiment
from crisislab.experiments.store import ResultStore, atomic_write_bytes
from crisislab.output import Format, console, emit, err_console, to_json

DEFAULT_RESULTS = "results"

ConfigArg = typer.Argument(..., help="Experiment file (YAML).", show_default=False)
BackendOpt = typer.Option("local", "--backend", "-b", help=f"Where to evaluate: {' | '.join(BACKENDS)}.")
SchedulerOpt = typer.Option(None, "--scheduler", help="Address of a running Dask scheduler (with --backend dask).")
WorkersOpt = typer.Option(None, "--workers", "-w", help="Worker processes (default: usable CPUs).")
ResultsOpt = typer.Option(
    None, "--results", "-r", help="Results folder (default: $CRISISLAB_RESULTS or ./results)."
)
FreshOpt = typer.Option(False, "--fresh", help="Delete stored results of this experiment and start over.")
FormatOpt = typer.Option(Format.table, "--format", "-f", help="Output format.")


def _store(results: Path | None) -> ResultStore:
    root = results or Path(os.environ.get("CRISISLAB_RESULTS", DEFAULT_RESULTS))
    if root.exists() and not root.is_dir():
        raise InputError(str(root), [Problem("--results", "a file", "a folder for results")])
    return ResultStore(root)


def execute(
    config: Path,
    backend: str,
    scheduler: str | None,
    workers: int | None,
    results: Path | None,
    fresh: bool,
) -> tuple[LoadedExperiment, ResultStore, RunReport]:
    """Load the file, run or resume it with a progress bar, and return what was done."""
    loaded = load_experiment(config)
    store = _store(results)
    text = config.read_text(encoding="utf-8")
    be = make_backend(backend, workers, scheduler)
    try:
        err_console.print(f"experiment [bold]{loaded.experiment_id}[/] on {be.describe()}", highlight=False)
        link = getattr(be, "dashboard_link", None)
        if link:
            err_console.print(f"Dask dashboard: {link}", highlight=False)
        progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("chunks"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=err_console,
            transient=False,
        )
        state: dict[str, Any] = {}

        def on_start(total: int, done: int) -> None:
            if done:
                err_console.print(f"resuming: {done} of {total} chunks already stored", highlight=False)
            state["task"] = progress.add_task("evaluating", total=total - done)

        def on_chunk(_chunk: int) -> None:
            progress.advance(state["task"])

        with progress:
            report = run_experiment(
                loaded, store, be, fresh=fresh, experiment_text=text, on_start=on_start, on_chunk=on_chunk
            )
    finally:
        be.close()
    err_console.print(
        f"stored in {store.exp_dir(report.experiment_id)}: {report.n_chunks} chunks "
        f"({report.chunks_computed} computed now in {report.seconds:.1f} s)",
        highlight=False,
    )
    return loaded, store, report


def _means(loaded: LoadedExperiment, store: ResultStore, eid: str) -> pd.DataFrame:
    cols = ["point", "policy", *loaded.spec.outcomes]
    outcomes = store.read_outcomes(eid, columns=cols)
    return point_means(outcomes, loaded.spec.outcomes)


def _save_analysis(store: ResultStore, eid: str, name: str, data: Any) -> None:
    folder = store.exp_dir(eid) / "analysis"
    folder.mkdir(exist_ok=True)
    atomic_write_bytes(folder / f"{name}.json", to_json(data).encode())


def _header(report: RunReport) -> dict[str, Any]:
    return {
        "experiment": report.experiment_id,
        "points": report.design.n_points,
        "policies": [p.label for p in report.policies],
        "chunks": report.n_chunks,
        "chunks_computed": report.chunks_computed,
        "seconds": round(report.seconds, 3),
    }


# -- sweep -----------------------------------------------------------------------------


def sweep(
    config: Path = ConfigArg,
    backend: str = BackendOpt,
    scheduler: str | None = SchedulerOpt,
    workers: int | None = WorkersOpt,
    results: Path | None = ResultsOpt,
    fresh: bool = FreshOpt,
    fmt: Format = FormatOpt,
) -> None:
    """Evaluate every policy at every sampled point and store the per-run outcomes."""
    loaded, store, report = execute(config, backend, scheduler, workers, results, fresh)
    means = _means(loaded, store, report.experiment_id)
    rows = []
    summary: dict[str, Any] = {}
    for policy, sub in means.groupby("policy", sort=False):
        row: dict[str, Any] = {"policy": policy}
        summary[str(policy)] = {}
        for m in loaded.spec.outcomes:
            v = sub[m].to_numpy(dtype=float)
            v = v[~np.isnan(v)]
            mean = float(v.mean()) if v.size else float("nan")
            lo, hi = (float(np.quantile(v, 0.05)), float(np.quantile(v, 0.95))) if v.size else (float("nan"),) * 2
            row[m] = mean
            summary[str(policy)][m] = {"mean": mean, "p05": lo, "p95": hi}
        rows.append(row)
    order = [p.label for p in report.policies]
    rows.sort(key=lambda r: order.index(r["policy"]))
    emit(
        fmt,
        rows,
        json_data={**_header(report), "outcomes": summary},
        title=f"{report.experiment_id}: mean outcome over {report.design.n_points} points x {loaded.spec.runs} runs",
    )


# -- sensitivity -------------------------------------------------------------------------


def sensitivity(
    config: Path = ConfigArg,
    backend: str = BackendOpt,
    scheduler: str | None = SchedulerOpt,
    workers: int | None = WorkersOpt,
    results: Path | None = ResultsOpt,
    fresh: bool = FreshOpt,
    conf_level: float = typer.Option(0.95, "--conf-level", min=0.5, max=0.999, help="Confidence level of the CIs."),
    resamples: int = typer.Option(500, "--resamples", min=10, max=100_000, help="Bootstrap resamples for the CIs."),
    fmt: Format = FormatOpt,
) -> None:
    """Sobol (first- and total-order, with CIs) or Morris (mu*, sigma) indices, ranked."""
    method = load_experiment(config).spec.sampler.method
    if method not in ("sobol", "saltelli", "morris"):
        raise InputError(
            str(config),
            [Problem("sampler.method", method, "sobol (or saltelli) for Sobol indices, or morris for Morris screening")],
        )
    loaded, store, report = execute(config, backend, scheduler, workers, results, fresh)
    means = _means(loaded, store, report.experiment_id)
    spec = loaded.spec
    all_rows: list[dict[str, Any]] = []
    data: dict[str, Any] = {**_header(report), "method": "morris" if method == "morris" else "sobol",
                            "conf_level": conf_level, "indices": {}, "skipped": {}}
    for p in report.policies:
        sub = means[means["policy"] == p.label].sort_values("point")
        data["indices"][p.label] = {}
        for m in spec.outcomes:
            y = sub[m].to_numpy(dtype=float)
            try:
                if method == "morris":
                    rows = morris_indices(report.design, y, levels=spec.sampler.levels, conf_level=conf_level,
                                          num_resamples=resamples, seed=spec.seed % 2**32)
                else:
                    rows = sobol_indices(report.design, y, second_order=spec.sampler.second_order,
                                         conf_level=conf_level, num_resamples=resamples, seed=spec.seed % 2**32)
            except AnalysisError as exc:
                data["skipped"].setdefault(p.label, {})[m] = str(exc)
                continue
            data["indices"][p.label][m] = rows
            for r in rows:
                all_rows.append({"policy": p.label, "outcome": m, **r})
    _save_analysis(store, report.experiment_id, "sensitivity", data)
    if fmt is Format.table:
        for p in report.policies:
            for m in spec.outcomes:
                rows = data["indices"][p.label].get(m)
                if rows is None:
                    err_console.print(f"{p.label} / {m}: skipped ({data['skipped'][p.label][m]})", highlight=False)
                    continue
                if method == "morris":
                    view = [{"rank": r["rank"], "uncertainty": r["uncertainty"], "mu*": r["mu_star"],
                             "mu* CI": f"[{r['mu_star_low']:.3f}, {r['mu_star_high']:.3f}]", "sigma": r["sigma"]}
                            for r in rows]
                else:
                    view = [{"rank": r["rank"], "uncertainty": r["uncertainty"],
                             "S1": r["S1"], "S1 CI": f"[{r['S1_low']:.3f}, {r['S1_high']:.3f}]",
                             "ST": r["ST"], "ST CI": f"[{r['ST_low']:.3f}, {r['ST_high']:.3f}]"} for r in rows]
                emit(fmt, view, title=f"{m} under {p.label} ({'Morris' if method == 'morris' else 'Sobol'}, "
                                      f"{int(conf_level * 100)}% CI, {report.design.n_points} points)")
    else:
        emit(fmt, all_rows, json_data=data)


# -- discover --------------------------------------------------------------------------


def discover(
    config: Path = ConfigArg,
    fails_when: str | None = typer.Option(None, "--fails-when", help="Failure condition, e.g. 'p_war > 0.3'."),
    doctrine: list[str] | None = typer.Option(None, "--doctrine", "-d", help="Policies to examine (default: all)."),
    min_density: float | None = typer.Option(None, "--min-density", min=0.01, max=1.0, help="Least density of a reported box."),
    backend: str = BackendOpt,
    scheduler: str | None = SchedulerOpt,
    workers: int | None = WorkersOpt,
    results: Path | None = ResultsOpt,
    fresh: bool = FreshOpt,
    fmt: Format = FormatOpt,
) -> None:
    """PRIM scenario discovery: boxes of uncertainty space where a doctrine fails."""
    loaded = load_experiment(config)
    dspec = loaded.spec.discover
    try:
        cond = Threshold.parse(fails_when) if fails_when else dspec.fails_when
    except ValueError as exc:
        raise InputError("--fails-when", [Problem("value", repr(fails_when), str(exc))]) from None
    if cond is None:
        raise InputError(str(config), [Problem("discover.fails_when", "nothing", "a condition like 'p_war > 0.3' (or --fails-when)")])
    density = min_density if min_density is not None else dspec.min_density
    loaded, store, report = execute(config, backend, scheduler, workers, results, fresh)
    labels = [p.label for p in report.policies]
    wanted = list(doctrine or dspec.doctrines or labels)
    chosen = [lab for lab in labels if lab in wanted or lab.split("[")[0] in wanted]
    unknown = [w for w in wanted if not any(lab == w or lab.split("[")[0] == w for lab in labels)]
    if unknown:
        raise InputError("--doctrine", [Problem("value", unknown[0], f"one of the experiment's policies: {', '.join(labels)}")])
    cols = ["point", "policy", cond.outcome]
    means = point_means(store.read_outcomes(report.experiment_id, columns=cols), [cond.outcome])
    points = store.read_points(report.experiment_id)
    keys = [u.key for u in loaded.spec.uncertainties]
    data: dict[str, Any] = {**_header(report), "condition": str(cond), "min_density": density, "policies": {}}
    rows: list[dict[str, Any]] = []
    sentences: list[str] = []
    for label in chosen:
        frame = failure_frame(points, means, keys, label, cond.outcome)
        failed = cond.holds(frame[cond.outcome].to_numpy(dtype=float))
        share = float(failed.mean()) if len(failed) else float("nan")
        boxes = find_boxes(frame[keys], failed, min_density=density, max_dims=dspec.max_dims,
                           max_boxes=dspec.max_boxes, peel_alpha=dspec.peel_alpha)
        entry: dict[str, Any] = {"failing_share": share, "points": len(failed), "boxes": []}
        if failed.sum() == 0:
            sentences.append(f"`{label}` never has {cond} in the {len(failed)} sampled points.")
        elif failed.all():
            sentences.append(f"`{label}` has {cond} in every one of the {len(failed)} sampled points.")
        elif not boxes:
            sentences.append(f"`{label}` has {cond} in {100 * share:.0f}% of points, scattered: PRIM found no box.")
        for b in boxes:
            text = b.describe(label, str(cond))
            if not b.meets_density:
                text += f" (best box found; below the requested density {density:g})"
            sentences.append(text)
            entry["boxes"].append({"sentence": text, "restrictions": [r.to_dict() for r in b.restrictions],
                                   "coverage": b.coverage, "density": b.density, "mass": b.mass,
                                   "n_points": b.n_points, "meets_density": b.meets_density})
            rows.append({"policy": label, "box": b.clauses(), "coverage": b.coverage, "density": b.density,
                         "mass": b.mass, "failing_share": share})
        data["policies"][label] = entry
    data["sentences"] = sentences
    _save_analysis(store, report.experiment_id, "discover", data)
    if fmt is Format.table:
        for s in sentences:
            console.print(s, highlight=False, markup=False)
        if rows:
            emit(fmt, rows, title=f"PRIM boxes where {cond}")
    else:
        emit(fmt, rows, json_data=data)


# -- robust ----------------------------------------------------------------------------


def robust(
    config: Path = ConfigArg,
    outcome: list[str] | None = typer.Option(None, "--outcome", "-o", help="Objective outcome(s) for regret (default: from the file, else the first outcome)."),
    satisfice: list[str] | None = typer.Option(None, "--satisfice", "-s", help="Constraint(s) for satisficing, e.g. 'p_war <= 0.2'."),
    backend: str = BackendOpt,
    scheduler: str | None = SchedulerOpt,
    workers: int | None = WorkersOpt,
    results: Path | None = ResultsOpt,
    fresh: bool = FreshOpt,
    fmt: Format = FormatOpt,
) -> None:
    """Choose among doctrines by minimax regret and by satisficing across sampled futures."""
    loaded = load_experiment(config)
    rspec = loaded.spec.robust
    if outcome:
        objectives = []
        for o in outcome:
            try:
                objectives.append(Objective(outcome=o, direction=default_direction(o)))
            except Exception:  # noqa: BLE001 - pydantic validation of a CLI value
                raise InputError("--outcome", [Problem("value", repr(o), "an outcome metric name")]) from None
    else:
        objectives = rspec.objectives or [Objective(outcome=loaded.spec.outcomes[0], direction=default_direction(loaded.spec.outcomes[0]))]
    try:
        constraints = [Threshold.parse(s) for s in satisfice] if satisfice else list(rspec.satisficing)
    except ValueError as exc:
        raise InputError("--satisfice", [Problem("value", repr(satisfice), str(exc))]) from None
    loaded, store, report = execute(config, backend, scheduler, workers, results, fresh)
    if len(report.policies) < 2:
        raise InputError(str(config), [Problem("levers.doctrines", "one policy", "at least two policies to choose among")])
    needed = sorted({o.outcome for o in objectives} | {c.outcome for c in constraints})
    means = point_means(store.read_outcomes(report.experiment_id, columns=["point", "policy", *needed]), needed)
    regrets = {o.outcome: regret_table(means, o) for o in objectives}
    sat = satisficing_table(means, constraints)
    choice = choose(regrets, sat)
    sentences = choice.sentences(constraints)
    if not constraints:
        sentences.append("No satisficing constraints given (use --satisfice 'p_war <= 0.2' or robust.satisficing).")
    data = {**_header(report), "objectives": [o.model_dump() for o in objectives],
            "satisficing_constraints": [str(c) for c in constraints], "regret": regrets,
            "satisficing": sat, "sentences": sentences}
    _save_analysis(store, report.experiment_id, "robust", data)
    if fmt is Format.table:
        for o, rows in regrets.items():
            emit(fmt, [{k: r[k] for k in ("rank", "policy", "mean", "worst", "max_regret", "p90_regret", "mean_regret")} for r in rows],
                 title=f"Regret on {o} over {report.design.n_points} futures")
        if sat:
            emit(fmt, sat, title="Satisficing: share of futures meeting the constraints")
        for s in sentences:
            console.print(s, highlight=False, markup=False)
    else:
        flat = [{"criterion": f"regret:{o}", **r} for o, rows in regrets.items() for r in rows]
        flat += [{"criterion": "satisficing", **r} for r in sat]
        emit(fmt, flat, json_data=data)


# -- results ---------------------------------------------------------------------------

results_app = typer.Typer(help="Stored experiments: list, show, query with SQL.", no_args_is_help=True)


@results_app.command("list")
def results_list(results: Path | None = ResultsOpt, fmt: Format = FormatOpt) -> None:
    """List stored experiments."""
    store = _store(results)
    with store.connect() as con:
        df = con.execute(
            "SELECT experiment_id, name, status, scenario, sampler, points, policies, runs, chunks_done, "
            "chunks_total, created, finished FROM experiments ORDER BY created"
        ).fetchdf()
    rows = df.to_dict(orient="records")
    if not rows and fmt is Format.table:
        console.print(f"no experiments in {store.root}", highlight=False)
        return
    emit(fmt, rows, title=f"experiments in {store.root}")


@results_app.command("show")
def results_show(
    experiment: str = typer.Argument(..., help="Experiment id (see `crisislab results list`)."),
    results: Path | None = ResultsOpt,
    fmt: Format = FormatOpt,
) -> None:
    """Show one experiment's manifest and mean outcomes per policy."""
    store = _store(results)
    manifest = store.read_manifest(experiment)
    outcomes = manifest.get("outcomes", [])
    files = store.chunk_files(experiment)
    summary: list[dict[str, Any]] = []
    if files and outcomes:
        sel = ", ".join(f"avg({m}) AS {m}" for m in outcomes)
        summary = store.query(
            f"SELECT policy, count(*) AS rows, {sel} FROM outcomes WHERE experiment = '{experiment.replace(chr(39), chr(39) * 2)}' GROUP BY policy ORDER BY policy"
        ).to_dict(orient="records")
    data = {"manifest": manifest, "chunks_done": len(files), "means": summary}
    if fmt is Format.json:
        print(to_json(data))
        return
    info = [
        {"field": k, "value": v if not isinstance(v, (dict, list)) else json.dumps(v, default=str)[:120]}
        for k, v in manifest.items()
        if k not in ("uncertainties", "policies", "attempts")
    ]
    info.append({"field": "uncertainties", "value": ", ".join(u.get("label") or u.get("name") or u.get("path", "?") for u in manifest.get("uncertainties", []))})
    info.append({"field": "chunks_done", "value": len(files)})
    if fmt is Format.csv:
        emit(fmt, summary or info)
        return
    emit(fmt, info, title=f"experiment {experiment}")
    if summary:
        emit(fmt, summary, title="mean outcomes per policy")


@results_app.command("query")
def results_query(
    sql: str = typer.Argument(..., help="SQL over the views experiments, outcomes, points, x_<experiment>."),
    results: Path | None = ResultsOpt,
    limit: int = typer.Option(200, "--limit", min=1, help="Rows to print at most (table format)."),
    fmt: Format = FormatOpt,
) -> None:
    """Run a SQL query (DuckDB) on the stored results."""
    store = _store(results)
    df = store.query(sql)
    rows = df.to_dict(orient="records")
    if fmt is Format.table and len(rows) > limit:
        err_console.print(f"showing {limit} of {len(rows)} rows", highlight=False)
        rows = rows[:limit]
    emit(fmt, rows, title=None)


def register(app: typer.Typer) -> None:
    """Add the experiment commands to the ``crisislab`` app."""
    app.command("sweep")(sweep)
    app.command("sensitivity")(sensitivity)
    app.command("discover")(discover)
    app.command("robust")(robust)
    app.add_typer(results_app, name="results")
