"""Many parameter points in one engine call give every run the outcome it gets alone.

A run's outcome depends only on (scenario as resolved for its point, doctrine, seed, global
run index). :func:`crisislab.model.engine.run_points` holds the points' differing parameters
per run; these tests require bit-identical per-run outcomes against one
:func:`~crisislab.model.engine.run_batch` call per point, on sweeps that vary every kind of
parameter the batch may mix (mechanism strengths and constants, crisis dynamics, the type
distribution and type attributes, member attributes, sanction tranches, scalars of the
adversary, defender and mediator, doctrine levers). Run them with and without
``NPY_DISABLE_CPU_FEATURES=X86_V4``: the comparison is exact on either path because both
sides take the same NumPy code path for every value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crisislab.doctrines import PRESETS, get_doctrine
from crisislab.model.engine import Point, run_batch, run_points
from crisislab.model.params import batch_key, compile_scenario, stack_params
from crisislab.scenario import load_scenario

#: One override of every kind a batch may mix (values chosen away from the defaults).
OVERRIDES: list[dict[str, object]] = [
    {},
    {"adversary.rationality": 2.5},
    {"adversary.initial_rung": 2},
    {"adversary.types.0.aggression": 0.9, "adversary.types.1.paranoia": 0.2},
    {"adversary.types.0.weight": 0.7, "adversary.types.2.accept_limit": 0.1},
    {"adversary.types.1.p_accept_offer": 0.9, "adversary.types.0.reservation": 0.8, "adversary.types.2.resolve": 0.9},
    {"adversary.types.0.cyber_propensity": 0.9, "adversary.types.1.stature_weight": 0.9, "adversary.types.2.zero_sum": 0.9},
    {"coalition.members.0.stance": 0.2, "coalition.members.1.trade_exposure": 0.3},
    {"coalition.members.2.energy_dependence": 0.9, "coalition.members.1.salience": 0.2},
    {"instruments.sanction_tranches.1.damage": 0.9, "instruments.sanction_tranches.0.intensity": 0.15},
    {"defender.capability": 0.2, "instruments.deep_strike_share": 0.9},
    {"mechanisms.leverage_dilution.strength": 0.6, "mechanisms.leverage_dilution.params.alpha": 2.0},
    {"mechanisms.frontline_trust.params.bypass": 0.3, "mechanisms.frontline_trust.strength": 1.5},
    {"mechanisms.economic_contagion.strength": 1.7, "mechanisms.economic_contagion.params.defect_below": 0.5},
    {"mechanisms.cross_domain_stratagems.strength": 1.4, "mechanisms.selective_engagement.strength": 0.3},
    {"mechanisms.misperception.params.steepness": 0.9, "mechanisms.credibility_decay.strength": 1.4},
    {"mechanisms.preplanned_responses.params.jump": 1, "mechanisms.escalation_dominance.strength": 0.5},
    {"dynamics.fade_rate": 0.05, "dynamics.coercion_weight": 2.0, "dynamics.learning": 0.3},
    {"dynamics.optimism_spread": 0.8, "dynamics.war_threshold": 0.1},
    {"agenda.0.adversary_position": 0.4, "agenda.1.adversary_salience": 0.9},  # another agenda
    {"agenda.0.adversary_position": 0.4, "agenda.1.adversary_salience": 0.9, "name": "renamed"},  # same, renamed
]


def _points(scenario: str, doctrines: list[object], runs: int, seed: int, extra: dict[str, object] | None = None) -> list[Point]:
    sc = load_scenario(scenario)
    if extra:
        sc = sc.with_overrides(extra)
    pts = []
    for j, doc in enumerate(doctrines):
        for i, ov in enumerate(OVERRIDES):
            scn = sc.with_overrides(ov) if ov else sc
            # points of one sweep share runs 0..runs-1; here offsets differ too
            pts.append(Point(compile_scenario(scn), doc, runs, seed, run_offset=(i + j) % 3 * runs))
    return pts


def _alone(q: Point) -> pd.DataFrame:
    doc = q.doctrine
    fresh = type(doc)(**doc.params) if hasattr(doc, "params") and type(doc).__name__ != "MixDoctrine" else doc
    return run_batch(q.params, fresh, q.runs, q.seed, run_offset=q.run_offset).outcomes


def _check(points: list[Point]) -> None:
    groups: dict[tuple, list[int]] = {}
    for i, q in enumerate(points):
        groups.setdefault(batch_key(q.params), []).append(i)
    assert len(groups) == 1, "the sweep should fit one batch"
    together = run_points(points)
    for q, res in zip(points, together, strict=True):
        pd.testing.assert_frame_equal(res.outcomes, _alone(q), check_exact=True)


@pytest.mark.parametrize("scenario", ["toy-3", "eu-russia"])
def test_every_kind_of_parameter_in_one_batch(scenario):
    _check(_points(scenario, [get_doctrine(d) for d in PRESETS], runs=30, seed=3))


def test_doctrine_levers_differ_between_points():
    docs = [get_doctrine("test_by_offer"), get_doctrine("test_by_offer", reoffer_every=2),
            get_doctrine("conditionality", veto_verified_weeks=1), get_doctrine("conditionality")]
    _check(_points("eu-russia", docs, runs=25, seed=11))


def test_points_with_a_mediator_and_another_seed():
    sc = load_scenario("toy-3")
    styles = [{"mediator": {"name": "M", "trust_adversary": 0.7, "trust_coalition": 0.6, "style": "manipulation"}}]
    pts = _points("toy-3", [get_doctrine("mediated_offramp")], runs=30, seed=5, extra=styles[0])
    assert compile_scenario(sc.with_overrides(styles[0])).mediator_style == 3
    pts += [Point(q.params, q.doctrine, q.runs, seed=6) for q in pts[:3]]
    _check(pts)


def test_stack_params_holds_only_differing_fields_per_run():
    sc = load_scenario("toy-3")
    a = compile_scenario(sc)
    b = compile_scenario(sc.with_overrides({"adversary.types.0.aggression": 0.9, "dynamics.fade_rate": 0.05}))
    p = stack_params([a, b], [2, 3])
    assert p.per_run == frozenset({"aggression", "dyn.fade_rate"})
    assert p.aggression.shape == (5, a.n_types)
    np.testing.assert_array_equal(p.aggression[:2], np.broadcast_to(a.aggression, (2, a.n_types)))
    np.testing.assert_array_equal(p.dyn["fade_rate"], [a.dyn["fade_rate"]] * 2 + [0.05] * 3)
    assert p.rationality == a.rationality  # equal at both points: stays a number


def test_points_that_differ_in_structure_are_refused():
    sc = load_scenario("toy-3")
    a = compile_scenario(sc)
    b = compile_scenario(sc.with_overrides({"mechanisms.credibility_decay.enabled": False}))
    c = compile_scenario(sc.with_overrides({"mechanisms.credibility_decay.strength": 0.0}))
    assert batch_key(a) != batch_key(b) and batch_key(a) != batch_key(c)
    with pytest.raises(ValueError, match="batch_key"):
        stack_params([a, b], [1, 1])


def test_an_experiment_stores_the_same_rows_batched_and_point_by_point(tmp_path):
    from crisislab.api import simulate
    from crisislab.experiments.runner import run_experiment
    from crisislab.experiments.spec import experiment_from_dict
    from crisislab.experiments.store import ResultStore

    loaded = experiment_from_dict({
        "name": "batched-vs-points", "scenario": "eu-russia",
        "levers": {"doctrines": ["test_by_offer", "conditionality"]},
        "uncertainties": [{"name": "prior_sincere", "range": [0.05, 0.6]}, {"name": "rationality", "range": [1.0, 8.0]},
                          {"name": "strength:economic_contagion", "range": [0.5, 1.5]},
                          {"name": "decision_rule", "values": ["unanimity", "qmv"]}],
        "outcomes": ["p_war", "p_settlement"], "sampler": {"method": "lhs", "n": 12}, "runs": 15, "seed": 4,
    }, "test")

    def one_point_at_a_time(*args, **kwargs):  # the same model without its batched twin
        return simulate(*args, **kwargs)

    tables = []
    for name, model in (("batched", None), ("points", one_point_at_a_time)):
        store = ResultStore(tmp_path / name)
        run_experiment(loaded, store, model=model)
        df = store.read_outcomes(loaded.experiment_id).drop(columns=["chunk"])
        tables.append(df.sort_values(["point", "policy", "run"]).reset_index(drop=True))
    pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=True)
