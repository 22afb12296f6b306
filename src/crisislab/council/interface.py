"""The simulator's Council: one interface for the mandate vote (M08) and the accession vote (M24).

A simulated Council decision is one issue on the DEU scale: the status quo is 0 (nothing
changes) and the proposal is 100 (the mandate widened by a step, the candidate admitted).
Each member's position comes from its stance (the mechanism says how); saliences are equal
(the simulator has none). The Council then decides as the backtested model predicts:

1. The predicted outcome ``y`` is the project's stacked model (:class:`~crisislab.council.models.Stacked`)
   with the weights it takes when fitted on the whole DEU III development file: a convex
   combination of the compromise model, the compromise model with voting power and Nash
   bargaining with voting power (the procedural and exchange models get weight 0 there).
   Voting power is the members' Shapley-Shubik index in the decision rule's game
   (:func:`crisislab.council.power.procedural_power`; no Commission or Parliament).
2. ``y`` is adopted only if the rule accepts it against the status quo, with linear
   preferences (a member consents when ``y`` is at least as close to its position as 0 is):
   under unanimity every member holding a veto consents; under QMV the consenting EU members
   are at least 55 % of them and hold 65 % of their population, or fewer than four withhold.
3. The proposal passes when the adopted outcome reaches ``pass_at`` (a widening watered down
   below it is no widening).

The same object serves every run of a batch (arrays ``[runs, members]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from crisislab.council.issue import SCALE
from crisislab.council.models import nash_point
from crisislab.council.power import procedural_power

#: Weights of the stacked model fitted on the whole DEU III development file
#: (``crisislab backtest deu3 deu3_dev.csv --format json``, model ``stacked``, ``params``).
STACKED_WEIGHTS: dict[str, float] = {"compromise": 0.4733, "power_compromise": 0.4249, "power_nash": 0.1018}

_EPS = 1e-9


@lru_cache(maxsize=64)
def _power(names: tuple[str, ...], pops: tuple[float, ...], rule: str) -> np.ndarray:
    if not names:
        return np.zeros(0)
    p = procedural_power(names, pops, rule, "", with_commission=False, with_parliament=False)
    return np.array([p[n] for n in names], dtype=float)


@dataclass(frozen=True)
class Council:
    """The Council of a scenario: who votes under which rule, and with what power."""

    population: np.ndarray  # [members], millions
    veto: np.ndarray  # [members] bool
    eu_member: np.ndarray  # [members] bool
    weights: dict[str, float] = field(default_factory=lambda: dict(STACKED_WEIGHTS))

    source = "this project's stacked model (DEU III backtest); rules: TEU art. 16(4), unanimity"
    uses = ("positions", "rule", "population", "veto")

    def voters(self, rule: str) -> np.ndarray:
        """Who decides: the veto holders under unanimity, the EU members under QMV."""
        return np.asarray(self.veto if rule == "unanimity" else self.eu_member, dtype=bool)

    def power(self, rule: str) -> np.ndarray:
        """Shapley-Shubik power of every member under ``rule`` (0 for members who do not vote)."""
        v = self.voters(rule)
        idx = np.nonzero(v)[0]
        out = np.zeros(v.size)
        out[idx] = _power(tuple(f"m{i}" for i in idx), tuple(float(self.population[i]) for i in idx), rule)
        return out

    def outcome(self, x: np.ndarray, rule: str) -> np.ndarray:
        """Predicted outcome ``[runs]`` for positions ``x`` ``[runs, members]`` on 0..100."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        v = self.voters(rule).astype(float)
        if v.sum() == 0:
            return np.zeros(x.shape[0])
        pw = self.power(rule)
        w = self.weights
        comp = (x * v).sum(axis=1) / v.sum()
        pcomp = (x * pw).sum(axis=1) / pw.sum() if pw.sum() > 0 else comp
        nash = nash_point(np.where(pw[None, :] > 0, x, np.nan), np.broadcast_to(pw, x.shape)) if pw.sum() > 0 else comp
        tot = w["compromise"] + w["power_compromise"] + w["power_nash"]
        return (w["compromise"] * comp + w["power_compromise"] * pcomp + w["power_nash"] * nash) / tot

    def accepts(self, y: np.ndarray, x: np.ndarray, rule: str, rp: float = 0.0) -> np.ndarray:
        """Whether the rule adopts ``y`` ``[runs]`` over ``rp`` given positions ``x``."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        y = np.asarray(y, dtype=float)
        consent = np.abs(y[:, None] - x) <= np.abs(rp - x) + _EPS
        v = self.voters(rule)
        if rule == "unanimity":
            ok = (consent | ~v[None, :]).all(axis=1)
        else:
            n = int(v.sum())
            n_yes = (consent & v[None, :]).sum(axis=1)
            pop = self.population * v
            ok = (n_yes >= 0.55 * n - _EPS) & (((consent * pop[None, :]).sum(axis=1) >= 0.65 * pop.sum() - _EPS)
                                               | ((n - n_yes) < 4))
        return ok | (np.abs(y - rp) < _EPS)

    def decide(self, x: np.ndarray, rule: str, pass_at: float) -> np.ndarray:
        """Whether the proposal (100 against a status quo of 0) passes, per run."""
        y = self.outcome(x, rule)
        return self.accepts(y, x, rule) & (y >= pass_at - _EPS) & (y > _EPS)


def positions_from_stance(stance: np.ndarray, threshold: float) -> np.ndarray:
    """Support for a proposal on 0..100 from stances (0 dove, 1 hawk): a member at the
    mechanism's ``threshold`` stands at the midpoint, the scale is clipped."""
    return np.clip(SCALE * (0.5 + (threshold - np.asarray(stance, dtype=float))), 0.0, SCALE)


def council_of(p: object) -> Council:
    """The Council of a scenario's parameters (``population``, ``veto``, ``eu_member``)."""
    return Council(np.asarray(p.population, dtype=float), np.asarray(p.veto, dtype=bool),  # type: ignore[attr-defined]
                   np.asarray(p.eu_member, dtype=bool))  # type: ignore[attr-defined]
