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
  dicts (or one JSON text column ``field_mappings`` with ``field_mappings="json"``);
* derived columns (:data:`DERIVED_SCHEMA`): ``carrier_canonical`` / ``carrier_detected``
  string, ``carrier_mismatch`` / ``tracking_url_derived`` ``boolean``; and
  ``shipment_status`` (string) with ``remote_data=True``.

Example:
    >>> df = to_frame([{"id": "f1", "carrier": "Acme", "tracking_numbers": ["1Z1", "1Z2"],
    ...                 "tracking_urls": ["https://t/1Z1"]}])
    >>> print(df[["id", "tracking_index", "tracking_number", "tracking_url"]].to_string())
       id  tracking_index tracking_number   tracking_url
    0  f1               0             1Z1  https://t/1Z1
    1  f1               1             1Z2           <NA>

    Derived columns: the canonical carrier, the carrier the number's check digit names, and
    a tracking URL filled in for a known carrier:

    >>> df = to_frame([{"id": "f2", "carrier": " ups ", "tracking_numbers": ["1Z999AA1012345678"
    ...                                                                         "4"]}])
    >>> df.loc[0, ["carrier_canonical", "carrier_detected", "tracking_url_derived"]].to_dict()
    {'carrier_canonical': 'UPS', 'carrier_detected': 'UPS', 'tracking_url_derived': True}
    >>> df.loc[0, "tracking_url"]
    'https://www.ups.com/track?tracknum=1Z999AA10123456784'
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from fulfillkit.errors import FulfillkitError

from .carriers import DEFAULT_CARRIERS, OTHER, CarrierTable
from .models import Fulfillment
from .tracking import (
    CARRIER_NAMES,
    COMPATIBLE,
    TRACKING_URL_TEMPLATES,
    detect_carrier_codes,
    format_tracking_url,
)

