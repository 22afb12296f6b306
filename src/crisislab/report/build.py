"""Assembling a report: sections of text, tables and figures, from loaded results.

:func:`build_report` decides what can be shown (trajectories and attribution need the
scenario and seed; sensitivity and PRIM need a stored experiment; a decision timeline
needs policy decisions) and says plainly in the report what was left out and why.
:func:`render_html` writes one self-contained HTML file: plotly.js is embedded once, there
is no external script, font or style, and every chart has PNG and SVG download buttons
that work offline.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from crisislab.errors import InputError, Problem
from crisislab.model.outcomes import DESCRIPTIONS, METRICS
from crisislab.report import figures as F
from crisislab.report import resim
from crisislab.report.data import Results
from crisislab.scenario import LADDER, Scenario

Tick = Callable[[str, int, int], None]


@dataclass
class Table:
    """A small table for the report: header and pre-formatted cells."""

    title: str
    columns: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    figures: list[tuple[str, go.Figure]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    title: str
    subtitle: str
    sections: list[Section]
    notes: list[str]
    created: str

    def figures(self) -> list[tuple[str, go.Figure]]:
        return [f for s in self.sections for f in s.figures]

    def section(self, sid: str) -> Section | None:
        return next((s for s in self.sections if s.id == sid), None)


@dataclass
class ReportOptions:
    """What to compute. Zero runs switches a re-simulated part off."""

    baseline: str | None = None
    metrics: Sequence[str] | None = None
    resimulate: bool = True
    trajectory_runs: int = 300
    attribution_runs: int = 100
    attribution_metrics: Sequence[str] = ("p_war",)
    attribution_mechanisms: str | None = None
    decisions: list[dict[str, Any]] | None = None
    decisions_source: str | None = None
    progress: Tick | None = None


def fmt(x: Any, digits: int = 3, sign: bool = False) -> str:
    """A number for a table cell (``n/a`` for missing)."""
    v = F._finite(x)
    if v is None:
        return "n/a" if not isinstance(x, str) else x
    if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5):
        return f"{v:+.{digits}g}" if sign else f"{v:.{digits}g}"
    return f"{v:+.{digits}f}" if sign else f"{v:.{digits}f}"


def interval_text(mean: Any, lo: Any, hi: Any, *, sign: bool = False) -> str:
    """``mean [lo, hi]``; ``n/a`` where there is no mean (e.g. weeks to settlement when no
    run settles), the mean alone where there is no interval."""
    if F._finite(mean) is None:
        return "n/a"
    if F._finite(lo) is None or F._finite(hi) is None:
        return fmt(mean, sign=sign)
    return f"{fmt(mean, sign=sign)} [{fmt(lo, sign=sign)}, {fmt(hi, sign=sign)}]"


def share_text(x: Any) -> str:
    """A share as a whole percentage (``n/a`` when undefined, never ``-0%``)."""
    v = F._finite(x)
    if v is None:
        return "n/a"
    return "0%" if abs(v) < 0.005 else f"{v:.0%}"


def scenario_section(sc: Scenario | None, res: Results) -> Section:
    s = Section("scenario", "Scenario and results")
    info = [["results", res.source], ["kind", "paired doctrine comparison" if res.kind == "comparison" else "stored experiment"],
            ["doctrines" if res.kind == "comparison" else "policies", ", ".join(res.doctrines)],
            ["paired runs per doctrine", str(len(next(iter(res.outcomes.values()))))]]
    if res.seed is not None:
        info.append(["seed", str(res.seed)])
    if res.manifest and res.kind == "experiment":
        m = res.manifest
        info += [["experiment", str(m.get("experiment_id"))], ["sampler", str((m.get("sampler") or {}).get("method"))],
                 ["points", str(m.get("n_points"))], ["runs per point", str(m.get("runs"))], ["model", str(m.get("model"))],
                 ["uncertainties", ", ".join(str(u.get("name") or u.get("path")) for u in m.get("uncertainties", []))],
                 ["package version", str(m.get("package_version"))], ["created", str(m.get("created"))]]
    elif res.manifest:
        for k in ("created", "package_version", "job"):
            if k in res.manifest:
                info.append([k.replace("_", " "), str(res.manifest[k])])
    s.tables.append(Table("Results", ["item", "value"], info))
    if sc is None:
        s.notes.append("The scenario is not known, so it is not summarised.")
        return s
    if sc.description:
        s.paragraphs.append(" ".join(sc.description.split()))
    co = sc.coalition
    frontline = [m.name for m in co.members if m.frontline]
    mech_changes = [f"{k}: {'off' if not v.enabled else f'strength {v.strength:g}'}" for k, v in sc.mechanisms.items()
                    if not v.enabled or v.strength != 1.0 or v.params]
    rows = [["scenario", sc.name], ["coalition", f"{co.name}: {len(co.members)} members, decision rule {co.decision_rule}"],
            ["frontline members", ", ".join(frontline) or "none"],
            ["adversary", f"{sc.adversary.name}, starts at rung {sc.adversary.initial_rung} ({LADDER[sc.adversary.initial_rung]})"],
            ["defender", f"{sc.defender.name} (capability {sc.defender.capability:g})"],
            ["mediator", f"{sc.mediator.name} ({sc.mediator.style})" if sc.mediator else "none"],
            ["horizon", f"{sc.horizon_weeks} weeks"],
            ["sanction tranches", ", ".join(t.name for t in sc.instruments.sanction_tranches)],
            ["red lines", ", ".join(a.name for a in sc.agenda if a.red_line) or "none"],
            ["mechanism settings", "; ".join(mech_changes) or "all 31 mechanisms on at strength 1"]]
    s.tables.append(Table("Scenario", ["item", "value"], rows))
    wsum = sum(t.weight for t in sc.adversary.types) or 1.0
    s.tables.append(Table("Adversary types (one is drawn per run)",
                          ["type", "prior", "aggression", "resolve", "paranoia", "stature weight", "zero-sum", "accepts offer"],
                          [[t.name, f"{t.weight / wsum:.0%}", fmt(t.aggression, 2), fmt(t.resolve, 2), fmt(t.paranoia, 2),
                            fmt(t.stature_weight, 2), fmt(t.zero_sum, 2), fmt(t.p_accept_offer, 2)] for t in sc.adversary.types]))
    return s


def _comparison_sections(res: Results, opts: ReportOptions, metrics: list[str]) -> tuple[Section, Section, Any]:
    cmp = res.comparison(opts.baseline)
    names = cmp.doctrines
    sec = Section("comparison", "Doctrine comparison")
    sec.paragraphs.append(
        f"Each doctrine was simulated on the same {cmp.runs} runs (common random numbers: run r meets the same adversary "
        "type and the same random draws under every doctrine). Points are means; bars are 95% t-intervals.")
    sec.figures.append(("comparison", F.comparison_figure(cmp.summary, names, metrics)))
    summ = cmp.summary.set_index(["doctrine", "metric"])
    sec.tables.append(Table("Mean [95% CI] (n/a: no value, e.g. weeks to settlement when no run settles)", ["metric", *names],
                            [[m, *[interval_text(*summ.loc[(d, m), ["mean", "ci_low", "ci_high"]]) for d in names]] for m in metrics]))
    sec.tables.append(Table("Metric definitions", ["metric", "meaning"], [[m, DESCRIPTIONS.get(m, "")] for m in metrics]))
    pair = Section("paired", f"Paired differences against {names[0]}")
    pair.paragraphs.append(
        f"Per-run differences (doctrine minus {names[0]} on the same run) remove the run-to-run noise that both share, so "
        "these intervals are much narrower than the ones above. A filled diamond marks a difference whose 95% interval excludes zero.")
    if len(names) > 1:
        pair.figures.append(("paired-forest", F.forest_figure(cmp.paired, names[0], names, metrics)))
        p = cmp.paired.set_index(["doctrine", "metric"])
        pair.tables.append(Table(f"Difference to {names[0]}, doctrine − {names[0]} on the same runs [95% CI]", ["metric", *names[1:]],
                                 [[m, *[interval_text(*p.loc[(d, m), ["diff", "ci_low", "ci_high"]], sign=True) for d in names[1:]]]
                                  for m in metrics]))
    else:
        pair.notes.append("Only one doctrine: there is nothing to pair.")
    return sec, pair, cmp


def _trajectory_sections(res: Results, opts: ReportOptions, names: list[str]) -> list[Section]:
    esc = Section("escalation", "Escalation risk over time")
    coh = Section("cohesion", "Cohesion and frontline trust over time")
    bands: pd.DataFrame | None = res.trajectories
    why = ""
    if bands is None or bands.empty:
        bands = None
        if res.kind == "experiment":
            why = "Stored experiments keep end-of-run outcomes only, so weekly trajectories are not available here."
        elif not opts.resimulate or not res.resimulate:
            why = "Re-simulation is switched off (--no-resimulate), so weekly trajectories are not shown."
        elif opts.trajectory_runs <= 0:
            why = "Trajectories were switched off (--trajectory-runs 0)."
        elif res.scenario is None or res.seed is None:
            why = "The scenario or seed is unknown, so trajectories cannot be re-simulated."
        else:
            sim = [d for d in names if resim.resolvable(d)]
            skipped = [d for d in names if d not in sim]
            try:
                offset, n = resim.contiguous_runs(res.outcomes[names[0]]["run"].to_numpy(), opts.trajectory_runs)
            except ValueError:
                why = "The stored runs are not consecutive, so trajectories cannot be re-simulated."
            else:
                total = len(sim)
                done = [0]

                def tick(k: int) -> None:
                    done[0] += k
                    if opts.progress:
                        opts.progress("trajectories", done[0], total)

                bands = resim.trajectory_bands(res.scenario, sim, res.seed, offset, n, tick=tick)
                esc.paragraphs.append(f"Weekly trajectories re-simulated for runs {offset}..{offset + n - 1} (the first {n} stored runs; "
                                      "the engine is deterministic, so these are the very runs in the results).")
                if skipped:
                    esc.notes.append(f"Not re-simulated (not a shipped doctrine): {', '.join(skipped)}.")
    if bands is None:
        esc.notes.append(why)
        coh.notes.append(why)
        return [esc, coh]
    order = [d for d in names if d in set(bands.doctrine)]
    esc.paragraphs.append("The fan charts show the escalation rung week by week: the line is the median run, the dark band "
                          "holds the middle 50% of runs and the light band the middle 90%. The second chart is the share of "
                          "runs at conventional war or above in each week.")
    esc.figures.append(("escalation-fan", F.fan_figure(bands, order, "rung", title="Escalation rung over time: median, 50% and 90% bands")))
    esc.figures.append(("war-share", F.share_figure(bands, order, "war_share", title="Share of runs at conventional war or higher, by week")))
    if (bands.variable == "nuclear_signalling_share").any() and bands[bands.variable == "nuclear_signalling_share"]["mean"].max() > 0:
        esc.figures.append(("nuclear-signalling-share", F.share_figure(bands, order, "nuclear_signalling_share",
                                                                      title="Share of runs at nuclear signalling or higher, by week")))
    coh.paragraphs.append("Cohesion is the GDP- and population-weighted support of members for the common line; frontline trust "
                          "is the mean trust of the frontline members in the coalition's centre. Lines are medians, bands the "
                          "middle 50% of runs.")
    coh.figures.append(("cohesion", F.trajectory_figure(bands, order, "cohesion", title="Coalition cohesion over time")))
    coh.figures.append(("frontline-trust", F.trajectory_figure(bands, order, "final_frontline_trust", title="Frontline trust over time")))
    return [esc, coh]


def _attribution_section(res: Results, opts: ReportOptions, names: list[str]) -> Section:
    sec = Section("attribution", "Mechanism attribution (ablation)")
    sec.paragraphs.append(
        "Which mechanisms carry each doctrine's difference from the baseline? Each mechanism is switched off in the scenario "
        "(mechanisms.<name>.enabled: false) and both the doctrine and the baseline are simulated again on the same runs. "
        "The difference the mechanism explains is the paired difference with it minus the paired difference without it; "
        "bars show it with a 95% interval over runs, labels show it as a share of the full difference. Shares need not add "
        "up to 100%: mechanisms interact.")
    baseline = names[0]
    if res.kind == "experiment":
        sec.notes.append("Attribution needs re-simulation of one scenario and seed; it is not computed for stored experiments "
                         "(whose points vary the scenario).")
        return sec
    if not (opts.resimulate and res.resimulate) or res.scenario is None or res.seed is None:
        sec.notes.append("Re-simulation is switched off or the scenario is unknown, so attribution is not computed.")
        return sec
    if opts.attribution_runs <= 0:
        sec.notes.append("Attribution was switched off (--attribution-runs 0).")
        return sec
    sim = [d for d in names if resim.resolvable(d)]
    if baseline not in sim or len(sim) < 2:
        sec.notes.append("Attribution needs the baseline and at least one other shipped doctrine.")
        return sec
    mechs = resim.parse_mechanisms(opts.attribution_mechanisms, sim)
    if not mechs:
        sec.notes.append("No mechanism selected for attribution.")
        return sec
    bad = [m for m in opts.attribution_metrics if m not in METRICS]
    if bad:
        raise InputError("--attribution-metrics", [Problem("(value)", repr(bad[0]), f"outcome metrics such as {', '.join(METRICS[:4])}")])
    offset, n = resim.contiguous_runs(res.outcomes[baseline]["run"].to_numpy(), opts.attribution_runs)
    done = [0]

    def tick(k: int) -> None:
        done[0] += k
        if opts.progress:
            opts.progress("attribution", done[0], len(mechs))

    att = resim.attribute(res.scenario, sim, baseline, res.seed, offset, n, mechs, list(opts.attribution_metrics), tick=tick)
    sec.paragraphs.append(f"Computed on runs {offset}..{offset + n - 1} ({n} runs; --attribution-runs) for the mechanisms "
                          f"{', '.join(mechs)} (--attribution-mechanisms; by default those the compared doctrines' cases rest on).")
    for metric in opts.attribution_metrics:
        sec.figures.append((f"attribution-{metric}", F.attribution_figure(att.table, baseline, metric, sim)))
        t = att.table[att.table.metric == metric].copy()
        t["_order"] = [names.index(d) for d in t.doctrine]
        t = t.assign(_abs=t.explained.abs()).sort_values(["_order", "_abs"], ascending=[True, False], kind="stable")
        sec.tables.append(Table(f"Explained part of Δ{metric} (doctrine − {baseline})",
                                ["doctrine", "mechanism", "Δ with", "Δ without", "explained [95% CI]", "share"],
                                [[r.doctrine, f"{r.mechanism_id} {r.mechanism}", fmt(r.diff, sign=True), fmt(r.diff_without, sign=True),
                                  interval_text(r.explained, r.ci_low, r.ci_high, sign=True),
                                  share_text(r.share)] for r in t.itertuples()]))
    return sec


def _analysis_sections(res: Results) -> list[Section]:
    out: list[Section] = []
    sens = res.analyses.get("sensitivity")
    sec = Section("sensitivity", "Sensitivity analysis")
    if sens:
        method = sens.get("method", "sobol")
        sec.paragraphs.append("Morris elementary effects: mu* ranks how strongly each uncertainty moves the outcome."
                              if method == "morris" else
                              "Sobol indices: S1 is the share of the outcome's variance due to one uncertainty alone, ST adds its "
                              "interactions with the others. Intervals are bootstrap confidence intervals.")
        sec.figures.append(("sensitivity", F.sensitivity_figure(sens)))
        rows = []
        for policy, by_metric in (sens.get("indices") or {}).items():
            for metric, items in by_metric.items():
                for r in items:
                    if method == "morris":
                        rows.append([policy, metric, str(r.get("rank")), str(r.get("uncertainty")), fmt(r.get("mu_star")), fmt(r.get("sigma"))])
                    else:
                        rows.append([policy, metric, str(r.get("rank")), str(r.get("uncertainty")), fmt(r.get("S1")), fmt(r.get("ST"))])
        cols = ["policy", "outcome", "rank", "uncertainty", "mu*", "sigma"] if method == "morris" else ["policy", "outcome", "rank", "uncertainty", "S1", "ST"]
        sec.tables.append(Table("Ranked indices", cols, rows))
        for policy, skipped in (sens.get("skipped") or {}).items():
            for metric, why in skipped.items():
                sec.notes.append(f"{metric} under {policy}: not computed ({why}).")
    else:
        sec.notes.append("No sensitivity analysis is stored with these results (run `crisislab sensitivity` on an experiment).")
    out.append(sec)
    disc = res.analyses.get("discover")
    sec = Section("discovery", "Scenario discovery (PRIM)")
    if disc:
        sec.paragraphs.append(f"Boxes of the uncertainty space in which a doctrine fails ({disc.get('condition')}). Coverage: the "
                              "share of all failing points inside the box; density: the share of points in the box that fail.")
        sec.paragraphs.extend(str(x).replace("`", "") for x in disc.get("sentences", []))
        sec.figures.append(("prim", F.prim_figure(disc)))
    else:
        sec.notes.append("No PRIM scenario discovery is stored with these results (run `crisislab discover`).")
    out.append(sec)
    rob = res.analyses.get("robust")
    if rob:
        sec = Section("robust", "Robust choice")
        sec.paragraphs.extend(str(x).replace("`", "") for x in rob.get("sentences", []))
        for outcome, rows in (rob.get("regret") or {}).items():
            sec.tables.append(Table(f"Regret on {outcome}", ["rank", "policy", "mean", "worst", "max regret"],
                                    [[str(r.get("rank")), str(r.get("policy")), fmt(r.get("mean")), fmt(r.get("worst")), fmt(r.get("max_regret"))] for r in rows]))
        out.append(sec)
    return out


def _policy_section(opts: ReportOptions) -> Section | None:
    if not opts.decisions:
        return None
    sec = Section("policy", "Policy decision timeline")
    sec.paragraphs.append(f"Decisions of the policy engine{' from ' + opts.decisions_source if opts.decisions_source else ''}: "
                          "each marker is one decision, by kind; hover for the rule and the reason.")
    sec.figures.append(("policy-timeline", F.timeline_figure(opts.decisions)))
    sec.tables.append(Table("Decisions", ["date", "kind", "rule", "summary"],
                            [[str(d.get("date", d.get("day", ""))), str(d.get("kind", "")), str(d.get("rule", "")), str(d.get("summary", ""))]
                             for d in opts.decisions[:500]]))
    if len(opts.decisions) > 500:
        sec.notes.append(f"The table shows the first 500 of {len(opts.decisions)} decisions.")
    return sec


def build_report(res: Results, opts: ReportOptions | None = None) -> Report:
    """Everything the report shows, as sections with figures and tables."""
    opts = opts or ReportOptions()
    metrics = list(opts.metrics) if opts.metrics else res.metrics
    unknown = [m for m in metrics if m not in res.metrics]
    if unknown:
        raise InputError("--metrics", [Problem("(value)", repr(unknown[0]), f"metrics present in the results: {', '.join(res.metrics)}")])
    if opts.resimulate and res.resimulate and not res.verified and res.scenario is not None and res.seed is not None:
        resim.verify(res.scenario, res.seed, res.outcomes, res.source)
        res.verified = True
    sections = [scenario_section(res.scenario, res)]
    comp, pair, cmp = _comparison_sections(res, opts, metrics)
    sections += [comp, pair]
    names = cmp.doctrines
    sections += _trajectory_sections(res, opts, names)
    sections.append(_attribution_section(res, opts, names))
    sections += _analysis_sections(res)
    pol = _policy_section(opts)
    if pol is not None:
        sections.append(pol)
    else:
        sections.append(Section("policy", "Policy decision timeline",
                                notes=["No policy decisions given (pass --ledger with a decision ledger from `crisislab policy replay`)."]))
    return Report(title=f"crisislab report: {res.title}", subtitle=res.source, sections=sections, notes=list(res.notes),
                  created=datetime.now(UTC).isoformat(timespec="seconds"))


# -- HTML ------------------------------------------------------------------------------------

def figure_html(name: str, fig: go.Figure) -> str:
    """A figure as an HTML fragment without plotly.js (the page embeds it once)."""
    return pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id=f"fig-{name}",
                       config={"displaylogo": False, "responsive": True,
                               "toImageButtonOptions": {"format": "png", "filename": name, "scale": 2}})


def plotly_js() -> str:
    """The plotly.js bundle of the installed plotly package."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def _env() -> Any:
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("crisislab.report", "templates"),
                              autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (works offline)."""
    from markupsafe import Markup

    sections = []
    for s in report.sections:
        sections.append({"id": s.id, "title": s.title, "paragraphs": s.paragraphs, "notes": s.notes, "tables": s.tables,
                         "figures": [{"name": n, "html": Markup(figure_html(n, f))} for n, f in s.figures]})
    tpl = _env().get_template("report.html")
    return str(tpl.render(title=report.title, subtitle=report.subtitle, sections=sections, notes=report.notes,
                          created=report.created, plotlyjs=Markup(plotly_js().replace("</script", "<\\/script"))))


def write_html(report: Report, path: Path) -> Path:
    """Write the report atomically."""
    from crisislab.experiments.store import atomic_write_bytes

    path = Path(path)
    if path.parent and not path.parent.exists():
        raise InputError("--output", [Problem("(path)", str(path), "a file in an existing folder")])
    if path.is_dir():
        raise InputError("--output", [Problem("(path)", f"{path} is a folder", "a file name such as report.html")])
    atomic_write_bytes(path, render_html(report).encode("utf-8"))
    return path


def escape(text: str) -> str:
    return html.escape(text, quote=True)
