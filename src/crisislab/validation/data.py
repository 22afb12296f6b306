"""Reading the reference data sets with checks that produce :class:`InputError`.

The data sets are never copied into the project (see ``CONTRIBUTING.md``); they are read
from a folder given by ``--data DIR`` or the ``CRISISLAB_DATA`` environment variable, laid
out as in the shared data README (``icb/icb1v14.csv``, ``ties/TIES.csv`` and so on).

Every loader names the file and the column when something is wrong: a missing file, a
file that is not text or not a table, a missing column, or a column that should hold
numbers but does not.
"""

from __future__ import annotations

import csv
import io
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from crisislab.errors import InputError, Problem, short_repr

DATA_ENV = "CRISISLAB_DATA"


@dataclass(frozen=True)
class TableSpec:
    """Where a reference table lives and what it must contain."""

    key: str
    relpath: str
    title: str
    citation: str
    numeric: tuple[str, ...]
    text: tuple[str, ...] = ()
    sep: str = ","
    encoding: str = "utf-8"


ICB1 = TableSpec(
    key="icb1",
    relpath="icb/icb1v14.csv",
    title="ICB v14, crisis level",
    citation=(
        "Brecher & Wilkenfeld (2000), A Study of Crisis; ICB Data Codebook v14; mediation: "
        "Beardsley, Quinn, Biswas & Wilkenfeld (2006), JCR 50(1): 58-86"
    ),
    numeric=("crisno", "viol", "mediate", "medstyle", "forout"),
    encoding="utf-8-sig",
)
TIES = TableSpec(
    key="ties",
    relpath="ties/TIES.csv",
    title="TIES v4, case level",
    citation="Morgan, Bapat & Kobayashi (2014), CMPS 31(5): 541-558 (TIES v4)",
    numeric=("caseid", "finaloutcome"),
)
MID = TableSpec(
    key="mid",
    relpath="mid/cow_mid_disps.csv",
    title="COW MID v5.0, dispute level",
    citation="Palmer et al. (2022), CMPS 39(4): 470-482 (MID 5.0); extract: Miller (2022), peacesciencer",
    numeric=("dispnum", "hostlev", "settle"),
)
GSDB = TableSpec(
    key="gsdb",
    relpath="gsdb/GSDB_V3.csv",
    title="Global Sanctions Data Base, release 3",
    citation=(
        "Felbermayr et al. (2020), EER 129: 103561; release 3: Syropoulos et al. (2024), "
        "Review of International Economics 32(1): 12-48"
    ),
    numeric=("case_id", "begin", "end"),
    text=("success",),
)

TABLES: dict[str, TableSpec] = {t.key: t for t in (ICB1, TIES, MID, GSDB)}


def resolve_data_dir(data: str | Path | None) -> Path:
    """The reference-data folder: ``data`` if given, else ``$CRISISLAB_DATA``.

    Raises :class:`InputError` (exit 2) when neither is given or the folder does not exist.
    """
    if data is None or str(data) == "":
        env = os.environ.get(DATA_ENV)
        if not env:
            raise InputError(
                "--data",
                [Problem("(option)", "no data folder given and $CRISISLAB_DATA is not set",
                         "--data DIR pointing at the reference data folder (with icb/, ties/, mid/, gsdb/)")],
                summary="is missing",
            )
        data = env
    path = Path(data)
    if not path.exists():
        raise InputError(str(path), [Problem("(path)", "no such folder", "the reference data folder")],
                         summary="cannot be found")
    if not path.is_dir():
        raise InputError(str(path), [Problem("(path)", "a file", "a folder holding icb/, ties/, mid/, gsdb/")])
    return path


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """Read a whole text file, mapping every failure to :class:`InputError`."""
    if not path.exists():
        raise InputError(str(path), [Problem("(path)", "no such file", "an existing data file")],
                         summary="cannot be found")
    if path.is_dir():
        raise InputError(str(path), [Problem("(path)", "a directory", "a data file")])
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), [Problem("(path)", f"an unreadable file ({exc.strerror})", "a readable file")]) from None
    try:
        return raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise InputError(str(path), [Problem("(whole file)", "bytes that are not valid text",
                                             f"a text file in {encoding}")]) from None


def parse_table(text: str, source: str, sep: str = ",") -> pd.DataFrame:
    """Parse delimited text into a data frame of strings; any parse failure is an :class:`InputError`."""
    if "\x00" in text:
        raise InputError(source, [Problem("(whole file)", "NUL bytes (a binary file?)", "a delimited text table")])
    if not text.strip():
        raise InputError(source, [Problem("(whole file)", "an empty file", "a header line and data rows")])
    try:
        with warnings.catch_warnings():
            # index_col=False: a row with more fields than the header must not silently turn
            # the first columns into an index (shifting every value); make it an error instead.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                                na_values=[""], engine="c", quoting=csv.QUOTE_MINIMAL, index_col=False)
    except pd.errors.ParserWarning:
        raise InputError(source, [Problem("(whole file)", "a row with more fields than the header line",
                                          f"every row to have at most as many {sep!r}-separated fields as the header")],
                         summary="cannot be parsed") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, csv.Error) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(source, [Problem("(whole file)", f"text that is not a table ({first})",
                                          f"a table separated by {sep!r} with a header line")],
                         summary="cannot be parsed") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def require_columns(frame: pd.DataFrame, source: str, columns: Sequence[str]) -> None:
    """Raise :class:`InputError` naming every required column that is absent."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        have = ", ".join(map(str, list(frame.columns)[:12])) + (" ..." if len(frame.columns) > 12 else "")
        raise InputError(source, [Problem(f"column {c!r}", f"no such column (header has: {have})",
                                          f"a column named {c!r}") for c in missing])


def numeric_column(frame: pd.DataFrame, source: str, column: str) -> pd.Series:
    """Column ``column`` as floats (blank = missing); text that is not a number is an :class:`InputError`."""
    raw = frame[column].astype("string").str.strip()
    values = pd.to_numeric(raw, errors="coerce")
    bad = (values.isna() & raw.notna() & (raw != "")).fillna(False)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(source, [Problem(f"column {column!r}, data row {i + 1} (line {i + 2})",
                                          short_repr(raw.iloc[i]), "a number or a blank")])
    out = values.astype(float)
    if np.isinf(out.to_numpy()).any():
        raise InputError(source, [Problem(f"column {column!r}", "an infinite value", "a finite number")])
    return out


def load_table(data_dir: str | Path | None, spec: TableSpec) -> pd.DataFrame:
    """Load one reference table, check its columns and convert the numeric ones."""
    folder = resolve_data_dir(data_dir)
    path = folder / spec.relpath
    source = str(path)
    frame = parse_table(read_text(path, spec.encoding), source, spec.sep)
    require_columns(frame, source, [*spec.numeric, *spec.text])
    out = pd.DataFrame(index=frame.index)
    for col in spec.numeric:
        out[col] = numeric_column(frame, source, col)
    for col in spec.text:
        out[col] = frame[col].fillna("")
    return out
