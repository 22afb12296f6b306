"""Check that the packages a benchmark needs are installed, before it imports them.

The benchmarks use packages the simulator itself does not (Mesa for the reference model,
psutil for memory and machine figures). They come with the ``bench`` extra::

    pip install -e ".[bench]"
"""

from __future__ import annotations

import importlib.util
import sys

INSTALL = 'pip install -e ".[bench]"'


def need(*modules: str) -> None:
    """Exit with code 2 and one line of advice if any of ``modules`` cannot be imported."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        names = ", ".join(missing)
        print(
            f"error: this benchmark needs {names}, which {'is' if len(missing) == 1 else 'are'} not installed; "
            f"install what the benchmarks need with: {INSTALL}",
            file=sys.stderr,
        )
        raise SystemExit(2)
