"""PRIM scenario discovery finds a known box and describes it in words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crisislab.experiments.discovery import Restriction, find_boxes


def _points(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.random((n, 3)), columns=["prior_sincere", "paranoia", "resolve"])
    x["decision_rule"] = rng.choice(["unanimity", "qmv"], n)
    return x


def test_finds_the_known_box() -> None:
    x = _points()
    failed = ((x.prior_sincere < 0.25) & (x.paranoia > 0.7)).to_numpy()
    boxes = find_boxes(x, failed, min_density=0.8, max_dims=3)
    assert boxes, "no box found"
    b = boxes[0]
    lims = {r.name: r for r in b.restrictions}
    assert set(lims) == {"prior_sincere", "paranoia"}
    assert lims["prior_sincere"].low is None and lims["prior_sincere"].high == pytest.approx(0.25, abs=0.04)
    assert lims["paranoia"].high is None and lims["paranoia"].low == pytest.approx(0.7, abs=0.04)
    assert b.coverage > 0.9 and b.density > 0.9
    inside = b.contains(x)
    assert b.density == pytest.approx(failed[inside].mean(), abs=1e-9)
    assert b.coverage == pytest.approx(failed[inside].sum() / failed.sum(), abs=1e-9)
    text = b.describe("test_by_offer", "p_war > 0.3")
    assert text.startswith("`test_by_offer` has p_war > 0.3 when prior_sincere < 0.")
    assert "and paranoia > 0." in text and f"coverage {b.coverage:.2f}, density {b.density:.2f}" in text


def test_finds_a_categorical_restriction() -> None:
    x = _points(seed=1)
    failed = ((x.decision_rule == "unanimity") & (x.resolve > 0.5)).to_numpy()
    b = find_boxes(x, failed, min_density=0.8)[0]
    words = b.clauses()
    assert "decision_rule = unanimity" in words and "resolve > 0." in words
    assert b.density > 0.9


def test_no_failures_or_all_failures_give_no_box() -> None:
    x = _points(200)
    assert find_boxes(x, np.zeros(200, dtype=bool)) == []
    assert find_boxes(x, np.ones(200, dtype=bool)) == []


def test_restriction_words() -> None:
    assert Restriction("x", low=0.2, high=0.4).words() == "0.2 < x < 0.4"
    assert Restriction("r", values=["qmv", "unanimity"]).words() == "r in {qmv, unanimity}"
