"""Policy files: shipped policies, validation errors, inheritance, JSON Schema, fuzzing."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisislab.errors import InputError
from crisislab.policy.cameo import load_table, roots_table
from crisislab.policy.compiled import CompiledPolicy
from crisislab.policy.load import load_policy, policy_from_dict, policy_hash, shipped
from crisislab.policy.schema import json_schema

from .factory import base_dict


def test_shipped_policies_implement_a_b_c_and_the_ablations() -> None:
    names = set(shipped())
    assert {"conditionality", "conditionality-no-veto", "conditionality-no-triggers", "conditionality-no-preconditions"} <= names
    full = load_policy("conditionality")
    assert all(full.block(b) is not None for b in ("preconditions", "mandate", "triggers", "no_surprises"))
    assert full.order == ["triggers", "preconditions", "mandate", "no_surprises"]
    assert load_policy("conditionality-no-veto").block("no_surprises") is None
    assert load_policy("conditionality-no-triggers").block("triggers") is None
    assert load_policy("conditionality-no-preconditions").block("preconditions") is None
    # the variants inherit everything else unchanged
    nv = load_policy("conditionality-no-veto")
    assert nv.preconditions == full.preconditions and nv.triggers == full.triggers and nv.mandate == full.mandate
    assert len({policy_hash(load_policy(n)) for n in names}) == len(names)


def test_shipped_policy_codes_exist_in_the_full_cameo_table(data_dir: Path) -> None:
    table = load_table(data_dir)
    assert table.level == "full" and len(table.codes) == 312
    cp = CompiledPolicy(load_policy("conditionality"), table)
    assert cp.holder_names == ["Finland", "Estonia", "Latvia", "Lithuania", "Poland"]
    assert [t.name for t in cp.triggers] == ["disinformation_in_forum", "walkout", "stalling"]
    assert cp.warnings == []


def test_json_schema_is_exported_and_names_the_blocks() -> None:
    schema = json_schema()
    assert schema["$schema"].startswith("https://json-schema.org/")
    props = schema["properties"]
    for key in ("preconditions", "mandate", "triggers", "no_surprises", "order", "talks"):
        assert key in props
    json.dumps(schema)


@pytest.mark.parametrize(
    ("change", "location", "words"),
    [
        (lambda d: d.update(order=["triggers", "mandate"]), "order", "exactly once"),
        (lambda d: d["preconditions"]["conditions"][0].update(op="=>"), "preconditions.conditions[0].op", "'>='"),
        (lambda d: d["preconditions"]["conditions"][0]["select"].update(codes=[36]), "preconditions.conditions[0].select.codes", "string"),
        (lambda d: d["preconditions"]["conditions"][0]["select"].update(codes=["36"]), "preconditions.conditions[0].select.codes", "2 to 4 digits"),
        (lambda d: d["triggers"]["rules"][0].update(window_days=0), "triggers.rules[0].window_days", "greater than or equal to 1"),
        (lambda d: d["no_surprises"].update(silence="maybe"), "no_surprises.silence", "'consent'"),
        (lambda d: d.update(colour="red"), "colour", "documented fields"),
        (lambda d: d["mandate"]["items"].append({"name": "territory", "status": "tradable"}), "mandate", "unique"),
        (lambda d: d["talks"].pop("requests"), "talks.requests", "required"),
    ],
)
def test_invalid_policies_name_the_field(change: Any, location: str, words: str) -> None:
    d = base_dict()
    change(d)
    with pytest.raises(InputError) as info:
        policy_from_dict(d, "bad.yaml")
    msg = str(info.value)
    assert msg.startswith("bad.yaml is invalid")
    assert location in msg and words in msg


def test_unknown_cameo_code_is_caught_against_the_full_table(data_dir: Path) -> None:
    d = base_dict()
    d["triggers"]["rules"][0]["select"]["codes"] = ["112", "1127"]  # 1127 is not a CAMEO code
    policy = policy_from_dict(d, "x")
    CompiledPolicy(policy, roots_table())  # the root table can only check the form
    with pytest.raises(InputError) as info:
        CompiledPolicy(policy, load_table(data_dir))
    assert "triggers.rules[0].select.codes[1]" in str(info.value) and "'1127'" in str(info.value)


def test_base_inheritance_and_yaml_errors(tmp_path: Path) -> None:
    f = tmp_path / "mine.yaml"
    f.write_text("base: conditionality\nname: mine\nno_surprises: {vote_days: 3}\n")
    p = load_policy(f)
    assert p.name == "mine" and p.no_surprises is not None and p.no_surprises.vote_days == 3
    assert p.no_surprises.silence == "consent"  # merged, not replaced
    g = tmp_path / "g.yaml"
    g.write_text("base: mine.yaml\nname: g\n")
    assert load_policy(g).no_surprises.vote_days == 3  # type: ignore[union-attr]
    cyc = tmp_path / "cyc.yaml"
    cyc.write_text("base: cyc.yaml\nname: c\n")
    with pytest.raises(InputError, match="cycle"):
        load_policy(cyc)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(InputError, match="line 2"):
        load_policy(bad)
    with pytest.raises(InputError, match="no shipped policy"):
        load_policy(tmp_path / "missing.yaml")


def test_actor_names_that_are_not_groups_are_flagged() -> None:
    d = base_dict()
    d["talks"]["requests"]["source"] = ["coaliton"]
    cp = CompiledPolicy(policy_from_dict(d), roots_table())
    assert any("'coaliton' is not an actor group" in w for w in cp.warnings)


# -- fuzzing: random and malformed policies give InputError or a valid policy, nothing else --

_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.text(max_size=8),
    st.sampled_from(["036", "19", "1", "20", "x", "all", "any", "veto", "consent", "at_least", "absent", ">=", "tradable"]),
)
_value = st.recursive(_leaf, lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(st.text(max_size=6), c, max_size=3)), max_leaves=8)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated_policies(draw: st.DrawFn) -> Any:
    d = base_dict()
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(d) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        node: Any = d
        for p in path[:-1]:
            node = node[p]
        action = draw(st.sampled_from(["replace", "delete"]))
        if action == "delete":
            del node[path[-1]]
        else:
            node[path[-1]] = draw(_value)
    return draw(st.one_of(st.just(d), _value)) if draw(st.integers(0, 9)) == 0 else d


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_policies())
def test_malformed_policies_only_ever_raise_input_error(data: Any) -> None:
    try:
        policy = policy_from_dict(copy.deepcopy(data), "fuzz.yaml")
        CompiledPolicy(policy, roots_table())
    except InputError as exc:
        assert str(exc).startswith("fuzz.yaml") or "is invalid" in str(exc)
