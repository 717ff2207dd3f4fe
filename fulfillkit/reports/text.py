"""Column helpers the reports share: text columns as Arrow arrays and back, stripped, with
blank as missing; timestamps as UTC Series. Column operations only, no Python per row.

Text here is ``string[pyarrow]`` (:data:`~fulfillkit.frames.STRING`), so that string
operations run in Arrow kernels over the buffers ``to_frame`` built, one chunk or several.

Example:
    >>> import pandas as pd
    >>> from fulfillkit.frames import STRING
    >>> clean_text(pd.DataFrame({"id": [" a ", "", None]}), "id").tolist()
    ['a', <NA>, <NA>]
    >>> clean_text(pd.DataFrame(), "id").tolist()
    []
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fulfillkit.frames import STRING, TIMESTAMP

__all__ = [
    "arrow_text",
    "as_text",
    "clean_text",
    "factorize",
    "missing",
    "take_text",
    "text_chunks",
    "text_series",
    "texts",
    "utc_times",
]


def text_chunks(series: pd.Series[Any]) -> list[pa.Array]:
    """The Arrow arrays behind a text Series (``large_string``), one per chunk."""
    arrow = pa.array(series.astype(STRING).array)
    chunks = arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]
    return [c if c.type == pa.large_string() else c.cast(pa.large_string()) for c in chunks]


def arrow_text(text: pd.Series[Any]) -> pa.Array:
    """The Arrow ``large_string`` array behind a text Series (chunks, if any, combined)."""
    return pa.chunked_array(text_chunks(text), type=pa.large_string()).combine_chunks()


def take_text(series: pd.Series[Any], where: npt.NDArray[np.intp]) -> pa.Array:
    """The text at the ascending positions ``where`` of a text Series, as one Arrow
    ``large_string`` array. Taken chunk by chunk: a take on a chunked column would join
    every chunk first (hundreds of megabytes for ``remote_data``) to read a few rows.

    Example:
        >>> take_text(pd.Series(["a", "b", "c"], dtype=STRING), np.array([0, 2])).to_pylist()
        ['a', 'c']
    """
    chunks = text_chunks(series)
    starts = np.cumsum([0, *(len(c) for c in chunks)])
    which = np.searchsorted(starts, where, side="right") - 1
    parts = [
        chunks[k].take(pa.array(where[which == k] - starts[k])) for k in np.unique(which).tolist()
    ]
    return pa.concat_arrays(parts) if parts else pa.array([], type=pa.large_string())


def text_series(array: pa.Array) -> pd.Series[Any]:
    """A ``string[pyarrow]`` Series (fresh RangeIndex) over an Arrow text array."""
    return pd.Series(pd.arrays.ArrowStringArray(array))


def texts(values: list[str]) -> pa.Array:
    """A few Python strings as an Arrow ``large_string`` array."""
    return pa.array(values, type=pa.large_string())


def as_text(values: pd.Series[Any]) -> pd.Series[Any]:
    """``values`` as a ``string[pyarrow]`` Series with a fresh RangeIndex."""
    text = values if values.dtype == STRING else values.astype(STRING)
    return text.reset_index(drop=True)


def missing(n: int, dtype: Any = STRING) -> pd.Series[Any]:
    """``n`` missing values of ``dtype`` (a fresh RangeIndex)."""
    series: pd.Series[Any] = pd.Series(pd.NA, index=pd.RangeIndex(n), dtype=dtype)
    return series


def clean_text(rows: pd.DataFrame, column: str) -> pd.Series[Any]:
    """A text column stripped, blank as ``NA`` (all ``NA`` when the frame lacks it); a
    fresh RangeIndex."""
    if column not in rows:
        return missing(len(rows))
    text = pc.utf8_trim_whitespace(arrow_text(rows[column].astype(STRING)))
    return text_series(pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text))


def utc_times(rows: pd.DataFrame, column: str) -> pd.Series[Any]:
    """A timestamp column in UTC (all ``NaT`` when the frame lacks it); a fresh RangeIndex.
    Text (a frame built by hand) is read as ISO 8601, and what does not parse is ``NaT``."""
    if column not in rows:
        return pd.Series(pd.NaT, index=pd.RangeIndex(len(rows)), dtype=TIMESTAMP)
    values = rows[column]
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values):
        return pd.to_datetime(values, utc=True).reset_index(drop=True)
    parsed = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
    return parsed.reset_index(drop=True)


def factorize(values: pd.Series[Any]) -> npt.NDArray[np.intp]:
    """``pd.factorize`` codes as ``intp`` (``-1``: missing)."""
    codes, _ = pd.factorize(values)
    return np.asarray(codes, dtype=np.intp)
