"""Fulfillment records -> pandas DataFrames, built column-wise with a fixed schema of dtypes.

:func:`to_frame` turns fulfillments (:class:`~fulfillkit.models.Fulfillment` objects or the
plain dicts the API returns) into one row per *(fulfillment, tracking position)*;
:func:`items_frame` gives one row per line item. Both follow pandas' own I/O code: a single
Python pass collects plain lists per column, then every column is built at once with an
explicit dtype. There is no per-row pandas call and no ``pd.json_normalize`` on the way.

Dtypes are chosen so that a frame looks the same on pandas 2.2 and pandas 3 and survives a
Parquet round trip unchanged (see :data:`SCHEMA`):

* text: ``pd.StringDtype("python")`` (``string[python]``, missing values are ``pd.NA``),
  the same on pandas 2.2 and 3 (pandas 3's default ``str`` dtype uses NaN instead of NA, so
  it is never used). It holds the very ``str`` objects parsed from the JSON, no copies:
  1.5x faster to build than ``string[pyarrow]`` and half the memory growth on 100,000
  records (``benchmarks/bench_frame.py``). ``df.astype("string[pyarrow]")`` converts;
* ``tracking_index`` / ``tracking_count``: nullable ``Int64``;
* ``created_at`` / ``modified_at``: ``datetime64[us, UTC]`` (pandas 3 would otherwise pick
  the unit from the data, pandas 2.2 always nanoseconds);
* ``items``, ``remote_data`` and, with ``explode=False``, ``tracking_numbers`` /
  ``tracking_urls``: **JSON text** in a string column (``json.loads`` gives back exactly what
  the API sent). JSON text is lossless and writes to CSV and Parquet alike, where Python
  objects in an ``object`` column would not;
* ``field_mappings.<key>``: the narrowest dtype holding every value of the column:
  ``boolean``, ``Int64``, ``Float64``, string, or JSON text when values are mixed, lists or
  dicts.

Example:
    >>> df = to_frame([{"id": "f1", "carrier": "UPS", "tracking_numbers": ["1Z1", "1Z2"],
    ...                 "tracking_urls": ["https://t/1Z1"]}])
    >>> print(df[["id", "tracking_index", "tracking_number", "tracking_url"]].to_string())
       id  tracking_index tracking_number   tracking_url
    0  f1               0             1Z1  https://t/1Z1
    1  f1               1             1Z2           <NA>
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._errors import FulfillkitError
from .models import Fulfillment

__all__ = [
    "INT",
    "ITEMS_SCHEMA",
    "SCHEMA",
    "STRING",
    "TIMESTAMP",
    "WIDE_SCHEMA",
    "FieldMappingCollisionError",
    "UnparsedTimestampWarning",
    "items_frame",
    "schema",
    "to_frame",
]

STRING: Final = pd.StringDtype("python")
"""Text columns: ``string[python]`` with ``pd.NA``, identical on pandas 2.2 and 3."""
INT: Final = pd.Int64Dtype()
"""Counters and positions: nullable ``Int64``."""
TIMESTAMP: Final = pd.DatetimeTZDtype("us", "UTC")
"""``created_at`` / ``modified_at``: ``datetime64[us, UTC]`` on every pandas version."""

SCHEMA: Final[Mapping[str, Any]] = {
    "id": STRING,
    "remote_id": STRING,
    "order_id": STRING,
    "carrier": STRING,
    "tracking_index": INT,
    "tracking_number": STRING,
    "tracking_url": STRING,
    "created_at": TIMESTAMP,
    "modified_at": TIMESTAMP,
    "items": STRING,
}
"""Base columns of ``to_frame(records)`` and their dtypes, in order (before the
``field_mappings.*`` columns, which depend on the data)."""

WIDE_SCHEMA: Final[Mapping[str, Any]] = {
    "id": STRING,
    "remote_id": STRING,
    "order_id": STRING,
    "carrier": STRING,
    "tracking_count": INT,
    "tracking_numbers": STRING,
    "tracking_urls": STRING,
    "created_at": TIMESTAMP,
    "modified_at": TIMESTAMP,
    "items": STRING,
}
"""Base columns of ``to_frame(records, explode=False)``: the lists stay as JSON text."""

ITEMS_SCHEMA: Final[Mapping[str, Any]] = {"id": STRING, "item_index": INT}
"""Key columns of :func:`items_frame`; the line items' own fields follow."""

