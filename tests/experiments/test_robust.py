"""Minimax regret and satisficing on a hand-made table with known answers."""

from __future__ import annotations

import pandas as pd
import pytest

from crisislab.experiments.robust import choose, regret_table, satisficing_table
from crisislab.experiments.spec import Objective, Threshold

# p_war of three policies in three futures:
#        f0    f1    f2
# A     0.05  0.50  0.10   best mean, but terrible in f1
# B     0.20  0.25  0.25   never far from the best
# C     0.40  0.20  0.60
TABLE = {"A": [0.05, 0.50, 0.10], "B": [0.20, 0.25, 0.25], "C": [0.40, 0.20, 0.60]}


def _means() -> pd.DataFrame:
    rows = [{"policy": p, "point": i, "p_war": v, "p_settlement": 1 - v}
            for p, vals in TABLE.items() for i, v in enumerate(vals)]
    return pd.DataFrame(rows)


def test_minimax_regret_picks_the_policy_with_smallest_worst_regret() -> None:
    rows = regret_table(_means(), Objective(outcome="p_war", direction="min"))
    by = {r["policy"]: r for r in rows}
    # regrets: A (0, .30, 0) -> .30; B (.15, .05, .15) -> .15; C (.35, 0, .50) -> .50
    assert by["A"]["max_regret"] == pytest.approx(0.30)
    assert by["B"]["max_regret"] == pytest.approx(0.15)
    assert by["C"]["max_regret"] == pytest.approx(0.50)
    assert [r["policy"] for r in rows] == ["B", "A", "C"]
    assert by["A"]["mean"] < by["B"]["mean"]  # the robust choice is not the best on average


def test_maximising_direction_gives_the_same_regrets() -> None:
    rows = regret_table(_means(), Objective(outcome="p_settlement", direction="max"))
    assert rows[0]["policy"] == "B" and rows[0]["max_regret"] == pytest.approx(0.15)


def test_satisficing_share() -> None:
    rows = satisficing_table(_means(), [Threshold.parse("p_war <= 0.25")])
    by = {r["policy"]: r["share_satisfied"] for r in rows}
    assert by == pytest.approx({"A": 2 / 3, "B": 1.0, "C": 1 / 3})
    choice = choose({"p_war": regret_table(_means(), Objective(outcome="p_war"))}, rows)
    assert choice.satisficing is not None and choice.satisficing["policy"] == "B"
    text = " ".join(choice.sentences([Threshold.parse("p_war <= 0.25")]))
    assert "minimax regret on p_war" in text and "B meets them in 100% of 3" in text


def test_threshold_parsing() -> None:
    t = Threshold.parse(" p_war>=0.3 ")
    assert (t.outcome, t.op, t.value) == ("p_war", ">=", 0.3)
    for bad in ("p_war", "p_peace > 1", "p_war > x", "p_war > nan"):
        with pytest.raises(ValueError):
            Threshold.parse(bad)
