"""Run r with seed s is the same trajectory however runs are batched or chunked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crisislab import simulate
from crisislab.model.rng import Slot, Streams


def test_streams_independent_of_batch_composition():
    full = Streams(42, np.arange(100)).uniform(5, Slot.CHOICE, members=3)
    part = Streams(42, np.arange(60, 70)).uniform(5, Slot.CHOICE, members=3)
    assert np.array_equal(full[60:70], part)


def test_streams_differ_by_seed_step_slot_and_run():
    s = Streams(1, np.arange(1000))
    a = s.uniform(0, Slot.CHOICE)
    assert not np.allclose(a, s.uniform(1, Slot.CHOICE))
    assert not np.allclose(a, s.uniform(0, Slot.SETTLE))
    assert not np.allclose(a, Streams(2, np.arange(1000)).uniform(0, Slot.CHOICE))
    # uniform on [0, 1): mean and spread of 1000 draws
    assert 0.45 < a.mean() < 0.55 and a.min() >= 0.0 and a.max() < 1.0
    z = s.normal(3, Slot.SIGNAL)
    assert abs(z.mean()) < 0.1 and 0.9 < z.std() < 1.1


@pytest.mark.parametrize("doctrine", ["isolation", "test_by_offer", "unilateral_outreach"])
def test_chunking_and_offsets_do_not_change_runs(doctrine):
    whole = simulate("toy-3", doctrine, runs=300, seed=3)
    chunked = simulate("toy-3", doctrine, runs=300, seed=3, chunk_size=7)
    pd.testing.assert_frame_equal(whole, chunked)
    tail = simulate("toy-3", doctrine, runs=100, seed=3, run_offset=200)
    pd.testing.assert_frame_equal(whole.iloc[200:].reset_index(drop=True), tail)
    single = simulate("toy-3", doctrine, runs=1, seed=3, run_offset=123)
    pd.testing.assert_frame_equal(whole.iloc[[123]].reset_index(drop=True), single)


def test_seed_changes_results():
    a = simulate("toy-3", "isolation", runs=200, seed=1)
    b = simulate("toy-3", "isolation", runs=200, seed=2)
    assert not a["peak_escalation"].equals(b["peak_escalation"])


def test_normals_are_standard_normal_and_independent():
    """The polar method's draws: N(0, 1) by a Kolmogorov-Smirnov test, no correlation between
    the two members of a pair or between slots, and a run's draws independent of its batch."""
    from scipy import stats

    s = Streams(11, np.arange(40_000))
    z = s.normal(4, Slot.STATEMENT, 5)
    for j in range(5):
        assert stats.kstest(z[:, j], "norm").pvalue > 1e-3
    # the members sharing a polar pair (0, 1) and those that do not (1, 2) are uncorrelated:
    # |r| < 4 standard errors of a zero correlation on 40,000 draws
    for a, b in ((0, 1), (2, 3), (1, 2)):
        assert abs(np.corrcoef(z[:, a], z[:, b])[0, 1]) < 4 / np.sqrt(40_000)
    assert abs(np.corrcoef(z[:, 0], s.normal(4, Slot.SIGNAL, 5)[:, 0])[0, 1]) < 4 / np.sqrt(40_000)
    one = s.normal(4, Slot.SIGNAL)
    assert stats.kstest(one, "norm").pvalue > 1e-3
    # the tails are there: about 0.27 % beyond 3 sd
    assert 0.0015 < np.mean(np.abs(z) > 3) < 0.004
    np.testing.assert_array_equal(Streams(11, np.arange(123, 130)).normal(4, Slot.STATEMENT, 5), z[123:130])
