"""The experiment file: scenario, levers, uncertainties, outcomes, sampler, runs and seed.

An experiment file is YAML validated by :class:`ExperimentSpec`. Every mistake becomes an
:class:`~crisislab.errors.InputError` naming the file, the field, what was found and what
was expected. A minimal file::

    name: prior-and-paranoia
    scenario: eu-russia
    levers:
      doctrines: [test_by_offer, conditionality]
    uncertainties:
      - {name: prior_sincere, range: [0.05, 0.6]}
      - {name: paranoia, range: [0.2, 0.9]}
      - {path: mechanisms.credibility_decay.strength, range: [0.5, 1.5]}
    outcomes: [p_war, p_settlement]
    sampler: {method: lhs, n: 200}
    runs: 100
    seed: 1

Uncertainties address the scenario either by a raw dotted ``path`` (the same paths as
``Scenario.with_overrides``) or by one of the documented convenience names in
:data:`NAMED_UNCERTAINTIES` (``prior_sincere``, ``paranoia``, ``strength:<mechanism>``, ...).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crisislab.doctrines import PRESETS
from crisislab.errors import InputError, Problem, short_repr
from crisislab.limits import MAX_YAML_BYTES, read_bytes_limited
from crisislab.model.outcomes import METRICS as OUTCOME_METRICS
from crisislab.scenario.load import load_scenario, parse_yaml, problems_from_validation
from crisislab.scenario.schema import Scenario

MAX_POLICIES = 10_000  # lever combinations (doctrine x parameters x settings) in one experiment

#: Outcome metrics every model returns (fixed names, see DESIGN.md).
METRICS: tuple[str, ...] = OUTCOME_METRICS

#: Doctrine presets of the simulator.
DOCTRINES: tuple[str, ...] = tuple(PRESETS)

Scalar = float | int | str | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Distribution(_Strict):
    """A probability distribution over a continuous uncertainty.

    ``uniform`` uses ``low``/``high``; ``normal`` uses ``mean``/``sd`` (optionally truncated
    to ``low``/``high``); ``triangular`` uses ``low``/``mode``/``high``; ``lognormal`` uses
    ``mean``/``sd`` of the logarithm.
    """

    kind: Literal["uniform", "normal", "triangular", "lognormal"]
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _complete(self) -> Distribution:
        need = {
            "uniform": ("low", "high"),
            "normal": ("mean", "sd"),
            "triangular": ("low", "mode", "high"),
            "lognormal": ("mean", "sd"),
        }[self.kind]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a {self.kind} distribution needs {', '.join(need)} (missing {', '.join(missing)})")
        for k in ("low", "high", "mode", "mean", "sd"):
            v = getattr(self, k)
            if v is not None and not math.isfinite(v):
                raise ValueError(f"{k} must be a finite number")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError("low must not exceed high")
        if self.kind == "triangular" and not (self.low <= self.mode <= self.high):  # type: ignore[operator]
            raise ValueError("the mode must lie between low and high")
        return self


class UncertaintySpec(_Strict):
    """One uncertainty (X): a scenario parameter that nobody controls or knows.

    Exactly one of ``path`` (raw dotted path) or ``name`` (a convenience uncertainty, see
    :data:`NAMED_UNCERTAINTIES`) says what it changes. Exactly one of ``range`` (uniform
    between two numbers), ``distribution`` or ``values`` (a categorical list) says how it varies.
    ``label`` renames it in outputs (default: the name or path).
    """

    name: str | None = None
    path: str | None = None
    label: str | None = None
    range: tuple[float, float] | None = None
    distribution: Distribution | None = None
    values: list[Scalar] | None = Field(default=None, min_length=1)
    integer: bool = False

    @model_validator(mode="after")
    def _one_of(self) -> UncertaintySpec:
        if (self.name is None) == (self.path is None):
            raise ValueError("give exactly one of `name` (a convenience uncertainty) or `path` (a dotted scenario path)")
        given = [k for k in ("range", "distribution", "values") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of `range: [low, high]`, `distribution: {...}` or `values: [...]`")
        if self.range is not None:
            lo, hi = self.range
            if not (math.isfinite(lo) and math.isfinite(hi)):
                raise ValueError("range bounds must be finite numbers")
            if lo > hi:
                raise ValueError("range must be [low, high] with low <= high")
        if self.name is not None and self.name not in NAMED_UNCERTAINTIES and not _prefixed(self.name):
            raise ValueError(
                f"unknown convenience uncertainty {self.name!r}; known: "
                + ", ".join(list(NAMED_UNCERTAINTIES) + ["prior:<type>", "strength:<mechanism>", "all_types:<attribute>"])
            )
        return self

    @property
    def key(self) -> str:
        """The column name of this uncertainty in points tables and outputs."""
        return self.label or self.name or self.path or "?"

    @property
    def categorical(self) -> bool:
        return self.values is not None

    def ppf(self, u: float) -> Scalar:
        """Map a unit-interval coordinate ``u`` to a value of this uncertainty."""
        from scipy import stats

        u = min(max(float(u), 0.0), 1.0)
        if self.values is not None:
            idx = min(int(u * len(self.values)), len(self.values) - 1)
            return self.values[idx]
        if self.range is not None:
            lo, hi = self.range
            x = lo + u * (hi - lo)
        else:
            d = self.distribution
            assert d is not None
            eps = 1e-6
            if d.kind == "uniform":
                x = d.low + u * (d.high - d.low)  # type: ignore[operator]
            elif d.kind == "triangular":
                width = d.high - d.low  # type: ignore[operator]
                c = (d.mode - d.low) / width if width > 0 else 0.5  # type: ignore[operator]
                x = float(stats.triang.ppf(u, c, loc=d.low, scale=width)) if width > 0 else float(d.low)  # type: ignore[arg-type]
            elif d.kind == "normal":
                a = stats.norm.cdf(d.low, d.mean, d.sd) if d.low is not None else 0.0
                b = stats.norm.cdf(d.high, d.mean, d.sd) if d.high is not None else 1.0
                q = min(max(a + u * (b - a), eps), 1 - eps)
                x = float(stats.norm.ppf(q, d.mean, d.sd))
                if d.low is not None:
                    x = max(x, d.low)
                if d.high is not None:
                    x = min(x, d.high)
            else:  # lognormal
                q = min(max(u, eps), 1 - eps)
                x = float(math.exp(stats.norm.ppf(q, d.mean, d.sd)))
        if self.integer:
            return int(round(x))
        return float(x)

    def extremes(self) -> list[Scalar]:
        """Values at the edges (and middle) of the support, for validation at load time."""
        if self.values is not None:
            return list(self.values)
        return [self.ppf(0.0), self.ppf(1.0), self.ppf(0.5)]


def _prefixed(name: str) -> bool:
    return any(name.startswith(p) and len(name) > len(p) for p in ("prior:", "strength:", "all_types:"))


class DoctrineLever(_Strict):
    """A doctrine and its parameters; a list value is a grid of lever settings."""

    name: str
    params: dict[str, Scalar | list[Scalar]] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in DOCTRINES:
            raise ValueError(f"unknown doctrine {v!r}; known: {', '.join(DOCTRINES)}")
        return v


class Levers(_Strict):
    """Levers (L): doctrines with parameters, and scenario settings the coalition chooses."""

    doctrines: list[DoctrineLever] = Field(min_length=1)
    settings: dict[str, list[Scalar]] = Field(
        default_factory=dict,
        description="dotted scenario paths the coalition chooses, each with the values to try",
    )

    @field_validator("doctrines", mode="before")
    @classmethod
    def _names(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = [v]
        if isinstance(v, list):
            return [{"name": x} if isinstance(x, str) else x for x in v]
        return v

    @field_validator("settings")
    @classmethod
    def _nonempty(cls, v: dict[str, list[Scalar]]) -> dict[str, list[Scalar]]:
        for k, vals in v.items():
            if not vals:
                raise ValueError(f"lever setting {k!r} needs at least one value")
        return v


class SamplerSpec(_Strict):
    """How points of the uncertainty space are chosen.

    * ``full_factorial``: every combination of ``levels`` evenly spaced values per
      continuous uncertainty (edges included) and every value of categorical ones;
    * ``lhs``: ``n`` Latin hypercube points;
    * ``sobol`` (alias ``saltelli``): Saltelli's scheme for Sobol indices with ``n`` base
      samples (a power of two), ``n*(2k+2)`` points with ``second_order`` else ``n*(k+2)``;
    * ``morris``: ``n`` trajectories on a ``levels`` grid, ``n*(k+1)`` points.
    """

    method: Literal["full_factorial", "lhs", "sobol", "saltelli", "morris"]
    n: int = Field(default=64, ge=1, le=10_000_000)
    levels: int = Field(default=4, ge=2, le=1000)
    second_order: bool = True

    @field_validator("method", mode="before")
    @classmethod
    def _lower(cls, v: Any) -> Any:
        return v.lower().replace("-", "_") if isinstance(v, str) else v

    @model_validator(mode="after")
    def _pow2(self) -> SamplerSpec:
        if self.method in ("sobol", "saltelli") and self.n & (self.n - 1):
            raise ValueError(f"for the Sobol sampler n must be a power of two (found {self.n})")
        return self


class Threshold(_Strict):
    """A condition on one outcome, written ``"p_war > 0.3"``."""

    outcome: str
    op: Literal["<", "<=", ">", ">="]
    value: float

    @classmethod
    def parse(cls, text: str) -> Threshold:
        """Parse ``"metric op number"``; raise ``ValueError`` when it is not of that form."""
        for op in ("<=", ">=", "<", ">"):
            if op in text:
                left, right = text.split(op, 1)
                metric = left.strip()
                if metric not in METRICS:
                    raise ValueError(f"unknown outcome {metric!r} in {text!r}; known: {', '.join(METRICS)}")
                try:
                    value = float(right.strip())
                except ValueError:
                    raise ValueError(f"{right.strip()!r} in {text!r} is not a number") from None
                if not math.isfinite(value):
                    raise ValueError(f"the threshold in {text!r} must be finite")
                return cls(outcome=metric, op=op, value=value)  # type: ignore[arg-type]
        raise ValueError(f"{text!r} is not a condition like 'p_war > 0.3'")

    def holds(self, x: Any) -> Any:
        """Elementwise truth of the condition for values ``x`` (NaN never holds)."""
        import numpy as np

        arr = np.asarray(x, dtype=float)
        with np.errstate(invalid="ignore"):
            out = {"<": arr < self.value, "<=": arr <= self.value, ">": arr > self.value, ">=": arr >= self.value}[self.op]
        return out & ~np.isnan(arr)

    def __str__(self) -> str:
        return f"{self.outcome} {self.op} {self.value:g}"


def _threshold(v: Any) -> Any:
    if isinstance(v, str):
        return Threshold.parse(v)
    return v


class DiscoverSpec(_Strict):
    """Scenario discovery settings: which outcome condition counts as failure, PRIM knobs."""

    fails_when: Threshold | None = None
    doctrines: list[str] | None = None
    min_density: float = Field(default=0.7, gt=0, le=1)
    max_dims: int = Field(default=3, ge=1)
    max_boxes: int = Field(default=2, ge=1, le=10)
    peel_alpha: float = Field(default=0.05, gt=0, lt=0.5)

    @field_validator("fails_when", mode="before")
    @classmethod
    def _fails(cls, v: Any) -> Any:
        return _threshold(v)


class Objective(_Strict):
    outcome: str
    direction: Literal["min", "max"] = "min"

    @field_validator("outcome")
    @classmethod
    def _metric(cls, v: str) -> str:
        if v not in METRICS:
            raise ValueError(f"unknown outcome {v!r}; known: {', '.join(METRICS)}")
        return v


class RobustSpec(_Strict):
    """Robust choice settings: objectives for regret and constraints for satisficing."""

    objectives: list[Objective] = Field(default_factory=list)
    satisficing: list[Threshold] = Field(default_factory=list)

    @field_validator("objectives", mode="before")
    @classmethod
    def _obj(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [{"outcome": x} if isinstance(x, str) else x for x in v]
        return v

    @field_validator("satisficing", mode="before")
    @classmethod
    def _sat(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [_threshold(x) for x in v]
        return v


class ModelSpec(_Strict):
    """Which model evaluates points: the simulator (default) or the analytic stand-in ``toy``."""

    name: Literal["crisislab", "toy"] = "crisislab"
    delay_s: float = Field(default=0.0, ge=0.0, le=10.0, description="toy only: sleep per call")


class ExperimentSpec(_Strict):
    """A validated experiment file (see the module docstring)."""

    name: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    scenario: str = "eu-russia"
    overrides: dict[str, Any] = Field(default_factory=dict)
    model: ModelSpec = Field(default_factory=ModelSpec)
    levers: Levers
    uncertainties: list[UncertaintySpec] = Field(min_length=1)
    outcomes: list[str] = Field(default_factory=lambda: list(METRICS), min_length=1)
    sampler: SamplerSpec
    runs: int = Field(default=100, ge=1, le=1_000_000)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    chunk_points: int | None = Field(default=None, ge=1, le=1_000_000)
    discover: DiscoverSpec = Field(default_factory=DiscoverSpec)
    robust: RobustSpec = Field(default_factory=RobustSpec)

    @field_validator("model", mode="before")
    @classmethod
    def _model(cls, v: Any) -> Any:
        return {"name": v} if isinstance(v, str) else v

    @field_validator("sampler", mode="before")
    @classmethod
    def _sampler(cls, v: Any) -> Any:
        return {"method": v} if isinstance(v, str) else v

    @field_validator("outcomes")
    @classmethod
    def _metrics(cls, v: list[str]) -> list[str]:
        for m in v:
            if m not in METRICS:
                raise ValueError(f"unknown outcome {m!r}; known: {', '.join(METRICS)}")
        if len(set(v)) != len(v):
            raise ValueError("outcomes must not repeat")
        return v

    @model_validator(mode="after")
    def _keys(self) -> ExperimentSpec:
        keys = [u.key for u in self.uncertainties]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise ValueError(f"uncertainty {dup[0]!r} appears twice; give one a `label`")
        reserved = {"point", "policy", "doctrine", "run", "chunk", *METRICS}
        clash = [k for k in keys if k in reserved]
        if clash:
            raise ValueError(f"uncertainty label {clash[0]!r} is reserved; give it another `label`")
        if self.sampler.method == "full_factorial":
            total = 1
            for u in self.uncertainties:
                total *= len(u.values) if u.values is not None else self.sampler.levels
            if total > 10_000_000:
                raise ValueError(f"the full factorial design has {total} points; at most 10,000,000 are allowed")
        settings = math.prod(len(v) for v in self.levers.settings.values())
        policies = 0
        for d in self.levers.doctrines:
            policies += math.prod(len(v) if isinstance(v, list) else 1 for v in d.params.values()) * settings
            if policies > MAX_POLICIES:
                break
        if policies > MAX_POLICIES:
            raise ValueError(f"the levers make more than {MAX_POLICIES:,} policies (doctrines x parameter values x settings); "
                             f"at most {MAX_POLICIES:,} are allowed")
        return self

    # -- derived -------------------------------------------------------------------------

    def policies(self) -> list[Policy]:
        """Every combination of doctrine, doctrine parameters and lever settings."""
        out: list[Policy] = []
        setting_keys = list(self.levers.settings)
        setting_grid = list(itertools.product(*(self.levers.settings[k] for k in setting_keys)))
        for d in self.levers.doctrines:
            pkeys = list(d.params)
            pvals = [v if isinstance(v, list) else [v] for v in d.params.values()]
            for combo in itertools.product(*pvals):
                params = dict(zip(pkeys, combo, strict=True))
                for sv in setting_grid:
                    settings = dict(zip(setting_keys, sv, strict=True))
                    out.append(Policy(d.name, params, settings))
        labels = [p.label for p in out]
        if len(set(labels)) != len(labels):
            raise InputError("levers", [Problem("levers.doctrines", "the same doctrine and parameters twice", "each lever setting once")])
        return out

    def canonical_json(self) -> str:
        """The fields that decide the stored data, as canonical JSON (independent of comments,
        key order, and of the analysis settings ``description``, ``outcomes``, ``discover``
        and ``robust``, which can change without recomputing anything)."""
        data = self.model_dump(mode="json", exclude={"description", "outcomes", "discover", "robust"})
        return json.dumps(data, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Policy:
    """One lever setting: a doctrine, its parameters and scenario settings."""

    doctrine: str
    params: dict[str, Scalar]
    settings: dict[str, Scalar]

    @property
    def label(self) -> str:
        extra = {**self.params, **self.settings}
        if not extra:
            return self.doctrine
        inner = ",".join(f"{k}={v}" for k, v in extra.items())
        return f"{self.doctrine}[{inner}]"


# -- convenience uncertainties ---------------------------------------------------------

OverrideFn = Callable[[Scenario, Any], dict[str, Any]]


def _type_index(s: Scenario, which: str) -> list[int]:
    types = s.adversary.types
    if which == "sincere":
        idx = [i for i, t in enumerate(types) if t.name.lower().startswith("sincere")]
        if not idx:
            idx = [min(range(len(types)), key=lambda i: types[i].aggression)]
        return idx
    if which == "revisionist":
        idx = [i for i, t in enumerate(types) if t.name.lower().startswith("revisionist")]
        if not idx:
            idx = [max(range(len(types)), key=lambda i: types[i].aggression)]
        return idx
    idx = [i for i, t in enumerate(types) if t.name == which]
    if not idx:
        raise KeyError(f"no adversary type named {which!r}; types: {', '.join(t.name for t in types)}")
    return idx


def prior_overrides(s: Scenario, chosen: list[int], share: float) -> dict[str, Any]:
    """Weights giving the ``chosen`` types together the prior ``share``.

    The chosen types keep their relative weights among themselves, the others keep theirs;
    the total weight is unchanged.

    >>> from crisislab.scenario import load_scenario
    >>> s = load_scenario("toy-3")   # weights 0.3, 0.4, 0.3
    >>> {k: round(v, 3) for k, v in prior_overrides(s, [0], 0.5).items()}
    {'adversary.types.0.weight': 0.5, 'adversary.types.1.weight': 0.286, 'adversary.types.2.weight': 0.214}
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"a prior share must lie in [0, 1], found {share}")
    types = s.adversary.types
    total = sum(t.weight for t in types)
    inside = sum(types[i].weight for i in chosen)
    others = [i for i in range(len(types)) if i not in chosen]
    outside = sum(types[i].weight for i in others)
    out: dict[str, Any] = {}
    for i in chosen:
        rel = types[i].weight / inside if inside > 0 else 1.0 / len(chosen)
        out[f"adversary.types.{i}.weight"] = share * total * rel
    for i in others:
        rel = types[i].weight / outside if outside > 0 else 1.0 / len(others)
        out[f"adversary.types.{i}.weight"] = (1.0 - share) * total * rel
    return out


