"""A record table laid out as the frame: one row per (fulfillment, tracking position).

:func:`frame_from_record_table` turns a record table (:func:`~fulfillkit.frames.record_table`,
one row per record, or the same columns read back from DuckDB or Parquet) into exactly the
DataFrame :func:`~fulfillkit.frames.to_frame` gives for those records, and
:func:`arrow_from_record_table` into the table :func:`~fulfillkit.frames.to_arrow` gives:
``to_frame`` and ``to_arrow`` *are* ``record_table`` followed by this layout, so the two
paths agree by construction.

Everything is column work on Arrow arrays, in steps of :data:`~fulfillkit.frames.records.CHUNK`
records (each step's intermediates stay in cache and are dropped before the next): the
explode is done on the lists' offsets (``list_flatten`` and a ``take``), derived carrier
columns are computed on codes, JSON text of the lists and mappings is written by string
kernels. The one exception is ``field_mappings`` that are not Panora's flat text (numbers,
nested objects: never sent by Panora): their columns are typed from all the values, read in
Python.

Example:
    >>> from fulfillkit.frames.records import record_table
    >>> table = record_table([{"id": "f1", "carrier": "UPS", "tracking_numbers": ["A", "B"]}])
    >>> df = frame_from_record_table(table)
    >>> df[["id", "tracking_index", "tracking_number", "carrier_canonical"]].values.tolist()
    [['f1', 0, 'A', 'UPS'], ['f1', 1, 'B', 'UPS']]
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final, NamedTuple, Protocol, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fulfillkit.carriers import DEFAULT_CARRIERS, TRACKING_URL_TEMPLATES, CarrierTable
from fulfillkit.errors import InvalidDataError
from fulfillkit.frames.derive import derive_carriers
from fulfillkit.frames.jsontext import json_lists, json_maps
from fulfillkit.frames.mappings import id_list, mapping_columns
from fulfillkit.frames.records import (
    CHUNK,
    LIST_FIELDS,
    RECORD_SCHEMA,
    TEXT_FIELDS,
    TIME_FIELDS,
)
from fulfillkit.frames.rows import TrackingRows
from fulfillkit.frames.schema import (
    ARROW_STRING,
    FIELD_MAPPINGS_PREFIX,
    REMOTE_DATA_COLUMN,
    SHIPMENT_STATUS_COLUMN,
    FieldMappings,
    schema,
    to_pandas,
)
from fulfillkit.frames.timestamps import UnparsedTimestampWarning

__all__ = [
    "PANDAS_TEXT",
    "ArrowStream",
    "LayoutOptions",
    "RecordTableLike",
    "arrow_from_record_table",
    "frame_from_record_table",
    "lay_out",
    "pandas_frame",
    "warn_unparsed",
]

PANDAS_TEXT: Final = pa.large_string()
"""What pandas' ``string[pyarrow]`` holds (64-bit offsets): frames build their text in it,
so the frame shares the Arrow buffers."""
_REMOTE: Final = (SHIPMENT_STATUS_COLUMN, REMOTE_DATA_COLUMN)
_RECORD_NAMES: Final = frozenset(RECORD_SCHEMA.names)


class ArrowStream(Protocol):
    """Anything that exports an Arrow stream (the Arrow PyCapsule interface): a
    ``pyarrow.RecordBatchReader``, a DuckDB relation, a Polars frame."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...


RecordTableLike: TypeAlias = pa.Table | pa.RecordBatch | ArrowStream
"""What the layout reads: a record table whole, one batch, or a stream of batches."""


class LayoutOptions(NamedTuple):
    """What a frame was asked for, passed down the layout as one value. ``remote_data``
    ``None``: lay out the remote-data columns and keep them when some record has remote
    data; ``text``: the type text columns are built in (:data:`PANDAS_TEXT` for pandas)."""

    remote_data: bool | None
    sep: str
    explode: bool
    carriers: CarrierTable
    url_templates: Mapping[str, str]
    field_mappings: FieldMappings
    leading: tuple[str, ...]
    text: pa.DataType