REMOTE_DATA_COLUMN: Final = "remote_data"
FIELD_MAPPINGS_PREFIX: Final = "field_mappings"

_MAX_IDS_IN_MESSAGE: Final = 10
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
_FLOAT_EXACT: Final = 2**53
# A time of day followed by a zone: "Z" or an offset such as "+02:00", "-0400", "+02".
_OFFSET: Final = re.compile(
    r"[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"
)

Column = pd.api.extensions.ExtensionArray  # any column built here, for annotations

_to_json: Callable[[Any], str] = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), default=str
).encode


class FieldMappingCollisionError(FulfillkitError, ValueError):
    """Two different ``field_mappings`` keys flatten to the same column name.

    ``{"a.b": 1}`` and ``{"a": {"b": 2}}`` both become ``field_mappings.a.b`` with
    ``sep="."``. Instead of letting one silently overwrite the other, :func:`to_frame` raises
    this error naming the column, both keys and the fulfillment ids. Passing another ``sep``
    (for example ``sep="__"``) keeps them apart.
    """

    def __init__(
        self,
        column: str,
        first: tuple[str, ...],
        second: tuple[str, ...],
        ids: Sequence[str | None],
    ) -> None:
        self.column = column
        self.keys = (first, second)
        self.ids = list(ids)
        super().__init__(
            f"field_mappings keys {_key_path(first)} and {_key_path(second)} both flatten to "
            f"column {column!r} (fulfillment ids {_id_list(self.ids)}); pass another sep= "
            "to to_frame() to keep them apart"
        )


class UnparsedTimestampWarning(UserWarning):
    """A ``created_at`` / ``modified_at`` value could not be parsed and became ``NaT``."""


def schema(*, explode: bool = True, remote_data: bool = False) -> dict[str, Any]:
    """The base column -> dtype mapping of :func:`to_frame` with these options.

    Use it to build an empty frame or a Dask ``meta`` without any records:

    Example:
        >>> list(schema(remote_data=True))[-2:]
        ['items', 'remote_data']
        >>> pd.DataFrame({c: pd.Series(dtype=t) for c, t in schema().items()}).shape
        (0, 10)
    """
    columns = dict(SCHEMA if explode else WIDE_SCHEMA)
    if remote_data:
        columns[REMOTE_DATA_COLUMN] = STRING
    return columns


