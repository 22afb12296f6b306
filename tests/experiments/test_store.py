"""The result store: atomic chunks, resume bookkeeping, manifest, DuckDB views."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from crisislab.errors import InputError
from crisislab.experiments.runner import run_experiment
from crisislab.experiments.spec import experiment_from_dict
from crisislab.experiments.store import ResultStore, view_name

from .toy_experiment import toy


def _run(tmp_path: Path, **changes):
    loaded = experiment_from_dict(toy(**changes))
    store = ResultStore(tmp_path / "res")
    report = run_experiment(loaded, store)
    return loaded, store, report


def test_run_writes_chunks_manifest_points_and_catalog(tmp_path: Path) -> None:
    loaded, store, report = _run(tmp_path)
    eid = loaded.experiment_id
    assert report.n_chunks == 8 and report.chunks_computed == 8  # 24 points / 3 per chunk
    assert sorted(store.chunk_files(eid)) == list(range(8))
    m = store.read_manifest(eid)
    assert m["status"] == "complete" and m["finished"]
    assert m["scenario"]["name"] == "toy-3" and len(m["scenario"]["sha256"]) == 64
    assert m["seed"] == 4 and m["runs"] == 10 and m["sampler"]["method"] == "lhs"
    assert m["package_version"] and m["created"] and m["rows_expected"] == 24 * 2 * 10
    assert (store.root / "catalog.duckdb").exists()
    df = store.read_outcomes(eid)
    assert len(df) == 480 and not df.duplicated(["point", "policy", "run"]).any()
    assert not list(store.exp_dir(eid).rglob("*.tmp"))


def test_rerun_computes_nothing_and_keeps_data(tmp_path: Path) -> None:
    loaded, store, _ = _run(tmp_path)
    before = store.read_outcomes(loaded.experiment_id)
    again = run_experiment(loaded, store)
    assert again.resumed and again.chunks_computed == 0 and again.chunks_done_before == 8
    pd.testing.assert_frame_equal(before, store.read_outcomes(loaded.experiment_id))


def test_resume_recomputes_missing_truncated_and_cleans_temporaries(tmp_path: Path) -> None:
    loaded, store, _ = _run(tmp_path)
    eid = loaded.experiment_id
    full = store.read_outcomes(eid)
    store.chunk_path(eid, 2).unlink()                      # never written
    store.chunk_path(eid, 5).write_bytes(b"PAR1 garbage")  # not a valid chunk
    tmp = store.chunk_dir(eid) / ".chunk-000006.parquet.999.tmp"
    tmp.write_bytes(b"half a file")                        # killed mid-write
    rep = run_experiment(loaded, store)
    assert rep.chunks_computed == 2
    assert not tmp.exists()
    pd.testing.assert_frame_equal(full, store.read_outcomes(eid))


def test_fresh_starts_over(tmp_path: Path) -> None:
    loaded, store, _ = _run(tmp_path)
    rep = run_experiment(loaded, store, fresh=True)
    assert not rep.resumed and rep.chunks_computed == 8


def test_resume_refuses_a_different_design(tmp_path: Path) -> None:
    loaded, store, _ = _run(tmp_path)
    m = store.read_manifest(loaded.experiment_id)
    m["chunk_points"] = 4
    store.write_manifest(loaded.experiment_id, m)
    with pytest.raises(InputError, match="cannot be resumed"):
        run_experiment(loaded, store)


def test_sql_views(tmp_path: Path) -> None:
    loaded, store, _ = _run(tmp_path)
    eid = loaded.experiment_id
    got = store.query("SELECT policy, count(*) AS n, avg(coalition_cost) AS c FROM outcomes GROUP BY policy ORDER BY policy")
    assert got["policy"].tolist() == ["isolation", "test_by_offer"] and got["n"].tolist() == [240, 240]
    exp = store.query("SELECT experiment_id, status, chunks_done FROM experiments")
    assert exp.to_dict(orient="records") == [{"experiment_id": eid, "status": "complete", "chunks_done": 8}]
    joined = store.query(f"SELECT count(*) AS n FROM {view_name(eid)} WHERE prior_sincere < 0.3")
    pts = store.read_points(eid)
    assert int(joined["n"][0]) == int((pts["prior_sincere"] < 0.3).sum()) * 20
    with pytest.raises(InputError):
        store.query("SELECT nonsense FROM nowhere")


def test_moved_results_folder_still_queries(tmp_path: Path) -> None:
    loaded, store, _ = _run(tmp_path)
    moved = tmp_path / "elsewhere"
    store.root.rename(moved)
    got = ResultStore(moved).query("SELECT count(*) AS n FROM outcomes")
    assert int(got["n"][0]) == 480
