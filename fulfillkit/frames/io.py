"""Atomic CSV / Parquet export of fulfillment frames, and reading them back with their dtypes.

:func:`export` picks the format from the file name: ``.csv``, ``.csv.gz`` or ``.parquet``.

* **What it takes**: whatever :func:`~fulfillkit.frames.frame_of` takes (a DataFrame, such
  as a ``to_frame`` frame or a carrier report; a ``pyarrow.Table``; a ``BatchResult`` or
  anything with ``to_frame()``; a list of records). Anything else raises
  :class:`~fulfillkit.InvalidDataError` before anything is written.
* **Where**: the one output-path rule (:func:`fulfillkit.paths.output_path`): missing
  folders are created, a folder given as the file (or a file as a folder) is refused with
  :class:`~fulfillkit.OutputPathError` naming the path, before any work.
* **Atomic**: the data is written to a temporary file in the target's folder and renamed
  over the target (``os.replace``) only once complete; on any error the temporary file is
  removed, the target is untouched, and the error names the target, never the temporary
  file. A reader never sees half a file.
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

:func:`read_frame` reads any CSV or Parquet file (not only fulfillkit's), typed by one
stated rule (see its docstring). Where a CSV round trip differs from a Parquet one: CSV
cannot tell an empty string from a missing value (both come back as ``NA``), and
``field_mappings.*`` columns always come back as text (Panora's values are text; numbers,
booleans from other sources keep their type only in Parquet).

Example:
    >>> import tempfile, pathlib
    >>> from fulfillkit.frames import to_frame
    >>> rec = {"id": "f1", "carrier": "=HYPERLINK()", "created_at": "2024-10-01T12:00:00.123Z"}
    >>> df = to_frame([rec])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = export(df, pathlib.Path(tmp) / "new" / "f.csv")
    ...     print(path.read_text().splitlines()[1])
    ...     read_frame(path).equals(df)
    f1,,,'=HYPERLINK(),,,,2024-10-01T12:00:00.123000Z,,,Unknown,,False,
    True
"""

from __future__ import annotations

import contextlib
import inspect
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fulfillkit.errors import FulfillkitError, InvalidDataError, OutputPathError
from fulfillkit.frames.coerce import frame_of
from fulfillkit.frames.orders import JOIN_SCHEMA, LAG
from fulfillkit.frames.schema import (
    BOOLEAN,
    DERIVED_SCHEMA,
    FIELD_MAPPINGS_PREFIX,
    FLOAT,
    INT,
    SCHEMA,
    STRING,
    TIMESTAMP,
    WIDE_SCHEMA,
    to_pandas,
)
from fulfillkit.paths import output_path, writer_error

__all__ = ["ExportFormatError", "atomic_write", "export", "read_frame"]

Format = Literal["csv", "parquet"]

FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
"""Leading characters that make a spreadsheet evaluate a cell (OWASP CSV injection)."""
_ESCAPE: Final = "'"
_ISO_UTC: Final = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z"
KNOWN_DTYPES: Final[Mapping[str, Any]] = {
    **JOIN_SCHEMA,
    **WIDE_SCHEMA,
    **SCHEMA,
    **DERIVED_SCHEMA,
    "field_mappings": STRING,
    "shipment_status": STRING,
    "remote_data": STRING,
}
"""The columns :func:`read_frame` types by name in a CSV: ``to_frame``'s (exploded or not,
derived, remote data) and those :func:`~fulfillkit.join_orders` appends."""


def _writer_options(*writers: Callable[..., Any]) -> frozenset[str]:
    names: set[str] = set()
    for writer in writers:
        for name, parameter in inspect.signature(writer).parameters.items():
            if parameter.kind not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
                names.add(name)
    return frozenset(names - {"self", "table", "where", "schema", "path_or_buf", "filesystem"})


# The keyword options each format's writer takes (an unknown one fails before writing).
_OPTIONS: Final[Mapping[Format, frozenset[str]]] = {
    "csv": _writer_options(pd.DataFrame.to_csv),
    "parquet": _writer_options(pq.write_table, pq.ParquetWriter.__init__) | {"index"},
}


class ExportFormatError(FulfillkitError, ValueError):
    """The file name does not end in ``.csv``, ``.csv.gz`` or ``.parquet``; an option the
    format's writer does not take; or a file whose content is not the format its name says
    (:func:`read_frame`)."""


def _format_of(path: str | os.PathLike[str]) -> tuple[Format, Literal["gzip"] | None]:
    name = Path(path).name.lower()
    if name.endswith(".csv.gz"):
        return "csv", "gzip"
    if name.endswith(".csv"):
        return "csv", None
    if name.endswith(".parquet"):
        return "parquet", None
    raise ExportFormatError(
        f"cannot tell the format of {Path(path).name!r}: use a name ending in .csv, .csv.gz "
        "or .parquet"
    )


