"""The mechanism catalogue as data: one entry per causal claim in the source texts.

IDs (``M06``) and names (``credibility_decay``) are stable; code, traces, scenario files,
docs and tests use them. Each entry records which source text the claim comes from
(by file name), the claim in our own words, the state it reads and writes, the module that
implements it and the test that shows its direction.

>>> MECHANISMS["M06"].name
'credibility_decay'
>>> by_name("credibility_decay").id
'M06'
"""

from __future__ import annotations

from dataclasses import dataclass, field

SOURCES = {
    "000": "000_2925941e4be23cd7.txt",
    "001": "001_c1f1fff7db0dc79a.txt",
    "002": "002_b0d57d2106c091ca.txt",
    "003": "003_6e275725a3b18bd7.txt",
}

FAMILIES = {
    "cohesion": ("000", "Coalition leverage and cohesion"),
    "catastrophe": ("001", "Talking to avoid catastrophe"),
    "screening": ("002", "Test by offer"),
    "negotiation": ("003", "Negotiating under fire"),
}


@dataclass(frozen=True)
class MechanismInfo:
    """Metadata of one mechanism; ``params`` are its tunable constants with defaults."""

    id: str
    name: str
    family: str
    claim: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    params: dict[str, float] = field(default_factory=dict)
    strength_range: tuple[float, float] = (0.0, 2.0)

    @property
    def off_rule(self) -> str | None:
        """What switching the mechanism off removes beyond setting its strength to 0, or
        ``None`` where strength 0 and off are the same (see :data:`OFF_RULES`)."""
        return OFF_RULES.get(self.id)

    @property
    def source(self) -> str:
        return SOURCES[FAMILIES[self.family][0]]

    @property
    def module(self) -> str:
        return f"crisislab.model.mechanisms.{self.family}"

    @property
    def test(self) -> str:
        return f"tests/mechanisms/test_{self.family}.py::test_{self.id.lower()}_{self.name}"


def _m(id_: str, name: str, family: str, claim: str, reads: str, writes: str, **params: float) -> MechanismInfo:
    return MechanismInfo(id_, name, family, claim, tuple(reads.split()), tuple(writes.split()), dict(params))


