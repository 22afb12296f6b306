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
