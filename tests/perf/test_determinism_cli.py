"""``crisislab run`` prints the same per-run outcomes whatever the chunk size and backend.

Every random number is a function of (seed, global run, step, slot) and every per-run
computation is independent of the other runs in the batch, so the CSV text must be
identical byte for byte.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest

from crisislab.cli import main

ARGS = ["run", "toy-3", "--runs", "1000", "--seed", "3", "--format", "csv"]


def _run(capsys: pytest.CaptureFixture[str], chunk: int, backend: str) -> str:
    capsys.readouterr()
    code = main([*ARGS, "--chunk-size", str(chunk), "--backend", backend, "--workers", "2"])
    out = capsys.readouterr().out
    assert code == 0
    return out


@pytest.fixture(scope="module")
def reference() -> dict[str, str]:
    return {}


@pytest.mark.parametrize(
    ("chunk", "backend"),
    [(1000, "local"), (7, "local"), (1, "local"), (1000, "processes"), (7, "processes"), (1, "processes")],
)
def test_run_outcomes_do_not_depend_on_chunks_or_backend(capsys, reference, chunk, backend):
    out = _run(capsys, chunk, backend)
    df = pd.read_csv(io.StringIO(out))
    assert len(df) == 1000 and df["run"].tolist() == list(range(1000))
    if "text" not in reference:
        reference["text"] = out  # the first case (one batch, this process) is the reference
        return
    assert out == reference["text"]


def test_a_different_seed_changes_the_text(capsys, reference):
    """The comparison above can fail: another seed gives other outcomes."""
    capsys.readouterr()
    assert main(["run", "toy-3", "--runs", "1000", "--seed", "4", "--format", "csv", "--backend", "local"]) == 0
    assert capsys.readouterr().out != reference.get("text", "")
