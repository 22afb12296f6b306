"""Fixtures for report tests: a small stored comparison and a small stored experiment."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crisislab import compare

DOCTRINES = ["isolation", "conditionality", "open_channels"]
RUNS = 120
SEED = 5


@pytest.fixture(scope="session")
def comparison():
    return compare("toy-3", DOCTRINES, runs=RUNS, seed=SEED)


@pytest.fixture(scope="session")
def compare_parquet(tmp_path_factory, comparison) -> Path:
    """What `crisislab compare toy-3 --output PATH` writes."""
    path = tmp_path_factory.mktemp("cmp") / "toy.parquet"
    frame = pd.concat([df.assign(doctrine=n) for n, df in comparison.outcomes.items()], ignore_index=True)
    frame.to_parquet(path, index=False)
    return path


@pytest.fixture(scope="session")
def experiment_dir(tmp_path_factory) -> Path:
    """A stored experiment folder as the result store lays it out, with saved analyses."""
    from crisislab.experiments.store import ResultStore

    root = tmp_path_factory.mktemp("results")
    store = ResultStore(root)
    eid = "toy-exp-0123456789"
    rng = np.random.default_rng(0)
    points = pd.DataFrame({"point": np.arange(6), "prior_sincere": np.linspace(0, 0.6, 6)})
    manifest = {"experiment_id": eid, "name": "toy-exp", "scenario": {"name": "toy-3", "ref": "toy-3"}, "seed": 3, "runs": 4,
                "model": "toy", "n_points": 6, "sampler": {"method": "lhs"}, "uncertainties": [{"name": "prior_sincere"}],
                "policies": [{"label": "isolation"}, {"label": "test_by_offer"}], "outcomes": ["p_war"], "created": "2026-01-01T00:00:00+00:00"}
    store.init_experiment(eid, manifest, points, None)
    rows = []
    for point in range(6):
        for policy in ("isolation", "test_by_offer"):
            for run in range(4):
                rows.append({"experiment": eid, "chunk": 0, "point": point, "policy": policy, "doctrine": policy, "run": run,
                             "p_war": float(rng.random() < (0.6 if policy == "isolation" else 0.2)), "coalition_cost": rng.random()})
    store.write_chunk(eid, 0, pd.DataFrame(rows))
    analysis = store.exp_dir(eid) / "analysis"
    analysis.mkdir()
    (analysis / "sensitivity.json").write_text(json.dumps({
        "method": "sobol", "conf_level": 0.95,
        "indices": {"isolation": {"p_war": [
            {"uncertainty": "prior_sincere", "S1": 0.61, "S1_low": 0.5, "S1_high": 0.7, "ST": 0.72, "ST_low": 0.6, "ST_high": 0.8, "rank": 1}]}}}))
    (analysis / "discover.json").write_text(json.dumps({
        "condition": "p_war > 0.3", "sentences": ["`isolation` has p_war > 0.3 when prior_sincere < 0.4: coverage 0.90, density 0.80"],
        "policies": {"isolation": {"failing_share": 0.5, "points": 6, "boxes": [
            {"sentence": "x", "restrictions": [], "coverage": 0.9, "density": 0.8, "mass": 0.5, "n_points": 3, "meets_density": True}]}}}))
    return store.exp_dir(eid)
