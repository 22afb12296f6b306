"""Core commands: ``scenarios``, ``doctrines``, ``mechanisms``, ``run``, ``compare``, ``trace``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from crisislab.api import compare as api_compare
from crisislab.api import simulate as api_simulate
from crisislab.api import trace as api_trace
from crisislab.doctrines import PRESETS
from crisislab.errors import InputError, Problem
from crisislab.model.mechanisms.registry import MECHANISMS
from crisislab.model.outcomes import DESCRIPTIONS, METRICS
from crisislab.output import Format, console, emit, err_console
from crisislab.scenario import DEFAULT_SCENARIO, json_schema, load_scenario, shipped

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table, json or csv")]
ScenarioArg = Annotated[str, typer.Argument(help="shipped scenario name or YAML file", show_default=True)]
RunsOpt = Annotated[int, typer.Option("--runs", "-n", min=1, help="number of paired runs")]
SeedOpt = Annotated[int, typer.Option("--seed", "-s", min=0, help="experiment seed")]
ChunkOpt = Annotated[int, typer.Option("--chunk-size", min=1, help="runs simulated per batch, at most (bounds memory; results do not depend on it)")]


BackendOpt = Annotated[
    str,
    typer.Option(
        "--backend",
        metavar="auto|local|processes",
        help="local: this process; processes: a pool of worker processes; auto: processes when more than one CPU is available and there are at least 4000 runs (results do not depend on it)",
    ),
]
WorkersOpt = Annotated[int | None, typer.Option("--workers", min=1, help="worker processes (default: the CPUs available)")]


def _progress(total: int, label: str, fmt: Format) -> Progress:
    return Progress(
        TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
        console=err_console, transient=True, disable=total < 5000 or fmt is not Format.table and not err_console.is_terminal,
    )


def register(app: typer.Typer) -> None:
    @app.command("scenarios")
    def scenarios(
        fmt: FormatOpt = Format.table,
        schema: Annotated[bool, typer.Option("--schema", help="print the JSON Schema of scenario files")] = False,
    ) -> None:
        """List the scenarios that ship (or print the scenario JSON Schema)."""
        if schema:
            print(json.dumps(json_schema(), indent=2))
            return
        rows = []
        for name in shipped():
            s = load_scenario(name)
            rows.append({
                "name": name, "members": len(s.coalition.members), "rule": s.coalition.decision_rule,
                "adversary": s.adversary.name, "types": ", ".join(t.name for t in s.adversary.types),
                "horizon_weeks": s.horizon_weeks, "mediator": s.mediator.name if s.mediator else "-",
                "description": " ".join(s.description.split()),
            })
        emit(fmt, rows, title="Scenarios")

    @app.command("doctrines")
    def doctrines(fmt: FormatOpt = Format.table) -> None:
        """List the doctrines that ship, with their source text and levers."""
        rows = []
        for cls in PRESETS.values():
            d = cls().describe()
            rows.append({"name": d["name"], "source": d["source"], "summary": d["summary"], "levers": ", ".join(d["levers"]), "mechanisms": ", ".join(d["mechanisms"])})
        emit(fmt, rows, title="Doctrines")

    @app.command("mechanisms")
    def mechanisms(fmt: FormatOpt = Format.table) -> None:
        """List mechanisms M01–M31 with source, claim and test."""
        rows = [
            {"id": m.id, "name": m.name, "source": m.source, "module": m.module, "claim": m.claim, "test": m.test}
            for m in MECHANISMS.values()
        ]
        emit(fmt, rows, title="Mechanisms")

    @app.command("run")
    def run(
        scenario: ScenarioArg = DEFAULT_SCENARIO,
        doctrine: Annotated[str, typer.Option("--doctrine", "-d", help="preset name, rules YAML, or file.py:Class")] = "isolation",
        runs: RunsOpt = 1000,
        seed: SeedOpt = 0,
        chunk_size: ChunkOpt = 20_000,
        backend: BackendOpt = "auto",
        workers: WorkersOpt = None,
        fmt: FormatOpt = Format.table,
        output: Annotated[
            Path | None,
            typer.Option("--output", "-o", help="write the per-run outcomes to this Parquet file chunk by chunk (memory stays bounded by --chunk-size) and print the summary"),
        ] = None,
    ) -> None:
        """Simulate one doctrine; csv prints one row per run, table/json a summary."""
        with _progress(runs, doctrine, fmt) as bar:
            task = bar.add_task(doctrine, total=runs)
            if output is not None:
                from crisislab.api import iter_simulate

                chunks = iter_simulate(scenario, doctrine, runs, seed, chunk_size=chunk_size, backend=backend, workers=workers)
                _write_parquet(output, chunks, lambda k: bar.advance(task, k))
            else:
                df = api_simulate(
                    scenario, doctrine, runs, seed, chunk_size=chunk_size, backend=backend, workers=workers,
                    progress=lambda k: bar.advance(task, k),
                )
        if output is not None:
            import pandas as pd

            df = pd.read_parquet(output, columns=list(METRICS))
        elif fmt is Format.csv:
            print(df.to_csv(index=False), end="")
            return
        from crisislab.experiments.compare import mean_ci

        rows = []
        for metric in METRICS:
            m, lo, hi = mean_ci(df[metric].to_numpy())
            rows.append({"metric": metric, "mean": m, "ci_low": lo, "ci_high": hi, "meaning": DESCRIPTIONS[metric]})
        data = {"scenario": load_scenario(scenario).name, "doctrine": doctrine, "runs": runs, "seed": seed,
                "metrics": {r["metric"]: {"mean": r["mean"], "ci_low": r["ci_low"], "ci_high": r["ci_high"]} for r in rows}}
        emit(fmt, rows, json_data=data, title=f"{doctrine}: {runs} runs, seed {seed}")

    @app.command("compare")
    def compare(
        scenario: ScenarioArg = DEFAULT_SCENARIO,
        doctrines: Annotated[str, typer.Option("--doctrines", "-d", help="comma-separated names, or 'all'")] = "all",
        runs: RunsOpt = 2000,
        seed: SeedOpt = 0,
        chunk_size: ChunkOpt = 20_000,
        backend: BackendOpt = "auto",
        workers: WorkersOpt = None,
        fmt: FormatOpt = Format.table,
        output: Annotated[Path | None, typer.Option("--output", "-o", help="also write the per-run outcomes (Parquet) here")] = None,
    ) -> None:
        """Compare doctrines on the same runs: mean, 95% CI and paired difference vs the first."""
        names = list(PRESETS) if doctrines == "all" else [d.strip() for d in doctrines.split(",") if d.strip()]
        if not names:
            raise InputError("--doctrines", [Problem("(value)", repr(doctrines), "comma-separated doctrine names or 'all'")])
        with _progress(runs * len(names), "compare", fmt) as bar:
            task = bar.add_task("compare", total=runs * len(names))
            result = api_compare(
                scenario, names, runs, seed, chunk_size=chunk_size, backend=backend, workers=workers,
                progress=lambda k: bar.advance(task, k),
            )
        if output is not None:
            import pandas as pd
            import pyarrow as pa
            import pyarrow.parquet as pq

            from crisislab import __version__

            frame = pd.concat([df.assign(doctrine=name) for name, df in result.outcomes.items()], ignore_index=True)
            table = pa.Table.from_pandas(frame, preserve_index=False)
            about = {"scenario": scenario, "seed": seed, "runs": runs, "doctrines": names, "version": __version__}
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"crisislab": json.dumps(about).encode()})
            tmp = output.with_suffix(output.suffix + ".tmp")
            pq.write_table(table, tmp)
            tmp.replace(output)
        if fmt is Format.json:
            emit(fmt, [], json_data=result.to_json())
            return
        if fmt is Format.csv:
            rows = result.summary.merge(result.paired, on=["doctrine", "metric"], how="left", suffixes=("", "_paired"))
            rows = rows.rename(columns={"ci_low_paired": "diff_ci_low", "ci_high_paired": "diff_ci_high"})
            # say in the table itself what diff is: against which doctrine, and whether its CI excludes 0
            paired = rows["doctrine"] != result.doctrines[0]
            rows["diff_vs"] = [result.doctrines[0] if p else "" for p in paired]
            rows["diff_ci_excludes_zero"] = [
                ("true" if significant(lo, hi) else "false") if p and _finite(d) else ""
                for p, d, lo, hi in zip(paired, rows["diff"], rows["diff_ci_low"], rows["diff_ci_high"], strict=True)
            ]
            print(rows.to_csv(index=False, na_rep=""), end="")
            return
        _compare_table(result)

    @app.command("trace")
    def trace(
        scenario: ScenarioArg = DEFAULT_SCENARIO,
        doctrine: Annotated[str, typer.Option("--doctrine", "-d")] = "isolation",
        run: Annotated[int, typer.Option("--run", "-r", min=0, help="global run index")] = 0,
        seed: SeedOpt = 0,
        week: Annotated[int | None, typer.Option("--week", "-w", help="only this week")] = None,
        variable: Annotated[str | None, typer.Option("--variable", help="only this state variable")] = None,
        fmt: FormatOpt = Format.table,
    ) -> None:
        """Every state change of one run, week by week, with the mechanism that caused it."""
        df = api_trace(scenario, doctrine, run, seed)
        if week is not None:
            df = df[df.week == week]
        if variable is not None:
            df = df[df.variable == variable]
        rows: list[dict[str, Any]] = df.to_dict("records")
        emit(fmt, rows, title=f"trace of run {run} ({doctrine}, seed {seed})")


def _write_parquet(path: Path, chunks: Any, advance: Any) -> None:
    """Write outcome tables chunk by chunk to one Parquet file (atomically: a temporary
    file renamed at the end), so memory holds one chunk at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = path.with_name(path.name + ".tmp")
    writer = None
    try:
        for df in chunks:
            table = pa.Table.from_pandas(df, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table.cast(writer.schema))
            advance(len(df))
    except BaseException:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
        raise
    assert writer is not None
    writer.close()
    tmp.replace(path)


