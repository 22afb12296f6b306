"""Small helpers shared by the mechanism modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np

F = TypeVar("F", bound=Callable[..., object])


def mechanism(mid: str) -> Callable[[F], F]:
    """Tag a step function with the mechanism ID it implements (used by traces)."""

    def wrap(fn: F) -> F:
        fn.mechanism_id = mid  # type: ignore[attr-defined]
        return fn

    return wrap


def clip01(x: np.ndarray) -> np.ndarray:
    return np.clip(x, 0.0, 1.0)
