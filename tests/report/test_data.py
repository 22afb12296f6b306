"""Loading results for reports: Parquet from `compare --output`, bundles, experiments, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crisislab.errors import InputError
from crisislab.report.data import load_bundle, load_results, write_bundle
from crisislab.scenario import load_scenario

from .conftest import DOCTRINES, RUNS, SEED


def test_parquet_results_keep_doctrine_order_and_pairing(compare_parquet, comparison):
    res = load_results(compare_parquet, scenario="toy-3", seed=SEED)
    assert res.doctrines == DOCTRINES
    assert all(len(df) == RUNS for df in res.outcomes.values())
    cmp = res.comparison()
    want = comparison.paired.set_index(["doctrine", "metric"])["diff"]
    got = cmp.paired.set_index(["doctrine", "metric"])["diff"]
    assert np.allclose(got.loc[want.index], want, equal_nan=True)


def test_baseline_changes_the_pairing(compare_parquet):
    res = load_results(compare_parquet, scenario="toy-3", seed=SEED)
    cmp = res.comparison("open_channels")
    assert cmp.doctrines[0] == "open_channels"
    assert set(cmp.paired.doctrine) == {"isolation", "conditionality"}
    with pytest.raises(InputError, match="one of the doctrines"):
        res.comparison("mediated_offramp")


def test_missing_and_foreign_files_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="cannot be found"):
        load_results(tmp_path / "nothing.parquet")
    (tmp_path / "notes.parquet").write_text("not parquet at all")
    with pytest.raises(InputError, match="not readable as Parquet"):
        load_results(tmp_path / "notes.parquet")
    pd.DataFrame({"a": [1, 2]}).to_parquet(tmp_path / "other.parquet")
    with pytest.raises(InputError, match="'doctrine' and 'run' columns"):
        load_results(tmp_path / "other.parquet")
    (tmp_path / "folder").mkdir()
    with pytest.raises(InputError, match="without manifest.json or meta.json"):
        load_results(tmp_path / "folder")


def test_unpaired_runs_are_refused(tmp_path):
    frame = pd.DataFrame({"doctrine": ["a", "a", "b", "b"], "run": [0, 1, 0, 2], "p_war": [0.0, 1.0, 1.0, 0.0]})
    frame.to_parquet(tmp_path / "x.parquet")
    with pytest.raises(InputError, match="same runs"):
        load_results(tmp_path / "x.parquet")


def test_bundle_round_trip_carries_scenario_and_seed(tmp_path, comparison):
    sc = load_scenario("toy-3")
    write_bundle(tmp_path / "b1", outcomes=comparison.outcomes, scenario=sc, seed=SEED)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left
    res = load_bundle(tmp_path / "b1")
    assert res.scenario is not None and res.scenario.name == "toy-3"
    assert res.seed == SEED and res.doctrines == DOCTRINES and res.verified


def test_experiment_folder_pairs_points_and_runs(experiment_dir):
    res = load_results(experiment_dir)
    assert res.kind == "experiment"
    assert res.doctrines == ["isolation", "test_by_offer"]
    assert len(res.outcomes["isolation"]) == 6 * 4
    a, b = res.outcomes["isolation"], res.outcomes["test_by_offer"]
    assert (a.pair_point.to_numpy() == b.pair_point.to_numpy()).all() and (a.pair_run.to_numpy() == b.pair_run.to_numpy()).all()
    assert set(res.analyses) == {"sensitivity", "discover"}
    cmp = res.comparison()
    diff = cmp.paired.set_index("metric").loc["p_war", "diff"]
    assert np.isclose(diff, b.p_war.mean() - a.p_war.mean())