def to_frame(
    records: Iterable[Fulfillment | Mapping[str, Any]],
    *,
    remote_data: bool = False,
    sep: str = ".",
    explode: bool = True,
) -> pd.DataFrame:
    """Fulfillments as a DataFrame: one row per (fulfillment, tracking position).

    A fulfillment with ``n = max(len(tracking_numbers), len(tracking_urls))`` tracking
    positions gives ``n`` rows with ``tracking_index`` ``0..n-1``; numbers and URLs are paired
    by position and are ``NA`` where one list is shorter. Null lists count as empty. A
    fulfillment without tracking keeps one row whose tracking columns are ``NA``: no
    fulfillment disappears.

    Columns, in order: ``id, remote_id, order_id, carrier, tracking_index, tracking_number,
    tracking_url, created_at, modified_at, items``, then ``field_mappings.<key>`` (nested
    dicts flattened with ``sep``, like ``pd.json_normalize``), then ``remote_data`` when
    ``remote_data=True``. Dtypes are fixed (see the module docstring and :data:`SCHEMA`);
    ``items`` and ``remote_data`` are JSON text. An empty input gives an empty frame with the
    same columns and dtypes.

    With ``explode=False`` there is one row per fulfillment and ``tracking_index``,
    ``tracking_number``, ``tracking_url`` are replaced by ``tracking_count`` (``Int64``) and
    ``tracking_numbers`` / ``tracking_urls`` (the lists as JSON text, ``NA`` for a null list).

    Args:
        records: :class:`~fulfillkit.models.Fulfillment` objects or plain API dicts, mixed
            freely.
        remote_data: add the provider's raw record as a JSON text column ``remote_data``.
        sep: separator for flattened ``field_mappings`` keys.
        explode: one row per tracking position (default) or one row per fulfillment.

    Raises:
        FieldMappingCollisionError: two ``field_mappings`` keys flatten to the same column.

    Warns:
        UnparsedTimestampWarning: once per call, naming the ids whose ``created_at`` or
            ``modified_at`` could not be parsed (those cells are ``NaT``).

    Example:
        >>> rec = {"id": "f1", "tracking_numbers": None, "field_mappings": {"a": {"b": 1}}}
        >>> df = to_frame([rec])
        >>> len(df), list(df.columns[-1:]), str(df["field_mappings.a.b"].dtype)
        (1, ['field_mappings.a.b'], 'Int64')
    """
    ids: list[Any] = []
    remote_ids: list[Any] = []
    order_ids: list[Any] = []
    carriers: list[Any] = []
    numbers: list[Any] = []
    urls: list[Any] = []
    created: list[Any] = []
    modified: list[Any] = []
    items: list[Any] = []
    mappings: list[Any] = []
    raws: list[Any] = []
    flagged: list[int] = []  # Fulfillment objects that kept unparsed timestamp text
    number_counts: list[int] = []
    url_counts: list[int] = []
    flat_numbers: list[Any] = []
    flat_urls: list[Any] = []

    # The one Python pass: plain key reads into plain lists. Reading every field of a record
    # while it is in cache is 2x faster than one comprehension per column on real records.
    for record in records:
        if type(record) is dict:  # the usual case, and cheaper than isinstance on a model
            d: Mapping[str, Any] = record
        elif isinstance(record, Fulfillment):
            if record._unparsed_timestamps:
                flagged.append(len(ids))
            d = record.__dict__
        else:
            d = record
        get = d.get
        ids.append(get("id"))
        remote_ids.append(get("remote_id"))
        order_ids.append(get("order_id"))
        carriers.append(get("carrier"))
        # The tracking lists are flattened here, while they are in cache: 3x cheaper than
        # walking them again afterwards.
        tracking = get("tracking_numbers")
        if tracking:
            if type(tracking) is not list:
                tracking = _as_list(tracking)
            flat_numbers.extend(tracking)
            number_counts.append(len(tracking))
        else:
            number_counts.append(0)
        numbers.append(tracking)
        tracking = get("tracking_urls")
        if tracking:
            if type(tracking) is not list:
                tracking = _as_list(tracking)
            flat_urls.extend(tracking)
            url_counts.append(len(tracking))
        else:
            url_counts.append(0)
        urls.append(tracking)
        created.append(get("created_at"))
        modified.append(get("modified_at"))
        items.append(get("items"))
        mappings.append(get("field_mappings"))
        if remote_data:
            raws.append(get("remote_data"))
    n_records = len(ids)

    created_col, created_bad = _timestamps(created)
    modified_col, modified_bad = _timestamps(modified)
    bad = created_bad | modified_bad
    bad[flagged] = True
    if bad.any():
        unparsed_ids = [ids[i] for i in np.flatnonzero(bad)]
        warnings.warn(
            UnparsedTimestampWarning(
                f"{len(unparsed_ids)} fulfillment(s) have a created_at/modified_at that could "
                f"not be parsed and is NaT in the frame: ids {_id_list(unparsed_ids)}"
            ),
            stacklevel=2,
        )

    columns: dict[str, Any] = {
        "id": _strings(ids),
        "remote_id": _strings(remote_ids),
        "order_id": _strings(order_ids),
        "carrier": _strings(carriers),
    }
    number_lengths = np.array(number_counts, dtype=np.int64)
    url_lengths = np.array(url_counts, dtype=np.int64)
    counts = np.maximum(number_lengths, url_lengths)
    take: npt.NDArray[np.intp] | None = None
    if explode:
        # Per-record row counts, then numpy repeat and scatter: no per-row pandas work.
        rows = np.maximum(counts, 1)
        n_rows = int(rows.sum())
        starts = np.cumsum(rows) - rows
        if n_rows != n_records:
            take = np.repeat(np.arange(n_records, dtype=np.intp), rows)
            columns = {name: array.take(take) for name, array in columns.items()}
        position = np.arange(n_rows, dtype=np.int64) - np.repeat(starts, rows)
        columns["tracking_index"] = pd.arrays.IntegerArray(position, np.repeat(counts == 0, rows))
        columns["tracking_number"] = _spread(_strings(flat_numbers), number_lengths, starts, n_rows)
        columns["tracking_url"] = _spread(_strings(flat_urls), url_lengths, starts, n_rows)
    else:
        columns["tracking_count"] = pd.arrays.IntegerArray(counts, np.zeros(n_records, np.bool_))
        columns["tracking_numbers"] = _json_column(numbers)
        columns["tracking_urls"] = _json_column(urls)

    def repeated(array: Any) -> Any:
        return array if take is None else array.take(take)

    columns["created_at"] = repeated(created_col)
    columns["modified_at"] = repeated(modified_col)
    columns["items"] = repeated(_json_column(items))
    prefix = FIELD_MAPPINGS_PREFIX + sep
    for name, (values, where) in _field_mapping_columns(mappings, ids, sep).items():
        columns[prefix + name] = _place(values, where, n_records, take)
    if remote_data:
        columns[REMOTE_DATA_COLUMN] = repeated(_json_column(raws))
    return pd.DataFrame(columns, copy=False)


