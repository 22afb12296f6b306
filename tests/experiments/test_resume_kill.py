"""Kill a real ``crisislab sweep`` process with SIGKILL, rerun it, and check the store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

from crisislab.experiments.runner import run_experiment
from crisislab.experiments.spec import load_experiment
from crisislab.experiments.store import ResultStore
from crisislab.experiments.toymodel import toy_simulate

from .toy_experiment import toy


def _cmd(exp: Path, res: Path) -> list[str]:
    return [sys.executable, "-m", "crisislab.cli", "sweep", str(exp), "--results", str(res), "--format", "json"]


def test_killed_sweep_resumes_with_each_chunk_once(tmp_path: Path) -> None:
    data = toy(model={"name": "toy", "delay_s": 0.03}, sampler={"method": "lhs", "n": 40}, chunk_points=1)
    exp = tmp_path / "exp.yaml"
    exp.write_text(yaml.safe_dump(data), encoding="utf-8")
    loaded = load_experiment(exp)
    eid = loaded.experiment_id
    res = tmp_path / "killed"
    store = ResultStore(res)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    proc = subprocess.Popen(_cmd(exp, res), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env, process_group=0)
    deadline = time.monotonic() + 120
    try:
        while len(store.chunk_files(eid)) < 5:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "no chunks appeared"
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    written = len(store.chunk_files(eid))
    assert 5 <= written < 40, written
    assert store.read_manifest(eid)["status"] == "running"

    rerun = subprocess.run(_cmd(exp, res), capture_output=True, text=True, env=env, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"resuming: {written}" in rerun.stderr or "resuming:" in rerun.stderr
    files = store.chunk_files(eid)
    assert sorted(files) == list(range(40))
    assert not list(store.exp_dir(eid).rglob("*.tmp"))
    resumed = store.read_outcomes(eid)
    assert not resumed.duplicated(["point", "policy", "run"]).any()
    per_chunk = resumed.groupby("chunk")["point"].nunique()
    assert (per_chunk == 1).all() and len(per_chunk) == 40

    clean = ResultStore(tmp_path / "clean")  # the same experiment, uninterrupted (in-process)
    run_experiment(load_experiment(exp), clean, model=toy_simulate)
    pd.testing.assert_frame_equal(resumed, clean.read_outcomes(eid))
    assert clean.read_manifest(eid)["status"] == store.read_manifest(eid)["status"] == "complete"
