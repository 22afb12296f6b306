"""A dot-and-whisker chart of historical against simulated values (``crisislab validate --plot``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_reports(reports: dict[str, dict[str, Any]], path: Path) -> None:
    """Write an image (format from the suffix: .svg, .png, .pdf) with one row per simulated
    fact: the historical value and CI, its tolerance band, and each report's simulated value
    and CI. ``reports`` maps a label (e.g. "defaults", "calibrated") to a validate report."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"  # keep text as text in SVG
    plt.rcParams["svg.hashsalt"] = "crisislab"  # stable ids, so the same figure gives the same file

    first = next(iter(reports.values()))
    rows = [r for r in first["facts"] if r["result"] != "not simulated" and r["unit"] == "share"]
    fig, ax = plt.subplots(figsize=(8.0, 0.42 * len(rows) + 1.4))
    colours = ["#1f77b4", "#d95f02", "#7570b3"]
    n = len(reports)
    for i, r in enumerate(rows):
        y = len(rows) - 1 - i
        ax.add_patch(plt.Rectangle((r["historical"] - r["tolerance"], y - 0.38), 2 * r["tolerance"], 0.76,
                                   color="#dddddd", zorder=0, linewidth=0))
        ax.errorbar(r["historical"], y, xerr=[[r["historical"] - r["hist_ci_low"]], [r["hist_ci_high"] - r["historical"]]],
                    fmt="o", color="black", ms=4, capsize=2, zorder=3, label="historical (95% CI)" if i == 0 else None)
        for j, (label, rep) in enumerate(reports.items()):
            s = next(x for x in rep["facts"] if x["fact"] == r["fact"])
            if s["simulated"] is None:
                continue
            dy = (j + 1) * 0.5 / (n + 1) - 0.25 - 0.12
            ax.errorbar(s["simulated"], y + dy, xerr=[[s["simulated"] - s["sim_ci_low"]], [s["sim_ci_high"] - s["simulated"]]],
                        fmt="s", color=colours[j % len(colours)], ms=4, capsize=2, zorder=2,
                        label=f"simulated, {label}" if i == 0 else None)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{r['fact']} [{r['role']}]" for r in reversed(rows)], fontsize=8)
    ax.set_xlim(-0.02, 1.02)
    version = first["tolerances"]["version"]
    ax.set_xlabel(f"share (grey: historical value ± tolerance, v{version})")
    ax.grid(axis="x", color="#eeeeee")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title("Stylized facts: history against the generic crisis family", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
