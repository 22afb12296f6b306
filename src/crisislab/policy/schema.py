"""The policy file: a Conditionality Framework written as data.

A policy states four rule blocks and the order in which they are applied:

* ``preconditions`` (a): which adversary behaviour counts as verified change: the events
  that count (actors, CAMEO codes, Goldstein range, minimum source reliability), a measure
  over a window of days, a threshold, how many days the condition must have held without a
  break, and how many independent sources (publishers) must report it;
* ``mandate`` (b): the agenda items the envoy may trade, the red lines it may not, items
  outside its mandate, and how many offers one round may carry;
* ``triggers`` (b): event patterns over a window that move the coalition up a ladder of
  pre-approved penalty tranches at once, with no vote, with a cool-down;
* ``no_surprises`` (c): which members hold a veto over the agenda and timing of outreach,
  how long a vote stays open and what silence means.

``order`` lists the four blocks: a talks request passes the gates in that order, and every
event is shown to the blocks in that order. A block with ``enabled: false`` is skipped.

Actor names in selectors are either the name of a group under ``actors`` or a literal actor
name; both are compared without regard to case. CAMEO codes in selectors match as
prefixes in the code tree: ``"19"`` matches every code under root 19 (``190``..``196``),
``"036"`` only itself.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

BlockName = Literal["triggers", "preconditions", "mandate", "no_surprises"]
BLOCKS: tuple[BlockName, ...] = ("triggers", "preconditions", "mandate", "no_surprises")
CODE_RE = re.compile(r"^(0[1-9]|1[0-9]|20)[0-9]{0,2}$")

Days = Annotated[int, Field(ge=1, le=3650)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def check_codes(codes: list[str]) -> list[str]:
    """Check that every entry has the form of a CAMEO code (2-4 digits, root 01..20)."""
    for code in codes:
        if not isinstance(code, str) or not CODE_RE.match(code):
            raise ValueError(
                f"CAMEO code {code!r} is not a code: write codes as quoted strings of 2 to 4 digits with a root 01..20 (e.g. '036', '19')"
            )
    return codes


def _one_decimal(value: float | None, what: str) -> float | None:
    if value is not None and abs(value * 10 - round(value * 10)) > 1e-9:
        raise ValueError(f"{what} must have at most one decimal (Goldstein scores are given to 0.1)")
    return value


class Selector(Strict):
    """Which events a rule looks at. An empty list means "any"."""

    source: list[str] = Field(default_factory=list, description="source actors or actor groups")
    target: list[str] = Field(default_factory=list, description="target actors or actor groups")
    codes: list[str] = Field(default_factory=list, description="CAMEO code prefixes, e.g. '19' or '036'")
    goldstein_min: float | None = Field(default=None, ge=-10.0, le=10.0)
    goldstein_max: float | None = Field(default=None, ge=-10.0, le=10.0)
    min_reliability: float = Field(default=0.0, ge=0.0, le=1.0, description="ignore events reported with lower reliability")
    in_forum: bool = Field(
        default=False,
        description="only events in the talks forum: the event's forum is one of talks.forums, or it has no forum and a talks round is open",
    )

    @field_validator("codes")
    @classmethod
    def _codes_ok(cls, v: list[str]) -> list[str]:
        return check_codes(v)

    @field_validator("goldstein_min", "goldstein_max")
    @classmethod
    def _decimals(cls, v: float | None) -> float | None:
        return _one_decimal(v, "a Goldstein bound")

    @model_validator(mode="after")
    def _range_ok(self) -> Selector:
        if self.goldstein_min is not None and self.goldstein_max is not None and self.goldstein_min > self.goldstein_max:
            raise ValueError("goldstein_min must not exceed goldstein_max")
        return self


class Condition(Strict):
    """One precondition: a measure over a window that must hold for a sustained period."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    select: Selector
    measure: Literal["count", "sum_goldstein", "mean_goldstein", "sources"] = "count"
    op: Literal[">=", ">", "<=", "<", "=="]
    value: float
    window_days: Days
    sustained_days: Days = 1
    min_sources: int = Field(default=0, ge=0, le=64, description="independent publishers that must report the matching events in the latest window")

    @model_validator(mode="after")
    def _value_ok(self) -> Condition:
        if self.measure in ("sum_goldstein", "mean_goldstein"):
            _one_decimal(self.value, "the value of a Goldstein measure")
        return self


class Preconditions(Strict):
    """(a) Talks only as a reward for verified, sustained prior change."""

    enabled: bool = True
    combine: Literal["all", "any"] = "all"
    conditions: list[Condition] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Preconditions:
        names = [c.name for c in self.conditions]
        if len(set(names)) != len(names):
            raise ValueError("condition names must be unique")
        return self


