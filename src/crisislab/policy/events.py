"""Reading CAMEO-coded event streams (ICEWS / GDELT style) with line-numbered errors.

Three layouts are read:

* **CSV** with a header (``.csv``), **TSV** (``.tsv``, ``.tab``), including the native
  ICEWS layout (``Event Date``, ``Source Name``, ``Source Country``, ``CAMEO Code``,
  ``Intensity``, ``Target Country``, ``Publisher``...), and GDELT column names
  (``SQLDATE``, ``Actor1CountryCode``, ``EventCode``, ``GoldsteinScale``...);
* **JSON Lines** (``.jsonl``, ``.ndjson``): one object per line with the same field names.

Fields (header names are compared without case, spaces or underscores):

===============  ==========================================================  ========
field            accepted names                                              needed
===============  ==========================================================  ========
date             date, event_date, sqldate, day                              yes
source           source, source_actor, source_country, actor1countrycode,   yes
                 actor1name (falls back to source_name / actor1name if NA)
target           the same with target / actor2                               yes
cameo            cameo, cameo_code, code, event_code, eventcode              yes
goldstein        goldstein, intensity, goldsteinscale (default: CAMEO table) no
forum            forum, channel                                              no
reliability      reliability, source_reliability (0..1)                      no
publisher        publisher, source_id, outlet, sourceurl                     no
agenda           agenda, agenda_item, issue                                  no
id               id, event_id, globaleventid                                 no
===============  ==========================================================  ========

Missing values may be written as an empty field, ``NA``, ``NaN``, ``null`` or ``None``.
Events must come in time order (equal dates in any order). Any bad line raises an
:class:`~crisislab.errors.InputError` naming the file and line; with ``skip_bad`` the bad
line is written to that file (one JSON object per line: file, line, found, expected, raw)
and reading goes on. Every line is accounted for: ``events + skipped == lines``. A line
longer than :data:`~crisislab.limits.MAX_LINE_CHARS` characters is a bad line (it is never
held in memory whole).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from crisislab.errors import InputError, Problem, short_repr
from crisislab.limits import MAX_LINE_CHARS, bounded_lines
from crisislab.policy.cameo import CameoTable

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none"})
FORMATS = ("auto", "csv", "tsv", "jsonl")

_ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("date", "eventdate", "sqldate", "day"),
    "source": ("source", "sourceactor", "sourcecountry", "actor1countrycode", "actor1name", "actor1code"),
    "target": ("target", "targetactor", "targetcountry", "actor2countrycode", "actor2name", "actor2code"),
    "cameo": ("cameo", "cameocode", "code", "eventcode"),
    "goldstein": ("goldstein", "intensity", "goldsteinscale"),
    "forum": ("forum", "channel"),
    "reliability": ("reliability", "sourcereliability"),
    "publisher": ("publisher", "sourceid", "outlet", "sourceurl"),
    "agenda": ("agenda", "agendaitem", "issue"),
    "id": ("id", "eventid", "globaleventid"),
}
_FALLBACK: dict[str, tuple[str, ...]] = {
    "source": ("sourcename", "actor1name", "actor1code"),
    "target": ("targetname", "actor2name", "actor2code"),
}
REQUIRED = ("date", "source", "target", "cameo")


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(slots=True)
class Event:
    """One event: who did what to whom, when (``day`` is a proleptic ordinal day number)."""

    day: int
    source: str
    target: str
    code: str
    g10: int  # Goldstein score in tenths
    reliability: float | None = None
    publisher: str = ""
    forum: str | None = None
    agenda: str | None = None
    line: int = 0
    eid: str | None = None

    @property
    def goldstein(self) -> float:
        return self.g10 / 10.0

    def record(self, day_label: Any = None) -> dict[str, Any]:
        """A plain mapping of the event for ledgers and reports."""
        when = day_label(self.day) if day_label is not None else iso_day(self.day)
        out: dict[str, Any] = {
            "line": self.line,
            "date": when,
            "source": self.source,
            "target": self.target,
            "cameo": self.code,
            "goldstein": self.g10 / 10.0,
        }
        if self.reliability is not None:
            out["reliability"] = self.reliability
        if self.publisher:
            out["publisher"] = self.publisher
        if self.forum:
            out["forum"] = self.forum
        if self.agenda:
            out["agenda"] = self.agenda
        if self.eid:
            out["id"] = self.eid
        return out


def iso_day(day: int) -> str:
    """The ISO date of an ordinal day number (or the number itself if out of range)."""
    try:
        return date.fromordinal(day).isoformat()
    except (ValueError, OverflowError):
        return str(day)


@dataclass
class ReadStats:
    """What a reader saw: ``events + skipped == lines`` always holds."""

    path: str
    layout: str = ""
    lines: int = 0
    events: int = 0
    skipped: int = 0
    first_day: int | None = None
    last_day: int | None = None
    problems: list[Problem] = field(default_factory=list)  # the first few skipped

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "layout": self.layout,
            "lines": self.lines,
            "events": self.events,
            "skipped": self.skipped,
            "first_date": iso_day(self.first_day) if self.first_day is not None else None,
            "last_date": iso_day(self.last_day) if self.last_day is not None else None,
        }


class _Bad(Exception):
    def __init__(self, found: str, expected: str) -> None:
        super().__init__(found)
        self.found = found
        self.expected = expected


class _DateParser:
    def __init__(self) -> None:
        self.cache: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        hit = self.cache.get(text)
        if hit is not None:
            return hit
        t = text.strip()
        try:
            if len(t) == 8 and t.isdigit():
                d = date(int(t[:4]), int(t[4:6]), int(t[6:]))
            elif len(t) > 10 and t[10] in "T ":
                d = date.fromisoformat(t[:10])
            else:
                d = date.fromisoformat(t)
        except ValueError:
            raise _Bad(f"date {short_repr(text)}", "a date as YYYY-MM-DD (or YYYYMMDD, or an ISO date-time)") from None
        day = d.toordinal()
        if len(self.cache) < 100_000:
            self.cache[text] = day
        return day


class EventReader:
    """Iterate over the events of one file; see the module docstring for the layouts."""

    def __init__(
        self,
        path: str | Path,
        table: CameoTable,
        *,
        fmt: str = "auto",
        skip_bad: str | Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.table = table
        self.fmt = fmt
        self.skip_bad = Path(skip_bad) if skip_bad is not None else None
        self.stats = ReadStats(str(path))
        self._dates = _DateParser()
        self._last_day: int | None = None
        self._bad_fh: IO[str] | None = None
        self._cc: dict[str, object] = {}
        self._codes: dict[str, tuple[str, int]] = {}
        self._gs: dict[str, object] = {}
        self._rel: dict[str, object] = {}
        if fmt not in FORMATS:
            raise InputError("--events-format", [Problem("(option)", repr(fmt), f"one of {', '.join(FORMATS)}")])

    # -- public ----------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Event]:
        if not self.path.exists():
            raise InputError(str(self.path), [Problem("(path)", "no such file", "an events file (CSV, TSV or JSON Lines)")], summary="cannot be found")
        if self.path.is_dir():
            raise InputError(str(self.path), [Problem("(path)", "a directory", "an events file (CSV, TSV or JSON Lines)")])
        fmt = self._layout()
        try:
            fh = self.path.open(encoding="utf-8", errors="surrogateescape", newline="")
        except OSError as exc:
            raise InputError(str(self.path), [Problem("(path)", f"an unreadable file ({exc.strerror})", "a readable events file")]) from None
        try:
            if fmt == "jsonl":
                yield from self._jsonl(fh)
            else:
                yield from self._delimited(fh, "\t" if fmt == "tsv" else ",")
        finally:
            fh.close()
            if self._bad_fh is not None:
                self._bad_fh.close()
                self._bad_fh = None

    # -- layouts ---------------------------------------------------------------------------

    def _layout(self) -> str:
        if self.fmt != "auto":
            return self.fmt
        suffix = self.path.suffix.lower()
        if suffix in (".jsonl", ".ndjson"):
            return "jsonl"
        if suffix in (".tsv", ".tab"):
            return "tsv"
        if suffix == ".csv":
            return "csv"
        with self.path.open("rb") as fh:
            head = fh.read(4096).decode("utf-8", errors="replace")
        first = head.lstrip().splitlines()[0] if head.strip() else ""
        if first.startswith("{"):
            return "jsonl"
        return "tsv" if first.count("\t") > first.count(",") else "csv"

    def _bad(self, line: int, found: str, expected: str, raw: str) -> None:
        problem = Problem(f"line {line}", found, expected)
        if self.skip_bad is None:
            raise InputError(str(self.path), [problem], summary="has a bad line")
        if self._bad_fh is None:
            try:
                self._bad_fh = self.skip_bad.open("w", encoding="utf-8")
            except OSError as exc:
                raise InputError(str(self.skip_bad), [Problem("(path)", f"an unwritable file ({exc.strerror})", "a file the bad lines can be written to")]) from None
        record = {"file": str(self.path), "line": line, "found": found, "expected": expected, "raw": raw}
        self._bad_fh.write(json.dumps(record) + "\n")
        self.stats.skipped += 1
        if len(self.stats.problems) < 20:
            self.stats.problems.append(problem)

    def _columns(self, header: list[str]) -> tuple[dict[str, int], dict[str, int]]:
        norm = [_norm(h) for h in header]
        index: dict[str, int] = {}
        fallback: dict[str, int] = {}
        for key, names in _ALIASES.items():
            for n in names:
                if n in norm:
                    index[key] = norm.index(n)
                    break
        for key, names in _FALLBACK.items():
            for n in names:
                if n in norm and norm.index(n) != index.get(key):
                    fallback[key] = norm.index(n)
                    break
            if key not in index and key in fallback:
                index[key] = fallback.pop(key)
        return index, fallback

    def _delimited(self, fh: IO[str], delim: str) -> Iterator[Event]:
        self.stats.layout = "tsv" if delim == "\t" else "csv"
        long: set[int] = set()  # numbers of lines cut short by bounded_lines
        lines = bounded_lines(fh, long)
        if delim == "\t":
            reader = csv.reader(lines, delimiter=delim, quoting=csv.QUOTE_NONE, strict=False)
        else:
            reader = csv.reader(lines, delimiter=delim, quoting=csv.QUOTE_MINIMAL, strict=False)
        try:
            header = next(reader)
        except StopIteration:
            raise InputError(str(self.path), [Problem("line 1", "an empty file", "a header line naming the columns")]) from None
        except csv.Error as exc:
            raise InputError(str(self.path), [Problem("line 1", f"an unreadable header ({exc})", "a header line naming the columns")]) from None
        if long:
            raise InputError(str(self.path), [Problem("line 1", f"a header line of more than {MAX_LINE_CHARS:,} characters",
                                                      "a header line naming the columns")], summary="has a bad line")
        _check_text(header, str(self.path), 1)
        index, fallback = self._columns(header)
        missing = [k for k in REQUIRED if k not in index]
        if missing:
            raise InputError(
                str(self.path),
                [Problem("line 1 (header)", f"columns {short_repr(header, 120)}", f"columns for {', '.join(missing)} (see `crisislab events check --help` for the accepted names)")],
                summary="is missing columns",
            )
        if "sourcecountry" in {_norm(h) for h in header}:
            self.stats.layout = "icews"
        ncols = len(header)
        i_date, i_src, i_tgt, i_code = index["date"], index["source"], index["target"], index["cameo"]
        i_g, i_forum, i_rel = index.get("goldstein"), index.get("forum"), index.get("reliability")
        i_pub, i_agenda, i_id = index.get("publisher"), index.get("agenda"), index.get("id")
        f_src, f_tgt = fallback.get("source"), fallback.get("target")
        stats = self.stats
        # fast path: a row whose every field is already known from earlier rows
        dcache, cc, codes, gs, rels = self._dates.cache, self._cc, self._codes, self._gs, self._rel
        no_col = len(header)  # an index that is never a column: reads as ""
        j_g = i_g if i_g is not None else no_col
        j_rel = i_rel if i_rel is not None else no_col
        j_pub = i_pub if i_pub is not None else no_col
        j_forum = i_forum if i_forum is not None else no_col
        j_agenda = i_agenda if i_agenda is not None else no_col
        cc.setdefault("", None)
        gs.setdefault("", None)
        rels.setdefault("", None)
        miss = _MISS
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                line = reader.line_num
                stats.lines += 1
                self._bad(line, f"a line the CSV reader cannot read ({exc})", "a well-formed CSV line", "")
                continue
            line = reader.line_num
            stats.lines += 1
            if long:  # a line of this row was too long and was dropped: the row is not what the file says
                long.clear()
                self._bad(line, f"a line of more than {MAX_LINE_CHARS:,} characters", f"event lines of at most {MAX_LINE_CHARS:,} characters", "")
                continue
            if len(row) == ncols:
                row.append("")
                day = dcache.get(row[i_date])
                src = cc.get(row[i_src])
                tgt = cc.get(row[i_tgt])
                cd = codes.get(row[i_code])
                g10 = gs.get(row[j_g], miss)
                rel = rels.get(row[j_rel], miss)
                pub = cc.get(row[j_pub], miss)
                forum = cc.get(row[j_forum], miss)
                agenda = cc.get(row[j_agenda], miss)
                last = self._last_day
                if (
                    day is not None and src and tgt and cd is not None and g10 is not miss and rel is not miss
                    and pub is not miss and forum is not miss and agenda is not miss
                    and (last is None or day >= last) and "".join(row).isascii()
                ):
                    self._last_day = day
                    if stats.first_day is None:
                        stats.first_day = day
                    stats.last_day = day
                    stats.events += 1
                    yield Event(day, src, tgt, cd[0], cd[1] if g10 is None else g10, rel, pub or "", forum, agenda,  # type: ignore[arg-type]
                                line, None if i_id is None else _clean(row[i_id]))
                    continue
                row.pop()
            try:
                if len(row) != ncols:
                    if not row or (len(row) == 1 and not row[0].strip()):
                        raise _Bad("an empty line", "an event line")
                    raise _Bad(f"{len(row)} fields", f"{ncols} fields as in the header")
                if not _is_text(row):
                    raise _Bad("bytes that are not UTF-8 text", "UTF-8 text")
                source = row[i_src]
                if source.lower() in MISSING and f_src is not None:
                    source = row[f_src]
                target = row[i_tgt]
                if target.lower() in MISSING and f_tgt is not None:
                    target = row[f_tgt]
                ev = self._make(
                    line,
                    row[i_date],
                    source,
                    target,
                    row[i_code],
                    row[i_g] if i_g is not None else None,
                    row[i_rel] if i_rel is not None else None,
                    row[i_pub] if i_pub is not None else None,
                    row[i_forum] if i_forum is not None else None,
                    row[i_agenda] if i_agenda is not None else None,
                    row[i_id] if i_id is not None else None,
                )
            except _Bad as bad:
                self._bad(line, bad.found, bad.expected, _raw(row, delim))
                continue
            yield ev

    def _jsonl(self, fh: IO[str]) -> Iterator[Event]:
        self.stats.layout = "jsonl"
        stats = self.stats
        long: set[int] = set()
        for line, text in enumerate(bounded_lines(fh, long), start=1):
            stats.lines += 1
            raw = text.rstrip("\r\n")
            try:
                if long:
                    long.clear()
                    raise _Bad(f"a line of more than {MAX_LINE_CHARS:,} characters", f"event lines of at most {MAX_LINE_CHARS:,} characters")
                if not raw.strip():
                    raise _Bad("an empty line", "a JSON object")
                if not _is_text([raw]):
                    raise _Bad("bytes that are not UTF-8 text", "UTF-8 text")
                try:
                    obj = json.loads(raw)
                except (ValueError, RecursionError) as exc:
                    raise _Bad(f"text that is not JSON ({str(exc)[:60]})", "one JSON object per line") from None
                if not isinstance(obj, dict):
                    raise _Bad(f"a JSON {type(obj).__name__}", "a JSON object")
                fields = {_norm(str(k)): v for k, v in obj.items()}
                get: dict[str, Any] = {}
                for key, names in _ALIASES.items():
                    for n in names:
                        if n in fields:
                            get[key] = fields[n]
                            break
                for key, names in _FALLBACK.items():
                    if _missing(get.get(key)):
                        for n in names:
                            if n in fields and not _missing(fields[n]):
                                get[key] = fields[n]
                                break
                code = get.get("cameo")
                if code is not None and not isinstance(code, str):
                    raise _Bad(f"CAMEO code {short_repr(code)} written as a {type(code).__name__}", "the code as a string (leading zeros matter: '036')")
                ev = self._make(
                    line,
                    _text(get.get("date"), "date"),
                    _text(get.get("source"), "source"),
                    _text(get.get("target"), "target"),
                    code,
                    get.get("goldstein"),
                    get.get("reliability"),
                    _text(get.get("publisher"), "publisher"),
                    _text(get.get("forum"), "forum"),
                    _text(get.get("agenda"), "agenda"),
                    _text(get.get("id"), "id"),
                )
            except _Bad as bad:
                self._bad(line, bad.found, bad.expected, raw)
                continue
            yield ev

    # -- one event -------------------------------------------------------------------------

    def _c(self, value: Any) -> str | None:
        """:func:`_clean` with a cache (actor names, codes and outlets repeat a lot)."""
        if value.__class__ is str:
            hit = self._cc.get(value, _MISS)
            if hit is _MISS:
                hit = _clean(value)
                if len(self._cc) < 200_000:
                    self._cc[value] = hit
            return hit  # type: ignore[return-value]
        return _clean(value)

    def _code(self, raw: Any) -> tuple[str, int]:
        """A checked CAMEO code and its table weight in tenths (cached)."""
        hit = self._codes.get(raw) if raw.__class__ is str else None
        if hit is not None:
            return hit
        code = _clean(raw)
        if code is None:
            raise _Bad("no CAMEO code", "a CAMEO event code such as '036'")
        table = self.table
        if not table.is_known(code):
            hint = " (leading zeros matter: '36' is not '036')" if code.isdigit() and len(code) <= 3 and not code.startswith("0") else ""
            raise _Bad(f"CAMEO code {short_repr(code)}", f"a code in the CAMEO table ({table.level} table){hint}")
        g10 = table.goldstein10(code)
        assert g10 is not None
        out = (code, g10)
        if raw.__class__ is str and len(self._codes) < 100_000:
            self._codes[raw] = out
        return out

    def _goldstein(self, raw: Any) -> int | None:
        """A Goldstein score in tenths, ``None`` when missing (cached for text)."""
        if raw is None:
            return None
        if raw.__class__ is str:
            hit = self._gs.get(raw, _MISS)
            if hit is not _MISS:
                return hit  # type: ignore[return-value]
        g10: int | None = None
        if not _missing(raw):
            g = _number(raw, "Goldstein score")
            if not -10.0 <= g <= 10.0:
                raise _Bad(f"Goldstein score {short_repr(raw)}", "a number from -10 to 10")
            g10 = int(round(g * 10.0))
        if raw.__class__ is str and len(self._gs) < 100_000:
            self._gs[raw] = g10
        return g10

    def _reliability(self, raw: Any) -> float | None:
        if raw is None:
            return None
        if raw.__class__ is str:
            hit = self._rel.get(raw, _MISS)
            if hit is not _MISS:
                return hit  # type: ignore[return-value]
        rel: float | None = None
        if not _missing(raw):
            rel = _number(raw, "reliability")
            if not 0.0 <= rel <= 1.0:
                raise _Bad(f"reliability {short_repr(raw)}", "a number from 0 to 1")
        if raw.__class__ is str and len(self._rel) < 100_000:
            self._rel[raw] = rel
        return rel

    def _make(
        self,
        line: int,
        date_text: Any,
        source: Any,
        target: Any,
        code: Any,
        goldstein: Any,
        reliability: Any,
        publisher: Any,
        forum: Any,
        agenda: Any,
        eid: Any,
    ) -> Event:
        day = self._dates.cache.get(date_text) if date_text.__class__ is str else None
        if day is None:
            if _missing(date_text):
                raise _Bad("no date", "a date as YYYY-MM-DD")
            day = self._dates(str(date_text))
        c = self._c
        source = c(source)
        if source is None:
            raise _Bad("no source actor", "the name of the actor that acted")
        target = c(target)
        if target is None:
            raise _Bad("no target actor", "the name of the actor acted upon")
        code, g_table = self._code(code)
        g10 = self._goldstein(goldstein)
        if g10 is None:
            g10 = g_table
        rel = self._reliability(reliability)
        last = self._last_day
        if last is not None and day < last:
            raise _Bad(f"date {iso_day(day)} after an event dated {iso_day(last)}", "events in time order (sort the file by date)")
        self._last_day = day
        stats = self.stats
        if stats.first_day is None:
            stats.first_day = day
        stats.last_day = day
        stats.events += 1
        return Event(day, source, target, code, g10, rel, c(publisher) or "", c(forum), c(agenda), line, _clean(eid))


_MISS = object()


MISSING_EXACT = frozenset({"", "NA", "na", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "none"})


def _clean(value: Any) -> str | None:
    """A stripped string, or ``None`` for a missing value."""
    if value is None:
        return None
    if value.__class__ is str:
        if value in MISSING_EXACT:
            return None
        if value[0].isspace() or value[-1].isspace():
            value = value.strip()
            if value.lower() in MISSING:
                return None
        elif value.lower() in MISSING:
            return None
        return value
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value).strip() or None


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip().lower() in MISSING
    if isinstance(value, float):
        return math.isnan(value)
    return False


def _text(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise _Bad(f"{what} {short_repr(value)} (a JSON {type(value).__name__})", f"the {what} as text")


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise _Bad(f"{what} {value!r}", "a number")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise _Bad(f"{what} {short_repr(value)}", "a number") from None
    if math.isnan(x) or math.isinf(x):
        raise _Bad(f"{what} {short_repr(value)}", "a finite number")
    return x


def _is_text(fields: list[str]) -> bool:
    if "".join(fields).isascii():
        return True
    for f in fields:
        if not f.isascii():
            try:
                f.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True


def _check_text(fields: list[str], source: str, line: int) -> None:
    if not _is_text(fields):
        raise InputError(source, [Problem(f"line {line}", "bytes that are not UTF-8 text", "a UTF-8 text file")])


def _raw(row: list[str], delim: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delim, lineterminator="", quoting=csv.QUOTE_MINIMAL if delim == "," else csv.QUOTE_NONE, escapechar="\\").writerow(row)
    return buf.getvalue().encode("utf-8", errors="backslashreplace").decode("utf-8")


def read_events(
    path: str | Path, table: CameoTable, *, fmt: str = "auto", skip_bad: str | Path | None = None
) -> tuple[list[Event], ReadStats]:
    """Read a whole events file into memory (for small files and tests)."""
    reader = EventReader(path, table, fmt=fmt, skip_bad=skip_bad)
    events = list(reader)
    return events, reader.stats


#: Event files that ship with crisislab, by name (invented events, for examples and tests).
SHIPPED_EVENTS = {"example": "example-invented.csv"}


def resolve_events(name_or_path: str | Path) -> Path:
    """A path for an events argument: a shipped name (``example``) or a path."""
    path = Path(name_or_path)
    if not path.exists() and str(name_or_path) in SHIPPED_EVENTS:
        from importlib import resources

        return Path(str(resources.files("crisislab.policy") / "data" / SHIPPED_EVENTS[str(name_or_path)]))
    return path


EXPORT_COLUMNS = ("date", "source", "target", "cameo", "goldstein", "forum", "reliability", "publisher", "agenda", "id")


def write_events_csv(fh: IO[str], events: Iterable[Event], day_label: Any = None) -> int:
    """Write events as CSV in the layout :class:`EventReader` reads; returns the count."""
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    n = 0
    for ev in events:
        when = day_label(ev.day) if day_label is not None else iso_day(ev.day)
        writer.writerow(
            [when, ev.source, ev.target, ev.code, f"{ev.g10 / 10.0:g}", ev.forum or "",
             "" if ev.reliability is None else f"{ev.reliability:g}", ev.publisher, ev.agenda or "", ev.eid or ""]
        )
        n += 1
    return n
