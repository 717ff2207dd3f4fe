"""Fulfillment records -> Arrow tables and pandas DataFrames, built with Arrow kernels.

:func:`to_arrow` turns fulfillments (:class:`~fulfillkit.models.Fulfillment` objects or the
plain dicts the API returns) into a ``pyarrow.Table`` with one row per *(fulfillment,
tracking position)*; :func:`to_frame` is that table in pandas, with the fixed dtype mapping
of :mod:`fulfillkit.frames.schema`; :func:`items_frame` gives one row per line item.

The records are read by Arrow itself: one conversion of the records into a struct array
(the scalar fields and the two tracking lists), then the explode is done on the lists'
offsets (``list_flatten`` and a ``take``), timestamps are one ``cast``, the derived columns
are computed on codes. Python still touches each record for what has no kernel: JSON text
of ``items`` / ``remote_data`` (``{}``, the usual ``items``, costs nothing) and a type check
of the tracking lists (Arrow would read a bare string as a list of characters).

Example:
    >>> df = to_frame([{"id": "f1", "carrier": "Acme", "tracking_numbers": ["1Z1", "1Z2"],
    ...                 "tracking_urls": ["https://t/1Z1"]}])
    >>> print(df[["id", "tracking_index", "tracking_number", "tracking_url"]].to_string())
       id  tracking_index tracking_number   tracking_url
    0  f1               0             1Z1  https://t/1Z1
    1  f1               1             1Z2           <NA>

    ``tracking_url`` holds what Panora sent; a tracking page worked out from the carrier
    and the number goes into ``tracking_url_derived``:

    >>> df = to_frame([{"id": "f2", "carrier": " ups ", "tracking_numbers": ["1Z999AA1012345678"
    ...                                                                         "4"]}])
    >>> df.loc[0, ["carrier_canonical", "carrier_detected", "tracking_url"]].tolist()
    ['UPS', 'UPS', <NA>]
    >>> df.loc[0, "tracking_url_derived"]
    'https://www.ups.com/track?tracknum=1Z999AA10123456784'
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from operator import methodcaller
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fulfillkit.carriers import DEFAULT_CARRIERS, CarrierTable
from fulfillkit.frames.derive import derive_carriers, shipment_statuses
from fulfillkit.frames.mappings import (
    id_list,
    infer_column,
    json_column,
    mapping_columns,
    place,
)
from fulfillkit.frames.schema import (
    ARROW_STRING,
    ARROW_TIMESTAMP,
    FIELD_MAPPINGS_PREFIX,
    REMOTE_DATA_COLUMN,
    SHIPMENT_STATUS_COLUMN,
    FieldMappings,
    strings,
    to_pandas,
)
from fulfillkit.frames.timestamps import UnparsedTimestampWarning, parse_timestamps
from fulfillkit.models import Fulfillment
from fulfillkit.tracking import TRACKING_URL_TEMPLATES

__all__ = ["items_frame", "to_arrow", "to_frame"]

Records = Iterable[Fulfillment | Mapping[str, Any]]

_TEXT: Final = ("id", "remote_id", "order_id", "carrier")
_LISTS: Final = ("tracking_numbers", "tracking_urls")
_TIMES: Final = ("created_at", "modified_at")
_LIST: Final = pa.list_(ARROW_STRING)


def to_arrow(
    records: Records,
    *,
    remote_data: bool = False,
    sep: str = ".",
    explode: bool = True,
    carriers: CarrierTable = DEFAULT_CARRIERS,
    url_templates: Mapping[str, str] = TRACKING_URL_TEMPLATES,
    field_mappings: FieldMappings = "columns",
) -> pa.Table:
    """Fulfillments as a ``pyarrow.Table``: the columns, names and row order of
    :func:`to_frame` (which converts this table), with Arrow types (text ``string``,
    positions ``int64``, flags ``bool``, timestamps ``timestamp[us, tz=UTC]``).

    Hand it to Polars (``pl.from_arrow``), DuckDB (``duckdb.sql("... from tbl")``) or
    ``pyarrow.parquet`` without a copy. Options and warnings as for :func:`to_frame`.

    Example:
        >>> table = to_arrow([{"id": "f1", "tracking_numbers": ["A", "B"]}])
        >>> table.num_rows, table.column("tracking_index").to_pylist()
        (2, [0, 1])
    """
    table, unparsed = _build(
        records, remote_data, sep, explode, carriers, url_templates, field_mappings
    )
    _warn_unparsed(unparsed)
    return table


def to_frame(
    records: Records,
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
    dicts flattened with ``sep``, like ``pd.json_normalize``; Panora's string values stay
    strings), then the derived ``carrier_canonical, carrier_detected, carrier_mismatch,
    tracking_url_derived`` (see :data:`~fulfillkit.frames.schema.DERIVED_SCHEMA`), then,
    when ``remote_data=True``, ``shipment_status`` (Shopify's, lower case, ``NA`` when
    absent) and ``remote_data``. Source columns hold what Panora sent. Dtypes are fixed
    (:mod:`fulfillkit.frames.schema`); ``items`` and ``remote_data`` are JSON text. An empty
    input gives an empty frame with the same columns and dtypes.

    With ``explode=False`` there is one row per fulfillment and ``tracking_index``,
    ``tracking_number``, ``tracking_url`` are replaced by ``tracking_count`` (``Int64``) and
    ``tracking_numbers`` / ``tracking_urls`` (the lists as JSON text, exactly as sent, ``NA``
    for a null list); the derived columns are then per fulfillment.

    Args:
        records: :class:`~fulfillkit.models.Fulfillment` objects or plain API dicts, mixed
            freely.
        remote_data: add ``shipment_status`` and the provider's raw record as a JSON text
            column ``remote_data``.
        sep: separator for flattened ``field_mappings`` keys.
        explode: one row per tracking position (default) or one row per fulfillment.
        field_mappings: ``"columns"`` (default): one column per flattened key;
            ``"json"``: one ``field_mappings`` column of JSON text instead, so the columns
            do not depend on the data (what Dask partitions need: see
            :func:`~fulfillkit.frames.schema.schema`).
        carriers: the :class:`~fulfillkit.carriers.CarrierTable` that folds ``carrier``
            into ``carrier_canonical`` (extend the default with ``with_rules``).
        url_templates: canonical carrier -> tracking page with ``{}`` for the number, used
            for ``tracking_url_derived`` (``{}`` derives none).

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
    table, unparsed = _build(
        records, remote_data, sep, explode, carriers, url_templates, field_mappings
    )
    _warn_unparsed(unparsed)
    return to_pandas(table)


def _build(
    records: Records,
    remote_data: bool,
    sep: str,
    explode: bool,
    carriers: CarrierTable,
    url_templates: Mapping[str, str],
    field_mappings: FieldMappings,
) -> tuple[pa.Table, list[Any]]:
    """The pipeline: read -> lay out rows -> source columns -> derived columns."""
    if field_mappings not in ("columns", "json"):
        raise ValueError(f'field_mappings must be "columns" or "json", not {field_mappings!r}')
    dicts, flagged = _dicts(records)
    core = _core_columns(dicts)
    layout = _Layout.of(core["tracking_numbers"], core["tracking_urls"])
    columns, unparsed = _source_columns(dicts, core, layout, explode, flagged)
    columns.update(_mapping_columns(dicts, core, layout, explode, sep, field_mappings))
    derived = derive_carriers(
        core["carrier"],
        layout.numbers,
        layout.urls,
        layout.number_pos,
        layout.url_pos,
        layout.row_record,
        carriers,
        url_templates,
    )
    columns.update(derived.row_columns() if explode else derived.record_columns(len(dicts)))
    if remote_data:
        raws = [d.get("remote_data") for d in dicts]
        columns[SHIPMENT_STATUS_COLUMN] = layout.repeat(shipment_statuses(raws), explode)
        columns[REMOTE_DATA_COLUMN] = layout.repeat(json_column(raws), explode)
    return pa.table(columns), unparsed


def _warn_unparsed(ids: list[Any]) -> None:
    if ids:
        warnings.warn(
            UnparsedTimestampWarning(
                f"{len(ids)} fulfillment(s) have a created_at/modified_at that could not be "
                f"parsed and is NaT in the frame: ids {id_list(ids)}"
            ),
            stacklevel=3,
        )


# --- steps ---------------------------------------------------------------------------------


def _dicts(records: Records) -> tuple[list[Mapping[str, Any]], list[int]]:
    """Every record as a mapping (a model's field dict, no copy); and the positions of
    models that kept unparsed timestamp text (they warn like unparsed dict values)."""
    dicts: list[Mapping[str, Any]] = []
    flagged: list[int] = []
    for record in records:
        if type(record) is dict:  # the usual case, and cheaper than isinstance on a model
            dicts.append(record)
        elif isinstance(record, Fulfillment):
            if record._unparsed_timestamps:
                flagged.append(len(dicts))
            dicts.append(record.__dict__)
        else:
            dicts.append(record)
    return dicts, flagged


def _core_columns(dicts: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The scalar fields and the tracking lists as Arrow arrays, read by Arrow in one
    conversion when every value has its expected type (text, lists of text, timestamps all
    text or all datetimes), else field by field with Python clean-up (numbers as text, a
    bare tracking value as a one-item list)."""
    sample = next((d.get("created_at") for d in dicts if d.get("created_at") is not None), None)
    time_type = ARROW_TIMESTAMP if isinstance(sample, datetime) else ARROW_STRING
    if all(_only_lists(dicts, name) for name in _LISTS):
        struct_type = pa.struct(
            [(n, ARROW_STRING) for n in _TEXT]
            + [(n, _LIST) for n in _LISTS]
            + [(n, time_type) for n in _TIMES]
        )
        try:
            struct = pa.array(dicts, type=struct_type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            pass
        else:
            return {name: struct.field(name) for name in (*_TEXT, *_LISTS, *_TIMES)}
    columns: dict[str, Any] = {name: strings([d.get(name) for d in dicts]) for name in _TEXT}
    for name in _LISTS:
        columns[name] = _list_column([d.get(name) for d in dicts])
    for name in _TIMES:
        columns[name] = _time_values([d.get(name) for d in dicts])
    return columns


def _only_lists(dicts: list[Mapping[str, Any]], name: str) -> bool:
    """Whether every value of ``name`` is a list or null (Arrow reads a string as a list of
    its characters, so anything else takes the careful path)."""
    return set(map(type, map(methodcaller("get", name), dicts))) <= {list, type(None)}


def _list_column(values: list[Any]) -> pa.Array:
    """A ``list<string>`` column: a tuple as it is, any other bare value as one item, items
    that are not text written with ``str``."""
    lists = [v if v is None or type(v) is list else _as_list(v) for v in values]
    lengths = np.array([0 if v is None else len(v) for v in lists], dtype=np.int32)
    offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int32)])
    flat = strings([item for v in lists if v for item in v])
    return pa.ListArray.from_arrays(pa.array(offsets), flat)


