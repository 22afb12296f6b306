"""HTML reports: figures (Plotly), re-simulated trajectories and mechanism attribution.

Plotly is imported when a report is first built, not with the command line.
"""

from __future__ import annotations

from typing import Any

_WHERE = {
    "Report": "build",
    "ReportOptions": "build",
    "Section": "build",
    "build_report": "build",
    "render_html": "build",
    "write_html": "build",
    "Results": "data",
    "load_results": "data",
    "write_bundle": "data",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"crisislab.report.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
