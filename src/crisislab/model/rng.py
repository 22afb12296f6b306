"""Counter-based random streams: one independent stream per (seed, run, step, slot).

Every random number in the engine is a pure function of the experiment seed, the global
run index, the step and a *slot* (which draw within the step it is, plus the member index
for per-member draws). Nothing is consumed from a shared generator, so run ``r`` with seed
``s`` gives the same trajectory whether it is simulated alone, in a batch of 50,000, in
chunks, in another process or on a Dask worker.

The hash is SplitMix64's finaliser applied twice over a Weyl-sequence combination of the
counters; it passes the usual avalanche tests and is cheap and fully vectorised in NumPy.

>>> import numpy as np
>>> a = Streams(7, np.arange(5)).uniform(3, Slot.CHOICE)
>>> b = Streams(7, np.arange(3, 5)).uniform(3, Slot.CHOICE)
>>> bool(np.all(a[3:] == b))
True
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from crisislab.model import kernels
from crisislab.model.hash_constants import ATTEMPT as _ATTEMPT
from crisislab.model.hash_constants import GOLDEN as _GOLDEN
from crisislab.model.hash_constants import INV53 as _INV53
from crisislab.model.hash_constants import M1 as _M1
from crisislab.model.hash_constants import M2 as _M2
from crisislab.model.hash_constants import MEMBER as _MEMBER
from crisislab.model.hash_constants import S11 as _S11
from crisislab.model.hash_constants import S27 as _S27
from crisislab.model.hash_constants import S30 as _S30
from crisislab.model.hash_constants import S31 as _S31


class Slot(IntEnum):
    """Which draw within a step. Append new slots at the end; never renumber."""

    TYPE = 1
    CHOICE = 2
    INADVERTENT = 3
    DEEP_STRIKE = 4
    CATASTROPHE = 5
    CONCEDE = 6
    SETTLE = 7
    OFFER = 8
    SIGNAL = 9
    STATEMENT = 10
    CYBER = 11
    UNILATERAL = 12
    VOTE = 13
    PRECONDITION = 14
    SIGNAL2 = 15
    COURT = 16
    OPTIMISM = 17
    BATTLE = 18
    COMPLY = 19
    FADE = 20


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


class Streams:
    """Per-run random streams for a batch of runs with global indices ``run_ids``."""

    def __init__(self, seed: int, run_ids: np.ndarray) -> None:
        with np.errstate(over="ignore"):
            ids = np.asarray(run_ids, dtype=np.uint64)
            seed_key = _mix(np.array([int(seed) & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64) + _GOLDEN)
            self._key = _mix(seed_key ^ (ids * _GOLDEN + _M2))

    @classmethod
    def joined(cls, parts: list[Streams]) -> Streams:
        """The streams of several batches as one batch, in order (each run keeps its own
        stream: its key depends only on its seed and global run index)."""
        out = cls.__new__(cls)
        out._key = np.concatenate([q._key for q in parts])
        return out

    @property
    def n(self) -> int:
        return int(self._key.shape[0])

    def _counter(self, step: int, slot: int) -> np.uint64:
        return np.uint64((((int(step) << 8) + int(slot)) * int(_GOLDEN)) & 0xFFFFFFFFFFFFFFFF)

    def _bits(self, step: int, slot: int, members: int | None) -> np.ndarray:
        """The raw 64-bit hashes in plain NumPy (the specification the kernels follow)."""
        with np.errstate(over="ignore"):
            counter = np.uint64((int(step) << 8) + int(slot)) * _GOLDEN
            z = self._key + counter
            if members is not None:
                z = z[:, None] + (np.arange(1, members + 1, dtype=np.uint64) * _MEMBER)[None, :]
            return _mix(_mix(z))

    def uniform_numpy(self, step: int, slot: int, members: int | None = None) -> np.ndarray:
        """:meth:`uniform` in plain NumPy (kept as the specification of the compiled kernel)."""
        return (self._bits(step, slot, members) >> _S11).astype(np.float64) * _INV53

    def normal_numpy(self, step: int, slot: int, members: int | None = None) -> np.ndarray:
        """:meth:`normal` in plain NumPy (kept as the specification of the compiled kernel)."""
        with np.errstate(over="ignore"):
            z1 = self._key + self._counter(step, slot)
            z2 = self._key + self._counter(step, slot + 128)
            pairs = 1 if members is None else (members + 1) // 2
            a = np.zeros(1, np.uint64) if members is None else np.arange(1, pairs + 1, dtype=np.uint64) * _MEMBER
            z1, z2 = z1[:, None] + a[None, :], z2[:, None] + a[None, :]
            x, y, f = (np.full(z1.shape, np.nan) for _ in range(3))
            pending = np.ones(z1.shape, dtype=bool)
            k = np.uint64(0)
            while pending.any():  # attempt k for the pairs still outside the unit disc
                w = k * _ATTEMPT
                u = 2.0 * ((_mix(_mix(z1[pending] + w)) >> _S11).astype(np.float64) * _INV53) - 1.0
                v = 2.0 * ((_mix(_mix(z2[pending] + w)) >> _S11).astype(np.float64) * _INV53) - 1.0
                s = u * u + v * v
                ok = (s > 0.0) & (s < 1.0)
                idx = tuple(ix[ok] for ix in np.nonzero(pending))
                x[idx], y[idx] = u[ok], v[ok]
                f[idx] = np.sqrt(-2.0 * np.log(s[ok]) / s[ok])
                pending[idx] = False
                k += np.uint64(1)
        if members is None:
            return x[:, 0] * f[:, 0]
        return np.stack([x * f, y * f], axis=2).reshape(z1.shape[0], 2 * pairs)[:, :members]

    def uniform(self, step: int, slot: int, members: int | None = None) -> np.ndarray:
        """Uniform draws in [0, 1): shape ``[runs]`` or ``[runs, members]``."""
        c = self._counter(step, slot)
        if members is None:
            return kernels.uniform_1d(self._key, c)
        return kernels.uniform_2d(self._key, c, int(members))

    def normal(self, step: int, slot: int, members: int | None = None) -> np.ndarray:
        """Standard normal draws by Marsaglia's polar method from uniforms of slots ``slot``
        and ``slot + 128`` (members ``2q`` and ``2q + 1`` share the pair ``q``; rejected
        attempts move to further counters, so every draw stays a function of its counters)."""
        c1, c2 = self._counter(step, slot), self._counter(step, slot + 128)
        if members is None:
            return kernels.normal_1d(self._key, c1, c2)
        return kernels.normal_2d(self._key, c1, c2, int(members))