def _all_types(attr: str) -> OverrideFn:
    def fn(s: Scenario, v: Any) -> dict[str, Any]:
        return {f"adversary.types.{i}.{attr}": v for i in range(len(s.adversary.types))}

    return fn


def _scale_members(attr: str) -> OverrideFn:
    def fn(s: Scenario, v: Any) -> dict[str, Any]:
        return {
            f"coalition.members.{i}.{attr}": min(1.0, getattr(m, attr) * float(v))
            for i, m in enumerate(s.coalition.members)
        }

    return fn


def _mediator_trust(s: Scenario, v: Any) -> dict[str, Any]:
    if s.mediator is None:
        raise KeyError("the scenario has no mediator")
    return {"mediator.trust_adversary": v, "mediator.trust_coalition": v}


#: Convenience uncertainties: name -> (description, function(base scenario, value) -> overrides).
NAMED_UNCERTAINTIES: dict[str, tuple[str, OverrideFn]] = {
    "prior_sincere": (
        "prior share of the sincere adversary type(s) (names starting 'sincere', else the least aggressive type); other types keep their relative weights",
        lambda s, v: prior_overrides(s, _type_index(s, "sincere"), float(v)),
    ),
    "prior_revisionist": (
        "prior share of the revisionist type(s) (names starting 'revisionist', else the most aggressive type)",
        lambda s, v: prior_overrides(s, _type_index(s, "revisionist"), float(v)),
    ),
    "paranoia": ("paranoia of every adversary type (M23)", _all_types("paranoia")),
    "resolve": ("resolve of every adversary type", _all_types("resolve")),
    "aggression": ("aggression of every adversary type", _all_types("aggression")),
    "zero_sum": ("zero-sum disposition of every adversary type (M04)", _all_types("zero_sum")),
    "stature_weight": ("stature weight of every adversary type (M23, M26)", _all_types("stature_weight")),
    "rationality": ("logit precision of adversary choices (M05)", lambda s, v: {"adversary.rationality": v}),
    "defender_capability": ("defender capability", lambda s, v: {"defender.capability": v}),
    "deep_strike_share": ("share of deep-strike weapons in aid (M14)", lambda s, v: {"instruments.deep_strike_share": v}),
    "decision_rule": ("coalition decision rule (values: unanimity, qmv)", lambda s, v: {"coalition.decision_rule": v}),
    "mediator_trust": ("trust of both sides in the mediator (M25)", _mediator_trust),
    "trade_exposure_scale": ("multiplies every member's trade exposure (capped at 1) (M30)", _scale_members("trade_exposure")),
    "energy_dependence_scale": ("multiplies every member's energy dependence (capped at 1) (M30)", _scale_members("energy_dependence")),
}


