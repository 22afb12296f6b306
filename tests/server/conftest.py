"""Fixtures for the web app: an app over a temporary data folder, driven with httpx."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crisislab.server import ServerConfig, create_app

POLICY = "conditionality-no-preconditions"


def make_client(data: Path, **kw: Any) -> TestClient:
    return TestClient(create_app(ServerConfig(data, **kw)))


@pytest.fixture()
def data(tmp_path) -> Path:
    return tmp_path / "data"


@pytest.fixture()
def client(data):
    with make_client(data) as c:
        yield c


def wait_job(client: TestClient, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll a job until it is done or failed (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish within {timeout} s")


def talks_request(day: str = "2024-03-01") -> dict[str, Any]:
    return {"date": day, "source": "European Union", "target": "Russian Federation", "cameo": "036", "forum": "talks"}
