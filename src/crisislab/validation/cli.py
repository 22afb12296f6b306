"""Commands ``crisislab validate`` and ``crisislab backtest deu3``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import typer

from crisislab.errors import InputError, Problem
from crisislab.output import Format, emit, err_console

backtest_app = typer.Typer(
    name="backtest",
    help="Backtests of the bargaining models against recorded decisions.",
    no_args_is_help=True,
)

validate_app = typer.Typer(
    name="validate",
    help="Stylized facts from history against the simulated generic crisis family; calibration.",
    invoke_without_command=True,
)


def _format(value: str) -> Format:
    try:
        return Format(value)
    except ValueError:
        raise InputError("--format", [Problem("(option)", repr(value), "one of table, json, csv")]) from None


def _positive(name: str, value: int) -> int:
    if value < 1:
        raise InputError(name, [Problem("(option)", str(value), "an integer >= 1")])
    return value


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
        task = bar.add_task(label, total=total)
        yield lambda k: bar.advance(task, k)


@validate_app.callback(invoke_without_command=True)
def validate(
    ctx: typer.Context,
    data: str = typer.Option(None, "--data", help="Reference data folder (default: $CRISISLAB_DATA)."),
    fmt: str = typer.Option("table", "--format", help="table, json or csv."),
    reps: int = typer.Option(2000, "--reps", help="Bootstrap replications per fact (historical and simulated)."),
    seed: int = typer.Option(20240601, "--seed", help="Seed of the bootstrap."),
    calibrated: bool = typer.Option(False, "--calibrated", help="Apply the fitted values of calibration.yaml to the family."),
    calibration: Path = typer.Option(None, "--calibration", help="A calibration file other than the shipped one."),
    crises: int = typer.Option(None, "--crises", help="Crises drawn from the family (default: the family's)."),
    runs: int = typer.Option(None, "--runs", help="Runs per crisis and mediation variant (default: the family's)."),
    family_seed: int = typer.Option(None, "--family-seed", help="Seed of the crisis draws and runs (default: the family's)."),
    jobs: int = typer.Option(1, "--jobs", help="Worker processes."),
    tolerances: Path = typer.Option(None, "--tolerances", help="A tolerance file other than the shipped one (v2; v1 is tolerances_v1.yaml)."),
    facts_only: bool = typer.Option(False, "--facts-only", help="Historical facts only, no simulation."),
    both: bool = typer.Option(False, "--both", help="Simulate with the defaults and with the calibrated values."),
    plot: Path = typer.Option(None, "--plot", help="Also write a chart (.svg, .png or .pdf) of history against simulation."),
    runs_out: Path = typer.Option(None, "--runs-out", help="Also write one row per simulated run to this Parquet file."),
) -> None:
    """Each fact: historical value with CI, simulated value with CI, tolerance, pass/fail."""
    if ctx.invoked_subcommand is not None:
        return
    from crisislab.validation.data import resolve_data_dir
    from crisislab.validation.facts import compute_facts
    from crisislab.validation.tolerances import load_tolerances

    form = _format(fmt)
    _positive("--reps", reps)
    _positive("--jobs", jobs)
    for name, v in (("--crises", crises), ("--runs", runs)):
        if v is not None:
            _positive(name, v)
    folder = resolve_data_dir(data)
    facts = compute_facts(folder, reps=reps, seed=seed)
    tol = load_tolerances(tolerances)
    if facts_only:
        _emit_facts_only(form, facts, tol, folder, reps, seed)
        return
    if plot is not None and plot.suffix.lower() not in (".svg", ".png", ".pdf"):
        raise InputError(str(plot), [Problem("--plot", repr(plot.suffix), "a file name ending in .svg, .png or .pdf")])
    if runs_out is not None and (runs_out.suffix.lower() != ".parquet" or runs_out.is_dir()):
        raise InputError(str(runs_out), [Problem("--runs-out", repr(str(runs_out)), "a file name ending in .parquet")])
    modes = [False, True] if both else [calibrated or calibration is not None]
    records: list[Any] = []
    reports = {("calibrated" if m else "defaults"): validation_report(
        facts, tol, calibrated=m, calibration=calibration, crises=crises, runs=runs, family_seed=family_seed,
        jobs=jobs, reps=reps, seed=seed, records=records if runs_out is not None else None) for m in modes}
    for rep in reports.values():
        rep["data"] = str(folder)
    if runs_out is not None:
        from crisislab.validation.simulated import write_records

        n_rows = write_records(records, runs_out)
        err_console.print(f"wrote {n_rows} per-run records to {runs_out}", highlight=False)
    if plot is not None:
        from crisislab.validation.plot import plot_reports

        plot_reports(reports, plot)
    if form is Format.json:
        emit(form, [], json_data=reports if both else next(iter(reports.values())))
        return
    if form is Format.csv:
        emit(form, [{**{k: r[k] for k in COLUMNS}, "parameters": rep["parameters"], "note": r["note"]}
                    for rep in reports.values() for r in rep["facts"]])
        return
    for rep in reports.values():
        _emit_report(form, rep, tol)


COLUMNS = ("fact", "role", "historical", "hist_ci_low", "hist_ci_high", "n", "simulated", "sim_ci_low",
           "sim_ci_high", "tolerance", "result")


def _emit_report(form: Format, report: dict[str, Any], tol: Any) -> None:
    rows = report["facts"]
    cols = COLUMNS
    fam = report["family"]
    emit(form, [{k: r[k] for k in cols} for r in rows],
         title=(f"History vs simulation: {fam['crises']} crises x {fam['runs_per_crisis']} runs x 4 mediation variants "
                f"(family seed {fam['seed']}, {report['parameters']}); tolerances v{tol.version}"))
    emit(form, report["orderings"], title="Orderings")
    emit(form, [{"role": k, **v} for k, v in report["summary"].items()], title="Summary by role")
    notes: dict[str, list[str]] = {}
    for r in rows:
        if r["note"]:
            notes.setdefault(r["note"], []).append(r["fact"])
    for note, ids in notes.items():
        err_console.print(f"{', '.join(ids)}: not simulated: {note}", highlight=False)


def validation_report(facts: list[Any], tol: Any, *, calibrated: bool = False, calibration: Path | None = None,
                      crises: int | None = None, runs: int | None = None, family_seed: int | None = None,
                      jobs: int = 1, reps: int = 2000, seed: int = 20240601,
                      records: list[Any] | None = None) -> dict[str, Any]:
    """Simulate the family and compare; the JSON document of ``crisislab validate``."""
    from crisislab.validation.calibrate import family_with, load_calibration, model_fingerprint
    from crisislab.validation.compare import compare, orderings, summary
    from crisislab.validation.family import load_family
    from crisislab.validation.simulated import run_family, simulated_values

    family = load_family()
    fingerprint = model_fingerprint()
    cal_info: dict[str, Any] | None = None
    if calibrated:
        cal = load_calibration(calibration)
        family = family_with(family, cal.values)
        stale = cal.provenance.get("model_fingerprint") != fingerprint
        cal_info = {"file": str(calibration) if calibration else "calibration.yaml (shipped)", "values": cal.values,
                    "date": cal.provenance.get("date"), "seed": cal.provenance.get("seed"), "stale": stale}
        if stale:
            err_console.print("warning: the engine, doctrine or policy code changed since this calibration was fitted "
                              "(model fingerprint differs); re-run `crisislab validate calibrate`", highlight=False)
    n = crises or family.crises
    with _progress(n, "simulating crises") as advance:
        sim = run_family(family, crises=n, runs=runs, seed=family_seed, jobs=jobs, progress=advance,
                         keep_runs=records is not None)
    if records is not None and sim.records is not None:
        records.append(sim.records.assign(parameters="calibrated" if calibrated else "defaults"))
    sims = simulated_values(sim, reps=reps, seed=seed, mapping=tol.mapping)
    rows = compare(facts, sims, tol)
    by_doctrine = {d: {k: v.value for k, v in simulated_values(sim, reps=0, doctrine=d, mapping=tol.mapping).items()}
                   for d in sim.doctrines}
    by_senders: dict[str, dict[str, float]] = {}
    if sim.senders is not None:
        for label, lo, hi in (("1", 1, 1), ("2-3", 2, 3), ("5+", 5, 10**6)):
            mask = (sim.senders >= lo) & (sim.senders <= hi)
            if mask.any():
                vals = simulated_values(sim, reps=0, mapping=tol.mapping, crises=np.nonzero(mask)[0])
                by_senders[label] = {"crises": int(mask.sum()), **{k: v.value for k, v in vals.items()}}
    return {
        "tolerances": {"version": tol.version, "date": tol.date, "mapping": tol.mapping},
        "family": {"name": family.base.name, "crises": sim.crises, "runs_per_crisis": sim.runs_per_crisis,
                   "seed": sim.seed, "doctrines": family.doctrines,
                   "mediation_rate": family.mediation.rate, "style_weights": family.mediation.style_weights},
        "parameters": "calibrated" if calibrated else "defaults",
        "model_fingerprint": fingerprint,
        "calibration": cal_info,
        "bootstrap": {"reps": reps, "seed": seed},
        "facts": [r.as_row() for r in rows],
        "orderings": orderings(sims, tol),
        "summary": summary(rows),
        "by_doctrine": by_doctrine,
        "by_senders": by_senders,
    }


def _emit_facts_only(form: Format, facts: list[Any], tol: Any, folder: Path, reps: int, seed: int) -> None:
    rows: list[dict[str, Any]] = []
    for f in facts:
        t = tol.facts.get(f.id)
        rows.append({
            "fact": f.id, "unit": f.unit, "historical": f.value, "ci_low": f.ci_low, "ci_high": f.ci_high,
            "n": f.n, "tolerance": t.tolerance if t else None, "role": t.role if t else None,
        })
    if form is Format.json:
        payload = {
            "data": str(folder), "seed": seed, "reps": reps,
            "tolerances": {"version": tol.version, "date": tol.date},
            "facts": [
                {**f.as_dict(),
                 "tolerance": tol.facts[f.id].tolerance if f.id in tol.facts else None,
                 "role": tol.facts[f.id].role if f.id in tol.facts else None,
                 "simulated_as": tol.facts[f.id].simulated_as if f.id in tol.facts else None}
                for f in facts
            ],
            "orderings": [{"name": o.name, "role": o.role, "increasing": list(o.increasing)} for o in tol.orderings],
        }
        emit(form, rows, json_data=payload)
        return
    emit(form, rows, title=f"Stylized facts (bootstrap 95% CI, {reps} reps, seed {seed}); tolerances v{tol.version}")


@validate_app.command("calibrate")
def calibrate_cmd(
    data: str = typer.Option(None, "--data", help="Reference data folder (default: $CRISISLAB_DATA)."),
    seed: int = typer.Option(1, "--seed", help="Seed of the crisis draws, runs and search."),
    crises: int = typer.Option(12, "--crises", help="Crises in the fixed calibration set (Latin hypercube)."),
    runs: int = typer.Option(300, "--runs", help="Runs per crisis and mediation variant."),
    scan: int = typer.Option(12, "--scan", help="Latin-hypercube points before Nelder-Mead."),
    evals: int = typer.Option(60, "--evals", help="Objective evaluations in total."),
    jobs: int = typer.Option(1, "--jobs", help="Worker processes."),
    out: Path = typer.Option(Path("calibration.yaml"), "--out", help="Where to write the fitted values."),
    fmt: str = typer.Option("table", "--format", help="table, json or csv."),
) -> None:
    """Fit a few default parameters to the calibration facts (simulated method of moments)."""
    from crisislab.validation.calibrate import CAL_PARAMS, calibrate, write_calibration

    form = _format(fmt)
    for name, v in (("--crises", crises), ("--runs", runs), ("--evals", evals), ("--jobs", jobs)):
        _positive(name, v)
    if scan < 0:
        raise InputError("--scan", [Problem("(option)", str(scan), "an integer >= 0")])
    if out.exists() and out.is_dir():
        raise InputError(str(out), [Problem("(path)", "a directory", "a file to write")])
    with _progress(evals, "calibrating") as advance:
        result = calibrate(data, seed=seed, crises=crises, runs=runs, scan=scan, evals=evals, jobs=jobs, progress=advance)
    command = (f"crisislab validate calibrate --data DIR --seed {seed} --crises {crises} --runs {runs} "
               f"--scan {scan} --evals {evals}")
    doc = write_calibration(result, out, data_dir=data, seed=seed, crises=crises, runs=runs, scan=scan, evals=evals,
                            command=command)
    if doc["model_changed_during_run"]:
        err_console.print("warning: the engine, doctrine or policy source changed while calibrating; "
                          "the fit is recorded but should be re-run on a fixed code state", highlight=False)
    rows = [{"parameter": k, "default": result.defaults[k], "fitted": result.values[k],
             "low": CAL_PARAMS[k][0], "high": CAL_PARAMS[k][1]} for k in CAL_PARAMS]
    if form is Format.json:
        emit(form, rows, json_data={**doc, "written_to": str(out)})
        return
    emit(form, rows, title=f"Calibration (seed {seed}): J {result.j_default:.2f} -> {result.j_fitted:.2f} "
                           f"in {result.evaluations} evaluations; written to {out}")
    if form is Format.table:
        emit(form, [{"fact": k, **v} for k, v in doc["fitted_on"].items()], title="Calibration facts (in-sample)")


@backtest_app.command("deu3")
def backtest_deu3(
    file: Path = typer.Argument(..., help="DEU III issues, tab-separated (like deu3_dev.csv)."),
    fmt: str = typer.Option("table", "--format", help="table, json or csv."),
    reps: int = typer.Option(2000, "--reps", help="Bootstrap replications (proposals resampled)."),
    seed: int = typer.Option(20240601, "--seed", help="Seed of the folds and of the bootstrap."),
    folds: int = typer.Option(10, "--folds", help="Cross-validation folds over whole proposals."),
    models: str = typer.Option("", "--models", help="Comma-separated subset of models (default: all)."),
    fit: Path | None = typer.Option(None, "--fit", help="Fit the fitted models on this file; judge them on FILE."),
    evaluate: Path | None = typer.Option(None, "--evaluate",
                                         help="Fit the fitted models on FILE; judge every model on this file."),
    per_issue: bool = typer.Option(False, "--per-issue", help="Print each issue's predictions instead of the summary."),
    plot: Path | None = typer.Option(None, "--plot", help="Write predicted against actual outcomes (.svg, .png, .pdf)."),
) -> None:
    """Predict each issue's outcome with every model; MAE with a proposal-bootstrap CI and
    the paired difference to the compromise model (fitted models: cross-validated over
    whole proposals, or fitted on another file)."""
    from crisislab.validation.deu3 import council_backtest, load_deu3, predictions

    form = _format(fmt)
    _positive("--reps", reps)
    _positive("--folds", folds)
    if fit is not None and evaluate is not None:
        raise InputError("--fit/--evaluate", [Problem("(options)", "both given", "at most one of --fit and --evaluate")])
    which = [m.strip() for m in models.split(",") if m.strip()] or None
    data = load_deu3(file)
    if per_issue:
        pred = predictions(data, which)
        emit(form, pred.to_dict(orient="records"), title=f"DEU III predictions: {file}")
        return
    train = None
    if fit is not None:
        train = load_deu3(fit)
    elif evaluate is not None:
        train, data = data, load_deu3(evaluate)
    ev = council_backtest(data, train=train, which=which, folds=folds, reps=reps, seed=seed)
    rows = [s.as_row() for s in ev.scores]
    judged = data.source
    if plot is not None:
        from crisislab.council.plot import plot_predictions

        plot_predictions(ev, plot)
    if form is Format.json:
        emit(form, rows, json_data={
            "file": str(judged), "rows": data.n_rows, "issues_scored": len(data.issues), "skipped": data.skipped,
            "proposals": len(set(ev.groups)), "seed": seed, "reps": reps, "folds": folds,
            "fitted_on": (str(train.source) if train is not None
                          else "each fold's training proposals (cross-validation over whole proposals)"),
            "bootstrap": "proposals resampled with replacement; percentile 95% intervals",
            "models": {s.model: {**{k: v for k, v in s.as_row().items() if k != "model"}, "params": s.params}
                       for s in ev.scores},
        })
        return
    emit(form, rows, title=f"DEU III backtest: {judged} ({len(data.issues)} of {data.n_rows} issues scored, "
                           f"{len(set(ev.groups))} proposals; MAE on 0-100, proposal-bootstrap 95% CI)")
    if form is Format.table:
        best = min(ev.scores, key=lambda s: s.mae)
        beats = [s.model for s in ev.scores if s.model != "compromise" and s.beats_baseline]
        err_console.print(
            f"lowest MAE: {best.model} ({best.mae:.2f}); "
            + ("models beating the compromise model (CI of the paired difference below 0): " + ", ".join(beats)
               if beats else "no model beats the compromise model with a CI of the paired difference below 0"),
            highlight=False,
        )
        skipped = ", ".join(f"{k}: {v}" for k, v in data.skipped.items() if v)
        if skipped:
            err_console.print(f"issues not scored: {skipped}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``validate`` group and the ``backtest`` group to the main application."""
    app.add_typer(validate_app, name="validate")
    app.add_typer(backtest_app, name="backtest")
