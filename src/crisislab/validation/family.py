"""The generic crisis family: a base scenario plus the ranges sampled per crisis.

``generic.yaml`` ships with the package: everything except its ``family:`` block is an
ordinary scenario; ``family:`` says which values are drawn per crisis (dotted paths as in
:meth:`~crisislab.scenario.Scenario.with_overrides`, ``*`` for every element of a list),
how mediation is assigned (an input taken from ICB, never fitted) and which doctrine mix
stands for how coalitions behave.

A *crisis* is one scenario sample. It is simulated under four mediation variants with the
same run numbers (no mediator; a mediator using facilitation, formulation, manipulation),
and in every variant the runs are split between the doctrines of the mix
(:class:`MixDoctrine`). Sampling is seeded: crisis ``i`` of seed ``s`` is the same whatever
``n`` is, and does not depend on the mechanism strengths being calibrated.

>>> fam = load_family()
>>> crises = draw_crises(3, seed=1, family=fam)
>>> [c.index for c in crises], crises[0].scenario.mediator is None
([0, 1, 2], True)
>>> draw_crises(5, seed=1, family=fam)[2].scenario == crises[2].scenario
True
"""

from __future__ import annotations

import copy
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from crisislab.doctrines import PRESETS, Doctrine, get_doctrine
from crisislab.errors import InputError, Problem, short_repr
from crisislab.model.core import FORCE
from crisislab.model.engine import merge_actions, obs_rows
from crisislab.model.params import Params
from crisislab.model.state import Actions, Observation
from crisislab.scenario import Scenario, scenario_from_dict
from crisislab.scenario.load import parse_yaml

STYLES: tuple[str, ...] = ("facilitation", "formulation", "manipulation")
#: Mediation variants simulated for every crisis, in this order (``None`` = no mediator).
VARIANTS: tuple[str | None, ...] = (None, *STYLES)
SPEC_KINDS = ("uniform", "choice", "jitter", "scale")


@dataclass(frozen=True)
class Mediation:
    rate: float
    styles: dict[str, float]
    trust_adversary: dict[str, Any]
    trust_coalition: dict[str, Any]
    entry_weeks: int = 0  # a mediator steps in after force is used or after this many weeks

    @property
    def style_weights(self) -> dict[str, float]:
        total = sum(self.styles.values())
        return {s: self.styles.get(s, 0.0) / total for s in STYLES}

    def variant_weights(self) -> dict[str | None, float]:
        """Weight of each variant in the population of crises (no mediator: 1 - rate)."""
        sw = self.style_weights
        return {None: 1.0 - self.rate, **{s: self.rate * sw[s] for s in STYLES}}


@dataclass(frozen=True)
class Family:
    """The base scenario and what is drawn per crisis."""

    base: Scenario
    description: str
    crises: int
    runs_per_crisis: int
    seed: int
    sample: dict[str, dict[str, Any]]
    mediation: Mediation
    doctrines: dict[str, float]
    mid: dict[str, Any]
    source: str = "generic.yaml"
    mid_sample: dict[str, dict[str, Any]] = field(default_factory=dict)
    senders: dict[str, Any] | None = None


@dataclass(frozen=True)
class Crisis:
    """One scenario sample of the family (mediator removed; see :meth:`variant`)."""

    index: int
    scenario: Scenario
    trust_adversary: float
    trust_coalition: float
    draws: dict[str, Any] = field(default_factory=dict)
    mid_draws: dict[str, Any] = field(default_factory=dict)
    mediator_entry: int = 0  # weeks before a mediator steps in, unless force is used sooner

    @property
    def senders(self) -> int:
        """Members acting together in this crisis."""
        return len(self.scenario.coalition.members)

    def variant(self, style: str | None, overrides: dict[str, Any] | None = None) -> Scenario:
        """The crisis without a mediator (``style=None``) or with one using ``style``;
        ``overrides`` (dotted paths) are applied on top, e.g. calibrated strengths."""
        ov: dict[str, Any] = {}
        if style is not None:
            ov["mediator"] = {"name": "Third party", "trust_adversary": self.trust_adversary,
                              "trust_coalition": self.trust_coalition, "style": style}
        ov.update(overrides or {})
        return self.scenario.with_overrides(ov) if ov else self.scenario


