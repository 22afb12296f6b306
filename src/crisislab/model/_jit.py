"""Compiled inner loops (Numba) behind the batched engine (used through :mod:`crisislab.model.kernels`).

Everything here is an implementation detail of :mod:`crisislab.model.rng` and the mechanism
modules: each kernel computes exactly what the NumPy expression it replaces computes, with
the same IEEE operations in the same order (no fast-math, no fused multiply-add), so the
engine's results are bit-identical to the plain NumPy formulation on the same machine.
The only library functions used are ``log``, ``sqrt`` and ``exp`` from the C
math library; ``tests/perf/test_kernels.py`` checks every kernel against its NumPy form.

Set ``NUMBA_DISABLE_JIT=1`` to run the kernels as plain Python (slow, same results).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from crisislab.model.hash_constants import ATTEMPT as _ATTEMPT
from crisislab.model.hash_constants import INV53 as _INV53
from crisislab.model.hash_constants import M1 as _M1
from crisislab.model.hash_constants import M2 as _M2
from crisislab.model.hash_constants import MEMBER as _MEMBER
from crisislab.model.hash_constants import S11 as _S11
from crisislab.model.hash_constants import S27 as _S27
from crisislab.model.hash_constants import S30 as _S30
from crisislab.model.hash_constants import S31 as _S31

_opts: Any = {"cache": True, "nogil": True, "error_model": "numpy"}


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


# --- standard normals: Marsaglia's polar method ------------------------------------------
# A pair of normals comes from the first point (x, y) = (2 u1 - 1, 2 u2 - 1) of a sequence of
# attempts that falls strictly inside the unit disc: with s = x^2 + y^2 the pair is
# x * sqrt(-2 log(s) / s) and y * sqrt(-2 log(s) / s). Attempt k of pair ``a`` hashes the
# counter ``a + k * _ATTEMPT``; the attempt count is a pure function of the counters, so a
# run's draws never depend on the other runs in its batch. About 79 % of attempts succeed
# (the chance of 60 failures in a row is below 1e-40). Member 2q and 2q + 1 share pair q.


@njit(inline="always", **_opts)
def _polar(z1: np.uint64, z2: np.uint64, a: np.uint64) -> tuple[float, float]:
    k = np.uint64(0)
    while True:
        w = a + k * _ATTEMPT
        x = 2.0 * _unit(z1 + w) - 1.0
        y = 2.0 * _unit(z2 + w) - 1.0
        s = x * x + y * y
        if 0.0 < s < 1.0:
            f = math.sqrt(-2.0 * math.log(s) / s)
            return x * f, y * f
        k += np.uint64(1)


@njit(**_opts)
def normal_1d(key: np.ndarray, c1: np.uint64, c2: np.uint64) -> np.ndarray:
    n = key.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = _polar(key[i] + c1, key[i] + c2, np.uint64(0))[0]
    return out


@njit(**_opts)
def normal_2d(key: np.ndarray, c1: np.uint64, c2: np.uint64, m: int) -> np.ndarray:
    n = key.shape[0]
    out = np.empty((n, m))
    for i in range(n):
        z1 = key[i] + c1
        z2 = key[i] + c2
        for q in range((m + 1) // 2):
            x, y = _polar(z1, z2, np.uint64(q + 1) * _MEMBER)
            out[i, 2 * q] = x
            if 2 * q + 1 < m:
                out[i, 2 * q + 1] = y
    return out


# --- sums over members ------------------------------------------------------------------
# Weighted sums over members are taken in member order, one run at a time, so a run's
# result never depends on which other runs share its batch (BLAS matrix-vector products
# block rows differently by batch size and may differ in the last bit).


@njit(**_opts)
def rowdot(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``sum_j x[i, j] * w[j]`` for every run ``i``, summed in member order."""
    n, m = x.shape
    out = np.empty(n)
    for i in range(n):
        acc = 0.0
        for j in range(m):
            acc += x[i, j] * w[j]
        out[i] = acc
    return out


@njit(inline="always", **_opts)
def _row_spread(x: np.ndarray, i: int, w: np.ndarray) -> float:
    m = x.shape[1]
    mean = 0.0
    for j in range(m):
        mean += x[i, j] * w[j]
    acc = 0.0
    for j in range(m):
        d = x[i, j] - mean
        acc += (d * d) * w[j]
    return math.sqrt(acc)


