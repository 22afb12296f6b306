"""Build the small derived CAMEO table that ships with crisislab.

The full CAMEO code table is *not* shipped (it is read at run time from the reference data
folder). What ships is ``data/cameo_roots.json``: one row per CAMEO root code (01-20) with
its name, the GDELT quad class, the Goldstein weight of the root and the range of weights
of the codes below it. It is built from the two tables described in the data folder's
README (the ICEWS code table ``cameo/cameo-codes.csv`` and GDELT's
``cameo/CAMEO.goldsteinscale.txt``); the ICEWS table is the one used, GDELT's is read only
to record where the two disagree.

Run::

    python -m crisislab.policy.build_cameo_table DATA_DIR [-o OUT.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

#: GDELT quad classes by CAMEO root code (GDELT event codebook, field QuadClass).
QUAD_CLASSES: dict[int, str] = {
    1: "verbal cooperation",
    2: "material cooperation",
    3: "verbal conflict",
    4: "material conflict",
}

CITATION = (
    "Derived from the CAMEO code table of the icews R package (Andreas Beger, MIT licence; "
    "github.com/andybega/icews, data-raw/cameo-codes.csv) and checked against GDELT's "
    "CAMEO.goldsteinscale.txt (github.com/moxious/gdelt). CAMEO: Schrodt, Philip A. 2012, "
    "CAMEO Conflict and Mediation Event Observations Event and Actor Codebook, v1.1b3; "
    "Gerner, Schrodt, Yilmaz and Abu-Jabr 2002. Goldstein, Joshua S. 1992, 'A Conflict-"
    "Cooperation Scale for WEIS Events Data', Journal of Conflict Resolution 36(2): 369-385. "
    "ICEWS: Boschee et al., ICEWS Coded Event Data, Harvard Dataverse, doi:10.7910/DVN/28075. "
    "GDELT: Leetaru and Schrodt 2013. Quad classes as in the GDELT event codebook."
)


def quad_class(root: str) -> int:
    """The GDELT quad class (1-4) of a two-digit CAMEO root code."""
    r = int(root)
    if 1 <= r <= 4:
        return 1
    if 5 <= r <= 8:
        return 2
    if 9 <= r <= 13:
        return 3
    return 4


def build(data_dir: Path) -> dict[str, Any]:
    """Read the two reference tables under ``data_dir`` and return the derived table."""
    icews_path = data_dir / "cameo" / "cameo-codes.csv"
    gdelt_path = data_dir / "cameo" / "CAMEO.goldsteinscale.txt"
    with icews_path.open(encoding="cp1252", newline="") as fh:
        icews = {row["code"]: (row["name"], float(row["goldstein"])) for row in csv.DictReader(fh)}
    gdelt: dict[str, float] = {}
    if gdelt_path.exists():
        with gdelt_path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh, delimiter="\t")
            next(reader)
            for row in reader:
                if len(row) >= 2:
                    gdelt[row[0].strip()] = float(row[1])
    roots: list[dict[str, Any]] = []
    for root in sorted(c for c in icews if len(c) == 2):
        under = {c: g for c, (_, g) in icews.items() if c.startswith(root)}
        differs = sorted(c for c, g in under.items() if c in gdelt and gdelt[c] != g)
        missing = sorted(c for c in under if gdelt and c not in gdelt)
        q = quad_class(root)
        roots.append(
            {
                "root": root,
                "name": icews[root][0].capitalize(),
                "quad_class": q,
                "quad_label": QUAD_CLASSES[q],
                "goldstein": icews[root][1],
                "goldstein_min": min(under.values()),
                "goldstein_max": max(under.values()),
                "n_codes": len(under),
                "gdelt_differs": differs,
                "gdelt_missing": missing,
            }
        )
    return {
        "title": "CAMEO root codes with Goldstein weights (derived)",
        "table_used": "ICEWS cameo-codes.csv",
        "citation": CITATION,
        "n_codes_full_table": len(icews),
        "roots": roots,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="the reference data folder (holds cameo/)")
    parser.add_argument("-o", "--out", type=Path, default=Path(__file__).parent / "data" / "cameo_roots.json")
    args = parser.parse_args(argv)
    table = build(args.data_dir)
    args.out.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(table['roots'])} root codes to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