def family_path() -> Path:
    return Path(str(resources.files("crisislab.validation") / "generic.yaml"))


def _check_spec(loc: str, spec: Any, problems: list[Problem]) -> None:
    if not isinstance(spec, dict) or not (set(spec) & set(SPEC_KINDS)):
        problems.append(Problem(loc, short_repr(spec), "a mapping with one of uniform, choice, jitter, scale"))
        return
    for kind in ("uniform", "scale"):
        if kind in spec:
            v = spec[kind]
            if not (isinstance(v, list) and len(v) == 2 and all(isinstance(x, (int, float)) for x in v) and v[0] <= v[1]):
                problems.append(Problem(f"{loc}.{kind}", short_repr(v), "[low, high] with low <= high"))
    if "jitter" in spec and not (isinstance(spec["jitter"], (int, float)) and spec["jitter"] >= 0):
        problems.append(Problem(f"{loc}.jitter", short_repr(spec["jitter"]), "a number >= 0"))
    if "choice" in spec:
        ch, w = spec["choice"], spec.get("weights")
        if not isinstance(ch, list) or not ch:
            problems.append(Problem(f"{loc}.choice", short_repr(ch), "a non-empty list of values"))
        elif w is not None and not (isinstance(w, list) and len(w) == len(ch) and all(isinstance(x, (int, float)) and x >= 0 for x in w) and sum(w) > 0):
            problems.append(Problem(f"{loc}.weights", short_repr(w), f"{len(ch)} weights >= 0, not all zero"))


def _sample_block(fam: dict[str, Any], key: str, problems: list[Problem]) -> dict[str, Any]:
    """The family's ``key`` block (dotted path -> range), each range checked into ``problems``."""
    block = fam.get(key) or {}
    if not isinstance(block, dict):
        problems.append(Problem(f"family.{key}", short_repr(block), "a mapping of dotted path to a range"))
        return {}
    for path_, spec in block.items():
        _check_spec(f"family.{key}.{path_}", spec, problems)
    return block


