"""Comparative-statics plots for ``crisislab solve GAME --sweep ... --plot PATH``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from crisislab.errors import InputError, Problem
from crisislab.games.base import GameSpec


def sweep_figure(spec: GameSpec, params: Any, key: str, values: np.ndarray, metrics: dict[str, np.ndarray]) -> go.Figure:
    """One panel per metric, sharing the swept parameter on the x axis."""
    names = [n for n, v in metrics.items() if np.isfinite(np.asarray(v, dtype=float)).any()]
    cols = 2 if len(names) > 1 else 1
    rows = max(1, math.ceil(len(names) / cols))
    fig = make_subplots(rows=rows, cols=cols, shared_xaxes=True, subplot_titles=names, vertical_spacing=min(0.08, 0.5 / rows))
    for i, name in enumerate(names):
        y = np.asarray(metrics[name], dtype=float)
        y = np.where(np.isfinite(y), y, np.nan)
        fig.add_trace(
            go.Scatter(x=values, y=y, mode="lines", name=name, showlegend=False),
            row=i // cols + 1,
            col=i % cols + 1,
        )
    for c in range(1, cols + 1):
        fig.update_xaxes(title_text=key, row=rows, col=c)
    items = [f"{k}={v}" for k, v in params.model_dump().items() if k != key]
    fixed = "<br>".join(", ".join(items[i : i + 6]) for i in range(0, len(items), 6))
    fig.update_layout(
        title=f"{spec.title}: comparative statics in {key}<br><sup>{fixed}</sup>",
        height=max(400, 260 * rows) + 20 * (len(items) // 6),
        margin={"t": 90 + 18 * (len(items) // 6)},
        template="plotly_white",
    )
    return fig


def write_sweep_plot(path: Path, spec: GameSpec, params: Any, key: str, values: np.ndarray, metrics: dict[str, np.ndarray]) -> Path:
    """Write the sweep figure as a self-contained HTML file."""
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise InputError("crisislab solve", [Problem("--plot", str(path), "a file name ending in .html")], summary="cannot plot")
    if path.parent and not path.parent.exists():
        raise InputError("crisislab solve", [Problem("--plot", str(path), "a path in an existing folder")], summary="cannot plot")
    sweep_figure(spec, params, key, values, metrics).write_html(str(path), include_plotlyjs=True, full_html=True)
    return path
