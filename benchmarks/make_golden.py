"""Write ``tests/perf/golden.json``: fingerprints of the engine's per-run outcomes.

``tests/perf/test_golden.py`` recomputes them; a mismatch means the engine's results
changed. Optimisations must not change them. When the model itself is changed on
purpose (a mechanism, a constant, a scenario), regenerate the file and commit it with
the change::

    python benchmarks/make_golden.py

Each case is (scenario, doctrine, seed, runs); its fingerprint is the SHA-256 of the
outcome table with every number written to 10 significant digits (so platforms whose
math library rounds the last bit differently still agree), plus per-column fingerprints
that name what changed.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "perf" / "golden.json"
SCENARIOS = ("toy-3", "eu-russia")
SEEDS = (7, 2024)
RUNS = 50


def _column_text(values: pd.Series) -> str:
    if pd.api.types.is_numeric_dtype(values):
        return ",".join("nan" if np.isnan(v) else f"{v:.10g}" for v in values.to_numpy(float))
    return ",".join(str(v) for v in values)


def fingerprint(df: pd.DataFrame) -> dict[str, Any]:
    cols = {c: hashlib.sha256(_column_text(df[c]).encode()).hexdigest()[:16] for c in df.columns}
    whole = hashlib.sha256("|".join(f"{c}:{h}" for c, h in cols.items()).encode()).hexdigest()
    return {"sha256": whole, "columns": cols}


def cases() -> list[dict[str, Any]]:
    from crisislab.doctrines import PRESETS

    return [{"scenario": sc, "doctrine": d, "seed": seed, "runs": RUNS} for sc in SCENARIOS for d in PRESETS for seed in SEEDS]


def compute() -> list[dict[str, Any]]:
    from crisislab import simulate

    out = []
    for case in cases():
        df = simulate(case["scenario"], case["doctrine"], case["runs"], case["seed"])
        out.append({**case, **fingerprint(df)})
    return out


def main() -> int:
    data = {"about": "fingerprints of per-run outcomes; regenerate with `python benchmarks/make_golden.py`", "cases": compute()}
    GOLDEN.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {GOLDEN.relative_to(ROOT)} ({len(data['cases'])} cases)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
