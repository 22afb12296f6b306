"""The engine's per-run outcomes match the committed fingerprints (``golden.json``).

Performance work must leave results unchanged. When the model is changed on purpose,
regenerate the fingerprints with ``python benchmarks/make_golden.py`` and commit them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from benchmarks.make_golden import GOLDEN, fingerprint

from crisislab import simulate

CASES = json.loads(Path(GOLDEN).read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['scenario']}-{c['doctrine']}-{c['seed']}")
def test_outcomes_match_golden(case):
    df = simulate(case["scenario"], case["doctrine"], case["runs"], case["seed"])
    got = fingerprint(df)
    changed = sorted(c for c, h in case["columns"].items() if got["columns"].get(c) != h)
    added = sorted(set(got["columns"]) - set(case["columns"]))
    assert got["sha256"] == case["sha256"], (
        f"outcomes changed in columns {changed} (new columns: {added}); if the model was changed on "
        "purpose, run `python benchmarks/make_golden.py` and commit tests/perf/golden.json"
    )


def test_fingerprint_sees_a_last_digit_change():
    df = pd.DataFrame({"x": [0.1234567891, 2.0], "t": ["a", "b"]})
    other = df.assign(x=[0.1234567892, 2.0])
    assert fingerprint(df)["sha256"] != fingerprint(other)["sha256"]
    assert fingerprint(df)["columns"]["t"] == fingerprint(other)["columns"]["t"]
