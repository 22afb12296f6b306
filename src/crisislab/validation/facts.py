"""Stylized facts of crises, sanctions and disputes, computed from the reference data.

Every number here is computed by code from the data files (never typed in) and carries a
bootstrap 95 % confidence interval: the cases behind the fact are resampled with
replacement ``reps`` times (percentile interval). Each fact draws from its own random
stream keyed by ``(seed, fact id)``, so a fact's interval does not depend on which other
facts are computed or in which order.

Codings follow the shared data README (``data/README.md``, section "Stylized facts"):

* ICB crisis level: ``viol`` 1 none, 2 minor clashes, 3 serious clashes, 4 full-scale war;
  agreement = ``forout`` 1 (formal) or 2 (semi-formal); mediation = ``mediate == 4``
  (codes 1, 2, 3 count as no mediation); style = ``medstyle`` 2 facilitation,
  3 formulation, 4 manipulation (mediated crises only).
* TIES: acquiescence = ``finaloutcome`` 1-2 (threat stage) or 6-7 (after imposition), the
  stage read from the outcome code (1-5 threat, 6-10 imposed), cases without an outcome
  left out.
* MID: ``hostlev`` 2 threat, 3 display, 4 use of force, 5 war; negotiated settlement =
  ``settle == 1`` over all disputes (missing counts as not negotiated, as in the README).
* GSDB: duration = ``end - begin`` in years over all cases (open cases, ending 2022, are
  right-censored and included as the README does); a sensitivity fact gives the median of
  the cases not marked ``ongoing`` in ``success``.

These are observational associations, not causal effects.

>>> import numpy as np
>>> lo, hi = bootstrap_ci(np.array([0.0, 1.0] * 50), np.mean, reps=500, seed=1, key="doc")
>>> bool(lo < 0.5 < hi)
True
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crisislab.validation.data import GSDB, ICB1, MID, TIES, TableSpec, load_table

DEFAULT_REPS = 2000
DEFAULT_SEED = 20240601

Statistic = Callable[[np.ndarray], float]


@dataclass(frozen=True)
class Fact:
    """One historical stylized fact with its bootstrap interval."""

    id: str
    description: str
    source: str
    unit: str  # "share" (0..1) or "years"
    value: float
    ci_low: float
    ci_high: float
    n: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def bootstrap_ci(
    values: np.ndarray, stat: Statistic, *, reps: int = DEFAULT_REPS, seed: int = DEFAULT_SEED,
    key: str = "", level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``stat`` over ``values`` (cases resampled with replacement)."""
    values = np.asarray(values)
    n = len(values)
    if n == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng([seed, zlib.crc32(key.encode())])
    idx = rng.integers(0, n, size=(reps, n))
    samples = np.array([stat(values[row]) for row in idx]) if values.ndim > 1 else _fast(values, idx, stat)
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(samples, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def _fast(values: np.ndarray, idx: np.ndarray, stat: Statistic) -> np.ndarray:
    """Vectorised statistic for the common cases (mean, median, quantiles); generic fallback."""
    resampled = values[idx]
    if stat is np.mean:
        return resampled.mean(axis=1)
    q = getattr(stat, "quantile", None)
    if q is not None:
        return np.quantile(resampled, q, axis=1)
    return np.array([stat(row) for row in resampled])


def quantile_stat(q: float) -> Statistic:
    """A statistic computing the ``q`` quantile (linear interpolation, as pandas' default)."""

    def stat(x: np.ndarray) -> float:
        return float(np.quantile(x, q))

    stat.quantile = q  # type: ignore[attr-defined]
    return stat


def _fact(fid: str, description: str, spec: TableSpec, values: np.ndarray, stat: Statistic, unit: str,
          reps: int, seed: int) -> Fact:
    values = np.asarray(values, dtype=float)
    value = float(stat(values)) if len(values) else float("nan")
    lo, hi = bootstrap_ci(values, stat, reps=reps, seed=seed, key=fid)
    return Fact(fid, description, f"{spec.title}: {spec.citation}", unit, value, lo, hi, int(len(values)))


def _share(fid: str, description: str, spec: TableSpec, indicator: pd.Series | np.ndarray,
           reps: int, seed: int) -> Fact:
    return _fact(fid, description, spec, np.asarray(indicator, dtype=float), np.mean, "share", reps, seed)


# --- one function per data set -------------------------------------------------------------

def icb_facts(icb1: pd.DataFrame, reps: int = DEFAULT_REPS, seed: int = DEFAULT_SEED) -> list[Fact]:
    """ICB crisis-level facts: violence distribution, mediation and agreement rates."""
    out: list[Fact] = []
    viol = icb1["viol"].dropna()
    for code, label in ((1, "none"), (2, "minor clashes"), (3, "serious clashes"), (4, "full-scale war")):
        key = {1: "none", 2: "minor", 3: "serious", 4: "war"}[code]
        out.append(_share(f"icb.viol.{key}", f"ICB crises whose violence (viol) was {label}", ICB1,
                          viol.eq(code), reps, seed))
    med = icb1["mediate"].dropna()
    out.append(_share("icb.mediation.rate", "ICB crises with mediation (mediate == 4), of those with mediate coded",
                      ICB1, med.eq(4), reps, seed))
    both = icb1.dropna(subset=["mediate", "forout"])
    agree = both["forout"].isin([1, 2])
    mediated = both["mediate"].eq(4)
    out.append(_share("icb.agreement.mediated",
                      "Agreement (forout 1 formal or 2 semi-formal) in mediated crises (mediate == 4)",
                      ICB1, agree[mediated], reps, seed))
    out.append(_share("icb.agreement.unmediated",
                      "Agreement (forout 1 or 2) in crises without mediation (mediate 1, 2 or 3)",
                      ICB1, agree[~mediated], reps, seed))
    styled = icb1[icb1["mediate"].eq(4)].dropna(subset=["medstyle", "forout"])
    for code, label in ((2, "facilitation"), (3, "formulation"), (4, "manipulation")):
        sub = styled[styled["medstyle"].eq(code)]
        out.append(_share(f"icb.agreement.{label}",
                          f"Agreement (forout 1 or 2) in mediated crises whose most intrusive style was {label} (medstyle {code})",
                          ICB1, sub["forout"].isin([1, 2]), reps, seed))
    return out


def ties_facts(ties: pd.DataFrame, reps: int = DEFAULT_REPS, seed: int = DEFAULT_SEED) -> list[Fact]:
    """TIES: target acquiescence within the threat stage and after imposition."""
    s = ties["finaloutcome"].dropna()
    s = s[s.between(1, 10)]
    threat = s[s <= 5]
    imposed = s[s >= 6]
    return [
        _share("ties.acquiescence.threat",
               "Target acquiescence (finaloutcome 1 partial or 2 complete) among TIES cases that ended at the threat stage (1-5)",
               TIES, threat.isin([1, 2]), reps, seed),
        _share("ties.acquiescence.imposed",
               "Target acquiescence (finaloutcome 6 partial or 7 complete) among TIES cases that ended after imposition (6-10)",
               TIES, imposed.isin([6, 7]), reps, seed),
    ]


def mid_facts(mid: pd.DataFrame, reps: int = DEFAULT_REPS, seed: int = DEFAULT_SEED) -> list[Fact]:
    """MID: highest hostility level distribution and negotiated settlements."""
    out: list[Fact] = []
    host = mid["hostlev"].dropna()
    for code, key, label in ((2, "threat", "threat to use force"), (3, "display", "display of force"),
                             (4, "force", "use of force"), (5, "war", "war")):
        out.append(_share(f"mid.hostlev.{key}", f"MIDs whose highest hostility level (hostlev) was {label}",
                          MID, host.eq(code), reps, seed))
    out.append(_share("mid.settle.negotiated",
                      "MIDs ended by a negotiated settlement (settle == 1), share of all disputes",
                      MID, mid["settle"].eq(1), reps, seed))
    return out


def gsdb_facts(gsdb: pd.DataFrame, reps: int = DEFAULT_REPS, seed: int = DEFAULT_SEED) -> list[Fact]:
    """GSDB: duration of sanctions cases in years (end - begin)."""
    frame = gsdb.dropna(subset=["begin", "end"])
    dur = (frame["end"] - frame["begin"]).to_numpy(dtype=float)
    closed = ~frame["success"].str.contains("ongoing", regex=False).to_numpy(dtype=bool)
    desc = "Duration of GSDB sanctions cases in years (end - begin; open cases right-censored at 2022)"
    return [
        _fact("gsdb.duration.median", f"{desc}: median", GSDB, dur, quantile_stat(0.5), "years", reps, seed),
        _fact("gsdb.duration.q1", f"{desc}: first quartile", GSDB, dur, quantile_stat(0.25), "years", reps, seed),
        _fact("gsdb.duration.q3", f"{desc}: third quartile", GSDB, dur, quantile_stat(0.75), "years", reps, seed),
        _fact("gsdb.duration.median_closed",
              "Duration of GSDB sanctions cases in years, cases not marked ongoing in success: median",
              GSDB, dur[closed], quantile_stat(0.5), "years", reps, seed),
        _share("gsdb.duration.same_year", "GSDB sanctions cases that began and ended in the same year",
               GSDB, dur == 0, reps, seed),
    ]


def compute_facts(data_dir: str | Path | None, *, reps: int = DEFAULT_REPS, seed: int = DEFAULT_SEED) -> list[Fact]:
    """All stylized facts from the reference data folder (see :mod:`crisislab.validation.data`)."""
    return [
        *icb_facts(load_table(data_dir, ICB1), reps, seed),
        *ties_facts(load_table(data_dir, TIES), reps, seed),
        *mid_facts(load_table(data_dir, MID), reps, seed),
        *gsdb_facts(load_table(data_dir, GSDB), reps, seed),
    ]
