"""Results are identical on every backend (local, processes, a real Dask LocalCluster)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from crisislab.errors import InputError
from crisislab.experiments.backends import make_backend
from crisislab.experiments.runner import run_experiment
from crisislab.experiments.spec import experiment_from_dict
from crisislab.experiments.store import ResultStore

from .toy_experiment import toy


def _outcomes(tmp_path: Path, backend: str, data: dict) -> pd.DataFrame:
    loaded = experiment_from_dict(data)
    store = ResultStore(tmp_path / backend)
    with make_backend(backend, 2) as be:
        run_experiment(loaded, store, be)
    return store.read_outcomes(loaded.experiment_id)


DATA = toy(sampler={"method": "lhs", "n": 12}, chunk_points=2)


def test_toy_model_identical_on_local_and_processes(tmp_path: Path) -> None:
    local = _outcomes(tmp_path, "local", DATA)
    assert len(local) == 12 * 2 * 10
    pd.testing.assert_frame_equal(local, _outcomes(tmp_path, "processes", DATA))


def test_toy_model_identical_on_a_real_dask_local_cluster(tmp_path: Path) -> None:
    local = _outcomes(tmp_path, "local", DATA)
    pd.testing.assert_frame_equal(local, _outcomes(tmp_path, "dask", DATA))


def test_simulator_identical_on_local_and_processes(tmp_path: Path) -> None:
    data = toy(model="crisislab", runs=6, sampler={"method": "lhs", "n": 4}, chunk_points=1,
               levers={"doctrines": ["test_by_offer"]})
    local = _outcomes(tmp_path, "local", data)
    assert local["p_war"].notna().all() and local["run"].tolist()[:6] == list(range(6))
    pd.testing.assert_frame_equal(local, _outcomes(tmp_path, "processes", data))


def test_backend_arguments_are_checked() -> None:
    with pytest.raises(InputError):
        make_backend("cluster")
    with pytest.raises(InputError):
        make_backend("local", scheduler="tcp://127.0.0.1:1")
    with pytest.raises(InputError):
        make_backend("processes", workers=0)


def test_dask_scheduler_address_via_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import yaml
    from dask.distributed import LocalCluster

    from crisislab.cli import main

    exp = tmp_path / "exp.yaml"
    exp.write_text(yaml.safe_dump(DATA), encoding="utf-8")
    local = _outcomes(tmp_path, "local", DATA)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        code = main(["sweep", str(exp), "-r", str(tmp_path / "remote"), "--backend", "dask",
                     "--scheduler", cluster.scheduler_address, "-f", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "scheduler tcp://" in captured.err and "Dask dashboard: http" in captured.err
    remote = ResultStore(tmp_path / "remote").read_outcomes(experiment_from_dict(DATA).experiment_id)
    pd.testing.assert_frame_equal(local, remote)


def test_unreachable_scheduler_is_an_input_error() -> None:
    with pytest.raises(InputError, match="cannot be reached"):
        make_backend("dask", scheduler="tcp://127.0.0.1:9")
