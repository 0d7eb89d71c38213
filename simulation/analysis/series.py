"""The one reader of an observed series, shared by :func:`fit_bass` and :func:`calibrate`.

An observed series is a CSV path (a time column and one value column), a pandas
Series (its index labels the observations: period numbers, dates, or whole days
since launch in an index named ``day``), a DataFrame with one numeric column, or
a 1-D sequence of numbers. :func:`read_series` checks it and says what is wrong
in one line (a :class:`~simulation.errors.ConfigError`), so the same bad series
gives the same message from every analysis that reads one:

- the form: one numeric column, 1-D, numbers;
- the size: at most ``MAX_OBSERVATIONS`` rows, values finite, >= 0 and at most
  ``MAX_VALUE``;
- the time labels: increasing, each once; period numbers in equal steps; dates
  read as ISO 8601 (YYYY-MM-DD) unless ``date_format`` says otherwise, never guessed;
- cumulative counts (``cumulative=True``) never fall.

What each analysis needs beyond that (equal periods for the Bass fit, days
since launch for a calibration) it checks itself; :func:`check_not_all_zero`
and :func:`check_enough` word the two checks they share.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, check_input_file, first_line
from ..model.config import MAX_HORIZON_DAYS

DAY_INDEX = "day"
"""The name of an index (or CSV time column) of whole days since launch."""
ISO_DATES = "ISO8601"
"""The date format read without ``date_format``: ISO 8601 (YYYY-MM-DD, optionally a time),
the one written form of a date that cannot be misread."""
MAX_OBSERVATIONS = MAX_HORIZON_DAYS + 1
"""Most observations (data rows) read: one a simulated day over the longest horizon, launch
day included. The model steps in days, so a longer series cannot be placed on its days;
refusing it before parsing keeps a 10^6-row file from tying up time and memory."""
MAX_DATA_BYTES = 16_000_000
"""Largest data file read, bytes (16 MB): MAX_OBSERVATIONS rows of a timestamp and a
17-digit value take under 2 MB, so a larger file is not an observed series of this kind."""
MAX_VALUE = 1e15
"""Largest observed value, data units: 10^5 x the world's population, so any count of people
or units sold fits, and every weighted sum of squares (at most MAX_OBSERVATIONS^2 x value^2)
stays far inside float64's range (1.8e308)."""
ALLOWED = ("a CSV path, a pandas Series, a DataFrame with one numeric column, or a 1-D "
           "sequence of numbers")
"""The forms an observed series may take, as the messages name them."""


def check_data_file(path: str | Path) -> Path:
    """The data file's path if it is a readable regular file of at most MAX_DATA_BYTES.

    Else a ConfigError with the reason (``errors.check_input_file``): not found, a
    folder, a symlink loop, unreadable, too large, or a special file. A named pipe, a
    terminal or a piped ``/dev/stdin`` is refused rather than read: opening a pipe with
    no writer, or reading a terminal, waits forever; a stream cannot be size-checked
    before it is read; and a rerun of the same command must find the same data
    (``/dev/stdin`` redirected from a file, ``< data.csv``, is that file: it is read).
    """
    path = Path(path)
    check_input_file(path, "data file", "a CSV with a time column and one value column",
                     max_bytes=MAX_DATA_BYTES)
    return path