def load_family(path: str | Path | None = None) -> Family:
    """Load and check a family file (the shipped ``generic.yaml`` by default)."""
    p = Path(path) if path is not None else family_path()
    source = str(p) if path is not None else "generic.yaml"
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(source, [Problem("(path)", "no such file", "a family YAML file")], summary="cannot be found") from None
    data = parse_yaml(text, source)
    fam = data.pop("family", None)
    if not isinstance(fam, dict):
        raise InputError(source, [Problem("family", short_repr(fam), "a mapping describing the sampled ranges")])
    base = scenario_from_dict(data, source)
    problems: list[Problem] = []
    for key in ("crises", "runs_per_crisis", "seed"):
        v = fam.get(key)
        if not isinstance(v, int) or isinstance(v, bool) or v < (0 if key == "seed" else 1):
            problems.append(Problem(f"family.{key}", short_repr(v), "a whole number" + (" >= 0" if key == "seed" else " >= 1")))
    sample = _sample_block(fam, "sample", problems)
    med = fam.get("mediation")
    mediation = None
    if not isinstance(med, dict):
        problems.append(Problem("family.mediation", short_repr(med), "a mapping with rate, styles, trust_adversary, trust_coalition"))
    else:
        rate = med.get("rate")
        styles = med.get("styles")
        if not isinstance(rate, (int, float)) or not 0.0 <= rate <= 1.0:
            problems.append(Problem("family.mediation.rate", short_repr(rate), "a share between 0 and 1"))
        if not isinstance(styles, dict) or set(styles) - set(STYLES) or not styles or any(
                not isinstance(v, (int, float)) or v < 0 for v in styles.values()) or sum(styles.values()) <= 0:
            problems.append(Problem("family.mediation.styles", short_repr(styles), f"weights >= 0 for {', '.join(STYLES)}"))
        for k in ("trust_adversary", "trust_coalition"):
            _check_spec(f"family.mediation.{k}", med.get(k), problems)
        entry = med.get("entry_weeks", 0)
        if isinstance(entry, bool) or not isinstance(entry, int) or not 0 <= entry <= 520:
            problems.append(Problem("family.mediation.entry_weeks", short_repr(entry), "a whole number of weeks, 0 to 520"))
        if not problems:
            mediation = Mediation(float(rate), {k: float(v) for k, v in styles.items()},  # type: ignore[union-attr,arg-type]
                                  med["trust_adversary"], med["trust_coalition"], int(entry))
    doctrines = fam.get("doctrines")
    if not isinstance(doctrines, dict) or not doctrines:
        problems.append(Problem("family.doctrines", short_repr(doctrines), "a mapping of doctrine name to weight"))
        doctrines = {}
    for name, w in doctrines.items():
        if name not in PRESETS:
            problems.append(Problem(f"family.doctrines.{name}", "an unknown doctrine", f"one of {', '.join(PRESETS)}"))
        if not isinstance(w, (int, float)) or w < 0:
            problems.append(Problem(f"family.doctrines.{name}", short_repr(w), "a weight >= 0"))
    if doctrines and sum(float(w) for w in doctrines.values() if isinstance(w, (int, float))) <= 0:
        problems.append(Problem("family.doctrines", "weights that are all zero", "at least one positive weight"))
    mid = fam.get("mid") or {}
    if not isinstance(mid, dict):
        problems.append(Problem("family.mid", short_repr(mid), "a mapping of dotted path to value"))
        mid = {}
    mid_sample = _sample_block(fam, "mid_sample", problems)
    for path_, spec in mid_sample.items():
        if isinstance(spec, dict) and "scale" not in spec and "jitter" not in spec:
            problems.append(Problem(f"family.mid_sample.{path_}", short_repr(spec), "a scale or jitter of the crisis's own value"))
    senders = fam.get("senders")
    if senders is not None:
        _check_spec("family.senders", senders, problems)
        ch = senders.get("choice") if isinstance(senders, dict) else None
        if not (isinstance(ch, list) and ch and all(isinstance(x, int) and not isinstance(x, bool) and 1 <= x <= 50 for x in ch)):
            problems.append(Problem("family.senders.choice", short_repr(ch), "a list of whole numbers of members, 1..50"))
    if problems:
        raise InputError(source, problems)
    assert mediation is not None
    family = Family(base, str(fam.get("description", "")).strip(), int(fam["crises"]), int(fam["runs_per_crisis"]),
                    int(fam["seed"]), sample, mediation, {k: float(v) for k, v in doctrines.items()}, dict(mid), source,
                    dict(mid_sample), senders)
    # draw one crisis now so a bad path or an out-of-range value is reported at load time
    draw_crisis(family, 0, family.seed)
    return family


# --- sampling ------------------------------------------------------------------------------

