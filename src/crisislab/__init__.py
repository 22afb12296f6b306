"""crisislab: a laboratory for coalition diplomacy under threat.

The Python API mirrors the command line: :func:`load_scenario`, :func:`simulate`,
:func:`compare`, :func:`trace`, :func:`solve`.
"""

from crisislab.api import compare, simulate, simulate_full, simulate_points, trace
from crisislab.games import solve
from crisislab.scenario import load_scenario

__version__ = "0.1.0"

__all__ = ["__version__", "compare", "load_scenario", "simulate", "simulate_full", "simulate_points", "solve", "trace"]
