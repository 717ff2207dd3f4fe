"""Atomic CSV / Parquet export of fulfillment frames, and reading them back with their dtypes.

:func:`export` picks the format from the file name: ``.csv``, ``.csv.gz`` or ``.parquet``.

* **Atomic**: the data is written to a temporary file in the target's folder and renamed
  over the target (``os.replace``) only once complete; on any error the temporary file is
  removed and the target is untouched. A reader never sees half a file.
* **Parquet**: the Arrow table is written as it is (``pyarrow.parquet.write_table``; a
  DataFrame is turned into its Arrow table first, an Arrow table from
  :func:`~fulfillkit.to_arrow` is written directly). Every type comes back as it went in
  through :func:`read_frame`, which reads the Arrow table and converts it with the one
  mapping of :mod:`fulfillkit.frames.schema`.
* **CSV** carries no types, so it is written to be read safely by people and by
  :func:`read_frame`: timestamps as ISO-8601 UTC with microseconds and a ``Z``
  (``2024-10-01T12:00:00.123000Z``), and text cells that a spreadsheet would run as a
  formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return, the OWASP list)
  prefixed with ``'``. A cell that already starts with ``'`` gets one more, so
  :func:`read_frame` can strip exactly one ``'`` and get the original text back.

:func:`read_frame` reads either format back with the frame's dtypes: the base columns from
:data:`fulfillkit.frames.SCHEMA` / :data:`~fulfillkit.frames.WIDE_SCHEMA`, any other CSV
column inferred (``boolean``, ``Int64``, ``Float64`` or string). CSV cannot tell an empty
string from a missing value: both come back as ``NA``.

Example:
    >>> import tempfile, pathlib
    >>> from fulfillkit.frames import to_frame
    >>> rec = {"id": "f1", "carrier": "=HYPERLINK()", "created_at": "2024-10-01T12:00:00.123Z"}
    >>> df = to_frame([rec])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = export(df, pathlib.Path(tmp) / "f.csv")
    ...     print(path.read_text().splitlines()[1])
    ...     read_frame(path).equals(df)
    f1,,,'=HYPERLINK(),,,,2024-10-01T12:00:00.123000Z,,,Unknown,,False,
    True
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fulfillkit.errors import FulfillkitError
from fulfillkit.frames.schema import (
    BOOLEAN,
    DERIVED_SCHEMA,
    INT,
    SCHEMA,
    STRING,
    TIMESTAMP,
    WIDE_SCHEMA,
    to_pandas,
)

__all__ = ["ExportFormatError", "atomic_write", "export", "read_frame"]

Format = Literal["csv", "parquet"]

FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
"""Leading characters that make a spreadsheet evaluate a cell (OWASP CSV injection)."""
_ESCAPE: Final = "'"
_ISO_UTC: Final = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z"
_KNOWN_DTYPES: Final = {
    **WIDE_SCHEMA,
    **SCHEMA,
    **DERIVED_SCHEMA,
    "field_mappings": STRING,
    "shipment_status": STRING,
    "remote_data": STRING,
}


class ExportFormatError(FulfillkitError, ValueError):
    """The file name does not end in ``.csv``, ``.csv.gz`` or ``.parquet``."""


def _format_of(path: Path) -> tuple[Format, Literal["gzip"] | None]:
    name = path.name.lower()
    if name.endswith(".csv.gz"):
        return "csv", "gzip"
    if name.endswith(".csv"):
        return "csv", None
    if name.endswith(".parquet"):
        return "parquet", None
    raise ExportFormatError(
        f"cannot tell the format of {path.name!r}: use a name ending in .csv, .csv.gz or .parquet"
    )


def export(df: pd.DataFrame | pa.Table, path: str | os.PathLike[str], **kwargs: Any) -> Path:
    """Write ``df`` to ``path`` as CSV or Parquet (by suffix), atomically; return the path.

    ``df`` is a DataFrame or a ``pyarrow.Table`` (:func:`~fulfillkit.to_arrow`). ``kwargs``
    go to ``DataFrame.to_csv`` / ``pyarrow.parquet.write_table``. ``index`` defaults to
    writing the index only when it has a name (so a :func:`~fulfillkit.reports.carrier_report`
    keeps its ``carrier`` labels and a frame's row numbers are left out). The folder must
    exist. See the module docstring for what each format keeps.

    Raises:
        ExportFormatError: unknown suffix; raised before anything is written.

    Example:
        >>> import tempfile, pathlib
        >>> from fulfillkit.frames import to_frame
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     export(to_frame([]), pathlib.Path(tmp) / "empty.parquet").name
        'empty.parquet'
    """
    target = Path(path)
    fmt, compression = _format_of(target)
    if isinstance(df, pa.Table):
        if fmt == "parquet":
            return atomic_write(target, lambda temp: pq.write_table(df, temp, **kwargs))
        df = to_pandas(df)
    # A named index (the report's "carrier") is data; a plain row number is not.
    kwargs.setdefault("index", any(name is not None for name in df.index.names))
    if fmt == "parquet":
        table = pa.Table.from_pandas(df, preserve_index=kwargs.pop("index"))
        return atomic_write(target, lambda temp: pq.write_table(table, temp, **kwargs))
    kwargs.setdefault("compression", compression)
    # RFC 4180 line ends; also makes the csv module quote a bare "\r" in text, which with
    # "\n" line ends it would write raw and a reader would take as a line break.
    kwargs.setdefault("lineterminator", "\r\n")
    if kwargs["index"]:  # as columns, so that its text is neutralised too
        df, kwargs["index"] = df.reset_index(), False
    ready = _csv_ready(df)
    return atomic_write(target, lambda temp: ready.to_csv(temp, **kwargs))


def atomic_write(target: Path, write: Callable[[Path], Any]) -> Path:
    """``write`` to a hidden sibling of ``target``, then rename it over ``target``; on any
    error the sibling is removed and ``target`` is untouched."""
    # Same folder (so the rename is atomic), same umask (so the final file has the usual
    # permissions), and a random name nobody else will pick.
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    with open(temp, "xb"):
        pass
    try:
        write(temp)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    return target


def read_frame(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read an :func:`export`-ed CSV or Parquet file back with the frame's dtypes.

    Known columns get their :data:`~fulfillkit.frames.SCHEMA` dtype and every text column
    is ``string[pyarrow]`` again; in a CSV, the ``'`` added against formulas is removed and
    the other columns are inferred.

    Example:
        >>> import tempfile, pathlib
        >>> from fulfillkit.frames import to_frame
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     df = to_frame([{"id": "f1", "tracking_numbers": ["1Z"]}])
        ...     read_frame(export(df, pathlib.Path(tmp) / "f.csv.gz")).dtypes["tracking_index"]
        Int64Dtype()
    """
    source = Path(path)
    fmt, compression = _format_of(source)
    if fmt == "parquet":
        return to_pandas(pq.read_table(source))
    raw = pd.read_csv(
        source,
        dtype=object,
        keep_default_na=False,
        na_values=[""],
        compression=compression,
    )
    return pd.DataFrame(
        {name: _from_csv(raw[name], _KNOWN_DTYPES.get(name)) for name in raw.columns},
        index=pd.RangeIndex(len(raw)),
    )


# --- CSV -----------------------------------------------------------------------------------


def _is_text(series: pd.Series[Any]) -> bool:
    return isinstance(series.dtype, pd.StringDtype) or series.dtype == object


def _csv_ready(df: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy for ``to_csv``: ISO-8601 timestamps and formula-safe text."""
    out: dict[Any, Any] = {}
    for name in df.columns:
        column = df[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            out[name] = _iso_utc(column)
        elif _is_text(column):
            out[name] = _neutralise(column)
        else:
            out[name] = column
    return pd.DataFrame(out, index=df.index)


def _iso_utc(column: pd.Series[Any]) -> pd.Series[Any]:
    """``2024-10-01T12:00:00.123000Z`` for every timestamp, ``NA`` for ``NaT`` (numpy does
    the formatting: 20x faster than ``strftime``)."""
    naive = column.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    text = pd.Series(np.char.add(np.datetime_as_string(naive, unit="us"), "Z"), index=column.index)
    return text.astype(STRING).mask(column.isna())


def _neutralise(column: pd.Series[Any]) -> pd.Series[Any]:
    """Prefix ``'`` to text a spreadsheet would evaluate, and to text already starting with
    ``'`` (so that stripping one ``'`` on reading is exact)."""
    text = column.astype(STRING) if column.dtype == object else column
    first = text.str.slice(0, 1)
    risky = first.isin([*FORMULA_PREFIXES, _ESCAPE]).fillna(False).astype(bool)
    if not risky.any():
        return column
    return text.where(~risky, _ESCAPE + text)


def _from_csv(column: pd.Series[Any], dtype: Any) -> pd.Series[Any]:
    """One CSV column (read as text) -> its schema dtype, or an inferred one."""
    text = column.astype(STRING)
    if dtype == TIMESTAMP:
        parsed = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
        return parsed.dt.as_unit("us")
    if dtype == INT:
        return pd.to_numeric(text).astype(INT)
    if dtype == BOOLEAN:
        return text.map({"True": True, "False": False}).astype(BOOLEAN)
    if dtype == STRING:
        return _unescape(text)
    return _infer(text)


def _unescape(text: pd.Series[Any]) -> pd.Series[Any]:
    escaped = text.str.startswith(_ESCAPE).fillna(False).astype(bool)
    return text.where(~escaped, text.str.slice(1)) if escaped.any() else text


def _infer(text: pd.Series[Any]) -> pd.Series[Any]:
    """``boolean`` if every value is True/False, else a UTC timestamp if every value is one as
    :func:`export` writes them, else ``Int64``, ``Float64``, or string."""
    values = text.dropna()
    if values.empty:
        return text
    if values.isin(["True", "False"]).all():
        return text.map({"True": True, "False": False}).astype("boolean")
    if values.str.fullmatch(_ISO_UTC).all():  # written by export: a UTC timestamp column
        return _from_csv(text, TIMESTAMP)
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().all() and not values.str.match(r"^[+-]?0\d").any():  # keep zip codes
        if values.str.fullmatch(r"[+-]?\d+").all():
            return pd.to_numeric(text).astype(INT)
        return pd.to_numeric(text).astype("Float64")
    return _unescape(text)
