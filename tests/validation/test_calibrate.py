"""Calibration: only calibration facts are fitted, the shipped file's provenance holds, a tiny
run of the procedure works end to end, and fitted values never reach shipped scenarios silently."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from crisislab.errors import InputError
from crisislab.scenario import load_scenario
from crisislab.validation.calibrate import (
    CAL_PARAMS,
    calibrate,
    calibrated_scenario,
    calibration_facts,
    calibration_path,
    default_values,
    load_calibration,
    model_fingerprint,
    sha256_prefix,
    write_calibration,
)
from crisislab.validation.family import family_path, load_family
from crisislab.validation.tolerances import default_path, load_tolerances


@pytest.fixture(scope="module")
def shipped() -> dict:
    return yaml.safe_load(calibration_path().read_text(encoding="utf-8"))


def test_shipped_provenance_matches_data_family_and_tolerances(shipped, data_dir: Path):
    for rel, digest in shipped["data"].items():
        assert sha256_prefix(data_dir / rel) == digest, rel
    assert set(shipped["data"]) == {"icb/icb1v14.csv"}  # held-out data sets are never read
    assert shipped["family"]["sha256"] == sha256_prefix(family_path())
    assert shipped["tolerances"]["sha256"] == sha256_prefix(default_path())
    assert shipped["tolerances"]["version"] == load_tolerances().version
    assert isinstance(shipped["seed"], int) and shipped["date"] and shipped["objective"]
    assert len(shipped["model_fingerprint"]) == 16 and isinstance(shipped["model_changed_during_run"], bool)
    assert "crisislab validate calibrate" in shipped["command"]


def test_shipped_file_fits_only_calibration_facts(shipped):
    tol = load_tolerances()
    cal = {k for k, t in tol.facts.items() if t.role == "calibration"}
    assert set(shipped["fitted_on"]) == cal
    assert shipped["not_fitted"] == {k: t.role for k, t in tol.facts.items() if t.role != "calibration"}
    assert not set(shipped["fitted_on"]) & set(shipped["not_fitted"])
    assert all(role in ("holdout", "context") for role in shipped["not_fitted"].values())


def test_shipped_values_are_in_bounds_and_improved_the_objective(shipped):
    values = load_calibration().values
    assert set(values) == set(CAL_PARAMS)
    for k, (lo, hi) in CAL_PARAMS.items():
        assert lo <= values[k] <= hi, k
        assert shipped["parameters"][k]["bounds"] == [lo, hi]
    assert shipped["objective_value"]["fitted"] <= shipped["objective_value"]["default"]


def test_calibration_reads_only_the_icb_file(data_dir: Path, tmp_path: Path):
    (tmp_path / "icb").mkdir()
    shutil.copyfile(data_dir / "icb/icb1v14.csv", tmp_path / "icb/icb1v14.csv")
    tol = load_tolerances()
    facts = calibration_facts(tmp_path, tol, reps=50)  # would fail if MID, TIES or GSDB were opened
    assert {f.id for f in facts} == {k for k, t in tol.facts.items() if t.role == "calibration"}


def test_a_fact_turned_holdout_leaves_the_objective(data_dir: Path, tmp_path: Path):
    text = default_path().read_text(encoding="utf-8")
    marker = "  icb.viol.war:\n    tolerance: 0.06\n    role: calibration"
    assert marker in text
    path = tmp_path / "tol.yaml"
    path.write_text(text.replace(marker, marker.replace("calibration", "holdout")), encoding="utf-8")
    facts = calibration_facts(data_dir, load_tolerances(path), reps=50)
    assert "icb.viol.war" not in {f.id for f in facts} and "icb.viol.none" in {f.id for f in facts}


def test_tiny_calibration_end_to_end(data_dir: Path, tmp_path: Path):
    fam = load_family()
    res = calibrate(data_dir, seed=3, crises=1, runs=20, scan=1, evals=4, family=fam)
    assert res.evaluations == 4
    assert res.defaults == default_values(fam)
    assert res.j_fitted <= res.j_default
    for k, (lo, hi) in CAL_PARAMS.items():
        assert lo <= res.values[k] <= hi
    out = tmp_path / "cal.yaml"
    doc = write_calibration(res, out, data_dir=data_dir, seed=3, crises=1, runs=20, scan=1, evals=4, command="test")
    assert doc["data"]["icb/icb1v14.csv"] == sha256_prefix(data_dir / "icb/icb1v14.csv")
    assert doc["model_fingerprint"] == model_fingerprint()
    assert load_calibration(out).values == res.values
    assert set(doc["fitted_on"]) == {f.id for f in res.facts}


def test_fitted_values_apply_only_when_asked():
    values = load_calibration().values
    toy = calibrated_scenario("toy-3").model_dump()
    assert values, "the shipped calibration fits no parameter"
    for path, fitted in values.items():
        node = toy
        for part in path.split("."):
            node = node[int(part)] if isinstance(node, list) else node[part]
        assert node == pytest.approx(fitted, rel=0, abs=0), path
    # the shipped scenarios are untouched
    for name in ("eu-russia", "toy-3"):
        sc = load_scenario(name)
        assert all(s.strength == 1.0 for s in sc.mechanisms.values())
        assert "deterrence_inequality" not in sc.mechanisms


def test_bad_calibration_file_is_an_input_error(tmp_path: Path):
    bad = tmp_path / "c.yaml"
    bad.write_text("parameters:\n  adversary.rationality: {fitted: high}\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_calibration(bad)
    assert "adversary.rationality" in str(err.value)
    with pytest.raises(InputError):
        load_calibration(tmp_path / "absent.yaml")


def test_model_fingerprint_names_behaviour_not_source():
    fam = load_family()
    a = model_fingerprint(fam)
    assert a == model_fingerprint(fam) and len(a) == 16
    from crisislab.validation.calibrate import family_with

    changed = family_with(fam, {"mechanisms.deterrence_inequality.strength": 0.0, "adversary.rationality": 1.0})
    assert model_fingerprint(changed) != a
