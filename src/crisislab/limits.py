"""Size and nesting limits for everything crisislab reads from a user.

A scenario, policy, doctrine or experiment file, a JSON file in a data folder, a line of
an events file and a web app request body are all bounded before they are parsed, so a
hostile or broken input is refused quickly and in bounded memory, with the same kind of
message as any other bad input (:class:`~crisislab.errors.InputError`, exit code 2 on
the command line, HTTP 422 in the web app; the web app refuses bodies over its own size
limit with 413 before reading them).

The limits are far above anything the shipped files need (``eu-russia.yaml`` is 21 KB,
about 850 values, 5 levels deep):

* a YAML document: at most :data:`MAX_YAML_BYTES` bytes, :data:`MAX_DEPTH` levels of
  nested mappings and lists, and :data:`MAX_VALUES` values *after aliases are expanded*
  (so a "billion laughs" document, a few lines of anchors that expand exponentially, is
  refused while it is being read, before anything is expanded);
* a JSON file (result metadata, manifests, analyses): at most :data:`MAX_JSON_BYTES`
  bytes and :data:`MAX_DEPTH` levels;
* a line of an events file: at most :data:`MAX_LINE_CHARS` characters (longer lines are
  bad lines, skipped with ``--skip-bad`` like any other).

>>> parse_json_text('{"a": [1, 2]}', "x.json")
{'a': [1, 2]}
>>> parse_json_text("[" * 100 + "]" * 100, "x.json")
Traceback (most recent call last):
...
crisislab.errors.InputError: x.json is nested too deeply: at line 1, column 33: found more than 32 levels of nested lists and mappings; expected at most 32 levels.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import yaml
from yaml.nodes import ScalarNode

from crisislab.errors import InputError, Problem

MAX_DEPTH = 32
MAX_VALUES = 100_000
MAX_YAML_BYTES = 2 * 1024 * 1024
MAX_JSON_BYTES = 64 * 1024 * 1024
MAX_LINE_CHARS = 1024 * 1024


def _size(n: int) -> str:
    """``2097152`` → ``'2 MiB (2,097,152 bytes)'``."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            value = n / scale
            shown = f"{value:.0f}" if value == int(value) else f"{value:.1f}"
            return f"{shown} {unit} ({n:,} bytes)"
    return f"{n:,} bytes"


def too_large(source: str, found: int | str, limit: int, what: str) -> InputError:
    """The error for an input over its size limit (``found``: its size, or a description)."""
    shown = f"{found:,} bytes" if isinstance(found, int) else found
    return InputError(
        source,
        [Problem("(whole file)", shown, f"a {what} of at most {_size(limit)}")],
        summary="is too large",
    )


def too_deep(source: str, where: str, limit: int = MAX_DEPTH) -> InputError:
    return InputError(
        source,
        [
            Problem(
                where,
                f"more than {limit} levels of nested lists and mappings",
                f"at most {limit} levels",
            )
        ],
        summary="is nested too deeply",
    )


def too_many_values(
    source: str, where: str, limit: int = MAX_VALUES, *, aliases: bool = False
) -> InputError:
    found = f"more than {limit:,} values"
    if aliases:
        found += " once its aliases are expanded (anchors and aliases that multiply, as in a 'billion laughs' document)"
    return InputError(
        source, [Problem(where, found, f"at most {limit:,} values")], summary="is too large"
    )


# -- files -------------------------------------------------------------------------------


def read_bytes_limited(path: Path, source: str, limit: int, what: str) -> bytes:
    """The bytes of ``path``, refusing a file over ``limit`` before reading it whole.

    The size is checked with ``stat`` and again while reading (at most ``limit + 1``
    bytes are read), so a device or a file that grows cannot get past it.
    """
    try:
        size = path.stat().st_size
        if size > limit:
            raise too_large(source, size, limit, what)
        with path.open("rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(
            source,
            [Problem("(path)", f"an unreadable file ({exc.strerror})", f"a readable {what}")],
        ) from None
    if len(raw) > limit:
        raise too_large(source, f"more than {limit:,} bytes", limit, what)
    return raw


def read_text_limited(path: Path, source: str, limit: int, what: str) -> str:
    """:func:`read_bytes_limited` decoded as UTF-8 (a clear error if it is not UTF-8)."""
    raw = read_bytes_limited(path, source, limit, what)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(
            source, [Problem("(whole file)", "bytes that are not UTF-8 text", f"a UTF-8 {what}")]
        ) from None


# -- YAML --------------------------------------------------------------------------------


class LimitExceeded(Exception):
    """Raised inside the YAML loader; :func:`yaml_limit_error` turns it into an InputError."""

    def __init__(self, kind: str, mark: Any) -> None:
        super().__init__(kind)
        self.kind = kind
        self.mark = mark


class BoundedSafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader with a bound on nesting depth and on expanded size.

    Depth counts lists and mappings (the top-level mapping is level 1; a scalar adds none).

    Nodes are counted as they are composed: a new node counts one, an alias counts the
    whole expanded size of the node it names. The count passes :data:`MAX_VALUES` (or a
    node opens deeper than :data:`MAX_DEPTH`) long before an exponential document could
    be expanded, and an alias to a node that is still open (a value that contains
    itself) is refused as well.
    """

    max_depth = MAX_DEPTH
    max_values = MAX_VALUES

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0
        self._values = 0
        self._anchored: dict[int, int] = {}
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)
            size = self._anchored.get(id(node))
            if size is None:
                raise LimitExceeded("recursive", event.start_mark)
            self._aliases += 1
            self._count(size, event.start_mark)
            return node
        opens = isinstance(event, yaml.CollectionStartEvent)
        if opens:
            self._depth += 1
            if self._depth > self.max_depth:
                raise LimitExceeded("depth", event.start_mark)
        start = self._values
        self._count(1, event.start_mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            if opens:
                self._depth -= 1
        if getattr(event, "anchor", None) is not None:
            self._anchored[id(node)] = 1 if isinstance(node, ScalarNode) else self._values - start
        return node

    def _count(self, n: int, mark: Any) -> None:
        self._values += n
        if self._values > self.max_values:
            raise LimitExceeded("aliases" if self._aliases else "values", mark)


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "(whole file)"


def yaml_limit_error(exc: LimitExceeded, source: str) -> InputError:
    where = _where(exc.mark)
    if exc.kind == "depth":
        return too_deep(source, where)
    if exc.kind == "recursive":
        return InputError(
            source,
            [
                Problem(
                    where,
                    "an alias to a value that contains it (a recursive structure)",
                    "plain values, lists and mappings",
                )
            ],
        )
    return too_many_values(source, where, aliases=exc.kind == "aliases")


def check_yaml_text(text: str, source: str, what: str = "YAML document") -> None:
    """Refuse YAML text longer than :data:`MAX_YAML_BYTES` (as UTF-8)."""
    if len(text) > MAX_YAML_BYTES // 4:  # short texts cannot be over the limit: skip encoding them
        n = len(text.encode("utf-8", "surrogatepass"))
        if n > MAX_YAML_BYTES:
            raise too_large(source, n, MAX_YAML_BYTES, what)


def compose_yaml(text: str) -> Any:
    """Parse one YAML document with :class:`BoundedSafeLoader`.

    Raises :class:`yaml.YAMLError` for syntax errors, :class:`LimitExceeded` for a limit
    (see :func:`yaml_limit_error`), and ``ValueError`` for a value Python cannot hold (an
    integer of more than 4,300 digits, a date such as 2025-13-45). Check the size first
    with :func:`check_yaml_text`.
    """
    loader = BoundedSafeLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


# -- JSON --------------------------------------------------------------------------------


def check_json_shape(data: Any, source: str, max_depth: int = MAX_DEPTH) -> None:
    """Refuse parsed JSON nested deeper than ``max_depth`` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > max_depth:
            raise too_deep(source, "(whole file)", max_depth)
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))


def _json_depth_mark(text: str, max_depth: int) -> str:
    """``line L, column C`` of the bracket that opens level ``max_depth + 1`` (a scan that
    skips strings; used only to word the error)."""
    depth, line, col, in_str, esc = 0, 1, 0, False, False
    for ch in text:
        col += 1
        if ch == "\n":
            line, col = line + 1, 0
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                return f"line {line}, column {col}"
        elif ch in "]}":
            depth -= 1
    return "(whole file)"


def parse_json_text(
    text: str | bytes, source: str, max_depth: int = MAX_DEPTH, *, whole: str = "(whole file)"
) -> Any:
    """``json.loads`` with a depth limit; every failure is an :class:`InputError`
    (``whole`` names the input in messages that are not about one place in it)."""
    try:
        data = json.loads(text)
        check_json_shape(data, source, max_depth)
    except (RecursionError, InputError):
        t = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        raise too_deep(source, _json_depth_mark(t, max_depth), max_depth) from None
    except UnicodeDecodeError:
        raise InputError(
            source, [Problem(whole, "bytes that are not UTF-8 text", "UTF-8 JSON")]
        ) from None
    except ValueError as exc:
        raise InputError(
            source, [Problem(whole, f"text that is not JSON ({str(exc)[:80]})", "JSON")]
        ) from None
    return data


def read_json_limited(
    path: Path, source: str | None = None, what: str = "JSON file", limit: int = MAX_JSON_BYTES
) -> Any:
    """Read and parse a JSON file within :data:`MAX_JSON_BYTES` and :data:`MAX_DEPTH`."""
    src = source if source is not None else str(path)
    return parse_json_text(read_bytes_limited(path, src, limit, what), src)


# -- lines -------------------------------------------------------------------------------


def bounded_lines(fh: IO[str], long_lines: set[int], limit: int = MAX_LINE_CHARS) -> Iterator[str]:
    """The lines of ``fh`` (newlines kept), never holding more than ``limit`` characters of
    one line: the rest of a longer line is read and dropped, its number goes into
    ``long_lines`` and an empty line (``"\\n"``) stands in for it, so line numbers stay right.
    """
    readline = fh.readline
    n = 0
    while True:
        text = readline(limit + 1)
        if not text:
            return
        n += 1
        if len(text) > limit and text[-1] not in "\r\n":
            while True:
                rest = readline(1 << 16)
                if not rest or rest[-1] in "\r\n":
                    break
            long_lines.add(n)
            yield "\n"
        else:
            yield text
