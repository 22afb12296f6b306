"""MkDocs hook: pages generated from the code, so they never drift from it.

A page asks for generated content with a marker comment on a line of its own:

* ``<!-- crisislab:mechanisms -->`` the full mechanism catalogue (from the registry, the
  engine's step order, the directional tests' docstrings and the games that solve them);
* ``<!-- crisislab:mechanism-table -->`` a one-line-per-mechanism table;
* ``<!-- crisislab:step-order -->`` the engine's weekly step order;
* ``<!-- crisislab:metrics -->`` the outcome metrics and their meaning;
* ``<!-- crisislab:doctrines -->`` the shipped doctrines;
* ``<!-- crisislab:cli -->`` every command with its options (from the Typer app).

A marker naming nothing known is an error, so a typo cannot silently drop a section.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"^<!-- crisislab:([a-z-]+) -->$", re.MULTILINE)

#: Games that solve a mechanism in its purest form (see docs/games.md).
GAMES_FOR = {
    "M05": ["deterrence"], "M06": ["deterrence"], "M19": ["screening"], "M20": ["bargaining (background)"],
    "M25": ["mediation"], "M27": ["brinkmanship"], "M08": ["mandate", "power"], "M24": ["power"],
}
#: Historical facts a mechanism is held against (see docs/validation.md).
FACTS_FOR = {
    "M25": "ICB agreement rates of mediated and unmediated crises, and by mediation style (calibration facts)",
    "M13": "ICB distribution of crisis violence (calibration of the escalation ladder)",
    "M17": "ICB distribution of crisis violence (calibration of the escalation ladder)",
    "M05": "TIES acquiescence under threatened and imposed sanctions (held out)",
    "M22": "TIES acquiescence under threatened and imposed sanctions (held out)",
    "M06": "GSDB durations of sanctions in force (held out)",
    "M30": "GSDB durations of sanctions in force (held out)",
    "M08": "DEU III backtest of EU decision outcomes (see `crisislab backtest deu3`)",
}


def _test_docstrings() -> dict[str, str]:
    out: dict[str, str] = {}
    for f in sorted((ROOT / "tests" / "mechanisms").glob("test_*.py")):
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_m"):
                doc = ast.get_docstring(node) or ""
                out[f"{f.relative_to(ROOT).as_posix()}::{node.name}"] = " ".join(doc.split("\n\n")[0].split())
    return out


def _step_positions() -> dict[str, int]:
    from crisislab.model.engine import STEP_ORDER

    pos: dict[str, int] = {}
    for i, fn in enumerate(STEP_ORDER, start=1):
        mid = getattr(fn, "mechanism_id", None)
        if mid and mid not in pos:
            pos[mid] = i
    return pos


def mechanisms_md() -> str:
    from crisislab.model.mechanisms.registry import FAMILIES, MECHANISMS

    tests = _test_docstrings()
    steps = _step_positions()
    lines: list[str] = []
    for family, (_seed, title) in FAMILIES.items():
        members = [m for m in MECHANISMS.values() if m.family == family]
        lines += [f"## {title}", "", f"Source text: `{members[0].source}`. Module: `{members[0].module}`.", ""]
        for m in members:
            lines += [f"### {m.id} `{m.name}` {{#{m.id.lower()}}}", "", f"**Claim** (our paraphrase of `{m.source}`): {m.claim}", ""]
            lines.append(f"- **Reads** {', '.join(f'`{x}`' for x in m.reads)}; **writes** {', '.join(f'`{x}`' for x in m.writes)}.")
            if m.params:
                ps = ", ".join(f"`{k}` = {v:g}" for k, v in m.params.items())
                lines.append(f"- **Parameters** (defaults; override under `mechanisms.{m.name}.params`): {ps}.")
            else:
                lines.append("- **Parameters**: none beyond `strength`.")
            step = steps.get(m.id)
            where = f"step {step} of the weekly order" if step else "used inside other steps"
            lines.append(f"- **Implemented in** `{m.module}.{m.name}` ({where}); switch it off with "
                         f"`mechanisms: {{{m.name}: false}}` or scale it with `{{{m.name}: {{strength: 1.5}}}}`.")
            lines.append(f"- **Switched off**: {m.off_rule}." if m.off_rule else
                         "- **Switched off**: the same as strength 0.")
            doc = tests.get(m.test)
            status = f"*{doc}*" if doc else "**missing** — the test named in the registry was not found"
            lines.append(f"- **Evidence in the model**: `{m.test}` — {status}")
            if m.id in GAMES_FOR:
                lines.append(f"- **Analytic counterpart**: {', '.join(f'`{g}`' for g in GAMES_FOR[m.id])} (see [Analytic games](../games.md)).")
            fact = FACTS_FOR.get(m.id)
            lines.append(f"- **Held against history**: {fact} (see [Validation](../validation.md))." if fact else
                         "- **Held against history**: not yet; the direction is argued by the source and tested in the model, "
                         "the size is an assumption (see [Limitations](limitations.md)).")
            lines.append("")
    return "\n".join(lines)


def mechanism_table_md() -> str:
    from crisislab.model.mechanisms.registry import MECHANISMS

    rows = ["| ID | name | source | claim |", "|---|---|---|---|"]
    for m in MECHANISMS.values():
        rows.append(f"| [{m.id}](mechanisms.md#{m.id.lower()}) | `{m.name}` | `{m.source[:3]}` | {m.claim} |")
    return "\n".join(rows)


def step_order_md() -> str:
    from crisislab.model.engine import STEP_ORDER, step_label

    rows = ["| # | step | mechanism |", "|---|---|---|"]
    for i, fn in enumerate(STEP_ORDER, start=1):
        mid, _, name = step_label(fn).partition(" ")
        link = f"[{mid}](mechanisms.md#{mid.lower()})" if mid != "core" else "core"
        rows.append(f"| {i} | `{name}` | {link} |")
    return "\n".join(rows)


def metrics_md() -> str:
    from crisislab.model.outcomes import DESCRIPTIONS, METRICS

    rows = ["| metric | meaning |", "|---|---|"]
    rows += [f"| `{m}` | {DESCRIPTIONS.get(m, '')} |" for m in METRICS]
    return "\n".join(rows)


def doctrines_md() -> str:
    from crisislab.doctrines import PRESETS

    rows = ["| doctrine | source | what it does | levers | mechanisms its case rests on |", "|---|---|---|---|---|"]
    for cls in PRESETS.values():
        d = cls().describe()
        rows.append(f"| `{d['name']}` | `{d['source']}` | {d['summary']} | {', '.join(d['levers'])} | {', '.join(d['mechanisms'])} |")
    return "\n".join(rows)


def _param_line(p: Any) -> str:
    # typer may vendor its own click: recognise options and groups by their attributes
    is_option = getattr(p, "param_type_name", "") == "option"
    names = ", ".join(f"`{o}`" for o in p.opts) if is_option else f"`{p.name.upper()}`"
    help_text = (getattr(p, "help", None) or "").replace("|", "\\|")
    default = ""
    if is_option and not getattr(p, "is_flag", False) and p.default not in (None, "", (), []) and not callable(p.default):
        d = p.default.value if hasattr(p.default, "value") else p.default
        default = f" (default: `{d}`)"
    return f"| {names} | {help_text}{default} |"


def _command_md(name: str, cmd: Any, depth: int) -> list[str]:
    out = [f"{'#' * depth} `crisislab {name}`", ""]
    doc = (cmd.help or "").strip()
    if doc:
        out += [" ".join(doc.split()), ""]
    params = [p for p in cmd.params if p.name not in ("help",) and not getattr(p, "hidden", False)]
    if params:
        out += ["| argument / option | meaning |", "|---|---|"] + [_param_line(p) for p in params] + [""]
    if hasattr(cmd, "commands"):
        for sub_name, sub in sorted(cmd.commands.items()):
            out += _command_md(f"{name} {sub_name}", sub, min(depth + 1, 4))
    return out


def cli_md() -> str:
    import typer

    from crisislab.cli import app

    group = typer.main.get_command(app)
    lines: list[str] = []
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        lines += _command_md(name, cmd, 2)
    return "\n".join(lines)


GENERATORS = {
    "mechanisms": mechanisms_md,
    "mechanism-table": mechanism_table_md,
    "step-order": step_order_md,
    "metrics": metrics_md,
    "doctrines": doctrines_md,
    "cli": cli_md,
}


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in GENERATORS:
            raise ValueError(f"{page.file.src_path}: unknown generated section {key!r}; known: {', '.join(GENERATORS)}")
        return GENERATORS[key]()

    return MARKER.sub(replace, markdown)
