"""The simulator's `conditionality` doctrine runs the policy engine: ablations, one
implementation (export, replay, same decisions), determinism at any batch size."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crisislab.api import simulate, simulate_full
from crisislab.cli import main
from crisislab.doctrines import PRESETS
from crisislab.doctrines.conditionality import Conditionality
from crisislab.policy.engine import ReplayEngine

RUNS, SEED = 400, 11


@cache
def arm(**off: bool) -> pd.DataFrame:
    return simulate("toy-3", Conditionality(**off), runs=RUNS, seed=SEED)


def paired(metric: str, **off: bool) -> tuple[float, float]:
    """Mean and half-width of the 95% CI of (framework without a part) - (full framework)."""
    d = arm(**off)[metric].to_numpy() - arm()[metric].to_numpy()
    return float(d.mean()), float(1.96 * d.std(ddof=1) / np.sqrt(d.size))


@pytest.mark.parametrize(
    ("part", "harms"),
    [
        # (a) talks only after verified change: without it, unearned audiences (M03, M10)
        ("earned_talks", {"adversary_legitimacy": +1, "isolation": -1, "unearned_meetings": +1}),
        # (b) automatic penalty tranches: without them, the response lags (M02), escalation peaks
        #     higher and sanctions look less permanent (M06)
        ("triggers", {"response_lag": +1, "peak_escalation": +1, "final_permanence": -1}),
        # (c) no surprises: without the frontline vote, outreach bypasses them (M07)
        ("veto", {"final_frontline_trust": -1, "intel_quality": -1, "final_cohesion": -1, "bypasses": +1}),
    ],
)
def test_removing_a_part_worsens_what_it_targets(part: str, harms: dict[str, int]) -> None:
    for metric, sign in harms.items():
        mean, half = paired(metric, **{part: False})
        assert sign * mean > half, f"without {part}: {metric} changes by {mean:+.4f} ± {half:.4f}"


def test_it_is_the_preset_and_keeps_its_name_and_parameters() -> None:
    doc = PRESETS["conditionality"]()
    assert isinstance(doc, Conditionality)
    d = doc.describe()
    assert d["name"] == "conditionality" and d["source"] == "000_2925941e4be23cd7.txt"
    assert {"earned_talks", "triggers", "veto", "aid", "hotline"} <= set(d["params"])
    assert "conditionality_framework" in d["mechanisms"]


def test_the_simulator_and_the_replay_engine_make_the_same_decisions() -> None:
    """Export the events the doctrine fed to the vectorised engine and replay them one by one."""
    doc = Conditionality(record=True)
    simulate_full("toy-3", doc, runs=6, seed=3)
    horizon = doc.p.horizon if doc.p is not None else 0
    total = 0
    for run in range(6):
        eng = ReplayEngine(doc.cp, start_day=0)
        out = []
        for ev in doc.events(run):
            out += eng.feed(ev)
        out += eng.advance_to(7 * (horizon - 1))
        assert [d.key() for d in out] == [d.key() for d in doc.decisions(run)]
        total += len(out)
    assert total > 30


def test_a_run_decides_the_same_alone_or_in_a_batch() -> None:
    batch = simulate("toy-3", "conditionality", runs=12, seed=4)
    alone = simulate("toy-3", "conditionality", runs=1, seed=4, run_offset=7)
    pd.testing.assert_frame_equal(batch.iloc[[7]].reset_index(drop=True), alone.reset_index(drop=True))


def test_events_export_replays_to_the_same_decisions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run.csv"
    assert main(["events", "export", "toy-3", "--out", str(out), "--run", "2", "--seed", "1", "-f", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["events"] > 26 and Path(info["policy_file"]).exists()
    ledger = tmp_path / "l.sqlite"
    code = main(["policy", "replay", info["policy_file"], str(out), "--ledger", str(ledger), "--until", info["replay_until"], "-f", "json"])
    assert code == 0
    replayed = json.loads(capsys.readouterr().out)
    assert replayed["counts"]["events"] == info["events"] and replayed["counts"]["decisions"] == info["decisions"]


def test_without_the_mandate_block_no_widening_is_asked_for() -> None:
    """(b) the mandate: the envoy's offers hit its limits, and the coalition asks the capitals
    to widen it (a Council vote, M08); without the block nothing is checked or asked."""
    mean, half = paired("mandate_failures", mandate=False)
    assert -mean > half, f"without mandate: failed mandate votes change by {mean:+.4f} ± {half:.4f}"
    mean, half = paired("mandate_breadth", mandate=False)
    assert -mean > half, f"without mandate: mandate breadth changes by {mean:+.4f} ± {half:.4f}"