def _rng(seed: int, index: int, key: str) -> np.random.Generator:
    """An independent stream per (seed, crisis, path): adding a range never shifts the others."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, int(index), zlib.crc32(key.encode())])


def _draw(spec: dict[str, Any], base: Any, u: float) -> Any:
    """The value of ``spec`` at the uniform number ``u`` in [0, 1) (inverse CDF; with ``u``
    from ``rng.random()`` this equals NumPy's own ``uniform`` and ``choice``)."""
    if "choice" in spec:
        values = spec["choice"]
        w = np.asarray(spec.get("weights") or [1.0] * len(values), dtype=float)
        cdf = np.cumsum(w / w.sum())
        cdf /= cdf[-1]
        return values[min(int(np.searchsorted(cdf, u, side="right")), len(values) - 1)]
    if "uniform" in spec:
        lo, hi = spec["uniform"]
        return float(lo + (hi - lo) * u)
    if "jitter" in spec:
        d = float(spec["jitter"])
        if not isinstance(base, (int, float)):
            raise TypeError(f"jitter needs a number, found {base!r}")
        return float(np.clip(base + (-d + 2 * d * u), 0.0, 1.0))
    lo, hi = spec["scale"]
    if not isinstance(base, (int, float)):
        raise TypeError(f"scale needs a number, found {base!r}")
    return float(base * (lo + (hi - lo) * u))


Uniforms = Callable[[int, str], float]


def iid_uniforms(seed: int) -> Uniforms:
    """Independent draws: crisis ``i`` is the same whatever the number of crises."""
    return lambda index, key: float(_rng(seed, index, key).random())


def stratified_uniforms(seed: int, n: int) -> Uniforms:
    """Latin-hypercube draws over ``n`` crises: for every sampled value, each of the ``n``
    equal slices of [0, 1) holds exactly one crisis (a seeded permutation per value), so a
    small crisis set covers every range evenly. Crisis ``i`` depends on ``n``."""
    perms: dict[str, np.ndarray] = {}

    def u(index: int, key: str) -> float:
        if key not in perms:
            perms[key] = np.random.default_rng([int(seed) & 0xFFFFFFFF, n, zlib.crc32(key.encode())]).permutation(n)
        return float((perms[key][index] + _rng(seed, index, key).random()) / n)

    return u


def _expand(data: Any, parts: list[str], prefix: str = "") -> list[tuple[str, Any]]:
    """Concrete dotted paths (``*`` expanded over list elements) with their base values."""
    if not parts:
        return [(prefix, data)]
    head, rest = parts[0], parts[1:]

    def join(k: object) -> str:
        return f"{prefix}.{k}" if prefix else str(k)

    if head == "*":
        if not isinstance(data, list):
            raise KeyError(prefix or "(top level)")
        return [x for i, item in enumerate(data) for x in _expand(item, rest, join(i))]
    if isinstance(data, list):
        if not head.isdigit() or int(head) >= len(data):
            raise KeyError(join(head))
        return _expand(data[int(head)], rest, join(head))
    if not isinstance(data, dict) or head not in data:
        raise KeyError(join(head))
    return _expand(data[head], rest, join(head))


def _draw_block(family: Family, block: str, data: dict[str, Any], uniform: Callable[[str], float]) -> dict[str, Any]:
    """One drawn value per concrete path of the family's ``block`` (``sample`` or
    ``mid_sample``), each around its value in ``data``, with ``uniform(path)`` its draw."""
    out: dict[str, Any] = {}
    for path, spec in getattr(family, block).items():
        try:
            concrete = _expand(data, path.split("."))
        except KeyError as exc:
            raise InputError(family.source, [Problem(f"family.{block}.{path}", f"no field at {exc.args[0]!r}",
                                                     "a dotted path into the scenario")]) from None
        for cpath, base in concrete:
            try:
                out[cpath] = _draw(spec, base, uniform(cpath))
            except TypeError as exc:
                raise InputError(family.source, [Problem(f"family.{block}.{path}", str(exc), "a numeric field")]) from None
    return out


def draw_crisis(family: Family, index: int, seed: int, uniforms: Uniforms | None = None) -> Crisis:
    """Crisis ``index`` of the family for ``seed`` (independent of every other crisis unless
    ``uniforms`` stratifies them)."""
    unif = uniforms or iid_uniforms(seed)
    data = family.base.model_dump(mode="python")
    data["mediator"] = None
    overrides = _draw_block(family, "sample", data, lambda cpath: unif(index, cpath))
    med = family.mediation
    ta = _draw(med.trust_adversary, 0.5, unif(index, "mediation.trust_adversary"))
    tc = _draw(med.trust_coalition, 0.5, unif(index, "mediation.trust_coalition"))
    base = family.base.model_copy(update={"mediator": None})
    scenario = base.with_overrides(overrides) if overrides else base
    if family.senders is not None:
        k = int(_draw(family.senders, None, unif(index, "senders")))
        scenario = with_senders(scenario, k, lambda key: unif(index, key), family.source)
    scenario = scenario.model_copy(update={"name": f"{family.base.name}#{index}"})
    mid_draws = _draw_block(family, "mid_sample", scenario.model_dump(mode="python"),
                            lambda cpath: unif(index, "mid:" + cpath))
    return Crisis(index, scenario, float(np.clip(ta, 0, 1)), float(np.clip(tc, 0, 1)), overrides, mid_draws,
                  family.mediation.entry_weeks)


#: An invented partner state added when a crisis has more senders than the base coalition.
PARTNER: dict[str, Any] = {"population": 15.0, "gdp": 500.0, "trade_exposure": 0.03, "energy_dependence": 0.3,
                           "frontline": False, "stance": 0.5, "salience": 0.5}


def with_senders(scenario: Scenario, k: int, unif: Callable[[str], float], source: str = "generic.yaml") -> Scenario:
    """The scenario with ``k`` members acting together: the first ``k`` of its members, or
    all of them plus invented partners (:data:`PARTNER`, stance jittered by +-0.15).
    Sanctions bite in proportion to the senders' combined trade with the challenger
    (``trade_exposure * gdp``): tranche damage is rescaled from the scenario's own members.

    >>> from crisislab.validation.family import load_family
    >>> sc = load_family().base
    >>> [len(with_senders(sc, k, lambda key: 0.5).coalition.members) for k in (1, 3, 5)]
    [1, 3, 5]
    """
    data = scenario.model_dump(mode="python")
    members = data["coalition"]["members"]
    trade_before = sum(m["trade_exposure"] * m["gdp"] for m in members)
    if k <= len(members):
        members = members[:k]
    else:
        for i in range(len(members), k):
            extra = dict(PARTNER, name=f"Partner {i + 1}", code=f"P{i + 1}")
            extra["stance"] = float(np.clip(PARTNER["stance"] + 0.3 * unif(f"senders.partner{i + 1}.stance") - 0.15, 0, 1))
            members.append({**members[0], **extra})
    data["coalition"]["members"] = members
    scale = sum(m["trade_exposure"] * m["gdp"] for m in members) / trade_before
    for tr in data["instruments"]["sanction_tranches"]:
        tr["damage"] = tr["damage"] * scale
    return scenario_from_dict(data, source)


def draw_crises(n: int, seed: int | None = None, family: Family | None = None, *,
                stratified: bool = False) -> list[Crisis]:
    """``n`` crises of the family (``seed`` defaults to the family's); ``stratified`` uses
    Latin-hypercube draws (:func:`stratified_uniforms`), as the calibration does."""
    fam = family or load_family()
    s = fam.seed if seed is None else seed
    unif = stratified_uniforms(s, n) if stratified else iid_uniforms(s)
    return [draw_crisis(fam, i, s, unif) for i in range(n)]


# --- behaviour: the doctrine mix -----------------------------------------------------------

def quotas(weights: dict[str, float], runs: int) -> dict[str, int]:
    """Runs per doctrine, proportional to the weights (largest remainder; sums to ``runs``).

    >>> quotas({"a": 0.5, "b": 0.3, "c": 0.2}, 7)
    {'a': 4, 'b': 2, 'c': 1}
    """
    total = sum(weights.values())
    exact = {k: runs * w / total for k, w in weights.items()}
    out = {k: int(math.floor(v)) for k, v in exact.items()}
    left = runs - sum(out.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - out[k]), list(weights).index(k)))[:left]:
        out[k] += 1
    return out


