"""What every route of the web app shares: the server's settings, stores and job queue.

One :class:`AppContext` is built per app by :func:`crisislab.server.app.create_app` and
kept in ``app.state.ctx``; routes receive it through the FastAPI dependency :data:`Ctx`,
and a request's JSON object through :data:`Body` (parsed within the limits of
:mod:`crisislab.limits`, so deep or oversized input is refused with 422 before a route sees it).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse

from crisislab.errors import InputError, Problem
from crisislab.limits import parse_json_text
from crisislab.output import _clean
from crisislab.server.console import PolicyConsole
from crisislab.server.jobs import JobManager
from crisislab.server.security import TokenStore, safe_name
from crisislab.server.store import ServerStore


@dataclass
class ServerConfig:
    """Settings of one server (``crisislab serve --help`` lists the matching options)."""

    data_dir: Path
    workers: int = 1
    queue: int = 4
    max_body: int = 1_000_000
    max_runs: int = 20_000
    max_run_weeks: int = 20_000_000
    max_trajectory_runs: int = 1_000
    max_attribution_runs: int = 300
    policies: list[str] = field(default_factory=list)


class NotFound(Exception):
    """An unknown job, result, report or policy (HTTP 404)."""


def package_dir(name: str) -> Path:
    return Path(str(resources.files("crisislab.server") / name))


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    """``data`` as JSON, with NaN and infinities as ``null`` and NumPy values as plain ones."""
    return JSONResponse(_clean(data), status_code=status, headers=headers)


def whole_number(data: dict[str, Any], key: str, default: int, lo: int, hi: int, source: str) -> int:
    """``data[key]`` as a whole number in ``lo..hi`` (``default`` when absent or empty)."""
    v = data.get(key, default)
    if v is None or v == "":
        v = default
    if isinstance(v, bool):
        raise InputError(source, [Problem(key, repr(v), f"a whole number from {lo} to {hi}")])
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise InputError(source, [Problem(key, repr(v)[:40], f"a whole number from {lo} to {hi}")]) from None
    if not math.isfinite(f) or f != int(f) or not (lo <= int(f) <= hi):
        raise InputError(source, [Problem(key, repr(v)[:40], f"a whole number from {lo} to {hi}")])
    return int(f)


@dataclass
class AppContext:
    """The state of one server: settings, result store, tokens, job queue, policy consoles."""

    config: ServerConfig
    store: ServerStore
    tokens: TokenStore
    jobs: JobManager
    env: jinja2.Environment
    consoles: dict[str, PolicyConsole] = field(default_factory=dict)
    consoles_lock: threading.Lock = field(default_factory=threading.Lock)
    report_locks: dict[str, threading.Lock] = field(default_factory=dict)

    @classmethod
    def build(cls, config: ServerConfig) -> AppContext:
        store = ServerStore(config.data_dir)
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(package_dir("templates"))),
                                 autoescape=jinja2.select_autoescape(["html"]))
        return cls(config, store, TokenStore(store.tokens), JobManager(workers=config.workers, queue=config.queue), env)

    def page(self, name: str, **ctx: Any) -> HTMLResponse:
        """The page template ``name`` rendered with ``ctx``."""
        return HTMLResponse(self.env.get_template(name).render(**ctx))

    def policy_keys(self) -> list[str]:
        """The policies the console serves: the configured (or shipped) ones, then saved ones."""
        from crisislab.policy.load import shipped as shipped_policies

        names = list(self.config.policies) or list(shipped_policies())
        return names + [f"user.{n}" for n in self.store.saved_policies()]

    def console(self, key: str) -> PolicyConsole:
        """The policy console of ``key``, opened on first use (one ledger per policy version)."""
        from crisislab.policy.load import compile_loaded, load_policy, policy_hash

        if key not in self.policy_keys():
            raise NotFound(f"no policy {key!r}; known: {', '.join(self.policy_keys())}")
        with self.consoles_lock:
            if key in self.consoles:
                return self.consoles[key]
            if key.startswith("user."):
                path = self.store.policy_path(key[len("user."):])
                pol, source = load_policy(path), f"saved policy {key[5:]}"
            else:
                pol, source = load_policy(key), f"shipped policy {key}"
            cp = compile_loaded(pol)
            folder = self.store.console_dir(f"{safe_name(key, 'policy')}-{policy_hash(pol)[:12]}")
            self.consoles[key] = PolicyConsole(key, cp, folder, source, signer=self.store.console_key(),
                                               keyring_path=self.store.keyring_path)
            return self.consoles[key]


def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


async def json_body(request: Request) -> dict[str, Any]:
    """The request's body as a JSON object (an empty body is ``{}``)."""
    raw = await request.body()
    data = parse_json_text(raw or b"{}", "request", whole="(body)")
    if not isinstance(data, dict):
        raise InputError("request", [Problem("(body)", f"a JSON {type(data).__name__}", "a JSON object")])
    return data


#: The server's :class:`AppContext`, as a route parameter.
Ctx = Annotated[AppContext, Depends(get_context)]
#: The request's JSON object, as a route parameter.
Body = Annotated[dict[str, Any], Depends(json_body)]


def yaml_text(data: dict[str, Any], what: str, detailed: bool = False) -> str:
    """The ``yaml`` field of a request body (the text of a scenario or policy)."""
    text = data.get("yaml")
    if not isinstance(text, str):
        found = ("nothing" if text is None else type(text).__name__) if detailed else "nothing"
        raise InputError("request", [Problem("yaml", found, f"the {what} as YAML text")])
    return text
