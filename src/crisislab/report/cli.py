"""``crisislab report RESULTS -o report.html``: one self-contained HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crisislab.errors import InputError, Problem
from crisislab.output import Format, emit, err_console

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table, json or csv (what was written)")]


def _metrics(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [t.strip() for t in text.split(",") if t.strip()] or None


def load_decisions(path: Path) -> list[dict[str, Any]]:
    """Decisions from a policy decision ledger (``crisislab policy replay --ledger``)."""
    try:
        from crisislab.policy import ledger as ledger_mod
    except ImportError:  # pragma: no cover - the policy package is part of crisislab
        raise InputError(str(path), [Problem("--ledger", "no policy package", "crisislab with the policy engine")]) from None
    if not path.is_file():
        raise InputError(str(path), [Problem("--ledger", "no such file", "a decision ledger written by `crisislab policy replay --ledger`")],
                         summary="cannot be found")
    from crisislab.report.policy import decisions_from_ledger

    return decisions_from_ledger(ledger_mod, path)


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        results: Annotated[Path, typer.Argument(help="Parquet file from `compare --output`, a result folder, or a stored experiment folder", show_default=False)],
        output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write")] = Path("report.html"),
        scenario: Annotated[str | None, typer.Option("--scenario", help="scenario the results came from (name or YAML; Parquet files only)")] = None,
        seed: Annotated[int | None, typer.Option("--seed", "-s", min=0, help="seed the results came from (Parquet files only)")] = None,
        baseline: Annotated[str | None, typer.Option("--baseline", "-b", help="doctrine to pair against (default: the first)")] = None,
        metrics: Annotated[str | None, typer.Option("--metrics", "-m", help="comma-separated metrics to show (default: all)")] = None,
        trajectory_runs: Annotated[int, typer.Option("--trajectory-runs", min=0, help="runs re-simulated for the weekly fan charts (0: none)")] = 300,
        attribution_runs: Annotated[int, typer.Option("--attribution-runs", min=0, help="runs per ablation for mechanism attribution (0: none)")] = 100,
        attribution_metrics: Annotated[str, typer.Option("--attribution-metrics", help="comma-separated metrics to attribute")] = "p_war",
        attribution_mechanisms: Annotated[str, typer.Option("--attribution-mechanisms", help="'auto' (those the doctrines rest on), 'all', or IDs/names")] = "auto",
        no_resimulate: Annotated[bool, typer.Option("--no-resimulate", help="report the stored outcomes only (no trajectories, no attribution)")] = False,
        ledger: Annotated[Path | None, typer.Option("--ledger", help="policy decision ledger to draw as a timeline")] = None,
        figures: Annotated[Path | None, typer.Option("--figures", help="also export every chart as PNG/SVG into this folder (needs Kaleido and Chromium)")] = None,
        figure_format: Annotated[str, typer.Option("--figure-format", help="png, svg or png,svg")] = "png,svg",
        fmt: FormatOpt = Format.table,
    ) -> None:
        """Write an HTML report: scenario, doctrine comparison with CIs, paired differences,
        escalation fan charts, cohesion and frontline trust, mechanism attribution, and
        sensitivity, PRIM and policy decisions when present. Works offline."""
        from crisislab.report.build import ReportOptions, build_report, write_html
        from crisislab.report.data import load_results
        from crisislab.report.export import ExportUnavailable, export_figures, parse_formats

        formats = parse_formats(figure_format) if figures is not None else []
        if output.suffix.lower() not in (".html", ".htm"):
            raise InputError("--output", [Problem("(path)", str(output), "a file name ending in .html")])
        res = load_results(results, scenario=scenario, seed=seed)
        decisions = load_decisions(ledger) if ledger is not None else None
        progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=err_console, transient=True, disable=fmt is not Format.table or not err_console.is_terminal)
        tasks: dict[str, Any] = {}

        def tick(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = progress.add_task(what, total=total)
            progress.update(tasks[what], completed=done)

        opts = ReportOptions(baseline=baseline, metrics=_metrics(metrics), resimulate=not no_resimulate,
                             trajectory_runs=trajectory_runs, attribution_runs=attribution_runs,
                             attribution_metrics=_metrics(attribution_metrics) or ["p_war"],
                             attribution_mechanisms=attribution_mechanisms, decisions=decisions,
                             decisions_source=str(ledger) if ledger else None, progress=tick)
        with progress:
            rep = build_report(res, opts)
        write_html(rep, output)
        rows: list[dict[str, Any]] = []
        for s in rep.sections:
            rows.append({"section": s.id, "title": s.title, "figures": ", ".join(n for n, _ in s.figures) or "-",
                         "note": s.notes[0] if s.notes else ""})
        exported: list[str] = []
        export_error: str | None = None
        if figures is not None:
            try:
                exported = [str(p) for p in export_figures(rep.figures(), figures, formats)]
            except ExportUnavailable as exc:
                export_error = str(exc)
        data = {"output": str(output), "results": res.source, "sections": rows, "figures": exported, "notes": rep.notes}
        if fmt is Format.table:
            emit(fmt, rows, title=f"wrote {output}")
            if exported:
                err_console.print(f"exported {len(exported)} figure files into {figures}", highlight=False)
            for n in rep.notes:
                err_console.print(f"[dim]note: {n}[/]", highlight=False)
        else:
            emit(fmt, rows, json_data={**data, "export_error": export_error})
        if export_error:
            err_console.print(f"[bold red]error:[/] {export_error} (the HTML report {output} was written)", highlight=False)
            raise typer.Exit(1)