def _as_list(value: Any) -> list[Any]:
    """A tracking "list" that is not a list: a tuple as it is, a bare value as one item."""
    return list(value) if isinstance(value, tuple) else [value]


def _time_values(values: list[Any]) -> pa.Array | list[Any]:
    """Timestamps as an Arrow array when they are all text or all datetimes; otherwise the
    Python values, for :func:`parse_timestamps` to parse what it can and report the rest."""
    for arrow_type in (ARROW_STRING, ARROW_TIMESTAMP):
        try:
            return pa.array(values, type=arrow_type)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
    return values


@dataclass(frozen=True)
class _Layout:
    """Where every row comes from: its record, and its position in the flattened number
    and URL lists (``-1``: the list is shorter). One row per tracking position, one for a
    record without any."""

    n_records: int
    counts: npt.NDArray[np.int64]
    row_record: npt.NDArray[np.intp]
    positions: npt.NDArray[np.int64]
    numbers: pa.Array
    urls: pa.Array
    number_pos: npt.NDArray[np.intp]
    url_pos: npt.NDArray[np.intp]

    @classmethod
    def of(cls, numbers: pa.ListArray, urls: pa.ListArray) -> _Layout:
        number_lengths = _lengths(numbers)
        url_lengths = _lengths(urls)
        counts = np.maximum(number_lengths, url_lengths)
        rows = np.maximum(counts, 1)
        n_rows = int(rows.sum())
        starts = np.cumsum(rows) - rows
        return cls(
            n_records=len(counts),
            counts=counts,
            row_record=np.repeat(np.arange(len(counts), dtype=np.intp), rows),
            positions=np.arange(n_rows, dtype=np.int64) - np.repeat(starts, rows),
            numbers=pc.list_flatten(numbers),
            urls=pc.list_flatten(urls),
            number_pos=_spread_positions(number_lengths, starts, n_rows),
            url_pos=_spread_positions(url_lengths, starts, n_rows),
        )

    @property
    def exploded(self) -> bool:
        """Whether any record has more than one row."""
        return len(self.row_record) != self.n_records

    def repeat(self, column: pa.Array, explode: bool) -> pa.Array:
        """A per-record column laid out on the rows."""
        if not explode or not self.exploded:
            return column
        return column.take(pa.array(self.row_record))

    def tracking_columns(self) -> dict[str, pa.Array]:
        no_tracking = np.repeat(self.counts == 0, np.maximum(self.counts, 1))
        return {
            "tracking_index": pa.array(self.positions, mask=no_tracking),
            "tracking_number": self.numbers.take(_indices(self.number_pos)),
            "tracking_url": self.urls.take(_indices(self.url_pos)),
        }


