"""Plotly figures of reports and of the web app (the same functions draw both).

Every function takes plain tables (pandas) and returns a :class:`plotly.graph_objects.Figure`;
nothing here simulates. Colours are fixed per doctrine within a figure set, so a doctrine
has the same colour in every chart of a report, and every chart that shows doctrines names
them in its legend (also when there is only one; the comparison also on its x axes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from crisislab.model.outcomes import DESCRIPTIONS
from crisislab.scenario import LADDER

PALETTE = qualitative.D3 + qualitative.Set2
TEMPLATE = "plotly_white"


def colors(names: Sequence[str]) -> dict[str, str]:
    """A fixed colour per name, in order."""
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _grid(n: int, cols: int) -> tuple[int, int]:
    cols = max(1, min(cols, n))
    return max(1, math.ceil(n / cols)), cols


def _finite(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def comparison_figure(summary: pd.DataFrame, doctrines: Sequence[str], metrics: Sequence[str], *, cols: int = 3) -> go.Figure:
    """Mean of each metric per doctrine with its 95 % CI as error bars (one panel per metric)."""
    rows, cols = _grid(len(metrics), cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=list(metrics), vertical_spacing=0.32 / max(rows, 1) + 0.04)
    col = colors(doctrines)
    s = summary.set_index(["doctrine", "metric"])
    named: set[str] = set()  # doctrines already in the legend
    for i, metric in enumerate(metrics):
        r, c = i // cols + 1, i % cols + 1
        for d in doctrines:
            if (d, metric) not in s.index:
                continue
            row = s.loc[(d, metric)]
            m, lo, hi = _finite(row["mean"]), _finite(row["ci_low"]), _finite(row["ci_high"])
            if m is None:
                continue
            fig.add_trace(go.Scatter(
                x=[d], y=[m], mode="markers", marker={"color": col[d], "size": 10}, name=d, legendgroup=d, showlegend=d not in named,
                error_y={"type": "data", "symmetric": False, "array": [(hi or m) - m], "arrayminus": [m - (lo or m)], "thickness": 2, "width": 6},
                hovertemplate=f"<b>{d}</b><br>{metric}: %{{y:.4g}}<br>95% CI [{lo if lo is not None else float('nan'):.4g}, {hi if hi is not None else float('nan'):.4g}]<extra></extra>",
            ), row=r, col=c)
            named.add(d)
        # the doctrines are named on every panel's x axis as well as in the legend
        fig.update_xaxes(type="category", categoryorder="array", categoryarray=list(doctrines), tickangle=-30,
                         tickfont={"size": 10}, row=r, col=c)
    missing = [d for d in doctrines if d not in named]
    if missing:  # no finite value at all: still named, so the chart says what it leaves out
        fig.add_annotation(text="no value for " + ", ".join(missing), xref="paper", yref="paper", x=0, y=1.06,
                           showarrow=False, font={"size": 11, "color": "#666"})
    fig.update_layout(template=TEMPLATE, height=300 * rows + 80, title="Doctrine comparison: mean and 95% CI per metric",
                      showlegend=True, legend={"orientation": "h", "y": -0.12, "title": {"text": "doctrine "}}, margin={"t": 80})
    return fig


def forest_figure(paired: pd.DataFrame, baseline: str, doctrines: Sequence[str], metrics: Sequence[str], *, cols: int = 3) -> go.Figure:
    """Paired differences against ``baseline`` with 95 % CIs: one forest panel per metric."""
    others = [d for d in doctrines if d != baseline]
    rows, cols = _grid(len(metrics), cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=list(metrics), horizontal_spacing=0.14,
                        vertical_spacing=0.3 / max(rows, 1) + 0.04)
    col = colors(doctrines)
    p = paired.set_index(["doctrine", "metric"]) if len(paired) else None
    named: set[str] = set()
    for i, metric in enumerate(metrics):
        r, c = i // cols + 1, i % cols + 1
        for d in others:
            if p is None or (d, metric) not in p.index:
                continue
            row = p.loc[(d, metric)]
            m, lo, hi = _finite(row["diff"]), _finite(row["ci_low"]), _finite(row["ci_high"])
            if m is None:
                continue
            lo = m if lo is None else lo
            hi = m if hi is None else hi
            sig = lo > 0 or hi < 0
            fig.add_trace(go.Scatter(
                x=[m], y=[d], mode="markers",
                marker={"color": col[d], "size": 10, "symbol": "diamond" if sig else "circle-open", "line": {"width": 2, "color": col[d]}},
                error_x={"type": "data", "symmetric": False, "array": [hi - m], "arrayminus": [m - lo], "thickness": 2, "width": 5},
                name=f"{d} − {baseline}", legendgroup=d, showlegend=d not in named,
                hovertemplate=f"<b>{d}</b> − {baseline}<br>{metric}: %{{x:+.4g}}<br>95% CI [{lo:+.4g}, {hi:+.4g}]<extra></extra>",
            ), row=r, col=c)
            named.add(d)
        fig.add_vline(x=0, line={"color": "#888", "dash": "dot"}, row=r, col=c)  # type: ignore[arg-type]
        fig.update_yaxes(autorange="reversed", row=r, col=c)
    fig.update_layout(template=TEMPLATE, height=max(220, 40 * len(others) + 120) * rows,
                      title=f"Paired differences against {baseline} (same runs; filled diamond: 95% CI excludes 0)",
                      showlegend=True, legend={"orientation": "h", "y": -0.08}, margin={"t": 80, "l": 140})
    return fig


def _band(fig: go.Figure, x: np.ndarray, lo: np.ndarray, hi: np.ndarray, color: str, alpha: float, name: str,
          group: str, row: int | None = None, col: int | None = None) -> None:
    kw: dict[str, Any] = {} if row is None else {"row": row, "col": col}
    fig.add_trace(go.Scatter(x=x, y=hi, mode="lines", line={"width": 0}, showlegend=False, legendgroup=group, hoverinfo="skip"), **kw)
    fig.add_trace(go.Scatter(x=x, y=lo, mode="lines", line={"width": 0}, fill="tonexty", fillcolor=_rgba(color, alpha),
                             name=name, showlegend=False, legendgroup=group, hoverinfo="skip"), **kw)


def fan_figure(bands: pd.DataFrame, doctrines: Sequence[str], variable: str = "rung", *, title: str | None = None, cols: int = 3) -> go.Figure:
    """Fan chart per doctrine: median with 50 % and 90 % bands of ``variable`` over weeks."""
    present = [d for d in doctrines if ((bands.doctrine == d) & (bands.variable == variable)).any()]
    rows, cols = _grid(len(present), cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=present, shared_yaxes=True, vertical_spacing=0.3 / max(rows, 1) + 0.04)
    col = colors(doctrines)
    for i, d in enumerate(present):
        r, c = i // cols + 1, i % cols + 1
        sub = bands[(bands.doctrine == d) & (bands.variable == variable)].sort_values("week")
        x = sub.week.to_numpy()
        _band(fig, x, sub.p05.to_numpy(), sub.p95.to_numpy(), col[d], 0.15, f"{d} 90%", d, r, c)
        _band(fig, x, sub.p25.to_numpy(), sub.p75.to_numpy(), col[d], 0.35, f"{d} 50%", d, r, c)
        fig.add_trace(go.Scatter(x=x, y=sub.p50, mode="lines", line={"color": col[d], "width": 2.5}, name=d, legendgroup=d,
                                 hovertemplate=f"<b>{d}</b> week %{{x}}<br>median %{{y:.3g}}<extra></extra>"), row=r, col=c)
    if variable == "rung":
        fig.update_yaxes(tickmode="array", tickvals=list(range(len(LADDER))), ticktext=list(LADDER), range=[-0.3, len(LADDER) - 0.7])
    fig.update_xaxes(title_text="week")
    fig.update_layout(template=TEMPLATE, height=280 * rows + 90, showlegend=True, legend={"orientation": "h", "y": -0.15},
                      title=title or f"{variable} over time: median, 50% and 90% bands across runs", margin={"t": 90, "l": 130})
    return fig


def share_figure(bands: pd.DataFrame, doctrines: Sequence[str], variable: str = "war_share", *, title: str | None = None) -> go.Figure:
    """The weekly share of runs in a state (e.g. at war or higher), one line per doctrine."""
    fig = go.Figure()
    col = colors(doctrines)
    for d in doctrines:
        sub = bands[(bands.doctrine == d) & (bands.variable == variable)].sort_values("week")
        if sub.empty:
            continue
        fig.add_trace(go.Scatter(x=sub.week, y=sub["mean"], mode="lines", name=d, line={"color": col[d], "width": 2.5},
                                 hovertemplate=f"<b>{d}</b> week %{{x}}: %{{y:.1%}}<extra></extra>"))
    fig.update_yaxes(tickformat=".1~%", rangemode="tozero")
    fig.update_xaxes(title_text="week")
    fig.update_layout(template=TEMPLATE, height=420, title=title or variable, showlegend=True, legend={"orientation": "h", "y": -0.2})
    return fig


def trajectory_figure(bands: pd.DataFrame, doctrines: Sequence[str], variable: str, *, title: str | None = None) -> go.Figure:
    """Median of ``variable`` over weeks per doctrine, with its 50 % band."""
    fig = go.Figure()
    col = colors(doctrines)
    for d in doctrines:
        sub = bands[(bands.doctrine == d) & (bands.variable == variable)].sort_values("week")
        if sub.empty:
            continue
        _band(fig, sub.week.to_numpy(), sub.p25.to_numpy(), sub.p75.to_numpy(), col[d], 0.2, f"{d} 50%", d)
        fig.add_trace(go.Scatter(x=sub.week, y=sub.p50, mode="lines", name=d, legendgroup=d, line={"color": col[d], "width": 2.5},
                                 hovertemplate=f"<b>{d}</b> week %{{x}}: median %{{y:.3f}}<extra></extra>"))
    fig.update_xaxes(title_text="week")
    fig.update_layout(template=TEMPLATE, height=420, title=title or f"{variable}: median and 50% band",
                      showlegend=True, legend={"orientation": "h", "y": -0.2})
    return fig


def attribution_figure(table: pd.DataFrame, baseline: str, metric: str, doctrines: Sequence[str], *, cols: int = 2) -> go.Figure:
    """How much of each doctrine's paired difference each mechanism explains (with 95 % CI)."""
    sub = table[table.metric == metric]
    present = [d for d in doctrines if d in set(sub.doctrine)]
    rows, cols = _grid(max(1, len(present)), cols)
    titles = []
    for d in present:
        diff = _finite(sub[sub.doctrine == d]["diff"].iloc[0])
        titles.append(f"{d} − {baseline}: Δ{metric} = {diff:+.3g}" if diff is not None else d)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles or ["(no doctrine to explain)"], horizontal_spacing=0.22,
                        vertical_spacing=0.25 / max(rows, 1) + 0.05)
    col = colors(doctrines)
    for i, d in enumerate(present):
        r, c = i // cols + 1, i % cols + 1
        s = sub[sub.doctrine == d]
        labels = [f"{a} {b}" for a, b in zip(s.mechanism_id, s.mechanism, strict=True)]
        share_text = ["–" if _finite(v) is None else ("0%" if abs(float(v)) < 0.005 else f"{float(v):.0%}") for v in s.share]
        fig.add_trace(go.Bar(
            x=s.explained, y=labels, orientation="h", marker={"color": col[d]}, showlegend=True, name=f"{d} − {baseline}",
            error_x={"type": "data", "symmetric": False, "array": (s.ci_high - s.explained).to_numpy(), "arrayminus": (s.explained - s.ci_low).to_numpy()},
            text=share_text, textposition="outside", customdata=np.stack([s.diff_without, s.ci_low, s.ci_high], axis=1),
            hovertemplate="%{y}<br>explains %{x:+.4g} (95% CI [%{customdata[1]:+.3g}, %{customdata[2]:+.3g}])"
                          "<br>difference without it: %{customdata[0]:+.4g}<extra></extra>",
        ), row=r, col=c)
        fig.add_vline(x=0, line={"color": "#888", "dash": "dot"}, row=r, col=c)  # type: ignore[arg-type]
        fig.update_yaxes(autorange="reversed", row=r, col=c)
    n_mech = sub.mechanism.nunique() if len(sub) else 1
    fig.update_layout(template=TEMPLATE, height=max(300, 26 * n_mech + 140) * rows,
                      title=f"Mechanism attribution of Δ{metric}: difference explained = Δ with the mechanism − Δ without it (label: share of Δ)",
                      showlegend=bool(present), legend={"orientation": "h", "y": -0.08}, margin={"t": 90, "l": 200})
    return fig