def frame_from_record_table(
    table: RecordTableLike,
    *,
    remote_data: bool | None = None,
    sep: str = ".",
    explode: bool = True,
    carriers: CarrierTable = DEFAULT_CARRIERS,
    url_templates: Mapping[str, str] = TRACKING_URL_TEMPLATES,
    field_mappings: FieldMappings = "columns",
    leading: Sequence[str] = (),
) -> pd.DataFrame:
    """A record table as the DataFrame :func:`~fulfillkit.frames.to_frame` gives for its
    records: same columns, dtypes, values and warnings.

    ``table`` is a ``pyarrow.Table`` or ``RecordBatch`` with the columns of
    :data:`~fulfillkit.frames.records.RECORD_SCHEMA` (types that cast to it losslessly are
    fine: DuckDB's list field names, ``large_string``, a timestamp in another zone), or
    any Arrow stream (``pyarrow.RecordBatchReader``, a DuckDB relation, anything with
    ``__arrow_c_stream__``), read batch by batch without holding it whole. Columns beyond
    the record schema (a store's ``connection``) are carried onto every row of their
    record, after the frame's own columns, or first when named in ``leading``.

    Args:
        remote_data: keep ``shipment_status`` and ``remote_data``; ``None`` (default):
            exactly when some record has remote data.
        leading: columns to put first, in this order (extra columns or the frame's own).
        sep, explode, carriers, url_templates, field_mappings: as for
            :func:`~fulfillkit.frames.to_frame`.

    Raises:
        InvalidDataError: ``table`` is not Arrow data, or lacks record-table columns, or a
            column does not cast to its record-table type.
        FieldMappingCollisionError: two ``field_mappings`` keys flatten to the same column.

    Warns:
        UnparsedTimestampWarning: once, naming the ids whose ``created_at`` or
            ``modified_at`` could not be parsed when the table was built.

    Example:
        >>> from fulfillkit.frames.records import record_table
        >>> table = record_table([{"id": "f1"}, {"id": "f2"}])
        >>> table = table.append_column("connection", pa.array(["shop", "shop"]))
        >>> list(frame_from_record_table(table, leading=["connection"]).columns[:2])
        ['connection', 'id']
    """
    options = LayoutOptions(
        remote_data,
        sep,
        explode,
        carriers,
        url_templates,
        field_mappings,
        tuple(leading),
        PANDAS_TEXT,
    )
    columns, unparsed = _lay_out_table(table, options)
    warn_unparsed(unparsed, stacklevel=2)
    return pandas_frame(columns)


# the options written out again on purpose: a notebook's help shows the whole signature.
def arrow_from_record_table(
    table: RecordTableLike,
    *,
    remote_data: bool | None = None,
    sep: str = ".",
    explode: bool = True,
    carriers: CarrierTable = DEFAULT_CARRIERS,
    url_templates: Mapping[str, str] = TRACKING_URL_TEMPLATES,
    field_mappings: FieldMappings = "columns",
    leading: Sequence[str] = (),
) -> pa.Table:
    """A record table as the ``pyarrow.Table`` :func:`~fulfillkit.frames.to_arrow` gives for
    its records (text ``string``); arguments, errors and warnings as for
    :func:`frame_from_record_table`.

    Example:
        >>> from fulfillkit.frames.records import record_table
        >>> arrow_from_record_table(record_table([{"id": "f1"}])).num_rows
        1
    """
    options = LayoutOptions(
        remote_data,
        sep,
        explode,
        carriers,
        url_templates,
        field_mappings,
        tuple(leading),
        ARROW_STRING,
    )
    columns, unparsed = _lay_out_table(table, options)
    warn_unparsed(unparsed, stacklevel=2)
    return pa.table(columns)


