"""Outcome metrics: one row per run. The first eleven names are fixed (DESIGN.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crisislab.model import kernels
from crisislab.model.params import Params
from crisislab.model.state import State

#: How a crisis ended (``end_kind``), by the code kept in ``State.end_kind``.
END_KINDS = ("open", "settlement", "concession", "fade", "war_end")

#: Fixed metric names, never renamed.
METRICS = (
    "p_war",
    "p_nuclear_use",
    "p_settlement",
    "peak_escalation",
    "weeks_to_settlement",
    "coalition_cost",
    "final_cohesion",
    "final_frontline_trust",
    "adversary_concessions",
    "humanitarian_cost",
    "adversary_legitimacy",
)

#: Further per-run measures.
EXTRA_METRICS = (
    "final_rung",
    "final_permanence",
    "final_leverage",
    "talks_weeks_total",
    "third_party_alignment",
    "emboldening",
    "isolation",
    "unilateral_contacts",
    "bypasses",
    "unearned_meetings",
    "cyber_ops",
    "polarisation",
    "response_lag",
    "enlarged",
    "offer_accepted",
    "belief_true_type",
    "mandate_breadth",
    "mandate_failures",
    "catastrophes",
    "accident_risk",
    "catastrophe_risk",
    "intel_quality",
    "final_tranche",
    "ended",
    "end_week",
    "war_weeks",
    "force_weeks",
)

#: Per-run measures computed from recorded weekly trajectories
#: (``simulate_full(..., record=True)``), see :func:`trajectory_outcomes`.
TRAJECTORY_METRICS = (
    "weeks_at_war",
    "first_war_week",
)

DESCRIPTIONS = {
    "p_war": "peak escalation reached conventional war (rung 4) or higher",
    "p_nuclear_use": "peak escalation reached nuclear use (rung 7)",
    "p_settlement": "a settlement was reached within the horizon",
    "peak_escalation": "highest ladder rung reached (0 peace .. 7 nuclear use)",
    "weeks_to_settlement": "weeks until settlement (settled runs only)",
    "coalition_cost": "cumulative cost to the coalition, share of its annual GDP",
    "final_cohesion": "weighted mean member support for the common line at the end, 0..1",
    "final_frontline_trust": "mean trust of frontline members at the end, 0..1",
    "adversary_concessions": "concessions extracted from the adversary (index)",
    "humanitarian_cost": "casualties, thousands",
    "adversary_legitimacy": "adversary's domestic legitimacy at the end, 0..1",
}


def outcome_table(s: State, p: Params, run_ids: np.ndarray) -> pd.DataFrame:
    n = s.rung.shape[0]
    fl = s.frontline_trust[:, p.frontline].mean(axis=1) if p.frontline.any() else np.ones(n)
    data = {
        "run": run_ids,
        "adversary_type": np.array(p.type_names, dtype=object)[s.adversary_type],
        "p_war": (s.peak >= 4).astype(float),
        "p_nuclear_use": (s.peak >= 7).astype(float),
        "p_settlement": s.settled.astype(float),
        "peak_escalation": s.peak.astype(float),
        "weeks_to_settlement": s.settle_week,
        "coalition_cost": s.coalition_cost,
        "final_cohesion": kernels.rowdot(s.support, p.weight),
        "final_frontline_trust": fl,
        "adversary_concessions": s.adversary_concessions,
        "humanitarian_cost": s.humanitarian_cost,
        "adversary_legitimacy": s.adversary_legitimacy,
        "final_rung": s.rung.astype(float),
        "final_permanence": s.permanence,
        "final_leverage": s.leverage,
        "talks_weeks_total": s.talks_total,
        "third_party_alignment": s.third_party_alignment,
        "emboldening": s.emboldening,
        "isolation": s.isolation,
        "unilateral_contacts": s.unilateral_contacts,
        "bypasses": s.bypasses,
        "unearned_meetings": s.unearned_meetings,
        "cyber_ops": s.cyber_ops,
        "polarisation": s.polarisation,
        "response_lag": s.response_lag,
        "enlarged": s.enlarged.astype(float),
        "offer_accepted": (s.offer_state == 1).astype(float),
        "belief_true_type": s.belief[np.arange(n), s.adversary_type],
        "mandate_breadth": s.mandate_breadth,
        "mandate_failures": s.mandate_failures,
        "catastrophes": s.catastrophes,
        "accident_risk": s.accident_risk,
        "catastrophe_risk": s.catastrophe_risk,
        "intel_quality": s.intel_quality,
        "final_tranche": s.tranche.astype(float),
        "ended": s.ended.astype(float),
        "end_week": s.end_week,
        "war_weeks": s.war_weeks.astype(float),
        "force_weeks": s.force_weeks.astype(float),
        "end_kind": np.array(END_KINDS, dtype=object)[s.end_kind],
    }
    return pd.DataFrame(data)


def trajectory_outcomes(trajectories: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per-run measures read from recorded trajectories (``rung`` as ``[runs, weeks]``).

    * ``weeks_at_war``: weeks that ended at conventional war (rung 4) or higher;
    * ``first_war_week``: the first such week (1-based), NaN if none.

    >>> import numpy as np
    >>> t = trajectory_outcomes({"rung": np.array([[2, 4, 5, 3], [1, 1, 2, 2]])})
    >>> t["weeks_at_war"].tolist(), t["first_war_week"].tolist()
    ([2.0, 0.0], [2.0, nan])
    """
    rung = np.asarray(trajectories["rung"])
    war = rung >= 4
    first = np.where(war.any(axis=1), war.argmax(axis=1) + 1.0, np.nan)
    return pd.DataFrame({"weeks_at_war": war.sum(axis=1).astype(float), "first_war_week": first})
