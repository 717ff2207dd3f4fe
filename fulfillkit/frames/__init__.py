"""Records -> tables: Arrow-native frames of fulfillments, line items and orders.

One module per job, in pipeline order: :mod:`~fulfillkit.frames.schema` (column types,
Arrow -> pandas), :mod:`~fulfillkit.frames.timestamps`, :mod:`~fulfillkit.frames.mappings`
(``field_mappings``), :mod:`~fulfillkit.frames.derive` (carrier columns, shipment status,
one row per fulfillment), :mod:`~fulfillkit.frames.records` (``record_table``: one typed row
per record), :mod:`~fulfillkit.frames.jsontext` (JSON text of typed columns),
:mod:`~fulfillkit.frames.rows` (tracking positions), :mod:`~fulfillkit.frames.layout`
(``frame_from_record_table``: a record table laid out as the frame),
:mod:`~fulfillkit.frames.build` (``to_arrow``, ``to_frame``, ``items_frame``: records ->
record table -> layout), :mod:`~fulfillkit.frames.orders`, :mod:`~fulfillkit.frames.io`
(``export``, ``read_frame``), :mod:`~fulfillkit.frames.interop` (Polars, DuckDB), and
:mod:`~fulfillkit.frames.coerce` (``frame_of``: the one rule turning what a user holds into a
frame).
"""

from fulfillkit.frames.build import frame_options, items_frame, to_arrow, to_frame
from fulfillkit.frames.coerce import ACCEPTED, frame_of, records_of
from fulfillkit.frames.derive import (
    SHIPMENT_STATUS_GROUPS,
    first_positions,
    first_rows,
    fulfillment_keys,
    per_fulfillment,
)
from fulfillkit.frames.interop import sql, to_polars
from fulfillkit.frames.io import FORMULA_PREFIXES, ExportFormatError, export, read_frame
from fulfillkit.frames.layout import arrow_from_record_table, frame_from_record_table
from fulfillkit.frames.mappings import FieldMappingCollisionError
from fulfillkit.frames.orders import (
    JOIN_SCHEMA,
    LAG,
    MONEY,
    ORDERS_SCHEMA,
    join_orders,
    orders_frame,
    orders_table,
)
from fulfillkit.frames.records import RECORD_SCHEMA, record_table
from fulfillkit.frames.schema import (
    BOOLEAN,
    DERIVED_SCHEMA,
    FIELD_MAPPINGS_PREFIX,
    FLOAT,
    INT,
    ITEMS_SCHEMA,
    REMOTE_DATA_COLUMN,
    SCHEMA,
    SHIPMENT_STATUS_COLUMN,
    STRING,
    TIMESTAMP,
    WIDE_SCHEMA,
    arrow_schema,
    schema,
    to_pandas,
)
from fulfillkit.frames.timestamps import UnparsedTimestampWarning

__all__ = [
    "ACCEPTED",
    "BOOLEAN",
    "DERIVED_SCHEMA",
    "FIELD_MAPPINGS_PREFIX",
    "FLOAT",
    "FORMULA_PREFIXES",
    "INT",
    "ITEMS_SCHEMA",
    "JOIN_SCHEMA",
    "LAG",
    "MONEY",
    "ORDERS_SCHEMA",
    "RECORD_SCHEMA",
    "REMOTE_DATA_COLUMN",
    "SCHEMA",
    "SHIPMENT_STATUS_COLUMN",
    "SHIPMENT_STATUS_GROUPS",
    "STRING",
    "TIMESTAMP",
    "WIDE_SCHEMA",
    "ExportFormatError",
    "FieldMappingCollisionError",
    "UnparsedTimestampWarning",
    "arrow_from_record_table",
    "arrow_schema",
    "export",
    "first_positions",
    "first_rows",
    "frame_from_record_table",
    "frame_of",
    "frame_options",
    "fulfillment_keys",
    "items_frame",
    "join_orders",
    "orders_frame",
    "orders_table",
    "per_fulfillment",
    "read_frame",
    "record_table",
    "records_of",
    "schema",
    "sql",
    "to_arrow",
    "to_frame",
    "to_pandas",
    "to_polars",
]
