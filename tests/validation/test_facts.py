"""Stylized facts: the README's reference numbers, intervals, and input checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from crisislab.errors import InputError
from crisislab.validation.data import ICB1, load_table
from crisislab.validation.facts import bootstrap_ci, compute_facts
from crisislab.validation.tolerances import load_tolerances

# Reference values from shared/data/README.md, "Stylized facts (computed here)", in percent
# (shares) or years, with the number of cases.
README = {
    "icb.viol.none": (25.7, 486), "icb.viol.minor": (29.2, 486), "icb.viol.serious": (23.9, 486),
    "icb.viol.war": (21.2, 486),
    "icb.mediation.rate": (31.7, 482),
    "icb.agreement.mediated": (62.1, 153), "icb.agreement.unmediated": (21.6, 329),
    "icb.agreement.facilitation": (41.2, 17), "icb.agreement.formulation": (56.9, 65),
    "icb.agreement.manipulation": (74.5, 51),
    "ties.acquiescence.threat": (42.7, 473), "ties.acquiescence.imposed": (33.0, 551),
    "mid.hostlev.threat": (3.0, 2436), "mid.hostlev.display": (26.8, 2436), "mid.hostlev.force": (65.8, 2436),
    "mid.hostlev.war": (4.4, 2436), "mid.settle.negotiated": (15.2, 2436),
    "gsdb.duration.same_year": (16.6, 1325),
}
README_YEARS = {"gsdb.duration.median": (3, 1325), "gsdb.duration.q1": (1, 1325), "gsdb.duration.q3": (8, 1325),
                "gsdb.duration.median_closed": (3, 912)}


@pytest.fixture(scope="module")
def facts(data_dir: Path):
    return {f.id: f for f in compute_facts(data_dir, reps=1000, seed=7)}


def test_readme_shares_reproduced(facts):
    for fid, (pct, n) in README.items():
        assert round(facts[fid].value * 100, 1) == pct, fid
        assert facts[fid].n == n, fid
        assert facts[fid].unit == "share"


def test_readme_durations_reproduced(facts):
    for fid, (years, n) in README_YEARS.items():
        assert facts[fid].value == years and facts[fid].n == n and facts[fid].unit == "years"


def test_every_fact_is_complete_and_its_ci_contains_the_estimate(facts):
    assert set(facts) == set(README) | set(README_YEARS)
    for f in facts.values():
        assert f.description and f.source and f.n > 0
        assert f.ci_low <= f.value <= f.ci_high, f.id
        if f.unit == "share" and 0.0 < f.value < 1.0:
            assert f.ci_low < f.ci_high, f.id


def test_mediation_facts_show_the_known_directions(facts):
    assert facts["icb.agreement.mediated"].ci_low > facts["icb.agreement.unmediated"].ci_high
    assert (facts["icb.agreement.facilitation"].value < facts["icb.agreement.formulation"].value
            < facts["icb.agreement.manipulation"].value)


def test_distributions_sum_to_one(facts):
    for prefix, keys in (("icb.viol.", ["none", "minor", "serious", "war"]),
                         ("mid.hostlev.", ["threat", "display", "force", "war"])):
        assert sum(facts[prefix + k].value for k in keys) == pytest.approx(1.0)


def test_bootstrap_is_seeded_and_independent_of_order(data_dir: Path):
    a = {f.id: f for f in compute_facts(data_dir, reps=300, seed=11)}
    b = {f.id: f for f in compute_facts(data_dir, reps=300, seed=11)}
    c = {f.id: f for f in compute_facts(data_dir, reps=300, seed=12)}
    assert a == b
    assert any(a[k].ci_low != c[k].ci_low or a[k].ci_high != c[k].ci_high for k in a)


def test_bootstrap_ci_of_a_known_proportion():
    x = np.r_[np.ones(300), np.zeros(700)]
    lo, hi = bootstrap_ci(x, np.mean, reps=2000, seed=3, key="t")
    se = np.sqrt(0.3 * 0.7 / 1000)
    assert lo == pytest.approx(0.3 - 1.96 * se, abs=0.01)
    assert hi == pytest.approx(0.3 + 1.96 * se, abs=0.01)


def test_tolerance_file_covers_every_fact_and_its_sampling_error(facts):
    tol = load_tolerances()
    assert tol.version >= 1 and tol.date
    assert set(tol.facts) == set(facts)
    for fid, f in facts.items():
        half_width = (f.ci_high - f.ci_low) / 2
        assert tol.facts[fid].tolerance >= half_width - 1e-9, fid
        assert tol.facts[fid].simulated_as
    roles = {t.role for t in tol.facts.values()}
    assert {"calibration", "holdout"} <= roles
    # MID, TIES and GSDB are never used for calibration
    assert all(t.role == "holdout" for k, t in tol.facts.items() if k.split(".")[0] in {"mid", "ties", "gsdb"})


def _copy_data(src: Path, dst: Path) -> Path:
    for rel in ("icb/icb1v14.csv", "ties/TIES.csv", "mid/cow_mid_disps.csv", "gsdb/GSDB_V3.csv"):
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / rel, dst / rel)
    return dst


def test_missing_column_names_file_and_column(data_dir: Path, tmp_path: Path):
    root = _copy_data(data_dir, tmp_path)
    path = root / "icb/icb1v14.csv"
    text = path.read_text(encoding="utf-8-sig")
    header, rest = text.split("\n", 1)
    path.write_text(header.replace(",forout,", ",forout_renamed,") + "\n" + rest, encoding="utf-8")
    with pytest.raises(InputError) as err:
        compute_facts(root, reps=10)
    assert "icb1v14.csv" in str(err.value) and "'forout'" in str(err.value)


def test_missing_file_is_an_input_error(data_dir: Path, tmp_path: Path):
    root = _copy_data(data_dir, tmp_path)
    (root / "mid/cow_mid_disps.csv").unlink()
    with pytest.raises(InputError) as err:
        compute_facts(root, reps=10)
    assert "cow_mid_disps.csv" in str(err.value)


def test_non_numeric_cell_names_column_and_line(tmp_path: Path):
    (tmp_path / "icb").mkdir()
    (tmp_path / "icb/icb1v14.csv").write_text(
        "crisno,viol,mediate,medstyle,forout\n1,2,4,3,1\n2,two,1,1,7\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_table(tmp_path, ICB1)
    msg = str(err.value)
    assert "'viol'" in msg and "line 3" in msg


def test_no_data_folder_is_an_input_error(monkeypatch, tmp_path: Path):
    monkeypatch.delenv("CRISISLAB_DATA", raising=False)
    with pytest.raises(InputError):
        compute_facts(None)
    with pytest.raises(InputError):
        compute_facts(tmp_path / "absent")