_ALL = [
    # --- 000: coalition leverage and cohesion -------------------------------------------
    _m("M01", "leverage_dilution", "cohesion",
       "The adversary concedes in proportion to the coalition unity it perceives; each member's own channel signals a split.",
       "unilateral perceived_unity", "perceived_unity leverage",
       alpha=1.5, recovery=0.05),
    _m("M02", "escalation_dominance", "cohesion",
       "A unitary adversary moves across domains at once while a consensus coalition answers late; unanswered weeks make escalation pay.",
       "rung polarisation decision_rule", "response_lag u_escalate",
       base_lag_unanimity=3.0, base_lag_qmv=1.5, lag_value=0.05),
    _m("M03", "domestic_exploitation", "cohesion",
       "A high-level meeting the adversary did not earn is free propaganda at home and tells non-aligned states isolation is ending.",
       "talk_level earned", "adversary_legitimacy third_party_alignment unearned_meetings",
       p_dom=0.04, p_intl=0.02),
    _m("M04", "zero_sum_misreading", "cohesion",
       "An adversary that plays zero-sum reads talks without preconditions as weakness.",
       "talk_level earned zero_sum", "perceived_resolve resolve_discount",
       kappa=0.05),
    _m("M05", "deterrence_inequality", "cohesion",
       "Aggression is deterred only when its expected cost, which depends on how permanent sanctions are believed to be, exceeds its gain.",
       "permanence sanction_level leverage perceived_resolve", "u_escalate",
       discount=0.9, damage_weight=6.0),
    _m("M06", "credibility_decay", "cohesion",
       "Premature dialogue and open dissent erode the believed permanence of sanctions; re-anchoring it costs diplomatic capital.",
       "talk_level earned unilateral polarisation", "permanence diplomatic_capital",
       d_talk=0.03, d_dissent=0.02, recovery=0.01, anchor_cost=0.02),
    _m("M07", "frontline_trust", "cohesion",
       "Outreach that bypasses frontline states makes them hedge; intelligence sharing and cohesion decline.",
       "talk_level unilateral veto", "frontline_trust intel_quality support bypasses",
       bypass=0.06, recovery=0.005, hedge=0.02, abandon=0.5),
    _m("M08", "mandate_paradox", "cohesion",
       "An envoy's mandate is either too narrow to trade or too broad to be believed, and widening it needs every capital.",
       "mandate_breadth stance decision_rule", "mandate_breadth mandate_pending mandate_failures",
       delay_per_spread=20.0, credibility_limit=5.0, broad_penalty=0.03),
    _m("M09", "signaling_noise", "cohesion",
       "The adversary reads the spread between national leaders' statements and aims at the cracks.",
       "stance messaging", "statement_sd perceived_resolve",
       k=0.8, noise=0.15),
    _m("M10", "validation_trap", "cohesion",
       "An audience the isolated regime did not earn validates it and weakens isolation.",
       "talk_level earned", "isolation",
       v=0.05, recovery=0.01),
    _m("M11", "selective_engagement", "cohesion",
       "The adversary courts the most dovish members and freezes out hawks, splitting the coalition into paralysis.",
       "stance centralised", "stance polarisation response_lag support",
       courting=0.01, lag_per_polarisation=2.0),
    _m("M12", "conditionality_framework", "cohesion",
       "The remedy: talks only after verified change, an envoy with automatic penalty triggers, and a frontline veto over outreach.",
       "earned triggers veto", "earned contact unilateral unilateral_contacts",
       verify_weeks=4.0),
    # --- 001: talking to avoid catastrophe -----------------------------------------------
    _m("M13", "misperception", "catastrophe",
       "Without channels each side misreads the other, and with a nuclear power a misreading can climb the ladder by accident.",
       "hotline regularity rung", "sigma rung action u_escalate accident_risk",
       base_sigma=1.0, hotline_cut=0.4, channel_cut=0.4, p_inadvertent=0.015, steepness=0.35, misread=0.25),
    _m("M14", "aid_entrenchment", "catastrophe",
       "Military aid strengthens the defender but hardens the adversary and prolongs the war; deep strikes add escalation risk.",
       "aid_level deep_strike_share paranoia", "defender_capability adversary_resolve rung action accident_risk",
       capability_gain=0.6, hardening=0.004, deep_strike_risk=0.03),
    _m("M15", "inflexible_preconditions", "catastrophe",
       "Preconditions the adversary will never meet mean talks never start.",
       "precondition accept_limit", "talks_open verified_weeks",
       softness=0.03),
    _m("M16", "global_audience", "catastrophe",
       "Other powers watch: aggression that pays emboldens revisionists and failed isolation pulls third parties toward the adversary.",
       "adversary_gains cohesion", "emboldening third_party_alignment adversary_gains",
       gain_weight=1.0, cohesion_weight=0.01),
    _m("M17", "humanitarian_cost", "catastrophe",
       "The longer and higher the fighting, the larger the human cost.",
       "rung", "humanitarian_cost"),
    _m("M18", "dialogue_consistency", "catastrophe",
       "Dialogue must be regular and coordinated; sporadic or unilateral contact pays the costs without the benefit.",
       "talk_level unilateral", "regularity",
       window=8.0),
    # --- 002: test by offer ---------------------------------------------------------------
    _m("M19", "screening_offer", "screening",
       "Offering talks on condition of demobilisation reveals whether the adversary is sincere.",
       "offer type", "belief talks_open rung offer_state rejected_now verified_weeks",
       signal_noise=1.0),
    _m("M20", "agenda_linkage", "screening",
       "A package agenda allows trades across issues that item-by-item talks cannot reach.",
       "agenda link_agenda", "zone",
       base_rate=0.08),
    _m("M21", "forswear_destabilizing", "screening",
       "Both sides forswear destabilising moves while talks run; a violation ends them.",
       "talks_open escalated", "talks_open offer_state"),
    _m("M22", "preplanned_responses", "screening",
       "Responses agreed in advance fire at once; ad-hoc ones wait for the coalition.",
       "pre_planned", "u_escalate",
       jump=1.0, deterrence=0.1),
    _m("M23", "adversary_psychology", "screening",
       "The adversary's paranoia is sincere, stature matters, red lines are consistent, and pain is accepted.",
       "paranoia stature_weight aid_level enlarged talk_level", "threat_perception u_escalate u_deescalate",
       threat_weight=0.8, stature_value=0.15),
    _m("M24", "accession_unanimity", "screening",
       "Alliance enlargement needs every member's consent and raises the adversary's threat perception.",
       "seek_enlargement veto stance", "enlarged threat_perception",
       oppose_below=0.25),
    # --- 003: negotiating under fire -----------------------------------------------------
    _m("M25", "mediation", "negotiation",
       "A mediator trusted by both sides brokers what the parties cannot; styles differ in what it brings: a channel, information, leverage.",
       "mediator trust style", "talks_open optimism zone u_deescalate",
       communication=1.0, information=0.1, leverage=0.1),
    _m("M26", "off_ramp", "negotiation",
       "Leaving the adversary a face-saving exit makes de-escalation more attractive, most for stature-minded types.",
       "off_ramp stature_weight", "u_deescalate",
       value=0.6),
    _m("M27", "brinkmanship", "negotiation",
       "Threats that leave something to chance buy concessions and risk catastrophe.",
       "risk", "u_deescalate accident_risk catastrophe_risk catastrophes rung",
       catastrophe=0.004, concede=0.5),
    _m("M28", "messaging_discipline", "negotiation",
       "Name-calling hardens the other side and costs mediator trust; tactical empathy and discipline soften it.",
       "messaging", "adversary_resolve mediator_trust statement_sd",
       harden=0.006, trust_loss=0.01),
    _m("M29", "cross_domain_stratagems", "negotiation",
       "Cyber and information operations are moves of their own that feed coalition dissent.",
       "rung type", "cyber_ops cyber_now polarisation stance",
       p_cyber=0.25, dissent=0.006),
    _m("M30", "economic_contagion", "negotiation",
       "Sanctions hurt the sanctioners too; exposed members' support decays with their own cost and recovers with threat.",
       "tranche trade_exposure energy_dependence rung", "member_cost support coalition_cost adversary_damage",
       decay=0.35, threat_recovery=0.01, defect_below=0.3),
    _m("M31", "non_negotiable_concessions", "negotiation",
       "Territory is off the table: red-line items are never traded.",
       "agenda red_line", ""),
]

