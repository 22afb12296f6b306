"""The documentation site builds with warnings as errors, and its generated pages match the code."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytest.importorskip("mkdocs", reason="mkdocs is installed with the test extra")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
    if proc.returncode != 0:
        warnings = [line for line in (proc.stderr + proc.stdout).splitlines() if "WARNING" in line or "Error" in line]
        pytest.fail("mkdocs build --strict failed:\n" + "\n".join(warnings or (proc.stderr + proc.stdout).splitlines()[-30:]))
    return out


def test_site_builds_strictly_with_every_page(site):
    for page in ("index.html", "tutorial/index.html", "how-to/dask/index.html", "how-to/replay/index.html",
                 "explanation/model/index.html", "explanation/mechanisms/index.html", "explanation/limitations/index.html",
                 "reference/api/index.html", "reference/cli/index.html"):
        assert (site / page).is_file(), page


def test_mechanism_catalogue_is_generated_from_the_registry(site):
    from crisislab.model.mechanisms.registry import MECHANISMS

    html = (site / "explanation" / "mechanisms" / "index.html").read_text(encoding="utf-8")
    for m in MECHANISMS.values():
        assert f'id="{m.id.lower()}"' in html, m.id
        assert m.test.split("::")[1] in html, m.test
    assert "missing" not in re.sub(r"<[^>]+>", "", html).split("At a glance")[1].lower().replace("dismissing", "")


def test_reference_pages_come_from_docstrings_and_the_cli(site):
    api = (site / "reference" / "api" / "index.html").read_text(encoding="utf-8")
    assert "Compare doctrines on the same runs" in api  # docstring of crisislab.api.compare
    cli = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    for cmd in ("crisislab compare", "crisislab report", "crisislab serve token create"):
        assert cmd in cli, cmd
    odd = (site / "explanation" / "model" / "index.html").read_text(encoding="utf-8")
    assert "credibility_decay" in odd and "p_war" in odd  # generated step order and metrics


def test_commands_in_the_tutorial_and_how_tos_exist():
    import typer

    from crisislab.cli import app

    group = typer.main.get_command(app)
    known = set(group.commands)  # type: ignore[attr-defined]
    pages = [REPO / "docs" / "tutorial.md", *sorted((REPO / "docs" / "how-to").glob("*.md"))]
    seen = 0
    for page in pages:
        for block in re.findall(r"```bash\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S):
            for line in block.splitlines():
                m = re.match(r"\s*(?:\.venv/bin/)?crisislab (\S+)", line)
                if m:
                    seen += 1
                    assert m.group(1) in known, f"{page.name}: unknown command in {line.strip()!r}"
    assert seen > 20


def test_readme_quick_start_is_two_commands():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    assert len([ln for ln in block.splitlines() if ln.strip()]) == 2


def test_every_docs_page_is_in_the_nav():
    import yaml

    nav = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]

    def pages(node):  # type: ignore[no-untyped-def]
        if isinstance(node, str):
            yield node
        elif isinstance(node, list):
            for x in node:
                yield from pages(x)
        elif isinstance(node, dict):
            for v in node.values():
                yield from pages(v)

    in_nav = set(pages(nav))
    on_disk = {p.relative_to(REPO / "docs").as_posix() for p in (REPO / "docs").rglob("*.md") if "_hooks" not in p.parts}
    assert in_nav <= on_disk, f"nav names missing pages: {sorted(in_nav - on_disk)}"
    mine = {"index.md", "tutorial.md"} | {p for p in on_disk if p.startswith(("how-to/", "explanation/", "reference/"))}
    assert mine <= in_nav, f"pages left out of the nav: {sorted(mine - in_nav)}"
