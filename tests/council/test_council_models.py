"""The Council models on small issues with known solutions, the whole-proposal
cross-validation (no proposal leaks into its own training folds), the proposal bootstrap,
and the simulator's Council interface."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from crisislab.council.evaluate import bootstrap_groups, evaluate
from crisislab.council.interface import Council, positions_from_stance
from crisislab.council.issue import Issue
from crisislab.council.models import (
    FACTORIES,
    Compromise,
    CouncilModel,
    PositionExchange,
    PowerCompromise,
    PowerNash,
    Procedural,
    Stacked,
    nash_point,
    out_of_fold,
    proposal_folds,
)
from crisislab.council.power import procedural_power

POP = {"de": 80.0, "fr": 60.0, "it": 60.0}


def issue(actors: Sequence[str], x: Sequence[float], s: Sequence[float] | None = None, *, rp: float | None = None,
          rule: str = "unanimity", proc: str = "CNS", out: float = float("nan"), proposal: str = "",
          id: str = "i") -> Issue:
    s = s if s is not None else [50.0] * len(x)
    return Issue(id, tuple(actors), np.array(x, float), np.array(s, float), rp, rule, proc, out, proposal)


# --- known solutions ---------------------------------------------------------------------

KNOWN = [
    # (model, issue, solution)
    (Compromise(), issue(["de", "fr"], [0, 100]), 50.0),
    (Compromise(), issue(["de", "fr"], [0, 100], [75, 25]), 25.0),
    (Compromise(), issue(["de", "fr", "it"], [10, 10, 10]), 10.0),
    (Compromise(), issue(["de", "fr"], [20, 60], [0, 0]), 40.0),  # all salience 0: equal weights
    # unanimity among states only: every state has the same power, so power = plain compromise
    (PowerCompromise(POP), issue(["de", "fr", "it"], [0, 30, 90]), 40.0),
    (PowerNash(POP), issue(["de", "fr"], [0, 100]), 50.0),
    (PowerNash(POP), issue(["de", "fr", "it"], [20, 20, 20]), 20.0),
    # consultation, no reference point: the Commission's proposal, inside the states' range
    (Procedural(POP), issue(["com", "de", "fr"], [30, 20, 80]), 30.0),
    (Procedural(POP), issue(["com", "de", "fr"], [95, 20, 80]), 80.0),
    # consultation, unanimity, status quo 0: the state at 40 accepts up to 80, the range ends at 60
    (Procedural(POP), issue(["com", "de", "fr"], [80, 40, 60], rp=0.0), 60.0),
    # co-decision: midway between the Parliament and the Council's compromise
    (Procedural(POP), issue(["ep", "de", "fr"], [70, 50, 50], proc="COD", rule="qmv"), 60.0),
    # one issue: nothing to exchange, the power compromise
    (PositionExchange(POP), issue(["de", "fr", "it"], [0, 30, 90]), 40.0),
]


@pytest.mark.parametrize(("model", "iss", "solution"), KNOWN,
                         ids=[f"{m.name}-{k}" for k, (m, _, _) in enumerate(KNOWN)])
def test_known_solutions(model: CouncilModel, iss: Issue, solution: float) -> None:
    assert model.predict([iss])[0] == pytest.approx(solution, abs=1e-5)


@pytest.mark.parametrize(("x", "w", "y"), [([0, 100], [1, 1], 50.0), ([0, 100], [3, 1], 25.0),
                                           ([40, 40, 40], [1, 2, 3], 40.0), ([0, 50, 100], [1, 1, 1], 50.0)])
def test_nash_point(x: list[float], w: list[float], y: float) -> None:
    assert float(nash_point(np.array(x, float), np.array(w, float))) == pytest.approx(y, abs=1e-4)


def test_exchange_trades_across_two_issues_toward_the_salient_side() -> None:
    """de cares about issue a, fr about issue b: each gives way where it cares less."""
    a = issue(["de", "fr"], [0, 100], [90, 10], proposal="p", id="a")
    b = issue(["de", "fr"], [0, 100], [10, 90], proposal="p", id="b")
    ya, yb = PositionExchange(POP).predict([a, b])
    base_a, base_b = PowerCompromise(POP).predict([a, b])
    assert ya < base_a and yb > base_b


def test_power_sums_to_one_and_unanimity_is_equal() -> None:
    p = procedural_power(("de", "fr", "it"), (80.0, 60.0, 60.0), "unanimity", "CNS", False, False)
    assert sum(p.values()) == pytest.approx(1.0)
    assert p["de"] == pytest.approx(1 / 3) and p["fr"] == pytest.approx(1 / 3)


def test_every_model_has_metadata() -> None:
    for name, make in FACTORIES.items():
        d = make(POP).describe()
        assert d["name"] == name and d["source"] and d["uses"] and d["title"]


# --- cross-validation over whole proposals -------------------------------------------------


def _toy(n_props: int = 12, per: int = 3, seed: int = 0) -> list[Issue]:
    rng = np.random.default_rng(seed)
    out = []
    for p in range(n_props):
        for k in range(per):
            x = rng.uniform(0, 100, 3)
            out.append(issue(["de", "fr", "it"], x, rng.uniform(10, 90, 3), out=float(x.mean()),
                             proposal=f"p{p}", id=f"p{p}i{k}"))
    return out


@pytest.mark.parametrize("k", [2, 5, 10])
def test_folds_never_split_a_proposal(k: int) -> None:
    groups = [i.group for i in _toy()]
    seen_test: list[str] = []
    for f in proposal_folds(groups, k, seed=3):
        train = {groups[j] for j in f.train}
        test = {groups[j] for j in f.test}
        assert not train & test
        seen_test += [groups[j] for j in f.test]
    assert sorted(seen_test) == sorted(groups)  # every issue is predicted exactly once


class Spy(CouncilModel):
    """Records the proposals it was fitted on and the ones it is asked to predict."""

    name = "spy"
    fitted = True
    log: list[tuple[set[str], set[str]]] = []

    def __init__(self) -> None:
        self.trained: set[str] = set()

    def fresh(self) -> Spy:
        return Spy()

    def fit(self, issues: Sequence[Issue]) -> Spy:
        self.trained = {i.group for i in issues}
        return self

    def predict(self, issues: Sequence[Issue]) -> np.ndarray:
        Spy.log.append((self.trained, {i.group for i in issues}))
        return np.zeros(len(issues))


def test_cross_validation_never_leaks_a_test_proposal() -> None:
    Spy.log = []
    out_of_fold(Spy(), _toy(), k=4, seed=1)
    assert len(Spy.log) == 4
    for trained, tested in Spy.log:
        assert trained and tested and not trained & tested


def test_stacked_recovers_the_model_that_generated_the_outcomes() -> None:
    issues = _toy(20)  # outcomes: the plain mean of positions (no salience)
    issues = [issue(i.actors, i.x, [50.0] * 3, out=i.out, proposal=i.proposal, id=i.id) for i in issues]
    m = Stacked([Compromise(), PowerNash(POP)], inner_folds=4).fit(issues)
    assert m.params()["weights"]["compromise"] > 0.99


def test_bootstrap_draws_whole_proposals() -> None:
    groups = ["a", "a", "b", "c", "c", "c"]
    counts = bootstrap_groups(groups, 50, 0)
    assert (counts[:, 0] == counts[:, 1]).all() and (counts[:, 3] == counts[:, 5]).all()
    assert (counts.sum(axis=1) > 0).all()


def test_evaluate_pairs_against_compromise_and_cross_validates_fitted_models() -> None:
    issues = _toy(15)
    ev = evaluate({"compromise": Compromise(), "stacked": Stacked([Compromise(), PowerCompromise(POP)], 3)},
                  issues, folds=5, reps=200)
    base, st = ev.score("compromise"), ev.score("stacked")
    assert base.diff == 0.0 and base.evaluation == "no fitted parameters"
    assert "cross-validated over whole proposals" in st.evaluation
    assert st.diff_ci_low <= st.diff <= st.diff_ci_high and st.ci_low <= st.mae <= st.ci_high
    assert st.n_proposals == 15


# --- the simulator's Council -------------------------------------------------------------

EU3 = Council(np.array([80.0, 60.0, 60.0, 10.0]), np.array([True, True, True, False]),
              np.array([True, True, True, True]))


def test_unanimity_one_veto_holder_at_the_status_quo_blocks() -> None:
    x = np.array([[100.0, 100.0, 0.0, 100.0], [100.0, 100.0, 100.0, 0.0]])
    assert EU3.decide(x, "unanimity", pass_at=0.0).tolist() == [False, True]


def test_qmv_passes_over_a_small_minority_and_fails_without_the_proposals_side() -> None:
    x = np.array([[90.0, 90.0, 90.0, 0.0], [20.0, 20.0, 20.0, 20.0]])
    assert EU3.decide(x, "qmv", pass_at=50.0).tolist() == [True, False]


def test_positions_from_stance_put_the_threshold_at_the_midpoint() -> None:
    assert positions_from_stance(np.array([0.7, 0.0, 1.5]), 0.7).tolist() == [50.0, 100.0, 0.0]