@njit(**_opts)
def weighted_sd(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``sqrt(sum_j w[j] * (x[i, j] - sum_k w[k] x[i, k]) ** 2)``: weighted spread per run."""
    n = x.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = _row_spread(x, i, w)
    return out


@njit(inline="always", **_opts)
def _clip01(x: float) -> float:
    # np.clip(x, 0, 1): the bound when outside, else x itself (so -0.0 and NaN pass through)
    if x < 0.0:
        return 0.0
    if x > 1.0:
        return 1.0
    return x


@njit(inline="always", **_opts)
def _sign(x: float) -> float:
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    if x == 0.0:
        return 0.0
    return x


# --- member-level mechanism updates -----------------------------------------------------


@njit(**_opts)
def frontline_update(
    trust: np.ndarray, support: np.ndarray, bypass: np.ndarray, fl: np.ndarray, fl_idx: np.ndarray,
    c_bypass: np.ndarray, recovery: np.ndarray, c_hedge: np.ndarray, target: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """M07 for every run and member; returns (trust, support, mean frontline trust).

    A bypass takes the share ``c_bypass`` of the trust left; trust recovers toward the
    run's ``target`` by ``recovery`` a week. Coefficients are per run (``[runs]``)."""
    n, m = trust.shape
    new_t = np.empty((n, m))
    new_s = np.empty((n, m))
    intel = np.empty(n)
    k = fl_idx.shape[0]
    for i in range(n):
        b = 1.0 if bypass[i] else 0.0
        for j in range(m):
            f = 1.0 if fl[j] else 0.0
            t = trust[i, j] - (c_bypass[i] * b * trust[i, j]) * f
            t = t + (recovery[i] * (target[i] - t)) * f
            t = _clip01(t if fl[j] else 1.0)
            new_t[i, j] = t
            new_s[i, j] = _clip01(support[i, j] - (c_hedge[i] * (1.0 - t)) * f)
        if k > 0:
            acc = 0.0
            for q in range(k):
                acc += new_t[i, fl_idx[q]]
            intel[i] = acc / k
    return new_t, new_s, intel


@njit(**_opts)
def contagion_update(
    support: np.ndarray, intensity: np.ndarray, exposure: np.ndarray, rung: np.ndarray,
    gdp_share: np.ndarray, c_decay: np.ndarray, threat_recovery: np.ndarray, defect_below: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """M30: member costs, support after cost and threat, the GDP-weighted cost per run, and
    whether any member's new support is below ``defect_below``. ``exposure`` is
    ``[1, members]`` or one row per run; the coefficients are per run."""
    n, m = support.shape
    cost = np.empty((n, m))
    new_s = np.empty((n, m))
    weekly = np.empty(n)
    low = False
    for i in range(n):
        threat = threat_recovery[i] * (rung[i] / 7.0)
        ex = exposure[0] if exposure.shape[0] == 1 else exposure[i]
        acc = 0.0
        for j in range(m):
            c = intensity[i] * ex[j]
            cost[i, j] = c
            acc += c * gdp_share[j]
            s = support[i, j]
            v = _clip01((s - c_decay[i] * c) + threat * (1.0 - s))
            new_s[i, j] = v
            low = low or v < defect_below[i]
        weekly[i] = acc
    return cost, new_s, weekly, low


@njit(**_opts)
def dissent_update(stance: np.ndarray, w: np.ndarray, op: np.ndarray, c_dissent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """M29: operations push members away from the weighted centre; returns (stance, polarisation).
    ``c_dissent`` is per run."""
    n, m = stance.shape
    new = np.empty((n, m))
    pol = np.empty(n)
    for i in range(n):
        centre = 0.0
        for j in range(m):
            centre += stance[i, j] * w[j]
        o = c_dissent[i] * (1.0 if op[i] else 0.0)
        for j in range(m):
            new[i, j] = _clip01(stance[i, j] + o * _sign(stance[i, j] - centre))
        pol[i] = _row_spread(new, i, w)
    return new, pol


@njit(**_opts)
def statement_spread(stance: np.ndarray, scale: np.ndarray, noise: np.ndarray, w: np.ndarray) -> np.ndarray:
    """M09: weighted spread of the statements ``stance + scale * noise`` per run."""
    n, m = stance.shape
    out = np.empty(n)
    buf = np.empty(m)
    for i in range(n):
        mean = 0.0
        for j in range(m):
            x = stance[i, j] + scale[i] * noise[i, j]
            buf[j] = x
            mean += x * w[j]
        acc = 0.0
        for j in range(m):
            d = buf[j] - mean
            acc += (d * d) * w[j]
        out[i] = math.sqrt(acc)
    return out


@njit(inline="always", **_opts)
def _pairwise_row(x: np.ndarray, i: int) -> float:
    # NumPy's summation of one contiguous row: sequential below 8 terms, 8 accumulators up
    # to 128 (longer rows are split in halves); a row sum equals ``x[i].sum()`` bit for bit
    n = x.shape[1]
    if n < 8:
        res = -0.0
        for j in range(n):
            res += x[i, j]
        return res
    if n <= 128:
        r0, r1, r2, r3 = x[i, 0], x[i, 1], x[i, 2], x[i, 3]
        r4, r5, r6, r7 = x[i, 4], x[i, 5], x[i, 6], x[i, 7]
        j = 8
        while j < n - (n % 8):
            r0 += x[i, j]
            r1 += x[i, j + 1]
            r2 += x[i, j + 2]
            r3 += x[i, j + 3]
            r4 += x[i, j + 4]
            r5 += x[i, j + 5]
            r6 += x[i, j + 6]
            r7 += x[i, j + 7]
            j += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while j < n:
            res += x[i, j]
            j += 1
        return res
    raise ValueError("row sums of more than 128 terms are not implemented")


@njit(**_opts)
def logit_choice(u_deescalate: np.ndarray, u_escalate: np.ndarray, lam: np.ndarray, draw: np.ndarray) -> np.ndarray:
    """The adversary's logit choice (-1, 0, +1) as ``core.adversary_choice`` computes it:
    ``u = [u_de, 0, u_esc] * lam``, ``w = exp(u - max u)``, cdf over (de, hold), draw.
    ``lam`` (the precision) is per run."""
    n = draw.shape[0]
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        u0 = u_deescalate[i] * lam[i]
        u1 = 0.0 * lam[i]
        u2 = u_escalate[i] * lam[i]
        top = u0  # NumPy's maximum: keeps the first of equals, propagates NaN
        if not (top >= u1 or top != top):
            top = u1
        if not (top >= u2 or top != top):
            top = u2
        w0 = math.exp(u0 - top)
        w1 = math.exp(u1 - top)
        w2 = math.exp(u2 - top)
        total = ((-0.0 + w0) + w1) + w2
        c0 = w0 / total
        c1 = (w0 + w1) / total
        out[i] = (1 if draw[i] > c0 else 0) + (1 if draw[i] > c1 else 0) - 1
    return out


@njit(**_opts)
def type_signal_update(belief: np.ndarray, x: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """M19's weekly Bayes update on a noisy signal ``x`` of the type index (types 0..T-1):
    ``post = log(max(belief, 1e-300)) - 0.5 ((x - t) / noise)^2``, normalised by softmax."""
    n, t_count = belief.shape
    out = np.empty((n, t_count))
    for i in range(n):
        top = 0.0
        for t in range(t_count):
            d = (x[i] - t) / noise[i]
            b = belief[i, t]
            v = math.log(b if (b >= 1e-300 or b != b) else 1e-300) + -0.5 * (d * d)
            out[i, t] = v
            if t == 0 or not (top >= v or top != top):
                top = v
        for t in range(t_count):
            out[i, t] = math.exp(out[i, t] - top)
        total = _pairwise_row(out, i)
        for t in range(t_count):
            out[i, t] = out[i, t] / total
    return out


# --- the Council's bargaining point (M08, M24) -------------------------------------------


@njit(**_opts)
def nash_bisect(x: np.ndarray, w: np.ndarray, scale: float, tol: float) -> np.ndarray:
    """:func:`crisislab.council.models.nash_point` row by row (its NumPy code is the
    specification): bisection on the sign of ``sum_j w_j sign(x_j - y) / max(scale - |y -
    x_j|, 1e-12)`` between the lowest and highest position of positive weight, stopping
    once the row's interval is below ``tol`` (at most 64 steps). ``x`` has no NaN (callers
    give missing actors weight 0)."""
    n, m = x.shape
    out = np.empty(n)
    terms = np.empty((1, m))
    for i in range(n):
        lo = np.inf
        hi = -np.inf
        for j in range(m):
            if w[i, j] > 0:
                if x[i, j] < lo:
                    lo = x[i, j]
                if x[i, j] > hi:
                    hi = x[i, j]
        if lo == np.inf:
            lo = 0.0
            hi = 0.0
        for _ in range(64):
            mid = 0.5 * (lo + hi)
            for j in range(m):
                gap = scale - abs(mid - x[i, j])
                if not (gap >= 1e-12):
                    gap = 1e-12
                terms[0, j] = (w[i, j] * _sign(x[i, j] - mid)) / gap
            g = _pairwise_row(terms, 0)
            if g > 0:
                lo = mid
            else:
                hi = mid
            if not (hi - lo >= tol):
                break
        out[i] = 0.5 * (lo + hi)
    return out