def export(data: object, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write ``data`` to ``path`` as CSV or Parquet (by suffix), atomically; return the path.

    Args:
        data: a DataFrame (a :func:`~fulfillkit.to_frame` frame, a carrier report, the
            findings of an audit, ...), a ``pyarrow.Table`` (:func:`~fulfillkit.to_arrow`,
            written to Parquet as it is), a :class:`~fulfillkit.BatchResult` (its
            ``to_frame()``) or a list of records: what :func:`~fulfillkit.frames.frame_of`
            takes.
        path: ``.parquet``, ``.csv`` or ``.csv.gz``; missing folders are created.
        options: passed to the writer: ``DataFrame.to_csv`` for CSV (``sep``,
            ``float_format``, ``columns``, ...), ``pyarrow.parquet.write_table`` for Parquet
            (``compression``, ``row_group_size``, ...). ``index`` (both formats) defaults
            to writing the index only when it has a name, as columns (so a carrier report
            keeps its ``carrier`` labels, read back as a column in either format, and a
            frame's row numbers are left out).

    Raises:
        ExportFormatError: unknown suffix, or an option the writer does not take.
        InvalidDataError: ``data`` is none of the above.
        OutputPathError: ``path`` cannot be written (a folder, a parent that is a file, no
            permission, or the write itself failed, say a full disk).

    All but the last are raised before anything is written. See the module docstring for
    what each format keeps.

    Example:
        >>> import tempfile, pathlib
        >>> from fulfillkit.frames import to_frame
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     export(to_frame([]), pathlib.Path(tmp) / "empty.parquet").name
        'empty.parquet'
    """
    if not isinstance(path, (str, os.PathLike)):
        output_path(path, what="export")  # raises: not a path
    fmt, compression = _format_of(path)
    unknown = sorted(set(options) - _OPTIONS[fmt])
    if unknown:
        writer = "DataFrame.to_csv" if fmt == "csv" else "pyarrow.parquet.write_table"
        raise ExportFormatError(
            f"export to {fmt} does not take {', '.join(map(repr, unknown))} "
            f"(the options go to {writer})"
        )
    if isinstance(data, pa.Table) and fmt == "parquet":
        table = data
        if "index" in options:
            raise ExportFormatError("index= applies to a DataFrame, not a pyarrow.Table")
    else:
        df = frame_of(data, what="export")
        # A named index (the report's "carrier") is data, written as columns in both
        # formats (so both read back alike, and CSV neutralises its text); a plain row
        # number is not data.
        if options.pop("index", any(name is not None for name in df.index.names)):
            df = df.reset_index()
    target = output_path(path, what="export")
    if fmt == "parquet":
        if not isinstance(data, pa.Table):
            try:
                table = pa.Table.from_pandas(df, preserve_index=False)
            except pa.ArrowException as exc:
                reason = " ".join(str(exc).split())
                message = f"export cannot write this frame as Parquet: {reason}"
                raise InvalidDataError(message) from None
        return _write(target, path, lambda temp: pq.write_table(table, temp, **options))
    options.setdefault("compression", compression)
    # RFC 4180 line ends; also makes the csv module quote a bare "\r" in text, which with
    # "\n" line ends it would write raw and a reader would take as a line break.
    options.setdefault("lineterminator", "\r\n")
    options["index"] = False
    ready = _csv_ready(df)
    return _write(target, path, lambda temp: ready.to_csv(temp, **options))


def _write(target: Path, shown: str | os.PathLike[str], write: Callable[[Path], Any]) -> Path:
    """:func:`_replace` of a target :func:`export` has checked, with a writer's refusal of
    its options (a ``sep`` of two characters, an unknown codec) as
    :class:`ExportFormatError`."""
    try:
        return _replace(target, write, what="export", shown=shown)
    except (TypeError, ValueError, pa.ArrowException) as exc:
        if isinstance(exc, FulfillkitError):
            raise
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ExportFormatError(f"cannot export {os.fspath(shown)!r}: {reason}") from None


def atomic_write(
    target: str | os.PathLike[str],
    write: Callable[[Path], Any],
    *,
    what: str = "file",
    shown: str | os.PathLike[str] | None = None,
) -> Path:
    """``write`` to a hidden sibling of ``target``, then rename it over ``target``.

    ``target`` is checked first by the output-path rule (:func:`fulfillkit.paths.output_path`:
    missing folders created). On any error the sibling is removed and ``target`` is
    untouched; an ``OSError`` (disk full, folder removed meanwhile) is raised as
    :class:`~fulfillkit.OutputPathError` naming ``shown`` (default: ``target``) and the
    reason, never the hidden file. ``what`` names the writer in messages.
    """
    path = output_path(target, what=what)
    return _replace(path, write, what=what, shown=target if shown is None else shown)


def _replace(
    path: Path, write: Callable[[Path], Any], *, what: str, shown: str | os.PathLike[str]
) -> Path:
    """:func:`atomic_write` to a ``path`` already checked by the output-path rule."""
    # Same folder (so the rename is atomic), same umask (so the final file has the usual
    # permissions), and a random name nobody else will pick.
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(temp, "xb"):
            pass
        write(temp)
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        if isinstance(exc, OutputPathError):
            raise
        raise writer_error(what, shown, _named(exc, temp, path)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return path


def _named(exc: OSError, temp: Path, target: Path) -> OSError:
    """``exc`` with a reason that names ``target`` where it named the temporary file."""
    reason = exc.strerror or " ".join(str(exc).split()) or type(exc).__name__
    named = reason.replace(str(temp), str(target)).replace(temp.name, target.name)
    return OSError(exc.errno, named)


def read_frame(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV or Parquet file (by suffix) into a frame typed as :func:`export` wrote it.

    Any file is read, not only fulfillkit's exports, by this rule:

    * **Parquet** (a file, or a dataset folder such as a ``sink=``'s): its Arrow types,
      converted by the one mapping of :func:`~fulfillkit.frames.to_pandas` (text
      ``string``, integers ``Int64``, ``boolean``, ``Float64``, UTC timestamps). Exact.
    * **CSV**: a column named as one of :func:`~fulfillkit.to_frame`'s (or
      :func:`~fulfillkit.join_orders`') gets that column's dtype, and a value that does not
      convert raises :class:`ExportFormatError` naming the column; ``field_mappings.*``
      columns are text (Panora's values are text: ``"0901"`` stays ``"0901"``, ``"42"``
      stays ``"42"``); any other column is inferred: ``boolean`` when every value is
      ``True``/``False``, UTC timestamps when every value is one as :func:`export` writes
      them, ``Int64`` or ``Float64`` when every value is a number without a leading zero,
      else text. Text loses the ``'`` :func:`export` put before formula-like cells. An
      empty cell is ``NA`` (CSV has no empty string).

    Raises:
        ExportFormatError: an unknown suffix, or a file that is not the format its name
            says (a broken Parquet file, a CSV that does not parse), or a known column
            whose values are not its type.
        FileNotFoundError: there is no such file.

    Example:
        >>> import tempfile, pathlib
        >>> from fulfillkit.frames import to_frame
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     df = to_frame([{"id": "f1", "tracking_numbers": ["1Z"]}])
        ...     read_frame(export(df, pathlib.Path(tmp) / "f.csv.gz")).dtypes["tracking_index"]
        Int64Dtype()
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidDataError(f"read_frame takes a path, got {type(path).__name__}")
    fmt, compression = _format_of(path)
    source = Path(path)
    if not source.exists():
        raise FileNotFoundError(2, "no such file", os.fspath(path))
    shown = repr(os.fspath(path))
    try:
        if fmt == "parquet":
            return to_pandas(pq.read_table(source))
        raw = pd.read_csv(
            source,
            dtype=object,
            keep_default_na=False,
            na_values=[""],
            compression=compression,
        )
    except PermissionError:
        raise
    except (OSError, ValueError, UnicodeDecodeError, pa.ArrowException) as exc:
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        kind = "Parquet" if fmt == "parquet" else "CSV"
        raise ExportFormatError(f"cannot read {shown} as {kind}: {reason}") from None
    columns = {}
    for name in raw.columns:
        try:
            columns[name] = _from_csv(raw[name], _csv_dtype(str(name)))
        except (ValueError, TypeError, OverflowError) as exc:
            raise ExportFormatError(
                f"cannot read {shown}: column {name!r} does not hold {_csv_dtype(str(name))} "
                f"values ({' '.join(str(exc).split())[:120]})"
            ) from None
    return pd.DataFrame(columns, index=pd.RangeIndex(len(raw)))


def _csv_dtype(name: str) -> Any:
    """The dtype a CSV column gets by its name (``None``: inferred from its values)."""
    if name.startswith(FIELD_MAPPINGS_PREFIX):
        return STRING
    return KNOWN_DTYPES.get(name)


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
    """One CSV column (read as text) -> its schema dtype, or an inferred one. Raises
    ``ValueError`` for a value that is not of ``dtype``."""
    text = column.astype(STRING)
    if dtype == TIMESTAMP:
        parsed = pd.to_datetime(text, utc=True, format="ISO8601")
        return parsed.dt.as_unit("us")
    if dtype == INT:
        return pd.to_numeric(text).astype(INT)
    if dtype == FLOAT:
        return pd.to_numeric(text).astype(FLOAT)
    if dtype == LAG:
        return pd.to_timedelta(text).astype(LAG)
    if dtype == BOOLEAN:
        values = text.dropna()
        if not values.isin(["True", "False"]).all():
            first = values[~values.isin(["True", "False"])].iloc[0]
            raise ValueError(f"{first!r} is not True or False")
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
        return pd.to_numeric(text).astype(FLOAT)
    return _unescape(text)