def items_frame(records: Iterable[Fulfillment | Mapping[str, Any]]) -> pd.DataFrame:
    """Line items as a DataFrame: one row per item, keyed by the fulfillment's ``id``.

    Items come from ``items`` when it is a list (what Panora meant it to be), otherwise from
    ``remote_data.line_items`` (where Shopify's line items really are). Columns: ``id`` (the
    fulfillment's, to merge with :func:`to_frame`), ``item_index`` (the item's position in
    its list, ``Int64``), then every field of the items as ``item.<field>`` in order of first
    appearance (the prefix keeps an item's own ``id`` apart from the fulfillment's), each
    with the narrowest dtype that holds it, as for ``field_mappings``; nested values (lists,
    dicts) are JSON text. Strings stay strings: Shopify's ``price`` is text such as
    ``"19.99"`` (``pd.to_numeric`` it when needed). A fulfillment without items has no row.

    Example:
        >>> df = items_frame([{"id": "f1", "items": {}, "remote_data": {"line_items": [
        ...     {"id": 7, "sku": "MUG", "quantity": 2}]}}])
        >>> print(df.to_string())
           id  item_index  item.id item.sku  item.quantity
        0  f1           0        7      MUG              2
    """
    ids: list[Any] = []
    positions: list[int] = []
    fields: dict[str, list[Any]] = {}
    where: dict[str, list[int]] = {}
    for record in records:
        if isinstance(record, Fulfillment):
            fid, items, raw = record.id, record.items, record.remote_data
        else:
            fid, items, raw = record.get("id"), record.get("items"), record.get("remote_data")
        if not isinstance(items, list):
            items = raw.get("line_items") if isinstance(raw, Mapping) else None
            if not isinstance(items, list):
                continue
        for position, item in enumerate(items):
            row = len(ids)
            ids.append(fid)
            positions.append(position)
            for key, value in (item if isinstance(item, Mapping) else {"value": item}).items():
                name = f"item.{key}"
                if name in fields:
                    fields[name].append(value)
                    where[name].append(row)
                else:
                    fields[name] = [value]
                    where[name] = [row]

    columns: dict[str, Any] = {
        "id": _strings(ids),
        "item_index": pd.arrays.IntegerArray(
            np.array(positions, dtype=np.int64), np.zeros(len(positions), np.bool_)
        ),
    }
    for name, values in fields.items():
        columns[name] = _place(_infer_column(values), where[name], len(ids))
    return pd.DataFrame(columns, copy=False)


