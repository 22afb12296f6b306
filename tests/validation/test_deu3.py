"""The DEU III backtest: README baselines, model properties, and the loader's input checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisislab.errors import InputError
from crisislab.validation.deu3 import (
    ACTORS,
    POSITION_COLUMNS,
    SALIENCE_COLUMNS,
    Issue,
    backtest,
    compromise,
    eu_model,
    load_deu3,
    nash,
    parse_deu3,
    wmedian,
)
from crisislab.validation.mandate import MandateModel

HEADER = [*POSITION_COLUMNS, *SALIENCE_COLUMNS, "rp", "out"]


@pytest.fixture(scope="module")
def dev(data_dir: Path):
    return load_deu3(data_dir / "deu3" / "deu3_dev.csv")


@pytest.fixture(scope="module")
def results(dev):
    return {r.model: r for r in backtest(dev, reps=500, seed=5)}


def test_readme_issue_count(dev):
    assert dev.n_rows == 272
    assert len(dev.issues) == 261  # README fact 10
    assert dev.skipped == {"no outcome": 11, "no positions": 0}


def test_readme_baseline_maes(results):
    # shared/data/README.md, fact 11: compromise 22.71, weighted median 27.65,
    # constant 50 28.33, Commission 37.13 (260 issues)
    assert round(results["compromise"].mae, 2) == 22.71
    assert round(results["wmedian"].mae, 2) == 27.65
    assert round(results["constant50"].mae, 2) == 28.33
    assert round(results["commission"].mae, 2) == 37.13
    assert results["commission"].n_issues == 260
    assert results["compromise"].n_issues == 261


def test_cis_contain_the_mae_and_paired_difference_is_consistent(results):
    for r in results.values():
        assert r.ci_low <= r.mae <= r.ci_high
        if r.model != "compromise":
            assert r.diff_ci_low <= r.diff_vs_compromise <= r.diff_ci_high
    c = results["compromise"]
    for name in ("wmedian", "nash", "eu_model", "mandate", "constant50"):
        assert results[name].diff_vs_compromise == pytest.approx(results[name].mae - c.mae)


def test_predictions_stay_on_the_scale(dev):
    mandate = MandateModel.from_scenario()
    for iss in dev.issues:
        for model in (compromise, wmedian, nash, eu_model, mandate):
            y = model(iss)
            assert 0.0 <= y <= 100.0, (model, iss.id)


def _issue(x, s=None, rp=None, rule="qmv", proc="CNS", actors=None) -> Issue:
    x = np.asarray(x, dtype=float)
    actors = tuple(actors) if actors else tuple(ACTORS[2:2 + len(x)])
    s = np.full(len(x), 50.0) if s is None else np.asarray(s, dtype=float)
    return Issue("t", actors, x, s, rp, rule, proc, out=0.0)


@pytest.mark.parametrize("model", [compromise, wmedian, nash, eu_model])
def test_unanimous_positions_are_predicted(model):
    iss = _issue([70.0] * 6)
    assert model(iss) == pytest.approx(70.0, abs=0.05)


def test_nash_with_reference_point_stays_in_the_bargaining_set():
    # everyone prefers more than rp = 0; the NBS must lie within every actor's gain interval
    iss = _issue([40.0, 60.0, 100.0], rp=0.0)
    y = nash(iss)
    assert 40.0 <= y <= 80.0
    # Compromise pulls toward the salient actor, and so does the NBS
    heavy = _issue([40.0, 60.0, 100.0], s=[10, 10, 90], rp=0.0)
    assert nash(heavy) > y


def test_mandate_unanimity_veto_at_reference_point():
    m = MandateModel.from_scenario()
    iss = _issue([0.0, 80.0, 90.0, 100.0, 100.0], rp=0.0, rule="unanimity")
    assert m(iss) == 0.0  # one state sits at the status quo and vetoes any change
    qmv = _issue([0.0, 80.0, 90.0, 100.0, 100.0], rp=0.0, rule="qmv")
    assert m(qmv) == pytest.approx(compromise(qmv))  # under QMV it is outvoted


def test_mandate_double_majority_uses_population():
    m = MandateModel.from_scenario()
    # Germany, France, Italy, Spain, Poland (large) at the status quo 0; nine small states at 100.
    big = ["de", "fr", "it", "es", "pl"]
    small = ["mt", "lu", "cy", "ee", "lv", "si", "lt", "cr", "ie"]
    iss = _issue([0.0] * 5 + [100.0] * 9, rp=0.0, actors=big + small)
    # 9 of 14 states (64 %) consent but hold far less than 65 % of the population,
    # and five states block: no change is adoptable.
    assert m(iss) == 0.0
    flipped = _issue([100.0] * 5 + [0.0] * 9, rp=0.0, actors=big + small)
    assert m(flipped) == 0.0  # 5 of 14 states < 55 %
    assert m(_issue([20.0, 40.0], rp=None)) == pytest.approx(30.0)  # no rp: plain compromise


def test_mandate_parliament_veto_under_codecision():
    m = MandateModel.from_scenario()
    actors = ["ep", "de", "fr", "it"]
    cod = _issue([0.0, 100.0, 100.0, 100.0], rp=0.0, proc="COD", actors=actors)
    cns = _issue([0.0, 100.0, 100.0, 100.0], rp=0.0, proc="CNS", actors=actors)
    assert m(cod) == 0.0
    assert m(cns) == pytest.approx(compromise(cns))


def _tsv(rows: list[dict[str, str]]) -> str:
    cols = list(rows[0])
    return "\t".join(cols) + "\n" + "".join("\t".join(r[c] for c in cols) + "\n" for r in rows)


def test_missing_column_is_named():
    rows = [{c: "50" for c in HEADER}]
    del rows[0]["sde"]
    with pytest.raises(InputError) as err:
        parse_deu3(_tsv(rows), "x.tsv")
    assert "'sde'" in str(err.value) and "x.tsv" in str(err.value)


def test_out_of_range_and_text_values_are_input_errors():
    row = {c: "50" for c in HEADER}
    with pytest.raises(InputError, match="'pfr'"):
        parse_deu3(_tsv([{**row, "pfr": "150"}]), "x.tsv")
    with pytest.raises(InputError, match="'out'"):
        parse_deu3(_tsv([{**row, "out": "high"}]), "x.tsv")
    with pytest.raises(InputError, match="counvte"):
        parse_deu3(_tsv([{**row, "counvte": "majority"}]), "x.tsv")


def test_minimal_file_with_blanks_follows_the_readme_conventions():
    row = {c: "" for c in HEADER}
    row.update({"pcom": "100", "pde": "0", "sde": "", "scom": "0", "out": "10"})
    data = parse_deu3(_tsv([row, {**row, "out": ""}]), "x.tsv")
    assert len(data.issues) == 1 and data.skipped["no outcome"] == 1
    iss = data.issues[0]
    assert iss.actors == ("com", "de")
    assert list(iss.s) == [0.0, 50.0]  # salience 0 kept, missing salience -> 50
    assert compromise(iss) == 0.0  # weight 0 for the Commission


# --- garbage in, InputError out -------------------------------------------------------------

cells = st.one_of(
    st.sampled_from(["", "0", "50", "100", "-1", "101", "1e400", "nan", "inf", "QMV", "Unan", "\"", "x", "5,5"]),
    st.text(max_size=6),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@st.composite
def deu_like(draw):
    cols = draw(st.lists(st.sampled_from([*HEADER, "counvte", "proc", "isnr", "junk"]), min_size=0, max_size=70))
    if draw(st.booleans()):
        cols = [*HEADER, *cols]
    n = draw(st.integers(0, 4))
    sep = draw(st.sampled_from(["\t", ",", ";", "\t\t"]))
    lines = [sep.join(cols)] + [sep.join(draw(cells) for _ in range(draw(st.integers(0, len(cols) + 2))))
                                for _ in range(n)]
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=400), deu_like()))
def test_garbage_text_raises_only_input_error(text):
    try:
        data = parse_deu3(text, "garbage.tsv")
    except InputError:
        return
    for iss in data.issues:  # whatever parsed must be usable by every model
        for model in (compromise, wmedian, nash, eu_model):
            assert 0.0 <= model(iss) <= 100.0


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_garbage_bytes_from_a_file_raise_only_input_error(tmp_path_factory, blob):
    path = tmp_path_factory.mktemp("g") / "g.tsv"
    path.write_bytes(blob)
    try:
        load_deu3(path)
    except InputError:
        pass


def test_row_longer_than_header_is_an_error_not_a_shift():
    row = {c: "50" for c in HEADER}
    text = _tsv([row]).rstrip("\n") + "\t1\t2\t3\n"
    with pytest.raises(InputError, match="more fields than the header"):
        parse_deu3(text, "x.tsv")


def test_lone_surrogate_is_an_input_error():
    with pytest.raises(InputError):
        parse_deu3("pcom\n\ud800\n", "x.tsv")
