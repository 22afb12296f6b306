"""The web app: an app factory that joins the routers of :mod:`crisislab.server.routes`.

Pages are Jinja2 templates with a little vanilla JavaScript and plotly.js served from the
installed plotly package: there is no build step. Long work (comparisons, traces, reports)
runs as background jobs in a bounded queue (:mod:`crisislab.server.jobs`); results are
written to the data folder (:mod:`crisislab.server.store`) and survive a restart. What the
routes share (settings, stores, job queue, policy consoles) is one
:class:`~crisislab.server.context.AppContext`, passed to them as a FastAPI dependency.

Errors: bad input → HTTP 422 with the same one-paragraph message as the command line (a
body nested deeper than :data:`crisislab.limits.MAX_DEPTH` levels, or YAML in it beyond the
limits of :mod:`crisislab.limits`, is bad input);
a full job queue → 429 with ``Retry-After``; a veto vote without that member's token, or with
a signature that does not verify against the member's key → 403;
a body over the size limit → 413; an unknown result → 404.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from crisislab.errors import InputError
from crisislab.server.console import Conflict, Forbidden
from crisislab.server.context import AppContext, NotFound, ServerConfig, json_response, package_dir
from crisislab.server.jobs import Busy
from crisislab.server.security import BodyLimit

__all__ = ["NotFound", "ServerConfig", "create_app"]


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(InputError)
    async def _input_error(_: Request, exc: InputError) -> JSONResponse:
        status = 404 if exc.summary == "cannot be found" else 422
        return json_response({"error": "invalid input" if status == 422 else "not found", "message": str(exc),
                              "problems": [p.__dict__ for p in exc.problems]}, status)

    @app.exception_handler(Busy)
    async def _busy(_: Request, exc: Busy) -> JSONResponse:
        return json_response({"error": "busy", "message": f"The server is busy: {exc.active} jobs are running or waiting "
                              f"(limit {exc.limit}). Try again in a minute."}, 429, {"Retry-After": "30"})

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        return json_response({"error": "conflict", "message": str(exc)}, 409)

    @app.exception_handler(Forbidden)
    async def _forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return json_response({"error": "forbidden", "message": str(exc)}, 403)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return json_response({"error": "not found", "message": str(exc)}, 404)


def create_app(config: ServerConfig) -> FastAPI:
    """Build the app for one data folder."""
    from crisislab.server.routes import ROUTERS

    ctx = AppContext.build(config)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        ctx.jobs.shutdown(wait=False)

    app = FastAPI(title="crisislab", docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json", lifespan=lifespan)
    app.state.ctx = ctx
    app.add_middleware(BodyLimit, max_bytes=config.max_body)
    app.mount("/static", StaticFiles(directory=str(package_dir("static"))), name="static")
    _add_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
