"""The columns of fulfillment frames and their types, in Arrow and in pandas.

Frames are built as Apache Arrow tables (:func:`fulfillkit.to_arrow`); a pandas frame
(:func:`fulfillkit.to_frame`) is that table converted with one fixed mapping,
:func:`to_pandas`, identical on pandas 2.2 and pandas 3 and after a CSV or Parquet round
trip (:func:`fulfillkit.read_frame`):

==========================  =====================  ==================================
Arrow type                  pandas dtype           used for
==========================  =====================  ==================================
``string``                  ``string[pyarrow]``    text, JSON text; missing is ``NA``
``int64``                   ``Int64``              ``tracking_index``, counts
``bool``                    ``boolean``            flags
``double``                  ``Float64``            numeric ``field_mappings.*``
``timestamp[us, tz=UTC]``   ``datetime64[us, UTC]``  ``created_at``, ``modified_at``
==========================  =====================  ==================================

Text is ``pd.StringDtype("pyarrow")`` (``string[pyarrow]``, ``pd.NA`` for missing): it keeps
the Arrow buffers, so converting costs no Python object per cell, and it is the same dtype
on pandas 2.2 and 3 (pandas 3's default ``str`` uses NaN for missing, so it is never used).

Example:
    >>> import pyarrow as pa
    >>> df = to_pandas(pa.table({"id": ["f1", None], "n": pa.array([1, None])}))
    >>> df.dtypes.astype(str).to_dict()
    {'id': 'string', 'n': 'Int64'}
    >>> df["id"].dtype == STRING
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

import pandas as pd
import pyarrow as pa

__all__ = [
    "ARROW_TYPES",
    "BOOLEAN",
    "DERIVED_SCHEMA",
    "FIELD_MAPPINGS_PREFIX",
    "FLOAT",
    "INT",
    "ITEMS_SCHEMA",
    "REMOTE_DATA_COLUMN",
    "SCHEMA",
    "SHIPMENT_STATUS_COLUMN",
    "STRING",
    "TIMESTAMP",
    "WIDE_SCHEMA",
    "FieldMappings",
    "arrow_schema",
    "schema",
    "strings",
    "to_pandas",
]

STRING: Final = pd.StringDtype("pyarrow")
"""Text columns: ``string[pyarrow]`` with ``pd.NA``, identical on pandas 2.2 and 3."""
INT: Final = pd.Int64Dtype()
"""Counters and positions: nullable ``Int64``."""
TIMESTAMP: Final = pd.DatetimeTZDtype("us", "UTC")
"""``created_at`` / ``modified_at``: ``datetime64[us, UTC]`` on every pandas version."""
BOOLEAN: Final = pd.BooleanDtype()
"""Flags: nullable ``boolean`` (never ``NA`` in the derived columns)."""
FLOAT: Final = pd.Float64Dtype()
"""Numbers that are not whole: nullable ``Float64``."""

ARROW_STRING: Final = pa.string()
ARROW_TIMESTAMP: Final = pa.timestamp("us", tz="UTC")

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
    "tracking_url_derived": STRING,
}
"""Columns :func:`~fulfillkit.to_frame` derives, in order, after the ``field_mappings.*``
columns (the source columns before them hold what Panora sent, nothing else):

* ``carrier_canonical``: ``carrier`` folded by the carrier table (``"ups "`` and ``"United
  Parcel Service"`` are ``UPS``; null or unrecognised ``Unknown``, Shopify's ``Other``
  ``Other``); never ``NA``, so it can partition a Parquet data set;
* ``carrier_detected``: the carrier the tracking number's format and check digit name
  (:mod:`fulfillkit.carriers`), ``NA`` when none does;
* ``carrier_mismatch``: the stated carrier is a known one (not ``Unknown`` / ``Other``), a
  carrier was detected, and they differ (an IMpb number under FedEx, UPS or DHL is not a
  mismatch: see :data:`fulfillkit.carriers.COMPATIBLE`);
* ``tracking_url_derived``: for a row with a number but no URL from Panora, the tracking
  page of the stated carrier (or, when it has none, of the detected one); ``NA`` otherwise.
  ``tracking_url`` itself is never filled in.

With ``explode=False`` they are per fulfillment: the first detected carrier among its
numbers, a mismatch on any number, and the first derived tracking page."""

SHIPMENT_STATUS_COLUMN: Final = "shipment_status"
REMOTE_DATA_COLUMN: Final = "remote_data"
FIELD_MAPPINGS_PREFIX: Final = "field_mappings"

ITEMS_SCHEMA: Final[Mapping[str, Any]] = {"id": STRING, "item_index": INT}
"""Key columns of :func:`~fulfillkit.items_frame`; the line items' own fields follow."""

FieldMappings = Literal["columns", "json"]

ARROW_TYPES: Final[Mapping[Any, pa.DataType]] = {
    STRING: ARROW_STRING,
    INT: pa.int64(),
    TIMESTAMP: ARROW_TIMESTAMP,
    BOOLEAN: pa.bool_(),
    FLOAT: pa.float64(),
}
"""pandas dtype -> the Arrow type it is built as (the reverse of :func:`to_pandas`)."""

_PANDAS_TYPES: Final[Mapping[pa.DataType, Any]] = {
    pa.string(): STRING,
    pa.large_string(): STRING,
    pa.string_view(): STRING,
    pa.int64(): INT,
    pa.bool_(): BOOLEAN,
    pa.float64(): FLOAT,
}


def schema(
    *, explode: bool = True, remote_data: bool = False, field_mappings: FieldMappings = "columns"
) -> dict[str, Any]:
    """The base column -> pandas dtype mapping of :func:`~fulfillkit.to_frame` with these
    options.

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


def arrow_schema(**options: Any) -> pa.Schema:
    """:func:`schema` as a ``pyarrow.Schema`` (what :func:`~fulfillkit.to_arrow` builds).

    Example:
        >>> arrow_schema().field("created_at").type
        TimestampType(timestamp[us, tz=UTC])
    """
    return pa.schema([(name, ARROW_TYPES[dtype]) for name, dtype in schema(**options).items()])


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as pandas with the fixed mapping of the module docstring.

    Other Arrow types keep pyarrow's default conversion. A pandas index stored in the
    table's metadata (a Parquet file written from a frame with a named index) is restored.
    """
    df: pd.DataFrame = table.to_pandas(
        types_mapper=_PANDAS_TYPES.get, coerce_temporal_nanoseconds=False
    )
    for name, field in zip(table.column_names, table.schema, strict=True):
        if pa.types.is_timestamp(field.type) and name in df:  # one unit and zone everywhere
            df[name] = df[name].astype(TIMESTAMP)
    return df


def strings(values: Sequence[Any]) -> pa.Array:
    """An Arrow text column from Python values: ``None`` stays null, other non-text scalars
    (numbers, booleans) are written with ``str``.

    Example:
        >>> strings(["a", 1, None]).to_pylist()
        ['a', '1', None]
    """
    try:
        return pa.array(values, type=ARROW_STRING, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(
            [v if v is None or type(v) is str else str(v) for v in values], type=ARROW_STRING
        )
