"""One controversial issue of an EU legislative proposal, as the Council models see it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Actor codes of the DEU data in file order: Commission, Parliament, then 28 member states.
ACTORS: tuple[str, ...] = (
    "com", "ep", "at", "be", "bu", "cr", "cy", "cz", "dk", "ee", "fi", "fr", "de", "el", "hu",
    "ie", "it", "lv", "lt", "lu", "mt", "nl", "pl", "pt", "ro", "si", "sk", "es", "se", "uk",
)
#: The issue scale of the DEU data (0..100); simulated issues use the same scale.
SCALE = 100.0


@dataclass(frozen=True)
class Issue:
    """One issue: the actors with a position, their positions and saliences, the rule.

    ``x`` are positions on 0..100, ``s`` saliences on 0..100 (a missing salience is filled
    by the loader), ``rp`` the reference point (status quo) or ``None``, ``rule`` ``qmv``
    or ``unanimity``, ``proc`` ``COD``, ``CNS`` or ``""``, ``out`` the recorded outcome
    (``nan`` when unknown, e.g. in simulation) and ``proposal`` the proposal the issue
    belongs to (issues of one proposal are decided together: see the exchange model).
    """

    id: str
    actors: tuple[str, ...]
    x: np.ndarray
    s: np.ndarray
    rp: float | None
    rule: str
    proc: str
    out: float
    proposal: str = ""

    def weights(self) -> np.ndarray:
        """Salience weights; equal weights if every present actor has salience 0."""
        return self.s if self.s.sum() > 0 else np.ones_like(self.s)

    def position(self, actor: str) -> float | None:
        return float(self.x[self.actors.index(actor)]) if actor in self.actors else None

    @property
    def group(self) -> str:
        """The proposal, or the issue itself when no proposal is recorded."""
        return self.proposal or self.id
