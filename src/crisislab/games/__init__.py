"""Analytic games behind the simulator's mechanisms, solved exactly.

Each game is a module with a parameter model, ``solve(params) -> Solution`` and
(optionally) vectorised closed forms for sweeps; all register in :data:`GAMES`.

>>> from crisislab.games import solve
>>> sol = solve("deterrence", permanence=0.95, damage=0.15)
>>> sol.summary["deterred"]
True
"""

from __future__ import annotations

from typing import Any

from crisislab.games import bargaining, brinkmanship, deterrence, mediation, screening, voting  # noqa: F401  (registration)
from crisislab.games.base import GAMES, GameSpec, Solution, get_game


def solve(game: str, **params: Any) -> Solution:
    """Solve the registered ``game`` at the given parameters (others at their defaults)."""
    spec = get_game(game)
    return spec.solve(spec.parse(params, source="parameter"))


__all__ = ["GAMES", "GameSpec", "Solution", "get_game", "solve"]
