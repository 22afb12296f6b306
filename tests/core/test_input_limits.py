"""Every loader refuses input nested or sized beyond the limits of crisislab.limits: exit 2,
a message naming the file, quickly and in bounded memory.

The limits are tested from both sides: a document just inside them is read, one just
outside is refused, wherever the boundary falls (depth, expanded size, bytes, line length).
"""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisislab.cli import main
from crisislab.errors import InputError
from crisislab.limits import (
    MAX_DEPTH,
    MAX_LINE_CHARS,
    MAX_VALUES,
    MAX_YAML_BYTES,
    BoundedSafeLoader,
    LimitExceeded,
    compose_yaml,
    parse_json_text,
)
from crisislab.scenario import shipped
from crisislab.scenario.load import parse_yaml

SLOW = {
    "max_examples": 15,
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    text = " ".join((captured.err + captured.out).split())
    assert "Traceback" not in text
    return code, text


# -- documents ---------------------------------------------------------------------------


def nested(depth: int, style: str) -> str:
    """A YAML mapping whose value ``x`` is ``depth - 1`` levels deep (``depth`` with the top)."""
    inner = depth - 1
    if style == "flow-list":
        return "x: " + "[" * inner + "]" * inner + "\n"
    if style == "flow-map":
        return "x: " + "{a: " * (inner - 1) + "{}" + "}" * (inner - 1) + "\n"
    if style == "block-map":
        return "".join(" " * i + "x:\n" for i in range(inner)) + " " * inner + "x: 1\n"
    if style == "block-seq":
        return "x:\n  " + "- " * inner + "1\n"
    raise AssertionError(style)


def depth_of(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    return 0


def laughs(branching: int, levels: int) -> tuple[str, int]:
    """A 'billion laughs' document and the number of values it expands to."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * branching)}]"]
    sizes = [1 + branching]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * branching)}]")
        sizes.append(1 + branching * sizes[-1])
    return "\n".join(lines) + "\n", 1 + sum(1 + s for s in sizes)


STYLES = st.sampled_from(["flow-list", "flow-map", "block-map", "block-seq"])


@settings(max_examples=60, deadline=None)
@given(depth=st.integers(2, MAX_DEPTH), style=STYLES)
def test_documents_within_the_depth_limit_are_read(depth: int, style: str) -> None:
    data = parse_yaml(nested(depth, style), "deep.yaml")
    assert depth_of(data) == depth


@settings(max_examples=60, deadline=None)
@given(depth=st.integers(MAX_DEPTH + 1, 5000), style=STYLES)
def test_documents_beyond_the_depth_limit_are_refused(depth: int, style: str) -> None:
    if style == "block-map":
        # its indentation grows as depth squared: stay under the byte limit
        depth = min(depth, 1500)
    with pytest.raises(InputError) as err:
        parse_yaml(nested(depth, style), "deep.yaml")
    assert err.value.summary == "is nested too deeply"
    assert str(err.value).startswith("deep.yaml is nested too deeply: at line ")


@settings(max_examples=80, deadline=None)
@given(branching=st.integers(2, 12), levels=st.integers(1, 12))
def test_alias_expansion_is_refused_exactly_above_the_limit(branching: int, levels: int) -> None:
    text, expanded = laughs(branching, levels)
    if expanded <= MAX_VALUES:
        data = parse_yaml(text, "laughs.yaml")
        assert len(data) == levels
    else:
        with pytest.raises(InputError) as err:
            parse_yaml(text, "laughs.yaml")
        assert "billion laughs" in str(err.value) and f"{MAX_VALUES:,} values" in str(err.value)


@settings(max_examples=60, deadline=None)
@given(limit=st.integers(10, 2000), offset=st.integers(-5, 5))
def test_plain_documents_are_refused_only_above_the_value_limit(limit: int, offset: int) -> None:
    # the loader's own limit, lowered so each example is quick: {x: [1, ..., 1]} with k ones
    # holds k + 3 values (the mapping, the key, the list)
    n = max(3, limit + offset)
    text = "x: [" + ",".join(["1"] * (n - 3)) + "]\n"
    with patch.object(BoundedSafeLoader, "max_values", limit):
        if n <= limit:
            assert len(compose_yaml(text)["x"]) == n - 3
        else:
            with pytest.raises(LimitExceeded):
                compose_yaml(text)


def test_the_value_limit_is_100000() -> None:
    text = "x: [" + ",".join(["1"] * (MAX_VALUES - 2)) + "]\n"  # one value too many
    with pytest.raises(
        InputError, match="more than 100,000 values; expected at most 100,000 values"
    ):
        parse_yaml(text, "flat.yaml")


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(InputError, match="recursive"):
        parse_yaml("a: &a [1, *a]\n", "self.yaml")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("horizon_weeks: " + "9" * 5000 + "\n", "4300 digits"),
        ("date: 2025-13-45\n", "month must be in 1..12"),
    ],
)
def test_values_python_cannot_hold_are_input_errors(text: str, needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        parse_yaml(text, "odd.yaml")


# -- every loader, through the command line --------------------------------------------------


def _loaders(tmp_path: Path) -> dict[str, tuple[str, list[str]]]:
    """Loader name -> (file name, command with {} for the file)."""
    return {
        "scenario": ("s.yaml", ["run", "{}", "--runs", "2"]),
        "policy": ("p.yaml", ["policy", "check", "{}"]),
        "experiment": ("e.yaml", ["sweep", "{}", "--results", str(tmp_path / "results")]),
        "doctrine": ("d.yaml", ["run", "toy-3", "--doctrine", "{}", "--runs", "2"]),
    }


LOADERS = st.sampled_from(["scenario", "policy", "experiment", "doctrine"])


@settings(**SLOW)
@given(
    loader=LOADERS,
    depth=st.integers(MAX_DEPTH + 1, 5000),
    style=st.sampled_from(["flow-list", "flow-map", "block-seq"]),
)
def test_every_yaml_loader_refuses_deep_documents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], loader: str, depth: int, style: str
) -> None:
    name, args = _loaders(tmp_path)[loader]
    path = tmp_path / name
    path.write_text(nested(depth, style))
    code, text = cli(capsys, *[a.replace("{}", str(path)) for a in args])
    assert code == 2 and f"{path} is nested too deeply" in text


@settings(**SLOW)
@given(loader=LOADERS, branching=st.integers(4, 12), levels=st.integers(9, 14))
def test_every_yaml_loader_refuses_alias_bombs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], loader: str, branching: int, levels: int
) -> None:
    name, args = _loaders(tmp_path)[loader]
    path = tmp_path / name
    path.write_text(laughs(branching, levels)[0])
    code, text = cli(capsys, *[a.replace("{}", str(path)) for a in args])
    assert code == 2 and f"{path} is too large" in text and "billion laughs" in text


@settings(**SLOW)
@given(loader=LOADERS, size=st.integers(MAX_YAML_BYTES + 1, 200 * MAX_YAML_BYTES))
def test_every_yaml_loader_refuses_oversized_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], loader: str, size: int
) -> None:
    name, args = _loaders(tmp_path)[loader]
    path = tmp_path / name
    with path.open("wb") as fh:  # sparse: the file has its size without being written
        fh.write(b"name: x\n")
        fh.truncate(size)
    code, text = cli(capsys, *[a.replace("{}", str(path)) for a in args])
    assert code == 2 and f"{path} is too large" in text and f"{size:,} bytes" in text


def test_a_file_just_inside_the_size_limit_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = shipped()["toy-3"].read_text(encoding="utf-8")
    path = tmp_path / "padded.yaml"
    path.write_text(base + "#" * (MAX_YAML_BYTES - len(base.encode()) - 1) + "\n")
    assert path.stat().st_size == MAX_YAML_BYTES
    code, text = cli(capsys, "run", str(path), "--runs", "2", "-f", "json")
    assert code == 0, text


# -- the three cases of the issue: time and memory ---------------------------------------------


@pytest.mark.parametrize("case", ["nested-5000", "100-MB", "billion-laughs"])
def test_hostile_scenarios_are_refused_fast_in_bounded_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    path = tmp_path / f"{case}.yaml"
    if case == "nested-5000":
        path.write_text("x: " + "[" * 5000 + "]" * 5000 + "\n")
        needle = "is nested too deeply"
    elif case == "100-MB":
        with path.open("w") as fh:  # real content: 100 MB of a comment
            fh.write("name: big\n# " + "x" * (100 * 1024 * 1024) + "\n")
        needle = "is too large"
    else:
        path.write_text(laughs(10, 9)[0])  # 10**9 laughs
        needle = "billion laughs"
    main(["scenarios"])  # imports done before measuring
    capsys.readouterr()
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        code, text = cli(capsys, "run", str(path), "--runs", "2")
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 2 and str(path) in text and needle in text
    assert elapsed < 10, f"{case} took {elapsed:.1f} s"
    assert peak < 32 * 2**20, f"{case} allocated {peak / 2**20:.0f} MiB"


# -- JSON: data folders and web app bodies ---------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(depth=st.integers(1, 3000))
def test_json_is_refused_exactly_beyond_the_depth_limit(depth: int) -> None:
    text = "[" * depth + "]" * depth
    if depth <= MAX_DEPTH:
        assert depth_of(parse_json_text(text, "x.json")) == depth
    else:
        with pytest.raises(InputError) as err:
            parse_json_text(text, "x.json")
        assert (
            f"at line 1, column {MAX_DEPTH + 1}" in str(err.value)
            and err.value.summary == "is nested too deeply"
        )


def _deep_json(depth: int) -> object:
    value: object = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def _result_folder(tmp_path: Path, meta: object) -> Path:
    folder = tmp_path / "result"
    folder.mkdir(exist_ok=True)
    (folder / "meta.json").write_text(json.dumps(meta))
    (folder / "outcomes.parquet").write_bytes(b"")
    return folder


@settings(**SLOW)
@given(depth=st.integers(MAX_DEPTH + 1, 900))
def test_report_refuses_a_deep_meta_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], depth: int
) -> None:
    folder = _result_folder(tmp_path, {"scenario": "toy-3", "x": _deep_json(depth)})
    code, text = cli(capsys, "report", str(folder), "-o", str(tmp_path / "r.html"))
    assert code == 2 and "meta.json is nested too deeply" in text


def test_report_refuses_an_oversized_meta_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _result_folder(tmp_path, {})
    with (folder / "meta.json").open("r+b") as fh:
        fh.truncate(200 * 2**20)
    code, text = cli(capsys, "report", str(folder), "-o", str(tmp_path / "r.html"))
    assert code == 2 and "meta.json is too large" in text and "209,715,200 bytes" in text


def test_results_show_refuses_a_deep_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exp = tmp_path / "results" / "deep-1"
    exp.mkdir(parents=True)
    (exp / "manifest.json").write_text(
        json.dumps({"experiment_id": "deep-1", "x": _deep_json(200)})
    )
    code, text = cli(capsys, "results", "show", "deep-1", "--results", str(tmp_path / "results"))
    assert code == 2 and "manifest.json is nested too deeply" in text


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    from fastapi.testclient import TestClient

    from crisislab.server import ServerConfig, create_app

    with TestClient(create_app(ServerConfig(tmp_path_factory.mktemp("web")))) as client:
        yield client


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(depth=st.integers(2, 5000))
def test_web_app_refuses_deep_bodies_with_422(web, depth: int) -> None:
    body = '{"yaml": "name: x", "extra": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"
    r = web.post(
        "/api/scenarios/validate",
        content=body.encode(),
        headers={"content-type": "application/json"},
    )
    if depth <= MAX_DEPTH:
        assert r.status_code == 200
    else:
        assert r.status_code == 422 and "nested too deeply" in r.json()["message"]


@pytest.mark.parametrize("yaml_text", [nested(5000, "flow-list"), laughs(10, 9)[0]])
def test_web_app_refuses_hostile_yaml_in_a_job_with_422(web, yaml_text: str) -> None:
    r = web.post(
        "/api/jobs/compare", json={"yaml": yaml_text, "doctrines": ["isolation"], "runs": 2}
    )
    assert r.status_code == 422
    assert "nested too deeply" in r.json()["message"] or "aliases" in r.json()["message"]


def test_web_app_refuses_an_oversized_body_with_413(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from crisislab.server import ServerConfig, create_app

    with TestClient(create_app(ServerConfig(tmp_path / "d", max_body=10_000))) as c:
        r = c.post("/api/scenarios/validate", json={"yaml": "name: x\n#" + "x" * 20_000})
        assert r.status_code == 413 and "10000 bytes" in r.json()["message"]


# -- events files: line length ------------------------------------------------------------------

HEADER = "date,source,target,cameo\n"
GOOD = "2025-01-06,Germany,Russian Federation,010\n"


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    before=st.integers(0, 5),
    after=st.integers(0, 5),
    extra=st.integers(1, 3 * MAX_LINE_CHARS),
    layout=st.sampled_from(["csv", "jsonl"]),
)
def test_events_lines_beyond_the_limit_are_bad_lines(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    before: int,
    after: int,
    extra: int,
    layout: str,
) -> None:
    if layout == "csv":
        head, good = HEADER, GOOD
        long = "2025-01-06,Germany,Russian Federation," + "0" * (MAX_LINE_CHARS + extra) + "\n"
    else:
        head = ""
        good = (
            json.dumps(
                {
                    "date": "2025-01-06",
                    "source": "Germany",
                    "target": "Russian Federation",
                    "cameo": "010",
                }
            )
            + "\n"
        )
        long = json.dumps({"date": "2025-01-06", "source": "x" * (MAX_LINE_CHARS + extra)}) + "\n"
    path = tmp_path / f"events.{layout}"
    path.write_text(head + good * before + long + good * after)
    line = before + 1 + (1 if head else 0)
    code, text = cli(capsys, "events", "check", str(path))
    assert (
        code == 2 and f"line {line}" in text and f"more than {MAX_LINE_CHARS:,} characters" in text
    )
    code, text = cli(
        capsys,
        "events",
        "check",
        str(path),
        "--skip-bad",
        str(tmp_path / "bad.jsonl"),
        "-f",
        "json",
    )
    assert code == 0
    counts = json.loads(text[text.index("{") :])
    assert counts["skipped"] == 1 and counts["events"] == before + after
    assert counts["lines"] == before + after + 1
    bad = [json.loads(x) for x in (tmp_path / "bad.jsonl").read_text().splitlines()]
    assert [b["line"] for b in bad] == [line]


def test_the_yaml_module_is_not_used_unbounded_by_loaders() -> None:
    # a guard against a loader going back to yaml.safe_load / yaml.load on user text
    src = Path(__file__).resolve().parents[2] / "src" / "crisislab"
    offenders = []
    for path in src.rglob("*.py"):
        if path.parts[-2] in ("model", "validation"):
            continue
        text = path.read_text(encoding="utf-8")
        if "yaml.safe_load(" in text or "yaml.load(" in text:
            offenders.append(str(path.relative_to(src)))
    assert offenders == [], offenders