NA = "n/a"


def _num(x: float, sign: bool = False, digits: int = 3) -> str:
    if x != x:  # NaN
        return NA
    return f"{x:+.{digits}g}" if sign else f"{x:.{digits}g}"


def _finite(x: Any) -> bool:
    return x == x and x not in (float("inf"), float("-inf"))


def _mean_cell(r: Any) -> str:
    """``mean ±half-width``; ``n/a`` without a mean, the mean alone without an interval."""
    if not _finite(r["mean"]):
        return NA
    half = (r["ci_high"] - r["ci_low"]) / 2
    return f"{_num(r['mean'])} ±{_num(half, digits=2)}" if _finite(half) else _num(r["mean"])


def significant(lo: float, hi: float) -> bool:
    """The 95% interval of a paired difference excludes zero (False when there is none)."""
    return bool(_finite(lo) and _finite(hi) and (lo > 0 or hi < 0))


def _compare_table(result: Any) -> None:
    from rich.table import Table

    names = result.doctrines
    table = Table(title=f"{result.scenario}: {result.runs} paired runs, seed {result.seed} (mean ±95% CI half-width; Δ paired vs {names[0]})")
    table.add_column("metric", no_wrap=True)
    for n in names:
        table.add_column(n, overflow="fold")
    summ = result.summary.set_index(["doctrine", "metric"])
    pair = result.paired.set_index(["doctrine", "metric"]) if len(result.paired) else None
    missing = starred = False
    for metric in METRICS:
        cells = []
        for n in names:
            text = _mean_cell(summ.loc[(n, metric)])
            missing |= text == NA
            if pair is not None and (n, metric) in pair.index:
                d = pair.loc[(n, metric)]
                if _finite(d["diff"]):
                    sig = significant(d["ci_low"], d["ci_high"])
                    starred |= sig
                    # the star says it in plain text; bold/dim only repeat it where styles show
                    text += f"\n{'[bold]' if sig else '[dim]'}Δ{_num(d['diff'], sign=True)}{'*' if sig else ''}{'[/bold]' if sig else '[/dim]'}"
                else:
                    text += f"\n[dim]Δ {NA}[/dim]"
                    missing = True
            cells.append(text)
        table.add_row(metric, *cells)
    console.print(table)
    notes = []
    if len(names) > 1:
        notes.append(f"Δ: paired difference, the mean over the same runs of (doctrine − {names[0]})"
                     + ("; * marks a Δ whose 95% CI excludes zero." if starred else "; no Δ here has a 95% CI that excludes zero."))
    if missing:
        notes.append("n/a: no value, e.g. weeks_to_settlement of a doctrine none of whose runs settles.")
    for note in notes:
        console.print(note, style="dim", highlight=False, soft_wrap=True)
