"""The doctrine protocol: how a coalition strategy plugs into the engine.

A doctrine is a small class with metadata (its source text, the levers it pulls and the
mechanisms its case rests on) and two methods:

* ``reset(params, runs)`` before a batch starts,
* ``act(obs) -> Actions`` once per week, vectorised over runs: ``obs`` holds arrays with a
  leading run axis (see :class:`~crisislab.model.state.Observation`).

A doctrine sees only what the coalition could observe (the rung, the adversary's last
move, how long a change has been sustained, its own posterior over types, its members'
costs and support), never the adversary's true type.

Write your own by subclassing :class:`Doctrine`::

    class Cautious(Doctrine):
        name = "cautious"
        source = "user"
        summary = "talk only below war, surge aid at war"
        levers = ("talks", "aid")
        mechanisms = ("misperception",)

        def act(self, obs):
            return Actions(talks=obs.rung < 4, aid=np.where(obs.rung >= 4, 1.0, 0.5))
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from crisislab.errors import InputError, Problem
from crisislab.model.params import Params
from crisislab.model.state import Actions, Observation


class Doctrine:
    """Base class of every doctrine; subclasses set the metadata and override :meth:`act`."""

    name: ClassVar[str] = "doctrine"
    source: ClassVar[str] = "user"
    summary: ClassVar[str] = ""
    levers: ClassVar[tuple[str, ...]] = ()
    mechanisms: ClassVar[tuple[str, ...]] = ()
    defaults: ClassVar[dict[str, Any]] = {}
    #: A run's actions depend only on its own observations and the batch's structure (not
    #: on which other runs share the batch, nor on their number), so one instance may act
    #: for the runs of many parameter points (:func:`crisislab.model.engine.run_points`).
    batch_safe: ClassVar[bool] = True

    def __init__(self, **params: Any) -> None:
        unknown = set(params) - set(self.defaults)
        if unknown:
            key = sorted(unknown)[0]
            raise InputError(
                f"doctrine {self.name}",
                [Problem(f"parameter {key!r}", repr(params[key]), f"one of: {', '.join(self.defaults) or 'no parameters'}")],
            )
        self.params: dict[str, Any] = {**self.defaults, **params}
        self.p: Params | None = None
        self.runs = 0

    def reset(self, params: Params, runs: int) -> None:
        """Called before each batch; keep per-batch memory here."""
        self.p = params
        self.runs = runs

    def act(self, obs: Observation) -> Actions:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """Metadata as a plain dict (for listings)."""
        return {
            "name": self.name,
            "source": self.source,
            "summary": self.summary,
            "levers": list(self.levers),
            "mechanisms": list(self.mechanisms),
            "params": dict(self.params),
        }


def type_index(obs: Observation, fragment: str, fallback: int) -> int:
    """Index of the first adversary type whose name contains ``fragment``."""
    for i, n in enumerate(obs.type_names):
        if fragment in n:
            return i
    return fallback if fallback >= 0 else len(obs.type_names) + fallback


def every(week: int, period: int) -> bool:
    return period > 0 and week % period == 0


__all__ = ["Actions", "Doctrine", "Observation", "every", "np", "type_index"]