def _lengths(lists: pa.ListArray) -> npt.NDArray[np.int64]:
    lengths = pc.fill_null(pc.list_value_length(lists), 0)
    return np.asarray(lengths.to_numpy(), dtype=np.int64)


def _indices(positions: npt.NDArray[np.intp]) -> pa.Array:
    return pa.array(positions, mask=positions < 0)


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


def _source_columns(
    dicts: list[Mapping[str, Any]],
    core: dict[str, Any],
    layout: _Layout,
    explode: bool,
    flagged: list[int],
) -> tuple[dict[str, pa.Array], list[Any]]:
    """The base columns, verbatim (text, tracking, timestamps, ``items`` as JSON text), and
    the ids whose timestamps did not parse."""
    columns = {name: layout.repeat(core[name], explode) for name in _TEXT}
    if explode:
        columns.update(layout.tracking_columns())
    else:
        columns["tracking_count"] = pa.array(layout.counts, type=pa.int64())
        for name in _LISTS:
            columns[name] = json_column([d.get(name) for d in dicts])
    bad = np.zeros(layout.n_records, dtype=np.bool_)
    bad[flagged] = True
    for name in _TIMES:
        parsed, unparsed = parse_timestamps(core[name])
        columns[name] = layout.repeat(parsed, explode)
        bad |= unparsed
    columns["items"] = layout.repeat(json_column([d.get("items") for d in dicts]), explode)
    ids = core["id"].take(pa.array(np.flatnonzero(bad))).to_pylist() if bad.any() else []
    return columns, ids


