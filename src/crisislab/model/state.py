"""The batched model state, the doctrine's actions and what a doctrine may observe.

Every field has a leading run axis: ``[runs]`` or ``[runs, members]`` (or
``[runs, types]`` for beliefs). A single run is a batch of one.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from crisislab.model.params import Params


@dataclass
class State:
    """Model state for a batch of runs. Field names are the names used in traces."""

    week: int
    adversary_type: np.ndarray  # [R] index into Params.type_names
    rung: np.ndarray  # [R] int, 0 peace .. 7 nuclear use
    peak: np.ndarray  # [R] int
    last_action: np.ndarray  # [R] -1 de-escalate, 0 hold, +1 escalate (adversary, previous step)
    verified_weeks: np.ndarray  # [R] weeks of sustained verified behavioural change
    adversary_resolve: np.ndarray  # [R]
    perceived_resolve: np.ndarray  # [R] adversary's reading of coalition resolve, 0..1
    resolve_discount: np.ndarray  # [R] accumulated misreading of weakness (M04)
    perceived_unity: np.ndarray  # [R]
    leverage: np.ndarray  # [R]
    permanence: np.ndarray  # [R] believed permanence of sanctions (pi)
    diplomatic_capital: np.ndarray  # [R]
    adversary_legitimacy: np.ndarray  # [R]
    third_party_alignment: np.ndarray  # [R]
    emboldening: np.ndarray  # [R]
    isolation: np.ndarray  # [R] isolation pressure multiplier
    frontline_trust: np.ndarray  # [R, M] (1 for non-frontline members)
    intel_quality: np.ndarray  # [R]
    support: np.ndarray  # [R, M] support for the sanctions line
    stance: np.ndarray  # [R, M]
    polarisation: np.ndarray  # [R]
    statement_sd: np.ndarray  # [R]
    response_lag: np.ndarray  # [R] weeks the coalition needs to answer
    pending_response: np.ndarray  # [R] weeks until a scheduled response fires (-1 none)
    tranche: np.ndarray  # [R] int, 0 = no sanctions
    member_cost: np.ndarray  # [R, M] weekly cost, share of own GDP (annualised)
    coalition_cost: np.ndarray  # [R] cumulative, share of coalition GDP
    adversary_damage: np.ndarray  # [R] cumulative economic damage
    defender_capability: np.ndarray  # [R]
    adversary_gains: np.ndarray  # [R] battlefield gains, 0..1
    threat_perception: np.ndarray  # [R]
    belief: np.ndarray  # [R, T] coalition posterior over adversary type
    sigma: np.ndarray  # [R] misperception noise
    regularity: np.ndarray  # [R] regularity of coordinated channels
    talks_open: np.ndarray  # [R] bool
    talks_weeks: np.ndarray  # [R] consecutive weeks in the current talks
    talks_total: np.ndarray  # [R] weeks in talks so far
    zone: np.ndarray  # [R] width of the zone of agreement when talks are open
    settled: np.ndarray  # [R] bool
    settle_week: np.ndarray  # [R] float, NaN until settled
    ended: np.ndarray  # [R] bool, the crisis is over (settlement, concession, fade or war's end)
    end_kind: np.ndarray  # [R] int, how it ended: 0 open, 1 settlement, 2 concession, 3 fade, 4 war_end
    end_week: np.ndarray  # [R] float, week the crisis ended (1-based), NaN while open
    optimism: np.ndarray  # [R] challenger's overestimate of its prospects in war (private information)
    war_weeks: np.ndarray  # [R] weeks ended at war (rung >= 4)
    force_weeks: np.ndarray  # [R] weeks ended at the use of force short of war (rung 3)
    war_cost: np.ndarray  # [R] challenger's accumulated cost of fighting
    adversary_concessions: np.ndarray  # [R]
    humanitarian_cost: np.ndarray  # [R] thousands of casualties
    mediator_trust: np.ndarray  # [R] adversary's trust in the mediator
    mandate_breadth: np.ndarray  # [R] number of tradable agenda items
    mandate_pending: np.ndarray  # [R] weeks until a mandate vote concludes (-1 none)
    mandate_failures: np.ndarray  # [R]
    enlarged: np.ndarray  # [R] bool
    offer_state: np.ndarray  # [R] 0 none, 1 accepted, 2 rejected
    cyber_ops: np.ndarray  # [R] count of cross-domain operations
    unilateral_contacts: np.ndarray  # [R] count
    bypasses: np.ndarray  # [R] count of outreach bypassing frontline states
    unearned_meetings: np.ndarray  # [R] count
    catastrophes: np.ndarray  # [R] count
    accident_risk: np.ndarray  # [R] sum of the weekly probabilities of uncontrolled climbs (M13, M14, M27)
    catastrophe_risk: np.ndarray  # [R] the part of accident_risk that is loss of control (M27)
    u_escalate: np.ndarray  # [R] utility terms, rebuilt every step
    u_deescalate: np.ndarray  # [R]
    action: np.ndarray  # [R] adversary action this step
    # per-step flags derived from the doctrine's actions (set by the gate step)
    contact: np.ndarray  # [R] bool, coordinated contact this week
    earned: np.ndarray  # [R] bool, this week's contact was earned by verified change
    unilateral: np.ndarray  # [R, M] bool, members' own contacts this week
    cyber_now: np.ndarray  # [R] bool, a cross-domain operation happened this week
    rejected_now: np.ndarray  # [R] bool, a conditional offer was rejected this week

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls) if f.name != "week"]

    def cohesion(self, p: Params) -> np.ndarray:
        """Political-weight-weighted mean support: the coalition's cohesion, 0..1."""
        from crisislab.model import kernels

        return kernels.rowdot(self.support, p.weight)