def read_series(source: Any, *, cumulative: bool = False,
                date_format: str | None = None) -> tuple[pd.Series, str]:
    """The observed values as given (floats, labelled, named), and where they came from.

    Args:
        source: a CSV path, a pandas Series, a DataFrame with one numeric column,
            or a 1-D sequence of numbers (see the module docstring).
        cumulative: the values are cumulative counts, which must never fall (they
            are returned as given, not differenced).
        date_format: how a CSV's dates (or a Series' text labels) are written, in
            strptime codes; default ISO 8601.

    Returns:
        The values (index and name as given; the name None if there is none) and
        ``where``, the words that start every message about them: ``observed
        series`` or ``data file 'sales.csv'``.

    Raises:
        ConfigError: one line naming the first problem (see the module docstring).
    """
    where = "observed series"
    check_date_format(date_format)
    if isinstance(source, (str, Path)):
        path = check_data_file(source)
        where = f"data file {str(path)!r}"
        series = _read_csv(path, where, date_format)
    elif isinstance(source, pd.DataFrame):
        numeric = source.select_dtypes("number").columns
        if len(numeric) != 1:
            raise ConfigError(
                f"{where}: a DataFrame must have exactly one numeric column (given: numeric "
                f"columns {list(numeric[:6])}); allowed: the values as one column "
                "(df['sales']), the time column as the index (read_csv(..., index_col=0))")
        series = source[numeric[0]]
    elif isinstance(source, pd.Series):
        series = source
    else:
        try:
            values = np.asarray(source, dtype=float)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: could not read numbers from {type(source).__name__} "
                              f"{preview(source)} (not a sequence of numbers); allowed: "
                              f"{ALLOWED}") from None
        if values.ndim != 1:
            raise ConfigError(f"{where}: the values must be 1-D (given: shape {values.shape}); "
                              f"allowed: {ALLOWED}")
        series = pd.Series(values)
    if not isinstance(source, (str, Path)):
        check_length(len(series), where)
        if date_format is not None:
            series = series.set_axis(parse_dates(series.index, where, date_format))
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise ConfigError(f"{where}: column {series.name!r} is not numeric (given dtype "
                          f"{series.dtype}: {preview(series.tolist())}); allowed: numbers, "
                          "one per observation")
    values = series.to_numpy(dtype=float, na_value=np.nan)
    name = str(series.name) if series.name is not None else None
    of = f" of {name!r}" if name is not None else ""
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0) | (values > MAX_VALUE))
    if bad.size:
        value = float(values[bad[0]])
        hint = " (missing: fill or drop missing periods first)" if np.isnan(value) else ""
        raise ConfigError(f"{where}: values must be finite, >= 0 and <= {MAX_VALUE:g} (data "
                          f"units: counts of people or units); row {int(bad[0]) + 1}{of} is "
                          f"{value!r}{hint}")
    check_labels(series.index, where)
    if cumulative:
        falls = np.flatnonzero(np.diff(values) < 0)
        if falls.size:
            k = int(falls[0]) + 1
            raise ConfigError(f"{where}: cumulative counts must never fall; row {k + 1}{of} "
                              f"is {values[k]:g} after {values[k - 1]:g}; allowed: counts "
                              "that only rise (or say the values are not cumulative)")
    return pd.Series(values, index=series.index, name=name), where


def _read_csv(path: Path, where: str, date_format: str | None) -> pd.Series:
    """The value column of a two-column CSV, indexed by its time column (dates parsed)."""
    try:
        # one row past the bound, to tell a longer file; with a format, dates as text
        frame = pd.read_csv(path, nrows=MAX_OBSERVATIONS + 1,
                            **({} if date_format is None else {"dtype": {0: str}}))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else "empty"
        raise ConfigError(f"{where} is not a readable CSV ({reason}); allowed: a time "
                          "column and one value column, with a header row") from None
    except OSError as err:  # e.g. no permission to read
        raise ConfigError(f"{where} cannot be read ({err.strerror or err}); allowed: a "
                          "CSV with a time column and one value column") from None
    if frame.shape[1] != 2:
        raise ConfigError(f"{where} has {frame.shape[1]} columns "
                          f"({', '.join(map(str, frame.columns[:6]))}); allowed: "
                          "exactly two, time and value")
    check_length(len(frame), where)
    series = frame.set_index(frame.columns[0])[frame.columns[1]]
    if date_format is not None or (not pd.api.types.is_numeric_dtype(series.index)
                                   and not is_day_index(series.index)):
        series.index = parse_dates(series.index, where, date_format)
    return series


def check_length(rows: int, where: str) -> None:
    """A ConfigError if there are more than MAX_OBSERVATIONS rows."""
    if rows > MAX_OBSERVATIONS:
        raise ConfigError(f"{where} has more than {MAX_OBSERVATIONS:,} rows; allowed: at most "
                          f"{MAX_OBSERVATIONS:,} observations, one a simulated day over the "
                          f"longest horizon ({MAX_HORIZON_DAYS:,} days)")


