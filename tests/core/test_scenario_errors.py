"""Bad scenario files give exit code 2 and a one-paragraph message, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crisislab.cli import main
from crisislab.errors import InputError
from crisislab.scenario import load_scenario, shipped


def _toy() -> dict:
    return yaml.safe_load(shipped()["toy-3"].read_text())


def _write(tmp_path: Path, data, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


def _run_cli(capsys, path: Path) -> tuple[int, str]:
    code = main(["run", str(path), "--runs", "5"])
    captured = capsys.readouterr()
    return code, " ".join((captured.err + captured.out).split())


def _mutate(fn):
    data = _toy()
    fn(data)
    return data


CASES = {
    "wrong type": (lambda d: d["coalition"]["members"][0].__setitem__("population", "many"), ["coalition.members[0].population", "'many'", "number"]),
    "unknown member": (lambda d: d["coalition"].__setitem__("veto_holders", ["Atlantis"]), ["Atlantis", "unknown member"]),
    "missing field": (lambda d: d["adversary"].pop("types"), ["adversary.types", "missing"]),
    "negative population": (lambda d: d["coalition"]["members"][1].__setitem__("population", -5), ["coalition.members[1].population", "-5", "greater than 0"]),
    "unknown field": (lambda d: d.__setitem__("colour", "blue"), ["colour", "unknown field"]),
    "unknown mechanism": (lambda d: d.__setitem__("mechanisms", {"telepathy": False}), ["telepathy", "unknown mechanism"]),
    "out of range": (lambda d: d["adversary"]["types"][0].__setitem__("paranoia", 1.7), ["adversary.types[0].paranoia", "1.7", "less than or equal to 1"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_invalid_scenarios_exit_2_with_location_found_expected(tmp_path, capsys, case):
    mutate, needles = CASES[case]
    path = _write(tmp_path, _mutate(mutate))
    code, message = _run_cli(capsys, path)
    assert code == 2
    assert str(path) in message
    assert "Traceback" not in message
    for needle in needles:
        assert needle in message, (needle, message)


def test_yaml_syntax_error_names_line(tmp_path, capsys):
    path = _write(tmp_path, "name: toy\ncoalition: [unclosed\n")
    code, message = _run_cli(capsys, path)
    assert code == 2 and "line" in message and "YAML" in message and str(path) in message


def test_empty_file(tmp_path, capsys):
    path = _write(tmp_path, "")
    code, message = _run_cli(capsys, path)
    assert code == 2 and "empty file" in message


def test_missing_file(capsys):
    code = main(["run", "no-such-scenario.yaml", "--runs", "5"])
    assert code == 2
    assert "no-such-scenario.yaml" in capsys.readouterr().err


def test_bad_doctrine_name(capsys):
    code = main(["run", "toy-3", "--doctrine", "appeasement", "--runs", "5"])
    assert code == 2
    assert "appeasement" in capsys.readouterr().err


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_garbage_text_only_raises_input_error(tmp_path, text):
    path = tmp_path / "garbage.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_scenario(str(path))
    except InputError as exc:
        assert str(path) in str(exc)


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.floats(allow_nan=True), st.text(max_size=5))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(section=st.sampled_from(["coalition", "adversary", "instruments", "agenda", "defender", "mediator", "horizon_weeks"]), value=scalars)
def test_corrupted_sections_only_raise_input_error(tmp_path, section, value):
    data = _toy()
    data[section] = value
    path = tmp_path / "corrupt.yaml"
    path.write_text(yaml.safe_dump(data))
    try:
        s = load_scenario(str(path))
    except InputError as exc:
        assert section in str(exc) or "(top level)" in str(exc)
    else:  # a few values are valid (e.g. mediator: null)
        assert s.name == "toy-3"


yaml_values = st.recursive(
    scalars | st.text(alphabet=st.characters(codec="utf-8"), max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@example(text="k: [unclosed")
@example(text="k: 1\n\tj: 2")
@example(text="k: [.nan, {a: .inf}]")
@given(text=st.one_of(st.text(max_size=200), yaml_values.map(lambda v: yaml.safe_dump({"k": v})), st.text(alphabet="{}[]:,-#&*!|>'\"% \n\tab1", max_size=60)))
def test_parse_yaml_reads_as_safe_load_and_its_cache_never_leaks(text):
    """parse_yaml keeps parsed documents (a file loaded by every batch is parsed once): it
    must still read each document as ``yaml.safe_load`` does, name the line and column of a
    syntax error, and hand out copies, so that a caller changing its data changes nothing
    for the next caller."""
    from crisislab.scenario.load import parse_yaml

    if not text.strip():
        with pytest.raises(InputError, match="an empty file"):
            parse_yaml(text, "doc.yaml")
        return
    try:
        expected = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        for _ in range(2):  # errors are never cached away
            with pytest.raises(InputError) as err:
                parse_yaml(text, "doc.yaml")
            if mark is not None:
                assert f"line {mark.line + 1}, column {mark.column + 1}" in str(err.value)
        return
    if not isinstance(expected, dict):
        with pytest.raises(InputError):
            parse_yaml(text, "doc.yaml")
        return
    first = parse_yaml(text, "doc.yaml")
    assert repr(first) == repr(expected)  # repr: NaN equals itself there
    first.clear()
    first["injected"] = [1]
    assert repr(parse_yaml(text, "doc.yaml")) == repr(expected)
