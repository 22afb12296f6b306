"""The web app: ``crisislab serve`` (FastAPI, pages without a build step, background jobs).

FastAPI is imported when the app is first asked for, not with the command line.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ServerConfig", "create_app"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from crisislab.server import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