__all__ = [
    "BOOLEAN",
    "DERIVED_SCHEMA",
    "INT",
    "ITEMS_SCHEMA",
    "SCHEMA",
    "SHIPMENT_STATUS_GROUPS",
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
BOOLEAN: Final = pd.BooleanDtype()
"""Flags: nullable ``boolean`` (never ``NA`` in the derived columns)."""

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

DERIVED_SCHEMA: Final[Mapping[str, Any]] = {
    "carrier_canonical": STRING,
    "carrier_detected": STRING,
    "carrier_mismatch": BOOLEAN,
    "tracking_url_derived": BOOLEAN,
}
"""Columns :func:`to_frame` derives, in order, after the ``field_mappings.*`` columns:

* ``carrier_canonical``: ``carrier`` folded by the carrier table (``"ups "`` and ``"United
  Parcel Service"`` are ``UPS``; null or unrecognised ``Unknown``, Shopify's ``Other``
  ``Other``); never ``NA``, so it can partition a Parquet data set;
* ``carrier_detected``: the carrier the tracking number's format and check digit name
  (:mod:`fulfillkit.tracking`), ``NA`` when none does; computed for every number, stated
  carrier or not, because the mismatch needs it;
* ``carrier_mismatch``: the stated carrier is a known one (not ``Unknown`` / ``Other``), a
  carrier was detected, and they differ (an IMpb number under FedEx, UPS or DHL is not a
  mismatch: see :data:`fulfillkit.tracking.COMPATIBLE`);
* ``tracking_url_derived``: the row had a number but no URL, and ``tracking_url`` now holds
  the tracking page of the stated carrier (or, when it has none, of the detected one).

With ``explode=False`` they are per fulfillment: the first detected carrier among its
numbers, a mismatch on any number, and whether the exploded frame derives any URL (the
JSON lists stay exactly as the API sent them)."""

SHIPMENT_STATUS_COLUMN: Final = "shipment_status"
SHIPMENT_STATUS_GROUPS: Final[Mapping[str, frozenset[str]]] = {
    "delivered": frozenset({"delivered"}),
    "in_transit": frozenset(
        {"confirmed", "in_transit", "out_for_delivery", "ready_for_pickup", "picked_up"}
    ),
    "failure": frozenset({"failure", "attempted_delivery", "error"}),
}
"""How :func:`fulfillkit.reports.carrier_report` groups ``shipment_status`` values; the rest
(``label_printed``, ``label_purchased``, ``cancelled``, unknown) is in no group."""
_STATUS_FALLBACK: Final = frozenset({"cancelled", "error", "failure"})

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
FieldMappings = Literal["columns", "json"]

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


def schema(
    *, explode: bool = True, remote_data: bool = False, field_mappings: FieldMappings = "columns"
) -> dict[str, Any]:
    """The base column -> dtype mapping of :func:`to_frame` with these options.

    Complete (the frame has exactly these columns) except for the ``field_mappings.<key>``
    columns, which depend on the data; with ``field_mappings="json"`` it is complete. Use it
    to build an empty frame or a Dask ``meta`` without any records:

    Example:
        >>> list(schema(remote_data=True))[-3:]
        ['tracking_url_derived', 'shipment_status', 'remote_data']
        >>> pd.DataFrame({c: pd.Series(dtype=t) for c, t in schema().items()}).shape
        (0, 14)
    """
    columns = dict(SCHEMA if explode else WIDE_SCHEMA)
    if field_mappings == "json":
        columns[FIELD_MAPPINGS_PREFIX] = STRING
    columns.update(DERIVED_SCHEMA)
    if remote_data:
        columns[SHIPMENT_STATUS_COLUMN] = STRING
        columns[REMOTE_DATA_COLUMN] = STRING
    return columns


def to_frame(
    records: Iterable[Fulfillment | Mapping[str, Any]],
    *,
    remote_data: bool = False,
    sep: str = ".",
    explode: bool = True,
    carriers: CarrierTable = DEFAULT_CARRIERS,
    url_templates: Mapping[str, str] = TRACKING_URL_TEMPLATES,
    field_mappings: FieldMappings = "columns",
) -> pd.DataFrame:
    """Fulfillments as a DataFrame: one row per (fulfillment, tracking position).

    A fulfillment with ``n = max(len(tracking_numbers), len(tracking_urls))`` tracking
    positions gives ``n`` rows with ``tracking_index`` ``0..n-1``; numbers and URLs are paired
    by position and are ``NA`` where one list is shorter. Null lists count as empty. A
    fulfillment without tracking keeps one row whose tracking columns are ``NA``: no
    fulfillment disappears.

    Columns, in order: ``id, remote_id, order_id, carrier, tracking_index, tracking_number,
    tracking_url, created_at, modified_at, items``, then ``field_mappings.<key>`` (nested
    dicts flattened with ``sep``, like ``pd.json_normalize``), then the derived
    ``carrier_canonical, carrier_detected, carrier_mismatch, tracking_url_derived`` (see
    :data:`DERIVED_SCHEMA`), then, when ``remote_data=True``, ``shipment_status`` (Shopify's,
    lower case, ``NA`` when absent) and ``remote_data``. Dtypes are fixed (see the module
    docstring and :func:`schema`); ``items`` and ``remote_data`` are JSON text. An empty
    input gives an empty frame with the same columns and dtypes.

    Carrier detection runs on *every* tracking number, whatever the stated carrier: the
    mismatch column needs it, and ``carrier_detected`` where ``carrier_canonical`` is
    ``Unknown`` or ``Other`` is the carrier the issue asks for. It is vectorised (about
    30 ms per 100,000 numbers); canonical names are computed once per distinct spelling.

    With ``explode=False`` there is one row per fulfillment and ``tracking_index``,
    ``tracking_number``, ``tracking_url`` are replaced by ``tracking_count`` (``Int64``) and
    ``tracking_numbers`` / ``tracking_urls`` (the lists as JSON text, exactly as sent, ``NA``
    for a null list); the derived columns are then per fulfillment (first detected carrier,
    mismatch on any number, whether any URL would be derived).

    Args:
        records: :class:`~fulfillkit.models.Fulfillment` objects or plain API dicts, mixed
            freely.
        remote_data: add ``shipment_status`` and the provider's raw record as a JSON text
            column ``remote_data``.
        sep: separator for flattened ``field_mappings`` keys.
        explode: one row per tracking position (default) or one row per fulfillment.
        field_mappings: ``"columns"`` (default): one typed column per flattened key;
            ``"json"``: one ``field_mappings`` column of JSON text instead, so the columns
            do not depend on the data (what Dask partitions need: see :func:`schema`).
        carriers: the :class:`~fulfillkit.carriers.CarrierTable` that folds ``carrier``
            into ``carrier_canonical`` (extend the default with ``with_rules``).
        url_templates: canonical carrier -> tracking page with ``{}`` for the number, used
            to derive missing URLs (default
            :data:`~fulfillkit.tracking.TRACKING_URL_TEMPLATES`; ``{}`` derives none and
            keeps every URL exactly as sent).

    Raises:
        FieldMappingCollisionError: two ``field_mappings`` keys flatten to the same column.

    Warns:
        UnparsedTimestampWarning: once per call, naming the ids whose ``created_at`` or
            ``modified_at`` could not be parsed (those cells are ``NaT``).

    Example:
        >>> rec = {"id": "f1", "tracking_numbers": None, "field_mappings": {"a": {"b": 1}}}
        >>> df = to_frame([rec])
        >>> len(df), list(df.columns[-6:-4]), str(df["field_mappings.a.b"].dtype)
        (1, ['items', 'field_mappings.a.b'], 'Int64')
    """
    ids: list[Any] = []
    remote_ids: list[Any] = []
    order_ids: list[Any] = []
    carrier_texts: list[Any] = []
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
        carrier_texts.append(get("carrier"))
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
        "carrier": _strings(carrier_texts),
    }
    number_lengths = np.array(number_counts, dtype=np.int64)
    url_lengths = np.array(url_counts, dtype=np.int64)
    counts = np.maximum(number_lengths, url_lengths)
    # The exploded layout (one row per tracking position, one for a record without any) is
    # computed in both shapes: the derived carrier columns are worked out per position.
    rows = np.maximum(counts, 1)
    n_rows = int(rows.sum())
    starts = np.cumsum(rows) - rows
    row_record = np.repeat(np.arange(n_records, dtype=np.intp), rows)
    number_pos = _spread_positions(number_lengths, starts, n_rows)
    url_pos = _spread_positions(url_lengths, starts, n_rows)
    derived = _derive(
        columns["carrier"],
        flat_numbers,
        flat_urls,
        number_pos,
        url_pos,
        row_record,
        carriers,
        url_templates,
    )
    take: npt.NDArray[np.intp] | None = None
    if explode:
        if n_rows != n_records:
            take = row_record
            columns = {name: array.take(take) for name, array in columns.items()}
        position = np.arange(n_rows, dtype=np.int64) - np.repeat(starts, rows)
        columns["tracking_index"] = pd.arrays.IntegerArray(position, np.repeat(counts == 0, rows))
        columns["tracking_number"] = _strings(flat_numbers).take(number_pos, allow_fill=True)
        if len(derived.url_rows):
            url_pos = url_pos.copy()
            url_pos[derived.url_rows] = len(flat_urls) + np.arange(len(derived.url_rows))
            flat_urls.extend(derived.urls)
        columns["tracking_url"] = _strings(flat_urls).take(url_pos, allow_fill=True)
    else:
        columns["tracking_count"] = pd.arrays.IntegerArray(counts, np.zeros(n_records, np.bool_))
        columns["tracking_numbers"] = _json_column(numbers)
        columns["tracking_urls"] = _json_column(urls)

    def repeated(array: Any) -> Any:
        return array if take is None else array.take(take)

    columns["created_at"] = repeated(created_col)
    columns["modified_at"] = repeated(modified_col)
    columns["items"] = repeated(_json_column(items))
    if field_mappings == "json":
        columns[FIELD_MAPPINGS_PREFIX] = repeated(_json_column(mappings))
    elif field_mappings == "columns":
        prefix = FIELD_MAPPINGS_PREFIX + sep
        for name, (values, where) in _field_mapping_columns(mappings, ids, sep).items():
            columns[prefix + name] = _place(values, where, n_records, take)
    else:
        raise ValueError(f'field_mappings must be "columns" or "json", not {field_mappings!r}')
    if explode:
        columns.update(derived.row_columns())
    else:
        columns.update(derived.record_columns(row_record, n_records))
    if remote_data:
        columns[SHIPMENT_STATUS_COLUMN] = repeated(_shipment_statuses(raws))
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


