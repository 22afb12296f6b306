"""Browser tests: a real headless Chromium (Debian's package) drives the web app.

The server runs in a thread on 127.0.0.1 with a free port and a temporary data folder.
Playwright launches the system Chromium by path (``command -v chromium``); it never
downloads a browser. Screenshots go to ``test-artifacts/browser/`` at the repository root.
Without Chromium the tests are skipped locally and fail in CI (``CI`` or
``CRISISLAB_REQUIRE_BROWSER`` set; ``.ci/run`` sets the latter).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _missing(why: str) -> None:
    if os.environ.get("CI") or os.environ.get("CRISISLAB_REQUIRE_BROWSER"):
        pytest.fail(f"browser tests need {why} (CI installs it in .ci/run)")
    pytest.skip(f"browser tests need {why}")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        _missing("Debian's chromium package (apt-get install chromium)")
    return str(path)


@dataclass
class Live:
    url: str
    data: Path
    tokens: dict[str, str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[Live]:
    import uvicorn

    from crisislab.server import ServerConfig, create_app
    from crisislab.server.security import TokenStore

    data = tmp_path_factory.mktemp("webdata")
    store = TokenStore(data / "tokens.json")
    tokens = {m: store.create(m)[0] for m in ("Finland", "Estonia")}
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(ServerConfig(data, workers=1, queue=4)), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web app did not start within 30 s")
        time.sleep(0.05)
    yield Live(f"http://127.0.0.1:{port}", data, tokens)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package (pip install -e '.[test]')")
    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, timeout=60_000)
    yield b
    b.close()
    pw.stop()


@pytest.fixture()
def page(browser):
    ctx = browser.new_context(viewport={"width": 1300, "height": 950})
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def shot(page, name: str, full: bool = True) -> Path:
    """Save a screenshot under test-artifacts/browser/ and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=full)
    return path
