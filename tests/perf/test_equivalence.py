"""The batched engine and the plain per-agent reference (``benchmarks/reference``, Mesa
agents, one run at a time, plain Python floats) are the same model.

For every doctrine on ``toy-3`` and ``eu-russia``, 20 seeds each, the per-run outcomes and
the weekly trajectories must agree: discrete quantities (ladder rungs week by week, peak,
settlement and its week, how and when the crisis ended, adversary type, counts) exactly,
continuous ones within a relative tolerance of 1e-9 (they are bit-identical where NumPy and
the reference use the same C math library, as on the development machine; the tolerance
covers platforms where NumPy's vectorised exp/log/pow round differently in the last bit).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from benchmarks.reference import REFERENCE_ORDER, simulate_reference

from crisislab.api import simulate_full
from crisislab.doctrines import PRESETS
from crisislab.model.engine import STEP_ORDER
from crisislab.model.params import compile_scenario
from crisislab.scenario import load_scenario

SEEDS = range(20)
RUNS = {"toy-3": 2, "eu-russia": 1}
RTOL = 1e-9
DISCRETE = (
    "run", "p_war", "p_nuclear_use", "p_settlement", "peak_escalation", "weeks_to_settlement", "final_rung",
    "final_tranche", "offer_accepted", "enlarged", "unilateral_contacts", "bypasses", "unearned_meetings",
    "cyber_ops", "catastrophes", "talks_weeks_total", "mandate_breadth", "mandate_failures", "response_lag",
    "ended", "end_week", "war_weeks", "force_weeks",
)
#: Categorical outcome columns (strings), compared exactly.
LABELS = ("adversary_type", "end_kind")


@pytest.fixture(scope="module", params=["toy-3", "eu-russia"])
def scenario(request):
    return request.param, compile_scenario(load_scenario(request.param))


def test_same_step_order():
    from benchmarks.reference.model import CoalitionModel

    assert [fn.__name__ for fn in STEP_ORDER] == list(REFERENCE_ORDER)
    missing = [name for name in REFERENCE_ORDER if not callable(getattr(CoalitionModel, name, None))]
    assert not missing, f"steps of the engine with no method in the reference model: {missing}"


def _compare(eng: pd.DataFrame, ref: pd.DataFrame, where: str) -> None:
    missing = [c for c in eng.columns if c not in ref.columns]
    assert not missing, f"{where}: the reference lacks outcome columns {missing} (update benchmarks/reference)"
    for col in LABELS:
        if col in eng.columns:
            assert eng[col].tolist() == ref[col].tolist(), f"{where}: {col}"
    for col in eng.columns:
        if col in LABELS:
            continue
        a, b = eng[col].to_numpy(float), ref[col].to_numpy(float)
        if col in DISCRETE:
            np.testing.assert_array_equal(a, b, err_msg=f"{where}: {col}")
        else:
            np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-12, err_msg=f"{where}: {col}")


@pytest.mark.parametrize("doctrine", list(PRESETS))
def test_engine_equals_reference(scenario, doctrine):
    name, p = scenario
    runs = RUNS[name]
    for seed in SEEDS:
        offset = 7 * seed
        res = simulate_full(name, doctrine, runs, seed, run_offset=offset, record=True, params=p)
        ref, traj = simulate_reference(p, doctrine, runs, seed, run_offset=offset)
        where = f"{name} {doctrine} seed {seed}"
        _compare(res.outcomes, ref, where)
        np.testing.assert_array_equal(res.trajectories["rung"], traj["rung"], err_msg=f"{where}: weekly rungs")
        for key in ("cohesion", "permanence", "talks_open", "belief_true_type", "final_frontline_trust"):
            np.testing.assert_allclose(res.trajectories[key], traj[key], rtol=RTOL, atol=1e-12, err_msg=f"{where}: {key}")


def test_the_comparison_can_fail(scenario):
    """Runs with another seed differ, so agreement above is not vacuous."""
    name, p = scenario
    res = simulate_full(name, "open_channels", 4, 1, record=True, params=p)
    _, traj = simulate_reference(p, "open_channels", 4, 2)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(res.trajectories["cohesion"], traj["cohesion"], rtol=RTOL, atol=1e-12)
