"""Rendering of command results as a rich table, JSON or CSV.

Every command builds plain data (a list of row dicts, or a nested dict for JSON) and
hands it here, so the three formats never drift apart.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table


class Format(StrEnum):
    """Output formats accepted by every command."""

    table = "table"
    json = "json"
    csv = "csv"


console = Console()
if not console.is_terminal:  # piped or captured: do not squeeze tables into 80 columns
    console = Console(width=160)
err_console = Console(stderr=True)


def _clean(value: Any) -> Any:
    """Make a value JSON-safe: NaN/inf become null, numpy scalars become Python scalars."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def to_json(data: Any) -> str:
    """Serialise ``data`` as indented JSON with NaN mapped to ``null``."""
    return json.dumps(_clean(data), indent=2, sort_keys=False)


def fmt_cell(value: Any) -> str:
    value = _clean(value)
    if value is None:
        return "-"
    if isinstance(value, float):
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
            return f"{value:.3g}"
        return f"{value:.3f}"
    return str(value)


def rows_to_csv(rows: Sequence[dict[str, Any]]) -> str:
    """Render row dicts as CSV with a header from the union of keys (in first-seen order)."""
    keys: list[str] = []
    for row in rows:
        for k in row:
            if k not in keys:
                keys.append(k)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _clean(v) for k, v in row.items()})
    return buf.getvalue()


def rows_to_table(rows: Sequence[dict[str, Any]], title: str | None = None) -> Table:
    keys: list[str] = []
    for row in rows:
        for k in row:
            if k not in keys:
                keys.append(k)
    table = Table(title=title, show_lines=False)
    for k in keys:
        table.add_column(k, overflow="fold")
    for row in rows:
        table.add_row(*(fmt_cell(row.get(k)) for k in keys))
    return table


def emit(
    fmt: Format | str,
    rows: Sequence[dict[str, Any]],
    *,
    json_data: Any = None,
    title: str | None = None,
) -> None:
    """Print ``rows`` in the chosen format; JSON uses ``json_data`` when given."""
    fmt = Format(fmt)
    if fmt is Format.json:
        print(to_json(json_data if json_data is not None else list(rows)))
    elif fmt is Format.csv:
        print(rows_to_csv(rows), end="")
    else:
        console.print(rows_to_table(rows, title=title))