# --- column builders -----------------------------------------------------------------------


def _strings(values: Sequence[Any] | npt.NDArray[np.object_]) -> Column:
    """A string array; non-string scalars (numbers) become their ``str``."""
    array: Column = pd.array(values, dtype=STRING)
    return array


def _as_list(value: Any) -> list[Any]:
    """A tracking "list" that is not a list: a tuple as it is, a bare value as one item."""
    return list(value) if isinstance(value, tuple) else [value]


def _spread(
    values: Column,
    lengths: npt.NDArray[np.int64],
    starts: npt.NDArray[np.int64],
    n_rows: int,
) -> Column:
    """Lay each record's values out from its first row (``starts``); ``NA`` in the rest."""
    offsets = np.cumsum(lengths) - lengths
    positions = np.full(n_rows, -1, dtype=np.intp)
    positions[np.repeat(starts - offsets, lengths) + np.arange(len(values))] = np.arange(
        len(values)
    )
    return values.take(positions, allow_fill=True)


def _place(
    values: Column, where: list[int], n: int, take: npt.NDArray[np.intp] | None = None
) -> Column:
    """A sparse column (``values`` at rows ``where``, ``NA`` elsewhere) laid out in one take,
    through ``take`` too when the frame repeats rows."""
    layout = np.full(n, -1, dtype=np.intp)
    layout[where] = np.arange(len(where))
    return values.take(layout if take is None else layout[take], allow_fill=True)


def _json_column(values: list[Any]) -> pd.api.extensions.ExtensionArray:
    """JSON text per value (``None`` -> NA); ``{}``, the usual ``items``, costs no encoding."""
    dump = _to_json
    return _strings(
        [None if v is None else "{}" if type(v) is dict and not v else dump(v) for v in values]
    )


def _timestamps(values: Sequence[Any]) -> tuple[pd.arrays.DatetimeArray, npt.NDArray[np.bool_]]:
    """Parse a whole timestamp column at once to ``datetime64[us, UTC]``.

    ``Fulfillment`` objects carry parsed datetimes; raw dicts carry ISO-8601 text (any
    offset, converted to UTC; naive text is read as UTC, as the model does). Returns the
    array and a mask of the values that were given but did not parse (now ``NaT``).
    """
    original = values
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if not kinds <= {str, datetime}:  # numbers would be read as epochs: refuse them
        values = [v if isinstance(v, str | datetime) else None for v in values]
        kinds &= {str, datetime}
    if str in kinds:
        if datetime in kinds:
            values = [v.isoformat() if isinstance(v, datetime) else v for v in values]
        array = _parse_text(values)
    else:
        array = _parse_iso(values)
    missing = np.asarray(array.isna(), dtype=np.bool_)
    bad = np.zeros(len(values), dtype=np.bool_)
    if missing.any():
        bad[[i for i in np.flatnonzero(missing).tolist() if original[i] is not None]] = True
    return array, bad


def _parse_iso(values: Sequence[Any]) -> pd.arrays.DatetimeArray:
    # cache=False: the cache (a unique + map) costs 3x the parse itself on pandas 3.
    parsed = pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce", cache=False)
    array = parsed.array.as_unit("us")
    assert isinstance(array, pd.arrays.DatetimeArray)
    return array


def _parse_text(values: Sequence[str | None]) -> pd.arrays.DatetimeArray:
    """ISO-8601 text to UTC. Text with and without an offset is parsed apart: pandas 2.2
    reads a naive value that follows an offset one with that offset instead of as UTC."""
    if not ({v[-1:] for v in values if v} - {"Z", "z"}):  # the usual case: all "...Z"
        return _parse_iso(values)
    aware = [v is not None and _OFFSET.search(v) is not None for v in values]
    naive = [v is not None and not a for v, a in zip(values, aware, strict=True)]
    if not any(aware) or not any(naive):
        return _parse_iso(values)
    out = np.full(len(values), np.datetime64("NaT", "us"))
    for mask in (aware, naive):
        rows = np.flatnonzero(mask)
        part = _parse_iso([values[i] for i in rows.tolist()])
        out[rows] = part.tz_localize(None).to_numpy()
    utc = pd.array(out).tz_localize("UTC")
    assert isinstance(utc, pd.arrays.DatetimeArray)
    return utc


