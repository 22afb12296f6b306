"""Commands ``crisislab validate`` and ``crisislab backtest deu3``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from crisislab.errors import InputError, Problem
from crisislab.output import Format, emit, err_console

backtest_app = typer.Typer(
    name="backtest",
    help="Backtests of the bargaining models against recorded decisions.",
    no_args_is_help=True,
)

NOT_WIRED = (
    "simulated values are not shown: the simulator (crisislab.api.simulate) is not wired to "
    "the validation table yet; see docs/validation.md for the proposed mapping"
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


def validate(
    data: str = typer.Option(None, "--data", help="Reference data folder (default: $CRISISLAB_DATA)."),
    fmt: str = typer.Option("table", "--format", help="table, json or csv."),
    reps: int = typer.Option(2000, "--reps", help="Bootstrap replications per fact."),
    seed: int = typer.Option(20240601, "--seed", help="Seed of the bootstrap."),
) -> None:
    """Stylized facts from ICB, TIES, MID and GSDB with bootstrap 95% CIs and their tolerances."""
    from crisislab.validation.data import resolve_data_dir
    from crisislab.validation.facts import compute_facts
    from crisislab.validation.tolerances import load_tolerances

    form = _format(fmt)
    _positive("--reps", reps)
    folder = resolve_data_dir(data)
    facts = compute_facts(folder, reps=reps, seed=seed)
    tol = load_tolerances()
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
            "note": NOT_WIRED,
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
    if form is Format.table:
        err_console.print(f"note: {NOT_WIRED}", highlight=False)


@backtest_app.command("deu3")
def backtest_deu3(
    file: Path = typer.Argument(..., help="DEU III issues, tab-separated (like deu3_dev.csv)."),
    fmt: str = typer.Option("table", "--format", help="table, json or csv."),
    reps: int = typer.Option(2000, "--reps", help="Bootstrap replications."),
    seed: int = typer.Option(20240601, "--seed", help="Seed of the bootstrap."),
    models: str = typer.Option("", "--models", help="Comma-separated subset of models (default: all)."),
    per_issue: bool = typer.Option(False, "--per-issue", help="Print each issue's predictions instead of the summary."),
) -> None:
    """Predict each issue's outcome with five bargaining models; MAE with bootstrap CI."""
    from crisislab.validation.deu3 import backtest, load_deu3, predictions

    form = _format(fmt)
    _positive("--reps", reps)
    which = [m.strip() for m in models.split(",") if m.strip()] or None
    data = load_deu3(file)
    if per_issue:
        pred = predictions(data, which)
        emit(form, pred.to_dict(orient="records"), title=f"DEU III predictions: {file}")
        return
    results = backtest(data, reps=reps, seed=seed, which=which)
    rows = [r.as_row() for r in results]
    if form is Format.json:
        emit(form, rows, json_data={
            "file": str(file), "rows": data.n_rows, "issues_scored": len(data.issues), "skipped": data.skipped,
            "seed": seed, "reps": reps, "tuned_on": "nothing: no model has a parameter fitted to data",
            "models": {r["model"]: {k: v for k, v in r.items() if k != "model"} for r in rows},
        })
        return
    emit(form, rows, title=f"DEU III backtest: {file} ({len(data.issues)} of {data.n_rows} issues scored; "
                           f"MAE on 0-100, bootstrap 95% CI)")
    if form is Format.table:
        best = min(results, key=lambda r: r.mae)
        beats = [r.model for r in results if r.model != "compromise" and r.diff_ci_high < 0]
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
    """Add ``validate`` and the ``backtest`` group to the main application."""
    app.command("validate")(validate)
    app.add_typer(backtest_app, name="backtest")
