"""Predicted against actual outcomes of a Council backtest (matplotlib, like the validation chart)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from crisislab.council.evaluate import Evaluation

DEFAULT_PANELS = ("compromise", "power_compromise", "power_nash", "procedural", "exchange", "stacked")


def plot_predictions(ev: Evaluation, path: Path, models: Sequence[str] = DEFAULT_PANELS) -> None:
    """One panel per model: out-of-sample prediction (x) against the recorded outcome (y),
    with the diagonal; the title gives the MAE and the paired difference to compromise."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"
    plt.rcParams["svg.hashsalt"] = "crisislab"
    names = [m for m in models if m in ev.predictions]
    cols = min(3, len(names))
    rows = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows), squeeze=False, sharex=True, sharey=True)
    for ax, name in zip(axes.ravel(), names, strict=False):
        pred = ev.predictions[name]
        ok = ~np.isnan(pred)
        ax.plot([0, 100], [0, 100], color="#bbbbbb", linewidth=1, zorder=0)
        ax.scatter(pred[ok], ev.outcomes[ok], s=7, alpha=0.5, color="#1f77b4", linewidths=0)
        s = ev.score(name)
        diff = "" if name == "compromise" else f"\nvs compromise {s.diff:+.2f} [{s.diff_ci_low:+.2f}, {s.diff_ci_high:+.2f}]"
        ax.set_title(f"{name}: MAE {s.mae:.2f}{diff}", fontsize=8)
        ax.set_xlim(-2, 102)
        ax.set_ylim(-2, 102)
        ax.grid(color="#eeeeee")
    for ax in axes.ravel()[len(names):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("predicted outcome", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("recorded outcome", fontsize=8)
    fig.suptitle("DEU III: out-of-sample predictions against outcomes (0-100)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
