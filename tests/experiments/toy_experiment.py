"""Small experiment definitions shared by the experiment tests."""

from __future__ import annotations

import copy
from typing import Any

TOY: dict[str, Any] = {
    "name": "toy-test",
    "scenario": "toy-3",
    "model": "toy",
    "levers": {"doctrines": ["test_by_offer", "isolation"]},
    "uncertainties": [
        {"name": "prior_sincere", "range": [0.0, 0.6]},
        {"name": "paranoia", "range": [0.2, 0.9]},
        {"name": "strength:credibility_decay", "range": [0.5, 1.5]},
    ],
    "outcomes": ["p_war", "coalition_cost"],
    "sampler": {"method": "lhs", "n": 24},
    "runs": 10,
    "seed": 4,
    "chunk_points": 3,
}


def toy(**changes: Any) -> dict[str, Any]:
    """A copy of :data:`TOY` with top-level fields replaced."""
    out = copy.deepcopy(TOY)
    out.update(changes)
    return out
