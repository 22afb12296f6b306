"""The benchmarks' dependencies come with one documented install command (the ``bench`` extra)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
INSTALL = 'pip install -e ".[bench]"'


def test_bench_extra_holds_what_the_benchmarks_import():
    extras = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    names = {
        req.split(">")[0].split("=")[0].split("[")[0].strip().lower() for req in extras["bench"]
    }
    assert {"mesa", "psutil"} <= names
    text = (REPO / "benchmarks" / "run.py").read_text(encoding="utf-8")
    assert "import mesa" in (REPO / "benchmarks" / "reference" / "model.py").read_text(
        encoding="utf-8"
    )
    assert "import psutil" in text


def test_performance_page_names_the_install_command():
    assert INSTALL in (REPO / "docs" / "performance.md").read_text(encoding="utf-8")


def test_benchmark_without_mesa_names_the_install_command():
    # mesa hidden (a None entry in sys.modules makes it unimportable): the script must stop
    # before any work, with exit code 2 and the documented command, not a traceback
    code = (
        "import runpy, sys; sys.modules['mesa'] = None; "
        "sys.argv = ['benchmarks/run.py', '--quick']; runpy.run_path('benchmarks/run.py', run_name='__main__')"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2, proc.stderr
    assert INSTALL in proc.stderr and "mesa" in proc.stderr
    assert "Traceback" not in proc.stderr
