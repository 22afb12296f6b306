"""The web app: ``crisislab serve`` (FastAPI, pages without a build step, background jobs)."""

from crisislab.server.app import ServerConfig, create_app

__all__ = ["ServerConfig", "create_app"]
