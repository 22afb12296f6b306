"""Backends and streaming in the API and CLI: same numbers, bad input exits 2."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from crisislab.api import compare, iter_simulate, simulate
from crisislab.cli import main
from crisislab.errors import InputError
from crisislab.model.batches import Job, group_chunks, plan


def test_compare_is_the_same_on_worker_processes():
    local = compare("toy-3", "all", runs=300, seed=11)
    spread = compare("toy-3", "all", runs=300, seed=11, backend="processes", workers=2, chunk_size=70)
    assert list(local.outcomes) == list(spread.outcomes)
    for name in local.outcomes:
        pd.testing.assert_frame_equal(local.outcomes[name], spread.outcomes[name], check_exact=True)
    pd.testing.assert_frame_equal(local.summary, spread.summary, check_exact=True)


def test_iter_simulate_streams_the_same_table_in_run_order():
    whole = simulate("toy-3", "test_by_offer", runs=250, seed=4, run_offset=17)
    parts = list(iter_simulate("toy-3", "test_by_offer", runs=250, seed=4, run_offset=17, chunk_size=60))
    assert [len(p) for p in parts] == [60, 60, 60, 60, 10]
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole, check_exact=True)


def test_plan_covers_every_run_once_in_order():
    jobs = [Job(None, 1001, 0, run_offset=5), Job(None, 7, 0)]
    for chunk, workers in ((1, 1), (7, 2), (400, 2), (20_000, 2), (20_000, 1)):
        tasks = plan(jobs, chunk, workers)
        for i, job in enumerate(jobs):
            mine = [(o, n) for j, o, n in tasks if j == i]
            assert all(n <= chunk for _, n in mine)
            runs = [o + k for o, n in mine for k in range(n)]
            assert runs == list(range(job.run_offset, job.run_offset + job.runs))
        groups = group_chunks(tasks, 100)
        assert [t for g in groups for t in g] == tasks
        assert all(len({t[0] for t in g}) == 1 for g in groups)


def test_unknown_backend_is_bad_input(capsys):
    with pytest.raises(InputError):
        simulate("toy-3", runs=5, backend="threads")
    assert main(["run", "toy-3", "--runs", "5", "--backend", "threads"]) == 2


def test_run_output_writes_the_per_run_table(tmp_path, capsys):
    out = tmp_path / "runs.parquet"
    assert main(["run", "toy-3", "--runs", "130", "--seed", "2", "--chunk-size", "40", "--output", str(out), "-f", "json"]) == 0
    assert '"p_war"' in capsys.readouterr().out
    assert main(["run", "toy-3", "--runs", "130", "--seed", "2", "-f", "csv"]) == 0
    text = pd.read_csv(io.StringIO(capsys.readouterr().out))
    written = pd.read_parquet(out)
    assert len(written) == 130 and not list(tmp_path.glob("*.tmp"))
    pd.testing.assert_frame_equal(written.drop(columns="adversary_type"), text.drop(columns="adversary_type"), check_exact=False, rtol=1e-15)
    assert written["adversary_type"].tolist() == text["adversary_type"].tolist()
