"""Static PNG/SVG export of report figures through Kaleido and a local Chromium.

Kaleido drives a Chrome or Chromium that is already installed (on Debian:
``apt-get install chromium``; another one can be named with the ``BROWSER_PATH``
environment variable). Nothing is ever downloaded: when Kaleido or a browser is missing,
:func:`export_figures` raises :class:`ExportUnavailable` with a message that says what to
install. Every HTML report also has PNG and SVG buttons on each chart, which work in any
browser without Kaleido.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import plotly.graph_objects as go

from crisislab.errors import InputError, Problem

FORMATS = ("png", "svg")
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


class ExportUnavailable(RuntimeError):
    """Static export cannot run here (no Kaleido, or no local Chromium)."""


def find_browser() -> str | None:
    """Path of a local Chrome/Chromium (``BROWSER_PATH`` first), or ``None``."""
    env = os.environ.get("BROWSER_PATH")
    if env and Path(env).exists():
        return env
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def available() -> tuple[bool, str]:
    """Whether static export can run, and why not."""
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return False, "the kaleido package is not installed (pip install 'crisislab[export]')"
    if find_browser() is None:
        return False, "no Chrome or Chromium is installed (Debian: apt-get install chromium; or set BROWSER_PATH)"
    return True, ""


def parse_formats(text: str) -> list[str]:
    """``png,svg`` → ``["png", "svg"]``; anything else is an :class:`InputError`."""
    out = [t.strip().lower() for t in text.split(",") if t.strip()]
    bad = [t for t in out if t not in FORMATS]
    if bad or not out:
        raise InputError("--figure-format", [Problem("(value)", repr(text), "png, svg or png,svg")])
    return out


def export_figures(figures: Sequence[tuple[str, go.Figure]], folder: Path, formats: Sequence[str] = FORMATS,
                   *, width: int = 1100, height: int | None = None) -> list[Path]:
    """Write every figure as ``<name>.<format>`` into ``folder``; return the paths."""
    ok, why = available()
    if not ok:
        raise ExportUnavailable(f"PNG/SVG export is unavailable: {why}. The HTML report's PNG and SVG buttons still work.")
    browser = find_browser()
    if browser and not os.environ.get("BROWSER_PATH"):
        os.environ["BROWSER_PATH"] = browser
    import plotly.io as pio

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    figs: list[go.Figure] = []
    paths: list[Path] = []
    for name, fig in figures:
        for f in formats:
            figs.append(fig)
            paths.append(folder / f"{name}.{f}")
    if not figs:
        return []
    heights = [height or int(fig.layout.height or 500) for fig in figs]
    try:
        pio.write_images(fig=figs, file=[str(p) for p in paths], width=width, height=heights)
    except Exception as exc:  # noqa: BLE001 - any browser failure: say what went wrong
        raise ExportUnavailable(f"PNG/SVG export failed: {type(exc).__name__}: {exc}") from None
    return paths
