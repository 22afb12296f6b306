"""Compiled inner loops of the batched engine (see :mod:`crisislab.model._jit`).

This module is a lazy front: Numba is imported, and the kernels loaded from its cache,
the first time a kernel is used, not when :mod:`crisislab` is imported. A command that
only hands work to worker processes (``--backend processes``) never loads Numba in the
parent process.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    from crisislab.model import _jit

    try:
        value = getattr(_jit, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    globals()[name] = value
    return value