class MixDoctrine(Doctrine):
    """Runs split between several doctrines in fixed blocks (run ``i`` of a batch always
    follows the same doctrine); with ``mediated`` every run also engages the scenario's
    mediator and talks through it each week, from the week force is first used or from
    week ``entry_weeks``, whichever comes first (mediators step into crises that have
    turned violent or dragged on; Greig 2005, Beardsley et al. 2006)."""

    name = "historical_mix"
    source = "validation"
    summary = "The doctrine mix of the generic crisis family (see generic.yaml)."
    levers = ("talks", "mediator")
    mechanisms = ()
    defaults: ClassVar[dict[str, Any]] = {}
    batch_safe = False  # its runs are split among doctrines by quotas of the batch's size

    def __init__(self, weights: dict[str, float], mediated: bool = False, entry_weeks: int = 0) -> None:
        super().__init__()
        self.weights = dict(weights)
        self.mediated = mediated
        self.entry_weeks = int(entry_weeks)
        self.members: dict[str, Doctrine] = {k: mix_member(k, mediated, entry_weeks) for k in self.weights}
        self.block: np.ndarray = np.zeros(0, dtype=np.int64)
        self.slices: list[slice] = []

    def reset(self, params: Params, runs: int) -> None:
        super().reset(params, runs)
        q = quotas(self.weights, runs)
        self.block = np.repeat(np.arange(len(q)), list(q.values()))
        ends = np.cumsum(list(q.values()))
        self.slices = [slice(int(e - k), int(e)) for e, k in zip(ends, q.values(), strict=True)]
        for d, k in zip(self.members.values(), q.values(), strict=True):
            d.reset(params, k)

    def assignment(self) -> list[str]:
        """The doctrine of each run of the current batch."""
        names = list(self.members)
        return [names[i] for i in self.block]

    def act(self, obs: Observation) -> Actions:
        # each doctrine acts for its own block of runs, as if they were a batch of their own
        assert self.p is not None
        parts = [np.arange(sl.start, sl.stop) for sl in self.slices]
        return merge_actions([(d.act(obs_rows(obs, idx)), idx) for d, idx in zip(self.members.values(), parts, strict=True)
                              if idx.size], obs, self.p.deep_strike_share)


