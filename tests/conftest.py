"""Shared test fixtures.

Reference data sets are never copied into the project. Tests that need them read the
folder named by ``CRISISLAB_DATA``, or ``../shared/data`` beside the checkout. In CI
(``CI`` set) a missing folder is an error, not a skip, so data tests cannot silently vanish.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def reference_data_dir() -> Path | None:
    env = os.environ.get("CRISISLAB_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "data")
    for c in candidates:
        if c.is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    found = reference_data_dir()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("reference data folder not found: set CRISISLAB_DATA or place shared/data beside the checkout")
        pytest.skip("reference data folder not found (set CRISISLAB_DATA)")
    return found