def _field_mapping_columns(
    mappings: list[Any], ids: list[Any], sep: str
) -> dict[str, tuple[Column, list[int]]]:
    """Flatten every record's ``field_mappings``: per column, its typed values and the
    positions of the records they belong to (most records have no field mappings at all).
    """
    # column name -> (key path that made it, values, record positions)
    columns: dict[str, tuple[tuple[str, ...], list[Any], list[int]]] = {}
    for i, mapping in enumerate(mappings):
        if not mapping:
            continue
        for key, value in mapping.items():
            if type(value) is dict and value:
                nested: dict[tuple[str, ...], Any] = {}
                _flatten_paths(value, (str(key),), nested)
                leaves = [(sep.join(path), path, leaf) for path, leaf in nested.items()]
            else:
                name = key if type(key) is str else str(key)
                column = columns.get(name)
                if column is not None and len(column[0]) == 1:  # the usual case: a plain key
                    column[1].append(value)
                    column[2].append(i)
                    continue
                leaves = [(name, (name,), value)]
            for name, path, leaf in leaves:
                column = columns.get(name)
                if column is None:
                    columns[name] = (path, [leaf], [i])
                elif column[0] == path:
                    column[1].append(leaf)
                    column[2].append(i)
                else:
                    raise FieldMappingCollisionError(
                        FIELD_MAPPINGS_PREFIX + sep + name,
                        column[0],
                        path,
                        [ids[column[2][0]], ids[i]],
                    )
    return {name: (_infer_column(values), where) for name, (_, values, where) in columns.items()}


def _flatten_paths(
    mapping: Mapping[Any, Any], path: tuple[str, ...], out: dict[tuple[str, ...], Any]
) -> None:
    """Nested dicts -> {key path: leaf}; an empty nested dict is a leaf (kept as ``{}``)."""
    for key, value in mapping.items():
        here = (*path, str(key))
        if isinstance(value, Mapping) and value:
            _flatten_paths(value, here, out)
        else:
            out[here] = value


def _infer_column(values: list[Any]) -> pd.api.extensions.ExtensionArray:
    """The narrowest nullable dtype that holds every value, else JSON text.

    ``bool`` -> ``boolean``; ``int`` (within int64) -> ``Int64``; ``int``/``float`` ->
    ``Float64``; ``str`` -> string; anything else or a mix -> JSON text per value.
    """
    kinds = {type(v) for v in values if v is not None}
    if not kinds or kinds == {str}:
        return _strings(values)
    if kinds == {bool}:
        return pd.array(values, dtype="boolean")
    if kinds == {int} and all(_INT64_MIN <= v <= _INT64_MAX for v in values if v is not None):
        return pd.array(values, dtype=INT)
    if kinds <= {int, float} and all(_exact_float(v) for v in values if v is not None):
        return pd.array([None if v is None else float(v) for v in values], dtype="Float64")
    return _json_column(values)


def _exact_float(value: float) -> bool:
    """Not NaN (it would read as NA), and an int that a float holds exactly."""
    if type(value) is int:
        return -_FLOAT_EXACT <= value <= _FLOAT_EXACT
    return value == value


def _key_path(path: tuple[str, ...]) -> str:
    return "".join(f"[{key!r}]" for key in path)


def _id_list(ids: Sequence[Any]) -> str:
    shown = ", ".join(repr(i) for i in ids[:_MAX_IDS_IN_MESSAGE])
    more = len(ids) - _MAX_IDS_IN_MESSAGE
    return shown + (f" and {more} more" if more > 0 else "")