def check_labels(index: pd.Index, where: str) -> None:
    """Time labels that can be ordered must increase, each once; period numbers in equal steps.

    Dates, periods and numbers are checked (whole days since launch, in an index named
    ``day``, may be irregular); text labels are only labels.
    """
    if isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)):
        keys = index.asi8
        texts = [str(d.date()) if isinstance(d, pd.Timestamp) and d == d.normalize()
                 else str(d) for d in index]
        check_increasing(keys, texts, "date" if isinstance(index, pd.DatetimeIndex)
                         else "period", where)
        return
    if not pd.api.types.is_numeric_dtype(index) or pd.api.types.is_bool_dtype(index):
        return
    keys = index.to_numpy(dtype=float)
    if is_day_index(index):
        check_increasing(keys, [f"{v:g}" for v in keys], DAY_INDEX, where)
        return
    what = str(index.name) if index.name is not None else "period"
    check_increasing(keys, [f"{v:g}" for v in keys], what, where)
    steps = np.diff(keys)
    if steps.size and not np.allclose(steps, steps[0]):
        raise ConfigError(f"{where}: {what} numbers {preview(index)} are not in equal steps; "
                          "allowed: period numbers in equal, increasing steps (reindex and "
                          "fill missing periods with 0), or whole days since launch in an "
                          f"index or time column named {DAY_INDEX!r}")


def check_increasing(keys: np.ndarray, texts: Sequence[str], what: str, where: str) -> None:
    """A ConfigError if ``keys`` repeat or fall; ``texts`` name each one (``day 7``)."""
    steps = np.diff(keys)
    allowed = f"allowed: one observation per {what}, in increasing order"
    twice, back = np.flatnonzero(steps == 0), np.flatnonzero(steps < 0)
    if twice.size:
        i = int(twice[0]) + 1
        raise ConfigError(f"{where}: {what} {texts[i]} appears twice (rows {i} and "
                          f"{i + 1}); {allowed}")
    if back.size:
        i = int(back[0]) + 1
        raise ConfigError(f"{where}: {what} {texts[i]} (row {i + 1}) comes after "
                          f"{what} {texts[i - 1]} (row {i}); {allowed}")


def check_not_all_zero(values: np.ndarray, where: str, name: str | None, *, cumulative: bool,
                       what: str = "new adopters") -> None:
    """A ConfigError if the values to fit are all 0: no signal, every candidate fits equally.

    ``name`` is the series' own name (None: unnamed), not an analysis's default for it.
    """
    if not np.any(values):
        how = "the cumulative count never rises" if cumulative else "every value is 0"
        named = f" in {name!r}" if name is not None else ""
        raise ConfigError(f"{where}: no signal to fit{named}: {how} (0 {what} in every "
                          "fitted observation), so every candidate fits equally; allowed: a "
                          "series that is not all 0")


def check_enough(n: int, quantities: Sequence[str], where: str, *, unit: str = "periods",
                 held: str = "", hint: str = "") -> None:
    """A ConfigError unless more observations are fitted (``n``) than quantities estimated.

    Fewer leave no degree of freedom for the residual variance behind the intervals.
    """
    if n <= len(quantities):
        raise ConfigError(f"{where}: {n} {unit}{held} for {len(quantities)} fitted "
                          f"quantities ({', '.join(quantities)}); allowed: more {unit} "
                          f"fitted than fitted quantities, at least {len(quantities) + 1}{hint}")


def is_day_index(index: pd.Index) -> bool:
    """An index (or time column) named ``day``: whole days since launch."""
    return (not isinstance(index, pd.DatetimeIndex) and index.name is not None
            and str(index.name).strip().lower() == DAY_INDEX)


def check_date_format(date_format: Any) -> None:
    """A ConfigError unless ``date_format`` is None or strptime codes (a ``%`` directive)."""
    if date_format is None:
        return
    if not isinstance(date_format, str) or "%" not in date_format:
        raise ConfigError(f"--date-format {date_format!r}: not a strptime format; allowed: "
                          "codes such as %d/%m/%Y (day/month/year) or %m/%d/%Y")
    try:
        pd.to_datetime(pd.Index(["2000-01-01"]), format=date_format, errors="coerce")
    except ValueError as err:
        raise ConfigError(f"--date-format {date_format!r}: {first_line(err)}; allowed: "
                          "strptime codes such as %d/%m/%Y") from None