def sensitivity_figure(analysis: dict[str, Any], *, cols: int = 2, max_panels: int = 8) -> go.Figure:
    """Sobol (S1, ST) or Morris (mu*) indices with CIs, one panel per policy and outcome."""
    method = analysis.get("method", "sobol")
    panels: list[tuple[str, list[dict[str, Any]]]] = []
    for policy, by_metric in (analysis.get("indices") or {}).items():
        for metric, rows in by_metric.items():
            panels.append((f"{metric} under {policy}", rows))
    panels = panels[:max_panels]
    rows_n, cols = _grid(max(1, len(panels)), cols)
    fig = make_subplots(rows=rows_n, cols=cols, subplot_titles=[p[0] for p in panels] or ["(no indices)"], horizontal_spacing=0.2,
                        vertical_spacing=0.3 / max(rows_n, 1) + 0.05)
    keys = [("mu_star", "mu*", "#1f77b4")] if method == "morris" else [("ST", "total order ST", "#ff7f0e"), ("S1", "first order S1", "#1f77b4")]
    for i, (_title, rows) in enumerate(panels):
        r, c = i // cols + 1, i % cols + 1
        names = [str(x["uncertainty"]) for x in rows]
        for key, label, color in keys:
            vals = np.array([_finite(x.get(key)) or 0.0 for x in rows])
            lo = np.array([_finite(x.get(f"{key}_low")) if _finite(x.get(f"{key}_low")) is not None else v for x, v in zip(rows, vals, strict=True)])
            hi = np.array([_finite(x.get(f"{key}_high")) if _finite(x.get(f"{key}_high")) is not None else v for x, v in zip(rows, vals, strict=True)])
            fig.add_trace(go.Bar(x=vals, y=names, orientation="h", name=label, marker={"color": color}, showlegend=i == 0,
                                 legendgroup=key, error_x={"type": "data", "symmetric": False, "array": hi - vals, "arrayminus": vals - lo}),
                          row=r, col=c)
        fig.update_yaxes(autorange="reversed", row=r, col=c)
    fig.update_layout(template=TEMPLATE, barmode="group", height=max(300, 220 * rows_n + 100),
                      title=("Morris screening: mu* with CI" if method == "morris" else "Sobol indices with CI") + f" ({int(100 * analysis.get('conf_level', 0.95))}%)",
                      margin={"l": 180, "t": 90}, legend={"orientation": "h", "y": -0.1})
    return fig


