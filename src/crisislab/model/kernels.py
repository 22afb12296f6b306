"""Compiled inner loops (Numba) behind the batched engine.

Everything here is an implementation detail of :mod:`crisislab.model.rng` and the mechanism
modules: each kernel computes exactly what the NumPy expression it replaces computes, with
the same IEEE operations in the same order (no fast-math, no fused multiply-add), so the
engine's results are bit-identical to the plain NumPy formulation on the same machine.
The only library functions used are ``log1p``, ``cos``, ``sqrt`` and ``exp`` from the C
math library; ``tests/perf/test_kernels.py`` checks every kernel against its NumPy form.

Set ``NUMBA_DISABLE_JIT=1`` to run the kernels as plain Python (slow, same results).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_MEMBER = np.uint64(0xD1B54A32D192ED03)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0
_TWO_PI = 2.0 * np.pi  # the same double as NumPy's ``2.0 * np.pi``

_opts = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(inline="always", **_opts)
def _mix(z: np.uint64) -> np.uint64:
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(inline="always", **_opts)
def _unit(z: np.uint64) -> float:
    return float(_mix(_mix(z)) >> _S11) * _INV53


@njit(**_opts)
def uniform_1d(key: np.ndarray, counter: np.uint64) -> np.ndarray:
    n = key.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = _unit(key[i] + counter)
    return out


@njit(**_opts)
def uniform_2d(key: np.ndarray, counter: np.uint64, m: int) -> np.ndarray:
    n = key.shape[0]
    out = np.empty((n, m))
    for i in range(n):
        z = key[i] + counter
        for j in range(m):
            out[i, j] = _unit(z + np.uint64(j + 1) * _MEMBER)
    return out


@njit(inline="always", **_opts)
def _box_muller(u1: float, u2: float) -> float:
    return math.sqrt(-2.0 * math.log1p(-u1)) * math.cos(_TWO_PI * u2)


@njit(**_opts)
def normal_1d(key: np.ndarray, c1: np.uint64, c2: np.uint64) -> np.ndarray:
    n = key.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = _box_muller(_unit(key[i] + c1), _unit(key[i] + c2))
    return out


@njit(**_opts)
def normal_2d(key: np.ndarray, c1: np.uint64, c2: np.uint64, m: int) -> np.ndarray:
    n = key.shape[0]
    out = np.empty((n, m))
    for i in range(n):
        z1 = key[i] + c1
        z2 = key[i] + c2
        for j in range(m):
            w = np.uint64(j + 1) * _MEMBER
            out[i, j] = _box_muller(_unit(z1 + w), _unit(z2 + w))
    return out