def _spread_positions(
    lengths: npt.NDArray[np.int64], starts: npt.NDArray[np.int64], n_rows: int
) -> npt.NDArray[np.intp]:
    """Per row, the index into the flattened values of its record (laid out from the
    record's first row, ``starts``), or ``-1`` past the end of the record's list."""
    offsets = np.cumsum(lengths) - lengths
    total = int(lengths.sum())
    positions = np.full(n_rows, -1, dtype=np.intp)
    positions[np.repeat(starts - offsets, lengths) + np.arange(total)] = np.arange(total)
    return positions


def _place(
    values: Column, where: list[int], n: int, take: npt.NDArray[np.intp] | None = None
) -> Column:
    """A sparse column (``values`` at rows ``where``, ``NA`` elsewhere) laid out in one take,
    through ``take`` too when the frame repeats rows."""
    layout = np.full(n, -1, dtype=np.intp)
    layout[where] = np.arange(len(where))
    return values.take(layout if take is None else layout[take], allow_fill=True)


_DETECTED_LABELS: Final = pd.array(CARRIER_NAMES, dtype=STRING)


class _Derived:
    """The derived carrier columns, worked out once per exploded row (tracking position).

    Everything is computed on small integer codes: the canonical name once per distinct
    ``carrier`` spelling, the detected carrier once per number (vectorised), and the
    mismatch and URL template from (canonical, detected) lookup tables. Only the rows that
    get a derived URL see Python code, to format it.
    """

    def __init__(
        self,
        canonical_labels: Column,
        canonical_of_record: npt.NDArray[np.intp],
        row_record: npt.NDArray[np.intp],
        detected: npt.NDArray[np.int16],
        mismatch: npt.NDArray[np.bool_],
        url_rows: npt.NDArray[np.intp],
        urls: list[str],
    ) -> None:
        self.canonical_labels = canonical_labels
        self.canonical_of_record = canonical_of_record
        self.row_record = row_record
        self.detected = detected
        self.mismatch = mismatch
        self.url_rows = url_rows
        self.urls = urls

    def row_columns(self) -> dict[str, Column]:
        derived = np.zeros(len(self.row_record), dtype=np.bool_)
        derived[self.url_rows] = True
        return {
            "carrier_canonical": self.canonical_labels.take(
                self.canonical_of_record[self.row_record]
            ),
            "carrier_detected": _DETECTED_LABELS.take(self.detected, allow_fill=True),
            "carrier_mismatch": _flags(self.mismatch),
            "tracking_url_derived": _flags(derived),
        }

    def record_columns(self, row_record: npt.NDArray[np.intp], n: int) -> dict[str, Column]:
        found = self.detected >= 0
        first_code = np.full(n, -1, dtype=np.int16)
        records, first = np.unique(row_record[found], return_index=True)
        first_code[records] = self.detected[found][first]
        mismatch = np.bincount(row_record[self.mismatch], minlength=n) > 0
        derived = np.bincount(row_record[self.url_rows], minlength=n) > 0
        return {
            "carrier_canonical": self.canonical_labels.take(self.canonical_of_record),
            "carrier_detected": _DETECTED_LABELS.take(first_code, allow_fill=True),
            "carrier_mismatch": _flags(mismatch[:n]),
            "tracking_url_derived": _flags(derived[:n]),
        }


