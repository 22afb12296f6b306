"""The project's own "mandate" model of EU decisions: a compromise bounded by the voting rule.

Position formation happens in two stages.

1. **Negotiated position.** Without procedural constraints the actors converge on the
   salience-weighted mean of all positions (Commission, Parliament, member states): the
   compromise model.
2. **Mandate under the decision rule.** An outcome can only be adopted if the actors whose
   consent the rule requires prefer it (weakly) to the reference point ``rp``, with linear
   preferences (actor i prefers y to rp when ``|y - x_i| <= |rp - x_i|``). The set of
   adoptable outcomes (the winset of rp, which always contains rp) is

   * unanimity: every member state with a position consents (a state with no recorded
     position is treated as abstaining, which does not block under unanimity);
   * QMV: the consenting member states are at least 55 % of the member states with a
     position and hold at least 65 % of their population (the EU double majority, TEU
     art. 16(4)); a blocking minority needs at least four states, so the threshold also
     counts as met when fewer than four states withhold consent and 55 % of states consent;
   * under co-decision (``proc == "COD"``) the Parliament must also consent when it has a
     position; under consultation (CNS) it has no veto.

   The predicted outcome is the adoptable point closest to the stage-1 compromise. Where
   ``rp`` is missing the rule cannot be evaluated and the prediction is the compromise.

Populations come from the ``eu-russia`` scenario (Eurostat, 1 January 2022; United
Kingdom ONS mid-2021) via :func:`crisislab.scenario.load_scenario`, so a user who edits
the scenario changes the weights used here.

Simplifications, stated: the double majority applies only since November 2014, while most
DEU III proposals were decided under the Nice triple majority; the Council is restricted to
the states with a recorded position; preferences are linear and symmetric; the Commission's
agenda-setting power is not modelled beyond its weight in the compromise. The model has no
free parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crisislab.errors import InputError, Problem
from crisislab.validation.deu3 import GRID, STATE_NAMES, Issue, compromise

QMV_STATES = 0.55
QMV_POPULATION = 0.65
BLOCKING_MIN_STATES = 4
_EPS = 1e-9


@dataclass(frozen=True)
class MandateModel:
    """The rule-constrained compromise; callable on an :class:`Issue`."""

    population: dict[str, float]  # state code -> millions

    @classmethod
    def from_scenario(cls, name: str = "eu-russia") -> MandateModel:
        """Take member-state populations from a scenario (by DEU code via member names)."""
        from crisislab.scenario import load_scenario

        scen = load_scenario(name)
        by_name = {m.name: m.population for m in scen.coalition.members}
        missing = [n for n in STATE_NAMES.values() if n not in by_name]
        if missing:
            raise InputError(name, [Problem("coalition.members", f"no member named {m!r}",
                                            "every EU member state of the DEU data (and the United Kingdom)")
                                    for m in missing])
        return cls({code: float(by_name[n]) for code, n in STATE_NAMES.items()})

    def adoptable(self, issue: Issue, ys: np.ndarray) -> np.ndarray:
        """Boolean mask: which outcomes ``ys`` can be adopted against ``issue.rp`` under its rule."""
        ys = np.asarray(ys, dtype=float)
        if issue.rp is None:
            return np.ones_like(ys, dtype=bool)
        rp = issue.rp
        consent = np.abs(ys[:, None] - issue.x[None, :]) <= np.abs(rp - issue.x)[None, :] + _EPS
        states = np.array([a in self.population for a in issue.actors])
        ok = np.ones(len(ys), dtype=bool)
        if states.any():
            cs = consent[:, states]
            if issue.rule == "unanimity":
                ok &= cs.all(axis=1)
            else:
                pop = np.array([self.population[a] for a in issue.actors if a in self.population])
                n = int(states.sum())
                n_yes = cs.sum(axis=1)
                enough_states = n_yes >= QMV_STATES * n - _EPS
                enough_pop = (cs * pop[None, :]).sum(axis=1) >= QMV_POPULATION * pop.sum() - _EPS
                no_blocking = (n - n_yes) < BLOCKING_MIN_STATES
                ok &= enough_states & (enough_pop | no_blocking)
        if issue.proc == "COD" and "ep" in issue.actors:
            ok &= consent[:, issue.actors.index("ep")]
        ok |= np.abs(ys - rp) < _EPS  # the reference point is always adoptable
        return ok

    def winset(self, issue: Issue, grid: np.ndarray = GRID) -> np.ndarray:
        """Boolean mask over ``grid`` (0..100 in 0.05 steps): the winset of ``issue.rp``."""
        return self.adoptable(issue, grid)

    def __call__(self, issue: Issue) -> float:
        c = compromise(issue)
        if issue.rp is None:
            return c
        # The winset is a union of intervals whose ends are rp and the reflections 2 x_i - rp,
        # so the adoptable point nearest to c is c itself or one of those ends: exact, no grid.
        ends = np.concatenate([[c, issue.rp], 2.0 * issue.x - issue.rp])
        ends = ends[(ends >= 0.0) & (ends <= 100.0)]
        cand = ends[self.adoptable(issue, ends)]
        return float(cand[int(np.argmin(np.abs(cand - c)))])

    def binding(self, issue: Issue) -> bool:
        """Whether the rule moved the prediction away from the compromise on this issue."""
        return abs(self(issue) - compromise(issue)) > 1e-6
