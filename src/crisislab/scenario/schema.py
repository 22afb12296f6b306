"""The scenario schema: everything the model needs to know about one crisis.

A scenario is written in YAML and validated by these pydantic models. Units:

* ``population`` in millions, ``gdp`` in billions of euros (current prices),
* ``trade_exposure``: goods trade with the adversary (exports + imports) as a share of
  the member's GDP, 0..1,
* ``energy_dependence``: share of the member's gas imports that came from the adversary,
* ``stance``: 0 most dovish .. 1 most hawkish; ``salience``: how much the member cares, 0..1.

The XLRM reading: members, adversary types, instruments and mechanism strengths are
uncertainties (X); the doctrine chooses levers (L); mechanisms are the relationships (R);
the outcome metrics are the measures (M).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crisislab.model.mechanisms.registry import MECHANISMS, by_name

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]

LADDER = (
    "peace",
    "tension",
    "mobilisation",
    "limited_cyber",
    "conventional_war",
    "deep_strikes",
    "nuclear_signalling",
    "nuclear_use",
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class Member(Strict):
    """One coalition member (EU member state or partner)."""

    name: str = Field(min_length=1)
    code: str = Field(default="", description="ISO 3166 alpha-2 code")
    population: Positive = Field(description="millions")
    gdp: Positive = Field(description="billions of euros")
    trade_exposure: Unit = Field(description="trade with the adversary as a share of GDP")
    energy_dependence: Unit = 0.0
    frontline: bool = False
    stance: Unit = 0.5
    salience: Unit = 0.5
    veto: bool = Field(default=True, description="holds a veto under unanimity")
    eu_member: bool = Field(default=True, description="counts in the EU qualified majority")


class Coalition(Strict):
    name: str = "coalition"
    decision_rule: Literal["unanimity", "qmv"] = "unanimity"
    members: list[Member] = Field(min_length=1)
    veto_holders: list[str] | None = Field(
        default=None,
        description="members that hold the no-surprises veto over outreach (M12c); default: the frontline members",
    )

    @model_validator(mode="after")
    def _check_names(self) -> Coalition:
        seen: set[str] = set()
        for m in self.members:
            if m.name in seen:
                raise ValueError(f"member name {m.name!r} appears twice; names must be unique")
            seen.add(m.name)
        for name in self.veto_holders or []:
            if name not in seen:
                raise ValueError(
                    f"veto_holders names unknown member {name!r}; known members: {', '.join(sorted(seen))}"
                )
        return self

    def veto_mask(self) -> list[bool]:
        if self.veto_holders is None:
            return [m.frontline for m in self.members]
        holders = set(self.veto_holders)
        return [m.name in holders for m in self.members]


class AdversaryType(Strict):
    """A possible nature of the adversary; the run draws one by ``weight``."""

    name: str
    weight: float = Field(ge=0.0)
    aggression: Unit = Field(description="gain it sees in escalating")
    resolve: Unit = Field(description="willingness to bear pain; cost of backing down")
    paranoia: Unit = Field(description="how strongly coalition posture reads as threat (M23)")
    stature_weight: Unit = Field(description="weight of face and status in its utility (M23, M26)")
    zero_sum: Unit = Field(description="reads unconditional talks as weakness (M04)")
    accept_limit: Unit = Field(description="highest demobilisation precondition it will accept (M15)")
    p_accept_offer: Unit = Field(description="probability it accepts a conditional offer (M19)")
    reservation: Unit = Field(description="share of its agenda utility it insists on in a deal (M20)")
    cyber_propensity: Unit = Field(default=0.5, description="appetite for cyber/information operations (M29)")


class Adversary(Strict):
    name: str = "adversary"
    types: list[AdversaryType] = Field(min_length=1)
    rationality: Positive = Field(default=4.0, description="logit precision lambda of its choices (M05)")
    initial_rung: int = Field(default=2, ge=0, le=len(LADDER) - 1)
    gdp: Positive = Field(default=2000.0, description="billions of euros")

    @model_validator(mode="after")
    def _check_types(self) -> Adversary:
        if sum(t.weight for t in self.types) <= 0:
            raise ValueError("adversary type weights must not all be zero")
        names = [t.name for t in self.types]
        if len(set(names)) != len(names):
            raise ValueError("adversary type names must be unique")
        return self


class Defender(Strict):
    name: str = "defender"
    capability: Unit = 0.4
    population: Positive = 40.0


class Mediator(Strict):
    name: str
    trust_adversary: Unit
    trust_coalition: Unit
    style: Literal["facilitation", "formulation", "manipulation"] = "formulation"


class SanctionTranche(Strict):
    name: str
    intensity: Unit = Field(description="cumulative share of adversary trade cut at this tranche")
    damage: Unit = Field(description="weekly damage to the adversary's economy, share of a bad year")


class Instruments(Strict):
    sanction_tranches: list[SanctionTranche] = Field(min_length=1)
    aid_levels: dict[str, Unit] = Field(default_factory=lambda: {"none": 0.0, "steady": 0.5, "surge": 1.0})
    deep_strike_share: Unit = 0.2
    hotline: bool = True

    @field_validator("sanction_tranches")
    @classmethod
    def _ordered(cls, v: list[SanctionTranche]) -> list[SanctionTranche]:
        intens = [t.intensity for t in v]
        if intens != sorted(intens):
            raise ValueError("sanction tranches must be listed in increasing intensity")
        return v


class AgendaItem(Strict):
    """One issue on the negotiating table (positions and saliences per side)."""

    name: str
    coalition_position: Unit
    adversary_position: Unit
    coalition_salience: Unit
    adversary_salience: Unit
    red_line: bool = False
    in_mandate: bool = True


class MechanismSetting(Strict):
    enabled: bool = True
    strength: float = Field(default=1.0, ge=0.0)
    range: tuple[float, float] | None = None
    params: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _range_ok(self) -> MechanismSetting:
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError("range must be [low, high] with low <= high")
        return self


class Dynamics(Strict):
    """Crisis dynamics that are not a claim of the sources: war as bargaining, coercion by
    threat, crises that fade and the parties' own channel (the ODD description, "Crisis
    dynamics", cites the literature behind each)."""

    optimism_spread: float = Field(default=0.3, ge=0.0, le=1.0, description=(
        "private information: the challenger's optimism about a war is uniform in +-spread (Fearon 1995)"))
    optimism_weight: float = Field(default=3.0, ge=0.0, le=20.0, description="utility of war per unit of optimism")
    war_threshold: float = Field(default=0.8, ge=0.0, le=10.0, description=(
        "extra cost of starting a war (crossing from the use of force to war)"))
    war_cost_rate: float = Field(default=0.02, ge=0.0, le=1.0, description=(
        "the challenger's cost of a week of war, +50 % per rung above war"))
    exhaustion: float = Field(default=3.0, ge=0.0, le=50.0, description=(
        "weight of accumulated war costs in the relief of stopping (Slantchev 2003)"))
    learning: float = Field(default=0.15, ge=0.0, le=1.0, description=(
        "share of the gap between belief and battlefield news closed each week of war (Smith and Stam 2004)"))
    battle_noise: float = Field(default=0.1, ge=0.0, le=1.0, description="spread (sd) of battlefield news")
    coercion_weight: float = Field(default=6.0, ge=0.0, le=50.0, description=(
        "valuation of expected sanction damage against the stakes of compliance (Lacy and Niou 2004)"))
    comply_rate: float = Field(default=0.1, ge=0.0, le=1.0, description=(
        "weekly chance that compliance is put to the target's leadership"))
    fade_rate: float = Field(default=0.06, ge=0.0, le=1.0, description=(
        "weekly hazard that a calm crisis ends without agreement, at mobilisation; +50 % per rung below"))
    direct_share: float = Field(default=0.25, ge=0.0, le=1.0, description=(
        "the parties' own channel settles at this share of the rate of coordinated talks"))
    optimism_demand: float = Field(default=0.5, ge=0.0, le=5.0, description=(
        "how much of its optimism the challenger adds to its demands in talks"))
    uncertainty_weight: float = Field(default=3.0, ge=0.0, le=20.0, description=(
        "private information hinders agreement: the weekly chance that an offer in the zone is "
        "accepted is divided by 1 + uncertainty_weight * |optimism|"))