def _lay_out_table(
    table: RecordTableLike, options: LayoutOptions
) -> tuple[dict[str, pa.Array | pa.ChunkedArray], list[Any]]:
    """:func:`lay_out` of a table, batch or stream, checked first."""
    check_options(options)
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    if isinstance(table, pa.Table):
        if options.remote_data is None and REMOTE_DATA_COLUMN in table.column_names:
            column = table.column(REMOTE_DATA_COLUMN)
            options = options._replace(remote_data=column.null_count < len(column))
        given = table.schema
        batches: Iterable[pa.RecordBatch] = table.to_batches(max_chunksize=CHUNK)
    elif hasattr(table, "__arrow_c_stream__"):
        reader = pa.RecordBatchReader.from_stream(table)
        given, batches = reader.schema, _slices(reader)
    else:
        raise InvalidDataError(
            f"expected a record table (pyarrow.Table, RecordBatch or an Arrow stream such "
            f"as a DuckDB relation), not {type(table).__name__}"
        )
    return lay_out(batches, given, options)


def _slices(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Batches of any size as batches of at most :data:`CHUNK` rows (views, no copy)."""
    for batch in batches:
        for start in range(0, batch.num_rows, CHUNK):
            yield batch.slice(start, CHUNK)


def check_options(options: LayoutOptions) -> None:
    """Refuse a ``field_mappings`` option that is neither ``"columns"`` nor ``"json"``."""
    if options.field_mappings not in ("columns", "json"):
        raise ValueError(
            f'field_mappings must be "columns" or "json", not {options.field_mappings!r}'
        )


def lay_out(
    batches: Iterable[pa.RecordBatch], given: pa.Schema, options: LayoutOptions
) -> tuple[dict[str, pa.Array | pa.ChunkedArray], list[Any]]:
    """The frame's columns (in order, as Arrow) from record-table batches of schema
    ``given``, and the ids whose timestamps did not parse.

    Batches are consumed one at a time (a generator that reads records as it goes keeps
    only one batch's records in memory) and become the chunks of the columns. The
    ``field_mappings.<key>`` columns are made once from every batch's mappings: their
    names are the union over all records in order of first appearance, and their types
    (outside Panora's flat text) are inferred from all the values. ``options`` are checked
    (:func:`check_options`) by the caller, before any work."""
    extras = _extras(given, options)
    laid: list[dict[str, pa.Array]] = []
    unparsed: list[Any] = []
    mappings = _MappingParts()
    remote_seen = False
    pool = pa.default_memory_pool()
    for batch in batches:
        part = _conform(batch)
        columns, bad = _lay_out_part(part, extras, options, mappings)
        laid.append(columns)
        unparsed += bad
        remote_seen = remote_seen or part[REMOTE_DATA_COLUMN].null_count < len(part["id"])
        del batch, part, columns  # before the next batch is read
        pool.release_unused()  # the batch's intermediates: reused by the next, not kept
    if not laid:  # no records: the columns, empty
        empty = pa.RecordBatch.from_pylist([], schema=given)
        laid.append(_lay_out_part(_conform(empty), extras, options, mappings)[0])
    combined = {
        name: pa.chunked_array([p[name] for p in laid], type=laid[0][name].type) for name in laid[0]
    }
    del laid
    if options.field_mappings == "columns":
        prefix = f"{FIELD_MAPPINGS_PREFIX}{options.sep}"
        flat = mappings.columns(options.sep, options.text)
        names = list(combined)
        at = names.index("items") + 1
        mapped = {f"{prefix}{key}": column for key, column in flat.items()}
        combined = {
            **{n: combined[n] for n in names[:at]},
            **mapped,
            **{n: combined[n] for n in names[at:]},
        }
    if options.remote_data is None and not remote_seen:
        for name in _REMOTE:
            del combined[name]
    return _put_first(combined, options.leading), unparsed


def _extras(given: pa.Schema, options: LayoutOptions) -> list[str]:
    """The columns of ``given`` beyond the record schema, after checking that every
    record-table column is there and that ``leading`` names columns the frame has."""
    missing = [name for name in RECORD_SCHEMA.names if name not in given.names]
    if missing:
        raise InvalidDataError(
            f"a record table needs the columns of RECORD_SCHEMA; missing: {', '.join(missing)} "
            "(build it with fulfillkit.frames.record_table)"
        )
    extras = [name for name in given.names if name not in _RECORD_NAMES]
    fixed = schema(explode=options.explode, remote_data=True, field_mappings=options.field_mappings)
    clashing = [name for name in extras if name in fixed]
    if clashing:
        raise InvalidDataError(
            f"extra record-table columns would replace the frame's own: {', '.join(clashing)}"
        )
    unknown = [name for name in options.leading if name not in fixed and name not in extras]
    if unknown:
        raise ValueError(
            f"leading names columns the frame does not have: {', '.join(map(repr, unknown))}"
        )
    return extras


def _conform(batch: pa.RecordBatch) -> dict[str, pa.Array]:
    """A batch's columns by name, the record-table ones cast to :data:`RECORD_SCHEMA`'s
    types (a no-op for a table this module built; DuckDB's and Parquet's spellings of the
    same types cast without copying the values)."""
    part = {name: batch.column(name) for name in batch.schema.names}
    for expected in RECORD_SCHEMA:
        column = part[expected.name]
        if column.type != expected.type:
            try:
                part[expected.name] = column.cast(expected.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as error:
                raise InvalidDataError(
                    f"record-table column {expected.name!r} is {column.type}, which does not "
                    f"cast to {expected.type}: {error}"
                ) from None
    return part


def _lay_out_part(
    part: Mapping[str, pa.Array],
    extras: list[str],
    options: LayoutOptions,
    mappings: _MappingParts,
) -> tuple[dict[str, pa.Array], list[Any]]:
    """One batch's columns on its rows (all but ``field_mappings.<key>``, collected into
    ``mappings``), and the ids of its records whose timestamps did not parse. Source text
    is widened to ``text`` per record, before the rows are laid out (cheaper than
    after)."""
    text, explode = options.text, options.explode
    tracking = TrackingRows.of(part["tracking_numbers"], part["tracking_urls"])
    numbers = pc.list_flatten(part["tracking_numbers"])
    urls = pc.list_flatten(part["tracking_urls"])
    rows = tracking.rows(explode)
    columns = {name: _take(part[name], rows, text) for name in TEXT_FIELDS}
    derived = derive_carriers(
        part["carrier"],
        numbers,
        urls,
        tracking.number_pos,
        tracking.url_pos,
        tracking.row_record,
        options.carriers,
        options.url_templates,
    )
    per_row = derived.row_columns() if explode else derived.record_columns(tracking.n_records)
    del derived
    if explode:
        columns.update(tracking.tracking_columns(numbers.cast(text), urls.cast(text)))
    else:
        columns["tracking_count"] = pa.array(tracking.counts, type=pa.int64())
        for name in LIST_FIELDS:  # the lists as sent: JSON text
            columns[name] = pc.coalesce(part[f"{name}_json"], json_lists(part[name]))
    del numbers, urls
    for name in (*TIME_FIELDS, "items"):
        columns[name] = _take(part[name], rows, text)
    if options.field_mappings == "json":
        sent = pc.coalesce(part["field_mappings_json"], json_maps(part["field_mappings"]))
        columns[FIELD_MAPPINGS_PREFIX] = _take(sent, rows, text)
    else:
        mappings.add(part, tracking.row_record if explode else None)
    columns.update({name: _take(column, None, text) for name, column in per_row.items()})
    if options.remote_data is not False:
        columns.update({name: _take(part[name], rows, text) for name in _REMOTE})
    columns.update({name: _take(part[name], rows, text) for name in extras})
    flags = part["unparsed_timestamps"]
    bad = part["id"].filter(flags).to_pylist() if pc.any(flags).as_py() else []
    return columns, bad


def _take(column: pa.Array, rows: pa.Array | None, text: pa.DataType) -> pa.Array:
    """A per-record column laid out on the rows (``None``: one row per record), text as
    ``text``."""
    if column.type == ARROW_STRING and text != ARROW_STRING:
        column = column.cast(text)
    return column if rows is None else column.take(rows)


class _MappingParts:
    """Every batch's ``field_mappings`` (map and JSON text as sent), ids and rows, for the
    ``field_mappings.<key>`` columns made once over all records. They are copies: an array
    imported from another library (DuckDB's Arrow stream) keeps its whole batch alive,
    which would hold every batch of a stream until the end."""

    def __init__(self) -> None:
        self.maps: list[pa.Array] = []
        self.sent: list[pa.Array] = []
        self.ids: list[pa.Array] = []
        self.rows: list[npt.NDArray[np.intp]] = []
        self.n = 0

    def add(self, part: Mapping[str, pa.Array], row_record: npt.NDArray[np.intp] | None) -> None:
        """One batch; ``row_record`` its rows' records (``None``: one row per record)."""
        self.maps.append(pa.concat_arrays([part["field_mappings"]]))
        self.sent.append(pa.concat_arrays([part["field_mappings_json"]]))
        self.ids.append(pa.concat_arrays([part["id"]]))
        if row_record is not None:
            self.rows.append(row_record + self.n)
        self.n += len(part["id"])

    def columns(self, sep: str, text: pa.DataType) -> dict[str, pa.Array]:
        """Per flattened key, its column on the rows (see
        :func:`~fulfillkit.frames.mappings.mapping_columns`)."""
        maps = pa.concat_arrays(self.maps)
        sent = pa.concat_arrays(self.sent)
        rows = np.concatenate(self.rows) if self.rows else None
        ids = _Ids(pa.chunked_array(self.ids, type=ARROW_STRING))
        found: pa.Array | list[Any]
        if sent.null_count == len(sent):  # Panora's flat text (or none): kernels only
            found = maps if text == ARROW_STRING else maps.cast(pa.map_(ARROW_STRING, text))
        else:  # numbers, booleans or nested objects somewhere: typed from all the values
            found = [None if m is None else dict(m) for m in maps.to_pylist()]
            for i, value in enumerate(sent.to_pylist()):
                if value is not None:
                    found[i] = json.loads(value)
        return mapping_columns(found, self.n, ids, sep, rows)


class _Ids:
    """A record's id, read only when a message needs it."""

    def __init__(self, ids: pa.ChunkedArray) -> None:
        self._ids = ids

    def __getitem__(self, record: int) -> Any:
        return self._ids[record].as_py()


def _put_first(
    columns: dict[str, pa.Array | pa.ChunkedArray], leading: tuple[str, ...]
) -> dict[str, pa.Array | pa.ChunkedArray]:
    """The columns with ``leading`` first, in that order."""
    if not leading:
        return columns
    first = {name: columns[name] for name in leading if name in columns}
    return {**first, **{n: c for n, c in columns.items() if n not in first}}


def warn_unparsed(ids: list[Any], *, stacklevel: int) -> None:
    """One :class:`~fulfillkit.frames.UnparsedTimestampWarning` naming ``ids`` (none when
    empty); ``stacklevel`` as for ``warnings.warn``, counted from the caller of this.

    Example:
        >>> warn_unparsed([], stacklevel=2)  # nothing to say
    """
    if ids:
        warnings.warn(
            UnparsedTimestampWarning(
                f"{len(ids)} fulfillment(s) have a created_at/modified_at that could not be "
                f"parsed and is NaT in the frame: ids {id_list(ids)}"
            ),
            stacklevel=stacklevel + 1,
        )


def pandas_frame(columns: dict[str, pa.Array | pa.ChunkedArray]) -> pd.DataFrame:
    """The columns as pandas with :func:`~fulfillkit.frames.schema.to_pandas`, sharing
    Arrow's buffers: pandas' ``string[pyarrow]`` holds ``large_string``, so text still in
    ``string`` is widened first (new offsets, the same characters), one column at a time.

    Example:
        >>> str(pandas_frame({"id": pa.array(["f1"])})["id"].dtype)
        'string'
    """
    for name, column in columns.items():
        if column.type == ARROW_STRING:
            columns[name] = column.cast(PANDAS_TEXT)
    return to_pandas(pa.table(columns))
