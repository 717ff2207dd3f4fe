"""Fulfillment records -> Arrow tables and pandas DataFrames, built with Arrow kernels.

:func:`to_arrow` turns fulfillments (:class:`~fulfillkit.models.Fulfillment` objects or the
plain dicts the API returns) into a ``pyarrow.Table`` with one row per *(fulfillment,
tracking position)*; :func:`to_frame` is that table in pandas, with the fixed dtype mapping
of :mod:`fulfillkit.frames.schema`; :func:`items_frame` gives one row per line item.

Both are two steps, run on slices of :data:`~fulfillkit.frames.records.CHUNK` records so
that only one slice's intermediate arrays are held beside the result:
:func:`~fulfillkit.frames.records.record_table` reads the records into typed per-record
columns (:mod:`fulfillkit.frames.records`), and :func:`~fulfillkit.frames.layout.lay_out`
lays them out on the rows (:mod:`fulfillkit.frames.layout`). A record table kept elsewhere
(a DuckDB store, Parquet) gives the same frame through
:func:`~fulfillkit.frames.layout.frame_from_record_table`.

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

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa

from fulfillkit.carriers import DEFAULT_CARRIERS, TRACKING_URL_TEMPLATES, CarrierTable
from fulfillkit.frames.layout import (
    PANDAS_TEXT,
    LayoutOptions,
    check_options,
    lay_out,
    pandas_frame,
    warn_unparsed,
)
from fulfillkit.frames.mappings import infer_column, place
from fulfillkit.frames.records import (
    CHUNK,
    RECORD_SCHEMA,
    Records,
    checked_records,
    record_batches,
)
from fulfillkit.frames.schema import ARROW_STRING, FieldMappings, strings, to_pandas
from fulfillkit.models import Fulfillment

__all__ = ["CHUNK", "checked_frame", "frame_options", "items_frame", "to_arrow", "to_frame"]


def to_arrow(
    records: Records,
    *,
    remote_data: bool | None = None,
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
    options = LayoutOptions(
        remote_data, sep, explode, carriers, url_templates, field_mappings, (), ARROW_STRING
    )
    columns, unparsed = _build(checked_records(records, what="to_arrow"), options)
    warn_unparsed(unparsed, stacklevel=2)
    return pa.table(columns)


# to_arrow's options written out again on purpose: a public function shows its whole
# signature in a notebook's help (shift-tab), which **kwargs would hide.
def to_frame(
    records: Records,
    *,
    remote_data: bool | None = None,
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
            column ``remote_data``. ``None`` (default): exactly when some record carries
            remote data (fetched with ``remote_data=True``), so the columns follow the data.
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
    options = LayoutOptions(
        remote_data, sep, explode, carriers, url_templates, field_mappings, (), PANDAS_TEXT
    )
    return _frame(checked_records(records, what="to_frame"), options)


_DEFAULTS: Final = LayoutOptions(  # to_frame's defaults
    None, ".", True, DEFAULT_CARRIERS, TRACKING_URL_TEMPLATES, "columns", (), PANDAS_TEXT
)


def checked_frame(records: list[Any]) -> pd.DataFrame:
    """:func:`to_frame` (its default options) of records
    :func:`~fulfillkit.frames.records.checked_records` has checked already: what
    :func:`~fulfillkit.frames.frame_of` builds.

    Example:
        >>> checked_frame([{"id": "f1"}])["id"].tolist()
        ['f1']
    """
    return _frame(records, _DEFAULTS)


def _frame(records: list[Any], options: LayoutOptions) -> pd.DataFrame:
    """The frame of checked ``records``; the warning names the caller's caller."""
    columns, unparsed = _build(records, options)
    warn_unparsed(unparsed, stacklevel=3)
    return pandas_frame(columns)


def frame_options(
    remote_data: bool | None,
    sep: str,
    explode: bool,
    carriers: CarrierTable | None,
    url_templates: Mapping[str, str] | None,
    field_mappings: FieldMappings,
) -> dict[str, Any]:
    """``to_frame``'s keyword options as a dict, ``None`` carriers and templates left out
    (so the defaults apply): what the faces that spell the options out (a batch's, a
    store's) hand on.

    Example:
        >>> sorted(frame_options(None, ".", True, None, None, "columns"))
        ['explode', 'field_mappings', 'remote_data', 'sep']
    """
    options: dict[str, Any] = {
        "remote_data": remote_data,
        "sep": sep,
        "explode": explode,
        "field_mappings": field_mappings,
    }
    if carriers is not None:
        options["carriers"] = carriers
    if url_templates is not None:
        options["url_templates"] = url_templates
    return options


def _build(
    records: list[Any], options: LayoutOptions
) -> tuple[dict[str, pa.Array | pa.ChunkedArray], list[Any]]:
    """Lay out checked ``records`` slice by slice as :func:`record_batches` reads them: a
    slice's records-as-columns are dropped before the next is read, so the peak is little
    more than the result."""
    check_options(options)
    remote_data, batches = record_batches(records, options.remote_data)
    return lay_out(batches, RECORD_SCHEMA, options._replace(remote_data=remote_data))


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
    for record in checked_records(records, what="items_frame"):
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
        where = np.array(rows, dtype=np.intp)
        columns[name] = place(infer_column(values), np.arange(len(where)), where, len(ids))
    return to_pandas(pa.table(columns))