class Scenario(Strict):
    """A complete, validated scenario."""

    name: str
    description: str = ""
    sources: dict[str, str] = Field(default_factory=dict)
    horizon_weeks: int = Field(default=52, ge=1, le=10_000)
    step_weeks: int = Field(default=1, ge=1, le=52)
    coalition: Coalition
    adversary: Adversary
    defender: Defender = Field(default_factory=Defender)
    mediator: Mediator | None = None
    instruments: Instruments
    agenda: list[AgendaItem] = Field(min_length=1)
    mechanisms: dict[str, MechanismSetting] = Field(default_factory=dict)
    dynamics: Dynamics = Field(default_factory=Dynamics)

    @field_validator("mechanisms", mode="before")
    @classmethod
    def _normalise_mechanisms(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        out: dict[str, Any] = {}
        for key, setting in v.items():
            try:
                info = by_name(str(key))
            except KeyError:
                known = ", ".join(m.name for m in MECHANISMS.values())
                raise ValueError(f"unknown mechanism {key!r}; known: {known}") from None
            if isinstance(setting, bool):
                setting = {"enabled": setting}
            elif isinstance(setting, (int, float)) and not isinstance(setting, bool):
                setting = {"strength": float(setting)}
            if isinstance(setting, dict):
                unknown = set(setting.get("params", {}) or {}) - set(info.params)
                if unknown:
                    raise ValueError(
                        f"mechanism {info.name} has no parameter {sorted(unknown)[0]!r}; "
                        f"its parameters are: {', '.join(info.params) or 'none'}"
                    )
            out[info.name] = setting
        return out

    @model_validator(mode="after")
    def _agenda_ok(self) -> Scenario:
        names = [a.name for a in self.agenda]
        if len(set(names)) != len(names):
            raise ValueError("agenda item names must be unique")
        return self

    def mechanism(self, name: str) -> MechanismSetting:
        """The setting of a mechanism (enabled, strength 1 when not mentioned)."""
        return self.mechanisms.get(by_name(name).name, MechanismSetting())

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A copy with values replaced at dotted paths, validated again.

        Paths address the YAML structure: ``adversary.types.0.weight``,
        ``mechanisms.credibility_decay.strength``, ``coalition.decision_rule``.

        >>> from crisislab.scenario import load_scenario
        >>> s = load_scenario("toy-3").with_overrides({"coalition.decision_rule": "qmv"})
        >>> s.coalition.decision_rule
        'qmv'
        """
        from crisislab.scenario.load import apply_overrides

        return apply_overrides(self, overrides)