def prim_figure(analysis: dict[str, Any]) -> go.Figure:
    """Coverage and density of each PRIM box, per policy (with the failing share)."""
    fig = go.Figure()
    labels: list[str] = []
    cov: list[float] = []
    den: list[float] = []
    for policy, entry in (analysis.get("policies") or {}).items():
        for j, b in enumerate(entry.get("boxes", [])):
            labels.append(f"{policy} box {j + 1}")
            cov.append(float(b.get("coverage", float("nan"))))
            den.append(float(b.get("density", float("nan"))))
    fig.add_trace(go.Bar(x=labels, y=cov, name="coverage", marker={"color": "#1f77b4"}))
    fig.add_trace(go.Bar(x=labels, y=den, name="density", marker={"color": "#d62728"}))
    fig.update_yaxes(range=[0, 1.05])
    fig.update_layout(template=TEMPLATE, barmode="group", height=380,
                      title=f"PRIM boxes where {analysis.get('condition', 'the doctrine fails')}: coverage and density")
    return fig


def timeline_figure(decisions: Sequence[dict[str, Any]], *, title: str = "Policy decisions over time") -> go.Figure:
    """One marker per decision: x the day, y the kind, hover the rule and reason."""
    fig = go.Figure()
    kinds: list[str] = []
    for d in decisions:
        k = str(d.get("kind", "?"))
        if k not in kinds:
            kinds.append(k)
    col = colors(kinds)
    for k in kinds:
        sub = [d for d in decisions if str(d.get("kind")) == k]
        fig.add_trace(go.Scatter(
            x=[d.get("date", d.get("day")) for d in sub], y=[k] * len(sub), mode="markers", name=k,
            marker={"color": col[k], "size": 11, "symbol": "diamond"},
            text=[f"{d.get('rule', '')}: {d.get('summary', '')}" for d in sub],
            hovertemplate="%{x}<br><b>%{y}</b><br>%{text}<extra></extra>",
        ))
    fig.update_layout(template=TEMPLATE, height=max(280, 45 * len(kinds) + 160), title=title, showlegend=False, margin={"l": 140})
    return fig


def metric_label(metric: str) -> str:
    """``p_war`` → ``p_war (peak escalation reached conventional war ...)``."""
    return f"{metric} ({DESCRIPTIONS[metric]})" if metric in DESCRIPTIONS else metric