@dataclass
class Actions:
    """What the coalition does this week; every field broadcasts over runs.

    Defaults describe a passive coalition: no talks, no new sanctions, steady aid.
    """

    talks: np.ndarray | bool = False  # coordinated talks through the coalition channel
    high_level: np.ndarray | bool = False  # the contact is a high-level audience
    precondition: np.ndarray | float = 0.0  # demobilisation the adversary must accept first (M15)
    offer: np.ndarray | bool = False  # talks offered on condition of demobilisation (M19)
    unilateral: np.ndarray | bool = False  # [R, M] members' own channels
    sanction_floor: np.ndarray | int = 0  # minimum tranche the coalition keeps in force
    respond: np.ndarray | bool = True  # answer each escalation with one more tranche
    aid: np.ndarray | float = 0.5
    deep_strike: np.ndarray | float | None = None  # None: the scenario's share
    hotline: np.ndarray | bool = False
    mediator: np.ndarray | bool = False
    off_ramp: np.ndarray | bool = False
    messaging: np.ndarray | float = 0.5  # 0 insults .. 1 disciplined, empathetic
    risk: np.ndarray | float = 0.0  # shared risk the coalition runs (M27)
    pre_planned: np.ndarray | bool = False  # responses agreed in advance (M22)
    triggers: np.ndarray | bool = False  # automatic penalty triggers (M12b)
    veto: np.ndarray | bool = False  # frontline no-surprises veto (M12c)
    require_earned: np.ndarray | bool = False  # talks only after verified change (M12a)
    centralised: np.ndarray | bool = True  # outreach only through the coalition
    link_agenda: np.ndarray | bool = False  # package agenda (M20)
    seek_enlargement: np.ndarray | bool = False  # put enlargement to a vote (M24)
    widen_mandate: np.ndarray | bool = False  # ask capitals to widen the envoy's mandate (M08)


@dataclass
class Observation:
    """What a doctrine sees at the start of a week (read-only views of the state)."""

    week: int
    horizon: int
    rung: np.ndarray
    last_action: np.ndarray
    verified_weeks: np.ndarray
    talks_open: np.ndarray
    settled: np.ndarray
    offer_state: np.ndarray
    belief: np.ndarray
    tranche: np.ndarray
    support: np.ndarray
    member_cost: np.ndarray
    stance: np.ndarray
    frontline_trust: np.ndarray
    cohesion: np.ndarray
    enlarged: np.ndarray
    frontline: np.ndarray  # [M] static
    type_names: list[str]
    member_names: list[str]
    n_tranches: int

    @property
    def runs(self) -> int:
        return int(self.rung.shape[0])
