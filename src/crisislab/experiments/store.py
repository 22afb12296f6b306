"""The result store: Parquet chunks, one manifest per experiment, and a DuckDB catalog.

Layout of a results folder::

    results/
      catalog.duckdb                 table `experiments` + views (rebuilt from manifests)
      <experiment-id>/
        manifest.json                hashes, package version, seeds, sampler, times, status
        experiment.yaml              the experiment file as it was run
        points.parquet               point id, uncertainty values, unit coordinates
        chunks/chunk-000000.parquet  per-run outcome rows for a block of points

Chunk writes are atomic: a chunk is written to a temporary file in the same folder,
flushed to disk, then renamed over its final name with :func:`os.replace`. A chunk file
that exists is therefore complete; a killed experiment leaves at most a temporary file,
which the next run removes before it resumes with the chunks that are missing.

Queries see these views (created fresh on every connection, so a moved folder still works):

* ``experiments``: one row per experiment (from the manifests);
* ``outcomes``: every per-run row of every experiment (``experiment, chunk, point, policy,
  doctrine, run`` and the outcome metrics);
* ``points``: every experiment's points (``experiment, point`` and uncertainty columns);
* ``x_<experiment id>`` (``-`` and ``.`` become ``_``): one experiment's outcomes joined
  with its uncertainty values.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from crisislab.errors import InputError, Problem
from crisislab.limits import read_json_limited

CHUNK_RE = re.compile(r"^chunk-(\d{6})\.parquet$")
MANIFEST = "manifest.json"
CATALOG = "catalog.duckdb"


def now_iso() -> str:
    """Current UTC time in ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def package_version() -> str:
    """The installed crisislab version."""
    try:
        from importlib.metadata import version

        return version("crisislab")
    except Exception:  # noqa: BLE001 - not installed as a distribution
        return "unknown"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, fsync, rename)."""
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def atomic_write_parquet(path: Path, table: pa.Table) -> None:
    """Write an Arrow table as Parquet to ``path`` atomically."""
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        pq.write_table(table, fh, compression="zstd")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def view_name(experiment_id: str) -> str:
    """The SQL view name of one experiment's joined outcomes."""
    return "x_" + re.sub(r"[^A-Za-z0-9_]", "_", experiment_id)


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class ResultStore:
    """A results folder (created on first write)."""

    root: Path

    def __post_init__(self) -> None:
        self.root = Path(self.root)

    # -- experiments ---------------------------------------------------------------------

    def exp_dir(self, experiment_id: str) -> Path:
        return self.root / experiment_id

    def chunk_dir(self, experiment_id: str) -> Path:
        return self.exp_dir(experiment_id) / "chunks"

    def chunk_path(self, experiment_id: str, chunk: int) -> Path:
        return self.chunk_dir(experiment_id) / f"chunk-{chunk:06d}.parquet"

    def has_experiment(self, experiment_id: str) -> bool:
        return (self.exp_dir(experiment_id) / MANIFEST).exists()

    def read_manifest(self, experiment_id: str) -> dict[str, Any]:
        path = self.exp_dir(experiment_id) / MANIFEST
        if not path.is_file():
            known = ", ".join(str(m.get("experiment_id")) for m in self.manifests()) or "none yet"
            raise InputError(
                experiment_id,
                [Problem("experiment id", f"no experiment of that id in {self.root}", f"one of: {known}")],
                summary="cannot be found",
            )
        data = read_json_limited(path, what="experiment manifest")
        if not isinstance(data, dict):
            raise InputError(str(path), [Problem("(top level)", f"a JSON {type(data).__name__}", "the manifest object written with the experiment")])
        return data

    def write_manifest(self, experiment_id: str, manifest: dict[str, Any]) -> None:
        data = json.dumps(manifest, indent=2, sort_keys=False, default=str).encode()
        atomic_write_bytes(self.exp_dir(experiment_id) / MANIFEST, data)

    def manifests(self) -> list[dict[str, Any]]:
        """Manifests of every experiment in the folder, oldest first."""
        out: list[dict[str, Any]] = []
        if not self.root.is_dir():
            return out
        for d in sorted(self.root.iterdir()):
            mf = d / MANIFEST
            if mf.is_file():
                with contextlib.suppress(InputError):
                    m = read_json_limited(mf, what="experiment manifest")
                    if isinstance(m, dict):
                        out.append(m)
        out.sort(key=lambda m: m.get("created", ""))
        return out

    def remove(self, experiment_id: str) -> None:
        """Delete an experiment's folder (used by ``--fresh``)."""
        d = self.exp_dir(experiment_id)
        if d.exists():
            shutil.rmtree(d)

    def init_experiment(
        self,
        experiment_id: str,
        manifest: dict[str, Any],
        points: pd.DataFrame,
        experiment_text: str | None,
    ) -> None:
        """Create the folder, points table, copy of the file and the first manifest."""
        d = self.exp_dir(experiment_id)
        self.chunk_dir(experiment_id).mkdir(parents=True, exist_ok=True)
        atomic_write_parquet(d / "points.parquet", pa.Table.from_pandas(points, preserve_index=False))
        if experiment_text is not None:
            atomic_write_bytes(d / "experiment.yaml", experiment_text.encode())
        self.write_manifest(experiment_id, manifest)

    def read_points(self, experiment_id: str) -> pd.DataFrame:
        return pq.read_table(self.exp_dir(experiment_id) / "points.parquet").to_pandas()

    # -- chunks --------------------------------------------------------------------------

    def clean_temporaries(self, experiment_id: str) -> int:
        """Remove temporary files left by an interrupted write; return how many."""
        n = 0
        for folder in (self.exp_dir(experiment_id), self.chunk_dir(experiment_id)):
            if folder.is_dir():
                for f in folder.glob(".*.tmp"):
                    f.unlink(missing_ok=True)
                    n += 1
        return n

    def chunk_files(self, experiment_id: str) -> dict[int, Path]:
        """Completed chunk files by chunk number."""
        out: dict[int, Path] = {}
        folder = self.chunk_dir(experiment_id)
        if folder.is_dir():
            for f in folder.iterdir():
                m = CHUNK_RE.match(f.name)
                if m:
                    out[int(m.group(1))] = f
        return dict(sorted(out.items()))

    def completed_chunks(self, experiment_id: str, expected_rows: dict[int, int] | None = None) -> set[int]:
        """Chunks already written; with ``expected_rows``, a chunk whose row count differs is
        deleted and counted as missing (it cannot come from an atomic write of this design)."""
        done: set[int] = set()
        for chunk, path in self.chunk_files(experiment_id).items():
            if expected_rows is not None:
                try:
                    rows = pq.read_metadata(path).num_rows
                except Exception:  # noqa: BLE001 - unreadable file: recompute it
                    rows = -1
                if rows != expected_rows.get(chunk, -2):
                    path.unlink(missing_ok=True)
                    continue
            done.add(chunk)
        return done

    def write_chunk(self, experiment_id: str, chunk: int, frame: pd.DataFrame) -> Path:
        """Write one chunk atomically and return its path."""
        path = self.chunk_path(experiment_id, chunk)
        atomic_write_parquet(path, pa.Table.from_pandas(frame, preserve_index=False))
        return path

    def read_outcomes(self, experiment_id: str, columns: list[str] | None = None) -> pd.DataFrame:
        """All per-run rows of an experiment, sorted by point, policy and run."""
        files = list(self.chunk_files(experiment_id).values())
        if not files:
            return pd.DataFrame(columns=columns or [])
        table = pq.ParquetDataset(files).read(columns=columns)
        df = table.to_pandas()
        keys = [k for k in ("point", "policy", "run") if k in df.columns]
        return df.sort_values(keys, kind="stable").reset_index(drop=True) if keys else df

    # -- catalog -------------------------------------------------------------------------

    def _experiments_frame(self) -> pd.DataFrame:
        rows = []
        for m in self.manifests():
            eid = m["experiment_id"]
            rows.append(
                {
                    "experiment_id": eid,
                    "name": m.get("name"),
                    "status": m.get("status"),
                    "scenario": m.get("scenario", {}).get("name"),
                    "scenario_sha256": m.get("scenario", {}).get("sha256"),
                    "experiment_sha256": m.get("experiment_sha256"),
                    "package_version": m.get("package_version"),
                    "sampler": m.get("sampler", {}).get("method"),
                    "seed": m.get("seed"),
                    "runs": m.get("runs"),
                    "points": m.get("n_points"),
                    "policies": len(m.get("policies", [])),
                    "chunks_total": m.get("n_chunks"),
                    "chunks_done": len(self.chunk_files(eid)),
                    "rows_expected": m.get("rows_expected"),
                    "created": m.get("created"),
                    "finished": m.get("finished"),
                    "view": view_name(eid),
                }
            )
        cols = ["experiment_id", "name", "status", "scenario", "scenario_sha256", "experiment_sha256",
                "package_version", "sampler", "seed", "runs", "points", "policies", "chunks_total",
                "chunks_done", "rows_expected", "created", "finished", "view"]
        return pd.DataFrame(rows, columns=cols)

    def _view_sql(self) -> list[str]:
        """Statements creating the views over the folder's current content."""
        root = self.root.resolve()
        stmts: list[str] = []
        with_chunks = [m["experiment_id"] for m in self.manifests() if self.chunk_files(m["experiment_id"])]
        with_points = [m["experiment_id"] for m in self.manifests() if (self.exp_dir(m["experiment_id"]) / "points.parquet").exists()]
        if with_chunks:
            files = ", ".join(_sql_str(str(root / e / "chunks" / "chunk-*.parquet")) for e in with_chunks)
            stmts.append(f"CREATE OR REPLACE TEMP VIEW outcomes AS SELECT * FROM read_parquet([{files}], union_by_name=true)")
        else:
            stmts.append("CREATE OR REPLACE TEMP VIEW outcomes AS SELECT NULL::VARCHAR AS experiment, NULL::BIGINT AS point, "
                         "NULL::VARCHAR AS policy, NULL::VARCHAR AS doctrine, NULL::BIGINT AS run WHERE false")
        if with_points:
            parts = [
                f"SELECT {_sql_str(e)} AS experiment, * FROM read_parquet({_sql_str(str(root / e / 'points.parquet'))})"
                for e in with_points
            ]
            stmts.append("CREATE OR REPLACE TEMP VIEW points AS " + " UNION ALL BY NAME ".join(parts))
        for e in with_chunks:
            chunks = _sql_str(str(root / e / "chunks" / "chunk-*.parquet"))
            pts = _sql_str(str(root / e / "points.parquet"))
            stmts.append(
                f"CREATE OR REPLACE TEMP VIEW {view_name(e)} AS SELECT o.*, p.* EXCLUDE (point) "
                f"FROM read_parquet({chunks}) o JOIN read_parquet({pts}) p USING (point)"
            )
        return stmts

    def refresh_catalog(self, retries: int = 20) -> bool:
        """Rewrite ``catalog.duckdb`` from the manifests; False when another process holds it."""
        import duckdb

        self.root.mkdir(parents=True, exist_ok=True)
        frame = self._experiments_frame()
        for attempt in range(retries):
            try:
                con = duckdb.connect(str(self.root / CATALOG))
            except duckdb.IOException:
                time.sleep(0.05 * (attempt + 1))
                continue
            try:
                con.register("_frame", frame)
                con.execute("CREATE OR REPLACE TABLE experiments AS SELECT * FROM _frame")
                con.unregister("_frame")
            finally:
                con.close()
            return True
        return False

    @contextlib.contextmanager
    def connect(self) -> Iterator[Any]:
        """A DuckDB connection with the ``experiments`` table and current views."""
        import duckdb

        con = None
        catalog = self.root / CATALOG
        if catalog.exists():
            with contextlib.suppress(duckdb.Error):
                con = duckdb.connect(str(catalog), read_only=True)
        if con is None:
            con = duckdb.connect(":memory:")
        try:
            frame = self._experiments_frame()
            con.register("_frame", frame)
            con.execute("CREATE OR REPLACE TEMP VIEW experiments AS SELECT * FROM _frame")
            for stmt in self._view_sql():
                con.execute(stmt)
            yield con
        finally:
            con.close()

    def query(self, sql: str) -> pd.DataFrame:
        """Run SQL against the catalog views; a bad query raises :class:`InputError`."""
        import duckdb

        with self.connect() as con:
            try:
                return con.execute(sql).fetchdf()
            except duckdb.Error as exc:
                msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise InputError(
                    "query",
                    [Problem("SQL", msg, "a valid DuckDB query over experiments, outcomes, points or x_<experiment> views")],
                ) from None