class Mediated(Doctrine):
    """A doctrine whose runs also engage the crisis's mediator and talk through it each
    week, from the week force is first used or from week ``entry_weeks``, whichever comes
    first (the ``mediated`` runs of :class:`MixDoctrine`). Acts run by run, so one instance
    serves the runs of many crises (:func:`crisislab.model.engine.run_points`)."""

    name = "mediated"
    source = "validation"
    summary = "A doctrine with the family's mediator engaged."
    levers = ("talks", "mediator")
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, inner: Doctrine, entry_weeks: int) -> None:
        super().__init__()
        self.inner = inner
        self.entry_weeks = int(entry_weeks)
        self.batch_safe = bool(getattr(inner, "batch_safe", False))  # type: ignore[misc]
        self.engaged: np.ndarray = np.zeros(0, dtype=bool)

    def reset(self, params: Params, runs: int) -> None:
        super().reset(params, runs)
        self.inner.reset(params, runs)
        self.engaged = np.zeros(runs, dtype=bool)

    def act(self, obs: Observation) -> Actions:
        a = self.inner.act(obs)
        self.engaged = self.engaged | (np.asarray(obs.rung) >= FORCE) | (obs.week >= self.entry_weeks)
        if self.engaged.all():
            return replace(a, mediator=True, talks=True)
        return replace(a, mediator=self.engaged.copy(),
                       talks=np.broadcast_to(np.asarray(a.talks, dtype=bool), (obs.runs,)) | self.engaged)


def mix_member(name: str, mediated: bool, entry_weeks: int) -> Doctrine:
    """One doctrine of the family's mix, with the mediator engaged when ``mediated``."""
    d = get_doctrine(name)
    return Mediated(d, entry_weeks) if mediated else d


def family_overrides(family: Family, which: str) -> dict[str, Any]:
    """Extra overrides of a population: ``icb`` (none) or ``mid`` (the ``family.mid`` block)."""
    return copy.deepcopy(family.mid) if which == "mid" else {}
