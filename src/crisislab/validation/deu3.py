"""The EU decision backtest on DEU III issues (``crisislab backtest deu3 FILE``).

A DEU III file (tab-separated, one row per controversial issue of a legislative proposal)
gives, on a 0-100 scale, the positions and saliences of the Commission (``pcom``/``scom``),
the Parliament (``pep``/``sep``) and the member states (``pat``/``sat`` ... ``puk``/``suk``),
the reference point ``rp`` (status quo, often blank) and the decision outcome ``out``.
Data: Thomson, Arregui, Leuffen, Costello, Cross, Hertz and Jensen (2012), "A new dataset on
decision-making in the European Union before and after the 2004 and 2007 enlargements
(DEUII)", Journal of European Public Policy 19(4): 604-622; DEU III extension
(doi:10.34810/data53). See the shared data README.

Missing values, as in the README: an actor with no position on an issue is left out of that
issue; an actor with a position but no salience gets salience 50; salience 0 means weight 0
(if every present actor has salience 0 the weights fall back to equal); issues without an
outcome, or without any position, are not scored and are counted in the report.

Models (each maps one issue to a predicted outcome on 0-100):

``compromise``  salience-weighted mean of positions (no voting-power weights), the README
                baseline (22.71 on the dev file).
``wmedian``     salience-weighted median position, README's rule (27.65 on the dev file).
``nash``        Nash bargaining solution, see :func:`nash`.
``eu_model``    an expected-utility model of the Bueno de Mesquita kind, see :func:`eu_model`.
``mandate``     the project's own model, see :mod:`crisislab.validation.mandate`.
``constant50``  always 50 (scale reference, README 28.33).
``commission``  the Commission's position (README 37.13 over the issues where it has one).

None of these has a parameter fitted to data: every setting was fixed in the code before
any MAE was computed, so the dev file is a test for all of them (see docs/validation.md).
The command reports them beside the Council models of :mod:`crisislab.council.models`
(:func:`council_backtest`), whose fitted ``stacked`` model is cross-validated over whole
proposals; every interval there resamples proposals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crisislab.council.issue import ACTORS, SCALE, Issue
from crisislab.errors import InputError, Problem, short_repr
from crisislab.validation.data import numeric_column, parse_table, read_text, require_columns

#: Member-state codes mapped to the member names of the ``eu-russia`` scenario.
STATE_NAMES: dict[str, str] = {
    "at": "Austria", "be": "Belgium", "bu": "Bulgaria", "cr": "Croatia", "cy": "Cyprus",
    "cz": "Czechia", "dk": "Denmark", "ee": "Estonia", "fi": "Finland", "fr": "France",
    "de": "Germany", "el": "Greece", "hu": "Hungary", "ie": "Ireland", "it": "Italy",
    "lv": "Latvia", "lt": "Lithuania", "lu": "Luxembourg", "mt": "Malta", "nl": "Netherlands",
    "pl": "Poland", "pt": "Portugal", "ro": "Romania", "si": "Slovenia", "sk": "Slovakia",
    "es": "Spain", "se": "Sweden", "uk": "United Kingdom",
}
POSITION_COLUMNS: tuple[str, ...] = tuple(f"p{a}" for a in ACTORS)
SALIENCE_COLUMNS: tuple[str, ...] = tuple(f"s{a}" for a in ACTORS)
DEFAULT_SALIENCE = 50.0


@dataclass
class Deu3Data:
    source: str
    n_rows: int
    issues: list[Issue]
    skipped: dict[str, int] = field(default_factory=dict)


# --- loading -------------------------------------------------------------------------------

def _rule(value: Any, source: str, row: int) -> str:
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()
    if text == "" or text.lower() == "nan" or text.lower() == "<na>":
        return "qmv"  # default of the ordinary legislative procedure; documented
    low = text.lower()
    if low.startswith("qmv"):
        return "qmv"
    if low.startswith("unan"):
        return "unanimity"
    raise InputError(source, [Problem(f"column 'counvte', data row {row + 1} (line {row + 2})", short_repr(text),
                                      "QMV, QMV(10), Unan or a blank")])


def parse_deu3(text: str, source: str = "<deu3>") -> Deu3Data:
    """Parse DEU III text (tab-separated, header line) into scored issues.

    Raises :class:`InputError` for anything that is not a usable DEU III table: a missing
    position, salience or ``out`` column, a value that is not a number, or a number outside
    0..100.
    """
    frame = parse_table(text, source, sep="\t")
    require_columns(frame, source, [*POSITION_COLUMNS, *SALIENCE_COLUMNS, "out"])
    pos = np.column_stack([numeric_column(frame, source, c).to_numpy(float) for c in POSITION_COLUMNS])
    sal = np.column_stack([numeric_column(frame, source, c).to_numpy(float) for c in SALIENCE_COLUMNS])
    out = numeric_column(frame, source, "out").to_numpy(float)
    rp = (numeric_column(frame, source, "rp").to_numpy(float) if "rp" in frame.columns
          else np.full(len(frame), np.nan))
    for name, arr, cols in (("position", pos, POSITION_COLUMNS), ("salience", sal, SALIENCE_COLUMNS),
                            ("outcome", out[:, None], ("out",)), ("reference point", rp[:, None], ("rp",))):
        bad = ~np.isnan(arr) & ((arr < 0) | (arr > SCALE))
        if bad.any():
            r, c = (int(v[0]) for v in np.nonzero(bad))
            raise InputError(source, [Problem(f"column {cols[c]!r}, data row {r + 1} (line {r + 2})",
                                              short_repr(float(arr[r, c])), f"a {name} between 0 and 100 or a blank")])
    ids = frame["isnr"].fillna("").astype(str).tolist() if "isnr" in frame.columns else [""] * len(frame)
    proposals = frame["prnr"].fillna("").astype(str).tolist() if "prnr" in frame.columns else [""] * len(frame)
    procs = frame["proc"].fillna("").astype(str).str.strip().str.upper().tolist() if "proc" in frame.columns else [""] * len(frame)
    rules = ([_rule(v, source, i) for i, v in enumerate(frame["counvte"].tolist())]
             if "counvte" in frame.columns else ["qmv"] * len(frame))
    issues: list[Issue] = []
    skipped = {"no outcome": 0, "no positions": 0}
    for i in range(len(frame)):
        if np.isnan(out[i]):
            skipped["no outcome"] += 1
            continue
        have = ~np.isnan(pos[i])
        if not have.any():
            skipped["no positions"] += 1
            continue
        s = np.where(np.isnan(sal[i]), DEFAULT_SALIENCE, sal[i])[have]
        issues.append(Issue(
            id=ids[i] or f"row{i + 1}",
            actors=tuple(a for a, h in zip(ACTORS, have, strict=True) if h),
            x=pos[i][have], s=s,
            rp=None if np.isnan(rp[i]) else float(rp[i]),
            rule=rules[i], proc=procs[i], out=float(out[i]), proposal=proposals[i],
        ))
    return Deu3Data(source, len(frame), issues, skipped)


def load_deu3(path: str | Path) -> Deu3Data:
    """Read and parse a DEU III file (see :func:`parse_deu3`)."""
    p = Path(path)
    return parse_deu3(read_text(p), str(p))


# --- baseline models -----------------------------------------------------------------------

def compromise(issue: Issue) -> float:
    """Salience-weighted mean position."""
    w = issue.weights()
    return float((w * issue.x).sum() / w.sum())


def weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    """The README's weighted median: first sorted position whose cumulative weight reaches
    half the total; the midpoint with the next position if it reaches exactly half.

    >>> weighted_median(np.array([0.0, 100.0]), np.array([1.0, 1.0]))
    50.0
    >>> weighted_median(np.array([0.0, 40.0, 100.0]), np.array([1.0, 1.0, 3.0]))
    100.0
    """
    o = np.argsort(x, kind="stable")
    xs, ws = x[o], w[o]
    cw = np.cumsum(ws)
    h = cw[-1] / 2
    k = int(np.searchsorted(cw, h - 1e-9))
    if np.isclose(cw[k], h) and k + 1 < len(xs):
        return float((xs[k] + xs[k + 1]) / 2)
    return float(xs[k])


def wmedian(issue: Issue) -> float:
    return weighted_median(issue.x, issue.weights())


def constant50(issue: Issue) -> float:
    return 50.0


def commission(issue: Issue) -> float:
    p = issue.position("com")
    return float("nan") if p is None else p


# --- Nash bargaining -----------------------------------------------------------------------

GRID = np.linspace(0.0, SCALE, 2001)  # 0.05 steps


def nash(issue: Issue) -> float:
    """Nash bargaining solution over the 0-100 scale.

    Utilities are linear, ``u_i(y) = 1 - |y - x_i| / 100``; the solution maximises
    ``sum_i w_i log(u_i(y) - d_i)`` (the salience-weighted product of gains), ``w_i`` the
    salience shares. Disagreement point: where ``rp`` is given, ``d_i = u_i(rp)`` and ``y``
    is restricted to the bargaining set in which no actor is worse off than at ``rp``.
    Actors sitting at ``rp`` can gain nothing and would make the product zero everywhere,
    so they constrain the set but do not enter the product. If that set holds no point
    besides ``rp`` itself (actors on both sides of ``rp``, or an actor at ``rp``), or ``rp``
    is missing, the disagreement point is each actor's worst outcome, ``d_i = 0``: DEU
    issues are conditioned on a decision having been taken, so breakdown is treated as bad
    for everyone. The branch taken is the documented simplification; the grid step is 0.05.
    """
    w = issue.weights() / issue.weights().sum()
    u = 1.0 - np.abs(GRID[:, None] - issue.x[None, :]) / SCALE
    if issue.rp is not None:
        d = 1.0 - np.abs(issue.rp - issue.x) / SCALE
        gain = u - d[None, :]
        feasible = (gain >= -1e-12).all(axis=1)
        movable = (np.abs(issue.x - issue.rp) > 1e-9) & (w > 0)
        if feasible.sum() > 1 and movable.any():
            g = np.clip(gain[:, movable], 0.0, None)
            with np.errstate(divide="ignore"):
                obj = (w[movable][None, :] * np.log(g)).sum(axis=1)
            obj[~feasible] = -np.inf
            if np.isfinite(obj).any():
                return float(GRID[int(np.argmax(obj))])
    live = w > 0  # zero-salience actors carry weight 0 (and 0 * log 0 must not become NaN)
    with np.errstate(divide="ignore"):
        obj = (w[live][None, :] * np.log(np.clip(u[:, live], 0.0, None))).sum(axis=1)
    return float(GRID[int(np.argmax(obj))])


# --- expected-utility model ----------------------------------------------------------------

EU_MAX_ROUNDS = 10
EU_TOL = 0.5


def eu_model(issue: Issue, rounds: int = EU_MAX_ROUNDS) -> float:
    """A simplified expected-utility model in the manner of Bueno de Mesquita (1994) as
    unravelled by Scholz, Calbert and Smith (2011).

    Simplifications (fixed before any result was seen): every actor has capability 1 (no
    voting power, as in the README baselines); salience ``s_i`` in 0..1; risk neutrality
    (r = 1) and no status-quo expectations, so with ``d = |x_i - x_j| / 100`` the expected
    gain of i from challenging j is ``EU_i(j) = 2 d (s_j (2 P_i - 1) + 1 - s_j)``, where
    ``P_i`` = salience-weighted share of all actors' utility differences that favour
    ``x_i`` over ``x_j``. i makes an offer to j when ``EU_i(j) > 0`` and
    ``EU_i(j) > EU_j(i)``; j capitulates to ``x_i`` if ``EU_j(i) <= 0`` and otherwise
    moves the fraction ``1 - EU_j(i) / EU_i(j)`` of the way. Each actor accepts the offer
    that moves it least; all move at once. Rounds repeat until no position moves more than
    0.5 points or 10 rounds pass. Forecast: the salience-weighted median of the final
    positions (BDM's median-voter forecast).
    """
    x = issue.x.astype(float).copy()
    s = np.clip(issue.s / SCALE, 0.0, 1.0)
    c = np.ones_like(x)
    k = len(x)
    if k < 2:
        return float(x[0])
    for _ in range(rounds):
        dist = np.abs(x[:, None] - x[None, :]) / SCALE  # [i, j]
        # v[m, i, j] = c_m s_m (|x_m - x_j| - |x_m - x_i|): actor m's vote for i over j
        dm = np.abs(x[:, None] - x[None, :])  # [m, a] distance of m to a
        v = (c * s)[:, None, None] * (dm[:, None, :] - dm[:, :, None])
        pos = np.clip(v, 0.0, None).sum(axis=0)
        tot = np.abs(v).sum(axis=0)
        p = np.where(tot > 0, pos / np.where(tot > 0, tot, 1.0), 0.5)  # P_i(j)
        eu = 2.0 * dist * (s[None, :] * (2.0 * p - 1.0) + (1.0 - s[None, :]))  # [i, j]
        new = x.copy()
        for j in range(k):
            best_move: float | None = None
            best_target = x[j]
            for i in range(k):
                if i == j or dist[i, j] == 0:
                    continue
                e_ij, e_ji = eu[i, j], eu[j, i]
                if e_ij > 0 and e_ij > e_ji:
                    frac = 1.0 if e_ji <= 0 else 1.0 - e_ji / e_ij
                    target = x[j] + (x[i] - x[j]) * frac
                    move = abs(target - x[j])
                    if best_move is None or move < best_move:
                        best_move, best_target = move, target
            new[j] = best_target
        moved = float(np.max(np.abs(new - x)))
        x = new
        if moved < EU_TOL:
            break
    return weighted_median(x, issue.s if issue.s.sum() > 0 else np.ones_like(issue.s))


# --- the backtest --------------------------------------------------------------------------

Model = Callable[[Issue], float]


def models() -> dict[str, Model]:
    """The models in report order (import here to avoid a cycle with :mod:`mandate`)."""
    from crisislab.validation.mandate import MandateModel

    return {
        "compromise": compromise,
        "wmedian": wmedian,
        "nash": nash,
        "eu_model": eu_model,
        "mandate": MandateModel.from_scenario(),
        "constant50": constant50,
        "commission": commission,
    }


DESCRIPTIONS: dict[str, str] = {
    "compromise": "salience-weighted mean position (README baseline)",
    "wmedian": "salience-weighted median position (README baseline)",
    "nash": "Nash bargaining solution, reference point as disagreement point where usable",
    "eu_model": "expected-utility model (Bueno de Mesquita / Scholz, simplified)",
    "mandate": "compromise projected onto the decision rule's winset of rp (unanimity / QMV 55%+65%)",
    "constant50": "always 50 (scale reference)",
    "commission": "Commission's position (scale reference)",
}


@dataclass
class ModelResult:
    model: str
    n_issues: int
    mae: float
    ci_low: float
    ci_high: float
    diff_vs_compromise: float
    diff_ci_low: float
    diff_ci_high: float

    def as_row(self) -> dict[str, Any]:
        return {"model": self.model, "n_issues": self.n_issues, "mae": self.mae, "ci_low": self.ci_low,
                "ci_high": self.ci_high, "diff_vs_compromise": self.diff_vs_compromise,
                "diff_ci_low": self.diff_ci_low, "diff_ci_high": self.diff_ci_high,
                "description": DESCRIPTIONS.get(self.model, "")}


def predictions(data: Deu3Data, which: Sequence[str] | None = None) -> pd.DataFrame:
    """A frame with one row per scored issue: ``out`` and one column per model."""
    table = models()
    names = list(which) if which is not None else list(table)
    unknown = [n for n in names if n not in table]
    if unknown:
        raise InputError("--models", [Problem("(option)", short_repr(unknown[0]), f"one of {', '.join(table)}")])
    rows: list[dict[str, Any]] = []
    for iss in data.issues:
        row: dict[str, Any] = {"issue": iss.id, "proposal": iss.proposal, "rule": iss.rule, "proc": iss.proc,
                               "rp": iss.rp, "out": iss.out}
        for n in names:
            row[n] = table[n](iss)
        rows.append(row)
    return pd.DataFrame(rows)


def backtest(data: Deu3Data, *, reps: int = 2000, seed: int = 20240601,
             which: Sequence[str] | None = None) -> list[ModelResult]:
    """MAE of each model with a bootstrap CI (issues resampled), and the paired difference
    to the compromise model (negative = better than compromise) with its CI."""
    pred = predictions(data, which)
    names = [c for c in pred.columns if c not in ("issue", "proposal", "rule", "proc", "rp", "out")]
    if pred.empty:
        raise InputError(data.source, [Problem("(whole file)", "no issue with an outcome and at least one position",
                                               "rows with 'out' and positions")])
    err = {n: np.abs(pred[n].to_numpy(float) - pred["out"].to_numpy(float)) for n in names}
    base = err.get("compromise")
    if base is None:
        base = np.abs(pred["out"].to_numpy(float) - np.array([compromise(i) for i in data.issues]))
    rng = np.random.default_rng(seed)
    n = len(pred)
    idx = rng.integers(0, n, size=(reps, n))
    results: list[ModelResult] = []
    for name in names:
        e = err[name]
        ok = ~np.isnan(e)
        e_ok, b_ok = e[ok], base[ok]
        # resample among the issues this model scores (the Commission lacks a position on some)
        sub = np.flatnonzero(ok)
        if len(sub) == n:
            boot = e[idx].mean(axis=1)
            dboot = (e - base)[idx].mean(axis=1)
        else:
            r2 = np.random.default_rng([seed, len(sub)])
            j = r2.integers(0, len(sub), size=(reps, len(sub)))
            boot = e_ok[j].mean(axis=1)
            dboot = (e_ok - b_ok)[j].mean(axis=1)
        lo, hi = np.quantile(boot, [0.025, 0.975])
        dlo, dhi = np.quantile(dboot, [0.025, 0.975])
        results.append(ModelResult(name, int(ok.sum()), float(e_ok.mean()), float(lo), float(hi),
                                   float((e_ok - b_ok).mean()), float(dlo), float(dhi)))
    return results


# --- the Council models, judged by proposal ------------------------------------------------

#: Older rules of this module reported beside the Council models (no fitted parameters).
REFERENCE_SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "wmedian": ("Black (1948), median voter; salience-weighted as in Achen (2006)", ("positions", "saliences")),
    "nash": ("Nash (1950); Achen (2006)", ("positions", "saliences", "reference point")),
    "eu_model": ("Bueno de Mesquita (1994); Scholz et al. (2011)", ("positions", "saliences")),
    "mandate": ("this project: compromise projected onto the winset of rp", ("positions", "saliences", "rule",
                                                                           "procedure", "reference point")),
    "constant50": ("scale reference", ()),
    "commission": ("scale reference", ("positions",)),
}


def council_models(which: Sequence[str] | None = None) -> dict[str, Any]:
    """Every model of the backtest: the Council models (:mod:`crisislab.council.models`,
    populations of the ``eu-russia`` scenario) followed by this module's older rules."""
    from crisislab.council.models import FACTORIES, Reference
    from crisislab.validation.mandate import MandateModel

    mandate = MandateModel.from_scenario()
    table: dict[str, Any] = {name: make(mandate.population) for name, make in FACTORIES.items()}
    for name, rule in models().items():
        if name in table:
            continue
        src, uses = REFERENCE_SOURCES[name]
        table[name] = Reference(name, rule, DESCRIPTIONS.get(name, ""), src, uses)
    if which is None:
        return table
    unknown = [n for n in which if n not in table]
    if unknown:
        raise InputError("--models", [Problem("(option)", short_repr(unknown[0]), f"one of {', '.join(table)}")])
    chosen = ["compromise", *[n for n in which if n != "compromise"]]  # the baseline is always scored
    return {n: table[n] for n in chosen}


def council_backtest(data: Deu3Data, *, train: Deu3Data | None = None, which: Sequence[str] | None = None,
                     folds: int = 10, reps: int = 2000, seed: int = 20240601) -> Any:
    """Score every model on ``data`` (see :mod:`crisislab.council.evaluate`): fitted models
    by cross-validation over whole proposals, or fitted on ``train`` when it is given;
    MAE with a proposal-bootstrap CI and the paired difference to the compromise model."""
    from crisislab.council.evaluate import evaluate

    if not data.issues:
        raise InputError(data.source, [Problem("(whole file)", "no issue with an outcome and at least one position",
                                               "rows with 'out' and positions")])
    if train is not None and not train.issues:
        raise InputError(train.source, [Problem("(whole file)", "no issue with an outcome and at least one position",
                                                "rows with 'out' and positions")])
    table = council_models(which)
    return evaluate(table, data.issues, folds=folds, seed=seed, reps=reps, boot_seed=seed,
                    train=train.issues if train is not None else None,
                    trained_on=train.source if train is not None else None)
