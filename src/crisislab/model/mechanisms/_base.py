"""Small helpers shared by the mechanism modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np

try:
    from numpy._core.umath import clip as _clip  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - NumPy < 2
    from numpy.core.umath import clip as _clip  # type: ignore[no-redef]

F = TypeVar("F", bound=Callable[..., object])


def mechanism(mid: str) -> Callable[[F], F]:
    """Tag a step function with the mechanism ID it implements (used by traces)."""

    def wrap(fn: F) -> F:
        fn.mechanism_id = mid  # type: ignore[attr-defined]
        return fn

    return wrap


def clip01(x: np.ndarray) -> np.ndarray:
    """``np.clip(x, 0, 1)`` (the same ufunc, without the Python-level wrapper)."""
    return _clip(x, 0.0, 1.0)


def clip(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``np.clip(x, lo, hi)`` (the same ufunc, without the Python-level wrapper)."""
    return _clip(x, lo, hi)


def per_run(v: object, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """``np.broadcast_to(np.asarray(v, dtype=dtype), shape)``, without the copy-free view's
    overhead when ``v`` already has that shape (actions normalised by the engine do)."""
    arr: np.ndarray = np.asarray(v, dtype=dtype)
    return arr if arr.shape == shape else np.broadcast_to(arr, shape)


# --- parameters that may hold one value per run (batches of parameter points) -----------


def at(table: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``table[index]`` per run: a per-type or per-tranche vector read at each run's index;
    a table with one row per run (a batch of parameter points) is read row by row."""
    if table.ndim == 1:
        return table[index]
    return table[np.arange(index.shape[0]), index]


def col(v: object) -> object:
    """A scalar parameter ready to meet ``[runs, members]`` arrays: a per-run value becomes
    a column, a plain number stays as it is."""
    return v[:, None] if isinstance(v, np.ndarray) and v.ndim == 1 else v


def rows_of(v: object, rows: np.ndarray) -> object:
    """A scalar parameter for the runs ``rows``: a per-run value is indexed, a plain number
    stays as it is."""
    return v[rows] if isinstance(v, np.ndarray) and v.ndim == 1 else v


def power(x: np.ndarray, e: object) -> np.ndarray:
    """``x ** e`` for a parameter exponent. NumPy computes ``x ** 2.0`` and ``x ** 0.5`` by
    squaring and square root, not by ``pow``; so that a run in a batch of mixed points gets
    the bits it gets alone, per-run exponents are applied one value at a time."""
    if not isinstance(e, np.ndarray):
        return x**e
    out = np.empty(np.broadcast_shapes(x.shape, e.shape))
    for v in np.unique(e):
        sel = e == v
        out[sel] = x[sel] ** float(v)
    return out


def per_run_f(v: object, n: int) -> np.ndarray:
    """A kernel's per-run coefficient: ``[n]`` floats from a number or a per-run array."""
    arr = np.asarray(v, dtype=float)
    return arr if arr.shape == (n,) else np.full(n, float(arr))


def member_rows(v: np.ndarray) -> np.ndarray:
    """A per-member parameter as kernel rows: ``[1, members]``, or ``[runs, members]`` when
    it holds one row per run."""
    return v if v.ndim == 2 else v[None, :]