_SLASHED = re.compile(r"\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})\s*")
"""A date written day-month-year or month-day-year (01/02/2020, 1.2.20, 01-02-2020)."""


def parse_dates(index: pd.Index, where: str, date_format: str | None) -> pd.DatetimeIndex:
    """The time column as dates: ISO 8601, or ``date_format``; else a ConfigError naming the row.

    Without ``date_format`` a date in another form is refused, not guessed: 01/02/2020
    is 1 February in most of the world and 2 January in the US.
    """
    column = index.name
    if isinstance(index, pd.DatetimeIndex):  # already dates (a Series from Python)
        return index
    if is_day_index(index) and date_format is not None:
        raise ConfigError(f"--date-format {date_format!r}: the time column {column!r} holds "
                          "whole days since launch, not dates; allowed: --date-format only "
                          "with dated rows")
    texts = pd.Index(["" if pd.isna(v) else str(v) for v in index], dtype=object)
    fmt = ISO_DATES if date_format is None else date_format
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dates = pd.to_datetime(texts, format=fmt, errors="coerce")
    except ValueError as err:  # pandas: "Mixed timezones detected. Pass utc=True ..."
        if "timezone" not in str(err).lower():
            raise ConfigError(f"{where}: time column {column!r} cannot be read as dates "
                              f"({first_line(err)}); allowed: ISO dates (YYYY-MM-DD) or "
                              "--date-format") from None
        raise ConfigError(f"{where}: time column {column!r} holds dates with different "
                          "time-zone offsets; allowed: one offset for every row, or none"
                          ) from None
    missing = np.flatnonzero(pd.isna(dates))
    if not missing.size:
        return pd.DatetimeIndex(dates, name=column)
    i = int(missing[0])
    value = texts[i][:40]
    shown = f"{where}: time column {column!r} holds {value!r} (row {i + 1})"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alone = pd.to_datetime(pd.Index([value]), format=fmt, errors="coerce")
    if not pd.isna(alone[0]):
        raise ConfigError(f"{shown}, whose time-zone offset differs from other rows'; "
                          "allowed: one offset for every row, or none")
    if date_format is not None:
        raise ConfigError(f"{shown}, which is not a date in --date-format {date_format!r}; "
                          "allowed: every row in that format")
    if not _is_date(value):
        raise ConfigError(f"{shown}: neither numbers nor dates; allowed: period numbers, "
                          "ISO dates (YYYY-MM-DD), or whole days since launch in a column "
                          "named 'day'")
    slashed = _SLASHED.fullmatch(value)
    if slashed:
        first, sep, second, year = slashed.groups()
        y = "%Y" if len(year) == 4 else "%y"
        day_first, month_first = f"%d{sep}%m{sep}{y}", f"%m{sep}%d{sep}{y}"
        if int(first) <= 12 and int(second) <= 12:
            raise ConfigError(f"{shown}, an ambiguous date: day/month or month/day; allowed: "
                              f"ISO dates (YYYY-MM-DD), or say which: --date-format "
                              f"{day_first} (day first) or {month_first} (month first)")
        fix = day_first if int(first) > 12 else month_first
        raise ConfigError(f"{shown}, not an ISO date (YYYY-MM-DD); allowed: ISO dates, or "
                          f"--date-format {fix}")
    raise ConfigError(f"{shown}, not an ISO date (YYYY-MM-DD); allowed: ISO dates, or "
                      "--date-format with strptime codes, e.g. %d %B %Y")


def _is_date(text: str) -> bool:
    """Whether pandas can read ``text`` as a date in some format (to name the fix)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return not pd.isna(pd.to_datetime(pd.Index([text]), format="mixed")[0])
    except (ValueError, TypeError, OverflowError):
        return False


def preview(values: Any) -> str:
    """The first few values, for a message (at most 120 characters)."""
    try:
        text = repr(list(values[:6])) + (" ..." if len(values) > 6 else "")
    except (TypeError, KeyError, IndexError):
        text = repr(values)
    return text if len(text) <= 120 else text[:117] + "..."
