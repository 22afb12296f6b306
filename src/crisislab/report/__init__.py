"""HTML reports: figures (Plotly), re-simulated trajectories and mechanism attribution.


"""

from crisislab.report.build import (
    Report,
    ReportOptions,
    Section,
    build_report,
    render_html,
    write_html,
)
from crisislab.report.data import Results, load_results, write_bundle

__all__ = ["Report", "ReportOptions", "Results", "Section", "build_report", "load_results", "render_html", "write_bundle", "write_html"]