class AgendaItem(Strict):
    """An item on the agenda and what the envoy may do with it."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    status: Literal["tradable", "red_line", "outside"] = Field(
        description="tradable: inside the mandate; red_line: may never be traded; outside: needs a new mandate"
    )
    codes: list[str] = Field(default_factory=list, description="CAMEO codes that amount to an offer on this item")
    description: str = ""

    @field_validator("codes")
    @classmethod
    def _codes_ok(cls, v: list[str]) -> list[str]:
        return check_codes(v)


class Mandate(Strict):
    """(b) The envoy's explicit mandate: what it may trade and what it may not."""

    enabled: bool = True
    offers: Selector = Field(description="events that are offers to the adversary (matched to an item by the event's agenda field or the item's codes)")
    items: list[AgendaItem] = Field(min_length=1)
    max_offers_per_round: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _unique(self) -> Mandate:
        names = [i.name for i in self.items]
        if len(set(names)) != len(names):
            raise ValueError("agenda item names must be unique")
        seen: dict[str, str] = {}
        for item in self.items:
            for code in item.codes:
                if code in seen:
                    raise ValueError(f"CAMEO code {code!r} is listed for both {seen[code]!r} and {item.name!r}")
                seen[code] = item.name
        return self


class Tranche(Strict):
    """One rung of the pre-approved penalty ladder."""

    name: str = Field(min_length=1)
    description: str = ""


class Trigger(Strict):
    """An event pattern that fires a penalty tranche automatically, without a vote."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    select: Selector
    pattern: Literal["at_least", "absent"] = Field(
        description="at_least: `count` matching events within `window_days`; absent: no matching event for `window_days` while a talks round is open"
    )
    count: int = Field(default=1, ge=1, le=1000)
    window_days: Days
    cooldown_days: int = Field(default=0, ge=0, le=3650)
    step: int = Field(default=1, ge=1, description="tranches climbed per firing")
    suspend_talks_days: int = Field(default=0, ge=0, le=3650, description="close the round and refuse talks for this many days")


class Triggers(Strict):
    """(b) Automatic penalties: pattern -> tranche, no vote."""

    enabled: bool = True
    ladder: list[Tranche] = Field(min_length=1)
    rules: list[Trigger] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Triggers:
        names = [t.name for t in self.rules]
        if len(set(names)) != len(names):
            raise ValueError("trigger names must be unique")
        return self


class NoSurprises(Strict):
    """(c) Frontline members hold a veto over the agenda and timing of outreach."""

    enabled: bool = True
    holders: list[str] = Field(min_length=1, description="members (or actor groups) that hold the veto; one vote each")
    vote_days: Days = Field(description="how long a vote stays open")
    silence: Literal["consent", "veto"] = Field(description="what a holder that has not voted by the deadline is taken to mean")
    veto_events: Selector = Field(description="events by a holder that cast a veto (with an agenda item: a veto on that item only)")
    consent_events: Selector = Field(description="events by a holder that consent")


class Talks(Strict):
    """Which events ask for talks with the adversary, and how long allowed talks last."""

    requests: Selector
    round_days: Days = 14
    forums: list[str] = Field(default_factory=lambda: ["talks"], description="forum/channel names that count as the talks forum")


class EventDefaults(Strict):
    default_reliability: float = Field(default=1.0, ge=0.0, le=1.0, description="reliability of events that do not state one")


class Policy(Strict):
    """A complete, validated policy."""

    name: str = Field(min_length=1)
    title: str = ""
    description: str = ""
    sources: dict[str, str] = Field(default_factory=dict)
    actors: dict[str, list[str]] = Field(default_factory=dict, description="named actor groups")
    events: EventDefaults = Field(default_factory=EventDefaults)
    order: list[BlockName] = Field(
        default_factory=lambda: list(BLOCKS), description="order of evaluation of the four blocks"
    )
    talks: Talks
    preconditions: Preconditions | None = None
    mandate: Mandate | None = None
    triggers: Triggers | None = None
    no_surprises: NoSurprises | None = None

    @field_validator("order")
    @classmethod
    def _order_ok(cls, v: list[BlockName]) -> list[BlockName]:
        if sorted(v) != sorted(BLOCKS):
            raise ValueError(f"order must list each of {', '.join(BLOCKS)} exactly once")
        return v

    @model_validator(mode="after")
    def _refs_ok(self) -> Policy:
        for group, names in self.actors.items():
            if not names:
                raise ValueError(f"actor group {group!r} is empty")
        return self

    def block(self, name: str) -> Preconditions | Mandate | Triggers | NoSurprises | None:
        """The block of that name if it is present and enabled, else ``None``."""
        b = getattr(self, name)
        return b if b is not None and b.enabled else None


def json_schema() -> dict[str, object]:
    """The JSON Schema of policy files, for editors."""
    schema = Policy.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "crisislab policy"
    return schema
