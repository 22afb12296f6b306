"""The compare table: n/a where there is no value, and a Δ legend that is true in plain text."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from crisislab import compare
from crisislab.cli import main
from crisislab.experiments.cli_core import _compare_table, significant
from crisislab.experiments.compare import compare_outcomes
from crisislab.report.build import interval_text


@pytest.fixture(scope="module")
def never_settles():
    """Three doctrines on the same runs; the second never settles (no weeks_to_settlement)."""
    c = compare("toy-3", ["isolation", "mediated_offramp", "test_by_offer"], runs=80, seed=2)
    out = {d: df.copy() for d, df in c.outcomes.items()}
    out["mediated_offramp"]["weeks_to_settlement"] = np.nan
    res = compare_outcomes(out, scenario="toy-3", seed=2)
    res.runs = 80
    return res


def test_missing_values_print_n_a_and_nothing_else(never_settles, capsys):
    _compare_table(never_settles)
    text = capsys.readouterr().out
    row = next(line for line in text.splitlines() if "weeks_to_settlement" in line)
    cells = [c.strip() for c in row.split("│")[1:-1]]
    assert cells[0] == "weeks_to_settlement" and cells[2] == "n/a", cells
    assert "±-" not in text and "- ±" not in text and "Δ-\n" not in text and "Δ- " not in text
    # the Δ row under it: n/a for the doctrine without a value
    lines = text.splitlines()
    delta = lines[lines.index(row) + 1]
    assert [c.strip() for c in delta.split("│")[1:-1]][2] == "Δ n/a"
    assert "n/a: no value" in text


def test_the_delta_legend_is_true_without_styles(never_settles, capsys):
    _compare_table(never_settles)  # captured output is not a terminal: no bold, no dim
    text = capsys.readouterr().out
    assert "bold" not in text and "\x1b[" not in text
    assert "Δ: paired difference, the mean over the same runs of (doctrine − isolation)" in text
    p = never_settles.paired.set_index(["doctrine", "metric"])
    stars = {k for k, r in p.iterrows() if significant(r["ci_low"], r["ci_high"])}
    assert stars, "the fixture should have at least one significant difference"
    assert "* marks a Δ whose 95% CI excludes zero" in text
    assert text.count("*") - 1 == len(stars)  # one star per significant Δ, plus the legend's
    for (doctrine, metric), r in p.iterrows():
        if (doctrine, metric) in stars:
            assert f"{r['diff']:+.3g}*" in text


def test_csv_names_the_baseline_and_the_significance(capsys):
    assert (
        main(
            [
                "compare",
                "toy-3",
                "--runs",
                "120",
                "--seed",
                "3",
                "--doctrines",
                "isolation,test_by_offer",
                "-f",
                "csv",
            ]
        )
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {"diff", "diff_ci_low", "diff_ci_high", "diff_vs", "diff_ci_excludes_zero"} <= set(
        rows[0]
    )
    for r in rows:
        if r["doctrine"] == "isolation":
            assert r["diff_vs"] == "" and r["diff_ci_excludes_zero"] == "" and r["diff"] == ""
        else:
            assert r["diff_vs"] == "isolation"
            if r["diff"] == "":
                assert r["diff_ci_excludes_zero"] == ""
            else:
                lo, hi = float(r["diff_ci_low"]), float(r["diff_ci_high"])
                assert r["diff_ci_excludes_zero"] == ("true" if lo > 0 or hi < 0 else "false")
    assert {r["diff_ci_excludes_zero"] for r in rows} >= {"true", "false"}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((0.25, 0.1, 0.4), "0.250 [0.100, 0.400]"),
        ((float("nan"), float("nan"), float("nan")), "n/a"),
        ((None, None, None), "n/a"),
        ((3.0, float("nan"), float("nan")), "3.000"),
    ],
)
def test_report_interval_text(args, expected):
    assert interval_text(*args) == expected
