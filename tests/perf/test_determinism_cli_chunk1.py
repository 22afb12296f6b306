"""``crisislab run`` with every run simulated alone in this process (chunk size 1) prints
the same per-run outcomes as one batch of 1,000 runs (see ``test_determinism_cli.py``)."""

from __future__ import annotations

from crisislab.cli import main

ARGS = ["run", "toy-3", "--runs", "1000", "--seed", "3", "--format", "csv", "--backend", "local"]


def test_chunk_size_one_in_this_process(capsys):
    assert main([*ARGS, "--chunk-size", "1000"]) == 0
    whole = capsys.readouterr().out
    assert main([*ARGS, "--chunk-size", "1"]) == 0
    assert capsys.readouterr().out == whole
