"""The web app's routes, one module per part of the app (each an ``APIRouter``)."""

from crisislab.server.routes import catalog, games, jobs, pages, policies, results, traces

ROUTERS = [pages.router, catalog.router, jobs.router, results.router, traces.router, games.router, policies.router]