def _mapping_columns(
    dicts: list[Mapping[str, Any]],
    core: dict[str, Any],
    layout: _Layout,
    explode: bool,
    sep: str,
    field_mappings: FieldMappings,
) -> dict[str, pa.Array]:
    """``field_mappings`` as one JSON text column or one column per flattened key."""
    mappings = [d.get("field_mappings") for d in dicts]
    if field_mappings == "json":
        return {FIELD_MAPPINGS_PREFIX: layout.repeat(json_column(mappings), explode)}
    ids = core["id"]
    flat = mapping_columns(mappings, layout.n_records, _LazyIds(ids), sep)
    prefix = FIELD_MAPPINGS_PREFIX + sep
    return {prefix + name: layout.repeat(column, explode) for name, column in flat.items()}


class _LazyIds:
    """Ids read from the Arrow column only when an error message needs them."""

    def __init__(self, ids: pa.Array) -> None:
        self._ids = ids

    def __getitem__(self, i: int) -> Any:
        return self._ids[i].as_py()


def items_frame(records: Records) -> pd.DataFrame:
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
    fields: dict[str, tuple[list[Any], list[int]]] = {}
    for record in records:
        d = record.__dict__ if isinstance(record, Fulfillment) else record
        items, raw = d.get("items"), d.get("remote_data")
        if not isinstance(items, list):
            items = raw.get("line_items") if isinstance(raw, Mapping) else None
            if not isinstance(items, list):
                continue
        for position, item in enumerate(items):
            row = len(ids)
            ids.append(d.get("id"))
            positions.append(position)
            for key, value in (item if isinstance(item, Mapping) else {"value": item}).items():
                values, rows = fields.setdefault(f"item.{key}", ([], []))
                values.append(value)
                rows.append(row)
    columns: dict[str, pa.Array] = {
        "id": strings(ids),
        "item_index": pa.array(positions, type=pa.int64()),
    }
    for name, (values, rows) in fields.items():
        columns[name] = place(infer_column(values), np.array(rows, dtype=np.intp), len(ids))
    return to_pandas(pa.table(columns))
