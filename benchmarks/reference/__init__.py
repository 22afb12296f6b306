"""A plain per-agent implementation of the crisislab model, for equivalence tests and as
the speed baseline of the batched engine.

One run at a time, one agent per member, plus the adversary and the mediator, in Mesa 3;
plain Python floats; the same compiled scenario (:class:`~crisislab.model.params.Params`),
the same named constants (``crisislab.model.core.ESCALATE_GAIN`` ...) and crisis dynamics
(``Params.dyn``), the same end kinds (``crisislab.model.outcomes.END_KINDS``), the same per-run
random streams (``Streams(seed, [run])``, same slots) and the same doctrine objects. The
step order and every formula are written out again from the batched code, which is the
specification; nothing of the batched mechanism code is imported.

>>> from benchmarks.reference import simulate_reference
>>> df, traj = simulate_reference("toy-3", "isolation", runs=2, seed=1)
>>> len(df), traj["rung"].shape[0]
(2, 2)
"""

from __future__ import annotations

from benchmarks.reference.model import REFERENCE_ORDER, CoalitionModel, simulate_reference

__all__ = ["REFERENCE_ORDER", "CoalitionModel", "simulate_reference"]