def uncertainty_overrides(u: UncertaintySpec, base: Scenario, value: Any) -> dict[str, Any]:
    """The dotted-path overrides that set uncertainty ``u`` to ``value`` on ``base``."""
    if u.path is not None:
        return {u.path: value}
    name = u.name or ""
    if name in NAMED_UNCERTAINTIES:
        return NAMED_UNCERTAINTIES[name][1](base, value)
    prefix, _, arg = name.partition(":")
    if prefix == "prior":
        return prior_overrides(base, _type_index(base, arg), float(value))
    if prefix == "strength":
        return {f"mechanisms.{arg}.strength": value}
    if prefix == "all_types":
        return _all_types(arg)(base, value)
    raise KeyError(name)


def normalise_overrides(base: Scenario, overrides: dict[str, Any]) -> dict[str, Any]:
    """Rewrite ``mechanisms.<name>.<field>`` paths of mechanisms the scenario does not list
    into one ``mechanisms.<name>`` mapping (the scenario only has nodes for listed ones)."""
    out: dict[str, Any] = {}
    grouped: dict[str, dict[str, Any]] = {}
    for path, value in overrides.items():
        parts = path.split(".")
        if len(parts) >= 3 and parts[0] == "mechanisms" and parts[1] not in base.mechanisms:
            node = grouped.setdefault(parts[1], {})
            for part in parts[2:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
        else:
            out[path] = value
    for name, node in grouped.items():
        out[f"mechanisms.{name}"] = node
    return out


def point_overrides(
    spec: ExperimentSpec, base: Scenario, values: dict[str, Any], policy: Policy | None = None
) -> dict[str, Any]:
    """All overrides for one point: fixed overrides, the policy's settings, the uncertainties."""
    out: dict[str, Any] = dict(spec.overrides)
    if policy is not None:
        out.update(policy.settings)
    for u in spec.uncertainties:
        out.update(uncertainty_overrides(u, base, values[u.key]))
    return normalise_overrides(base, out)


# -- loading ---------------------------------------------------------------------------


@dataclass
class LoadedExperiment:
    """A validated experiment with its resolved scenario and hashes."""

    spec: ExperimentSpec
    scenario: Scenario
    source: str
    file_sha256: str

    @property
    def spec_sha256(self) -> str:
        from crisislab.scenario.load import scenario_hash

        blob = self.spec.canonical_json() + scenario_hash(self.scenario)
        return hashlib.sha256(blob.encode()).hexdigest()

    @property
    def experiment_id(self) -> str:
        """Stable id: the name plus a hash of the spec and scenario contents."""
        return f"{self.spec.name}-{self.spec_sha256[:10]}"


def _resolve_scenario(ref: str, base_dir: Path | None) -> str:
    if base_dir is not None and (ref.endswith((".yaml", ".yml")) or "/" in ref):
        candidate = base_dir / ref
        if candidate.exists():
            return str(candidate)
    return ref


def load_experiment(path: str | Path) -> LoadedExperiment:
    """Load, validate and resolve an experiment file; raise :class:`InputError` on any problem."""
    p = Path(path)
    source = str(path)
    if not p.exists():
        raise InputError(source, [Problem("(path)", "no such file", "an experiment YAML file")], summary="cannot be found")
    if p.is_dir():
        raise InputError(source, [Problem("(path)", "a directory", "an experiment YAML file")])
    raw = read_bytes_limited(p, source, MAX_YAML_BYTES, "YAML experiment file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(source, [Problem("(whole file)", "bytes that are not UTF-8 text", "a UTF-8 YAML file")]) from None
    loaded = experiment_from_text(text, source, base_dir=p.parent)
    loaded.file_sha256 = hashlib.sha256(raw).hexdigest()
    return loaded


def experiment_from_text(text: str, source: str = "<experiment>", base_dir: Path | None = None) -> LoadedExperiment:
    """Validate experiment YAML text (see :func:`load_experiment`)."""
    data = parse_yaml(text, source)
    return experiment_from_dict(data, source, base_dir=base_dir, file_sha256=hashlib.sha256(text.encode()).hexdigest())


def experiment_from_dict(
    data: Any, source: str = "<experiment>", *, base_dir: Path | None = None, file_sha256: str = ""
) -> LoadedExperiment:
    """Validate a mapping as an experiment, resolve its scenario and check every path."""
    try:
        spec = ExperimentSpec.model_validate(data)
    except ValidationError as exc:
        raise InputError(source, problems_from_validation(exc, data)) from None
    except (TypeError, ValueError, OverflowError) as exc:  # defensive: odd YAML scalars
        raise InputError(source, [Problem("(top level)", short_repr(data), f"a valid experiment ({exc})")]) from None
    try:
        scenario = load_scenario(_resolve_scenario(spec.scenario, base_dir))
    except InputError as exc:
        raise InputError(source, [Problem("scenario", spec.scenario, f"a shipped scenario name or a valid scenario file ({exc})")]) from None
    _check_paths(spec, scenario, source)
    if spec.model.name == "crisislab":
        _check_doctrines(spec, source)
    try:
        spec.policies()
    except InputError as exc:
        raise InputError(source, exc.problems) from None
    return LoadedExperiment(spec, scenario, source, file_sha256)


def _check_doctrines(spec: ExperimentSpec, source: str) -> None:
    """Build every doctrine with its parameters once, so bad parameters fail at load time."""
    from crisislab.doctrines import get_doctrine

    for i, d in enumerate(spec.levers.doctrines):
        pvals = [v if isinstance(v, list) else [v] for v in d.params.values()]
        for combo in itertools.product(*pvals):
            params = dict(zip(d.params, combo, strict=True))
            try:
                get_doctrine(d.name, **params)
            except InputError as exc:
                detail = "; ".join(p.render() for p in exc.problems[:2])
                raise InputError(source, [Problem(f"levers.doctrines[{i}].params", short_repr(params), f"parameters {d.name} accepts ({detail})")]) from None
            except (TypeError, ValueError) as exc:
                raise InputError(source, [Problem(f"levers.doctrines[{i}].params", short_repr(params), f"parameters {d.name} accepts ({exc})")]) from None


def _check_paths(spec: ExperimentSpec, scenario: Scenario, source: str) -> None:
    """Apply every override, lever setting and uncertainty edge to the scenario once."""
    problems: list[Problem] = []

    def attempt(loc: str, overrides: dict[str, Any], what: str) -> None:
        try:
            scenario.with_overrides(normalise_overrides(scenario, overrides))
        except InputError as exc:
            detail = "; ".join(p.render() for p in exc.problems[:2])
            problems.append(Problem(loc, what, f"a value the scenario accepts ({detail})"))
        except (KeyError, ValueError, TypeError) as exc:
            problems.append(Problem(loc, what, f"a value the scenario accepts ({exc})"))

    if spec.overrides:
        attempt("overrides", dict(spec.overrides), short_repr(spec.overrides))
    for k, vals in spec.levers.settings.items():
        for v in vals:
            attempt(f"levers.settings.{k}", {k: v}, short_repr(v))
    written: dict[str, str] = {}
    for i, u in enumerate(spec.uncertainties):
        loc = f"uncertainties[{i}]"
        for v in u.extremes():
            try:
                ov = uncertainty_overrides(u, scenario, v)
            except (KeyError, ValueError, TypeError) as exc:
                problems.append(Problem(loc, short_repr(u.name or u.path), f"an uncertainty this scenario supports ({exc})"))
                break
            before = len(problems)
            attempt(loc, ov, f"{u.key} = {short_repr(v)}")
            if len(problems) > before:
                break
        else:
            for path in ov:
                if path in written:
                    problems.append(Problem(loc, f"{u.key} also sets {path}", f"each scenario path set by one uncertainty (already set by {written[path]})"))
                    break
                written[path] = u.key
        if problems:
            break
    if problems:
        raise InputError(source, problems)


def named_uncertainty_table() -> list[dict[str, str]]:
    """Rows describing the convenience uncertainties (for docs and ``--help``)."""
    rows = [{"name": k, "meaning": v[0]} for k, v in NAMED_UNCERTAINTIES.items()]
    rows += [
        {"name": "prior:<type>", "meaning": "prior share of the named adversary type"},
        {"name": "strength:<mechanism>", "meaning": "strength of a mechanism (same as path mechanisms.<name>.strength)"},
        {"name": "all_types:<attribute>", "meaning": "an attribute of every adversary type"},
    ]
    return rows