def _flags(values: npt.NDArray[np.bool_]) -> Column:
    array: Column = pd.arrays.BooleanArray(values, np.zeros(len(values), dtype=np.bool_))
    return array


def _derive(
    carriers: Column,
    flat_numbers: list[Any],
    flat_urls: list[Any],
    number_pos: npt.NDArray[np.intp],
    url_pos: npt.NDArray[np.intp],
    row_record: npt.NDArray[np.intp],
    table: CarrierTable,
    templates: Mapping[str, str],
) -> _Derived:
    """Canonical and detected carrier, mismatch and derived URLs for every exploded row."""
    codes, uniques = pd.factorize(np.asarray(carriers, dtype=object), use_na_sentinel=True)
    names = [table.canonical(u) for u in uniques] + [table.unknown]
    canonical_of_record = np.where(codes < 0, len(names) - 1, codes).astype(np.intp)
    canonical_rows = canonical_of_record[row_record]
    flat_codes = np.append(detect_carrier_codes(flat_numbers), np.int16(-1))
    detected = flat_codes[number_pos]  # position -1 (no number) picks the appended -1

    # (canonical, detected) lookup tables; the last detected column is "nothing detected".
    unknown = {table.unknown, OTHER}
    mismatch_table = np.zeros((len(names), len(CARRIER_NAMES) + 1), dtype=np.bool_)
    template_table = np.full((len(names), len(CARRIER_NAMES) + 1), -1, dtype=np.intp)
    template_list: list[str] = []
    template_index: dict[str, int] = {}
    for k, name in enumerate(names):
        for d, found in enumerate((*CARRIER_NAMES, None)):
            if found is not None and name not in unknown and name != found:
                mismatch_table[k, d] = name not in COMPATIBLE.get(found, ())
            template = templates.get(name) or (templates.get(found) if found else None)
            if template is not None:
                template_table[k, d] = template_index.setdefault(template, len(template_list))
                if len(template_list) < len(template_index):
                    template_list.append(template)
    mismatch = mismatch_table[canonical_rows, detected]
    chosen = template_table[canonical_rows, detected]
    # A position lacks a URL when its list is shorter, or holds null or blank text there.
    has_url = np.append(_non_blank(flat_urls), False)[url_pos]
    candidates = np.flatnonzero((number_pos >= 0) & ~has_url & (chosen >= 0))
    url_rows, urls = _format_urls(
        template_list,
        chosen[candidates],
        [flat_numbers[p] for p in number_pos[candidates].tolist()],
    )
    return _Derived(
        _strings(names),
        canonical_of_record,
        row_record,
        detected,
        mismatch,
        candidates[url_rows],
        urls,
    )