MECHANISMS: dict[str, MechanismInfo] = {m.id: m for m in _ALL}
_BY_NAME: dict[str, MechanismInfo] = {m.name: m for m in _ALL}


def by_name(key: str) -> MechanismInfo:
    """Look a mechanism up by name (``credibility_decay``) or ID (``M06``)."""
    if key in _BY_NAME:
        return _BY_NAME[key]
    if key.upper() in MECHANISMS:
        return MECHANISMS[key.upper()]
    raise KeyError(key)


def names() -> list[str]:
    return [m.name for m in _ALL]


#: Mechanisms whose switch does more than strength 0: ``strength`` scales a continuous
#: effect, and switching off also removes a rule. For every other mechanism strength 0 and
#: off give the same runs (tests/mechanisms/test_contracts.py checks both statements).
OFF_RULES: dict[str, str] = {
    "M06": "permanence stays where it starts; at strength 0 it still recovers under consistent enforcement",
    "M08": "no mandate vote is held, so the mandate never widens; strength scales only the vote's delay and the broad-mandate penalty",
    "M12": "the framework's gates are ignored (earned contact, frontline veto, automatic triggers); strength plays no part",
    "M18": "any contact, coordinated or a member's own, counts in full as a regular channel; strength plays no part",
    "M19": "no conditional offer is answered and the coalition does not update on the answer; strength plays no part",
    "M20": "the deal frontier has no cross-issue trades; strength scales only the settlement hazard",
    "M21": "an escalation while talks run no longer ends them; strength plays no part",
    "M22": "pre-planned responses no longer fire at once; strength scales only their deterrence",
    "M24": "enlargement passes without the veto holders' consent; strength plays no part",
    "M28": "message discipline no longer narrows the spread of statements (M09); strength scales hardening and trust",
    "M30": "sanctions cost their senders nothing; strength scales only the decay of support",
}