def _format_urls(
    templates: list[str], chosen: npt.NDArray[np.intp], numbers: list[Any]
) -> tuple[npt.NDArray[np.intp], list[str]]:
    """``templates[chosen[i]]`` filled with ``numbers[i]``; returns the positions that got a
    URL (blank numbers get none) and the URLs. Plain letters-and-digits numbers (nearly
    all) are joined in Arrow; the rest go through :func:`format_tracking_url`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not numbers:
        return np.zeros(0, dtype=np.intp), []
    try:
        array = pa.array(numbers, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        array = pa.array([n if isinstance(n, str) else None for n in numbers], type=pa.string())
    plain = pc.fill_null(pc.match_substring_regex(array, "^[0-9A-Za-z]+$"), False)
    heads = [template.partition("{}")[0] for template in templates]
    tails = [template.partition("{}")[2] for template in templates]
    which = pa.array(chosen)
    joined = pc.binary_join_element_wise(
        pa.array(heads).take(which), array, pa.array(tails).take(which), ""
    )
    urls: list[Any] = pc.if_else(plain, joined, None).to_pylist()
    for i in np.flatnonzero(~np.asarray(plain.to_numpy(zero_copy_only=False))).tolist():
        urls[i] = format_tracking_url(templates[chosen[i]], numbers[i])
    got = np.flatnonzero(np.array([u is not None for u in urls], dtype=np.bool_))
    return got, [urls[i] for i in got.tolist()]


def _non_blank(values: list[Any]) -> npt.NDArray[np.bool_]:
    """Which values are text with something besides whitespace (numbers count as text)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        array = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # numbers among them: their text
        array = pa.array([v if v is None or isinstance(v, str) else str(v) for v in values])
    blank = pc.or_(pc.equal(pc.binary_length(array), 0), pc.utf8_is_space(array))
    present = pc.fill_null(pc.invert(blank), False)
    return np.asarray(present.to_numpy(zero_copy_only=False), dtype=np.bool_)


def _shipment_statuses(raws: list[Any]) -> Column:
    """Shopify's ``shipment_status`` from each ``remote_data``, lower-case with ``_`` for
    spaces and hyphens (``"In Transit"`` -> ``in_transit``). When it is null, the
    fulfillment's own ``status`` is used if it says the shipment will not happen
    (``cancelled``, ``error``, ``failure``); otherwise ``NA``."""
    normalised: dict[str, str | None] = {}
    out: list[str | None] = []
    for raw in raws:
        status = None
        if isinstance(raw, Mapping):
            value = raw.get("shipment_status")
            fallback = value is None or (isinstance(value, str) and not value.strip())
            if fallback:
                value = raw.get("status")
            if isinstance(value, str):
                status = normalised.get(value)
                if status is None and value not in normalised:
                    text = "_".join(value.strip().lower().replace("-", " ").split())
                    status = normalised[value] = text or None
                if fallback and status not in _STATUS_FALLBACK:
                    status = None
        out.append(status)
    return _strings(out)


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


def _parse_aware(values: Sequence[str | None]) -> pd.arrays.DatetimeArray | None:
    """Arrow's parser, 3x faster than pandas', when *every* value is ISO-8601 with a zone
    (``Z`` or an offset); ``None`` as soon as one is not (naive, a date, unparseable, more
    than microseconds), and the caller parses with pandas as before."""
    import pyarrow as pa

    try:
        parsed = pa.array(values, type=pa.string()).cast(pa.timestamp("us", tz="UTC"))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    utc = pd.array(parsed.to_numpy(zero_copy_only=False)).tz_localize("UTC")
    assert isinstance(utc, pd.arrays.DatetimeArray)
    return utc


def _parse_text(values: Sequence[str | None]) -> pd.arrays.DatetimeArray:
    """ISO-8601 text to UTC. Text with and without an offset is parsed apart: pandas 2.2
    reads a naive value that follows an offset one with that offset instead of as UTC."""
    fast = _parse_aware(values)
    if fast is not None:  # the usual case: every value has "Z" or an offset
        return fast
    if not ({v[-1:] for v in values if v} - {"Z", "z"}):  # all "...Z", some not for Arrow
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
