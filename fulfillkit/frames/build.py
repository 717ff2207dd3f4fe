"""Fulfillment records -> Arrow tables and pandas DataFrames, built with Arrow kernels.

:func:`to_arrow` turns fulfillments (:class:`~fulfillkit.models.Fulfillment` objects or the
plain dicts the API returns) into a ``pyarrow.Table`` with one row per *(fulfillment,
tracking position)*; :func:`to_frame` is that table in pandas, with the fixed dtype mapping
of :mod:`fulfillkit.frames.schema`; :func:`items_frame` gives one row per line item.

The records are read by Arrow itself: one conversion of the records into a struct array
(the scalar fields, the two tracking lists, the timestamps and Panora's flat text
``field_mappings`` as a ``map<string, string>``), then the explode is done on the lists'
offsets (``list_flatten`` and a ``take``), timestamps are one ``cast``, the derived columns
are computed on codes, and each per-record array is dropped once laid out on the rows.
Python still touches each record for what has no kernel: ``items`` (one ``itemgetter``
pass; ``{}``, the usual value, is a constant column with no JSON encoding), ``remote_data``
when asked for, and the records whose tracking list came out empty or all single
characters (Arrow reads a bare string as the list of its characters: only those can hide
one). Anything else (numbers as tracking numbers, nested field mappings, mixed kinds of
timestamps) falls back to a field-by-field read with the same result.

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
from itertools import repeat
from operator import attrgetter, is_, itemgetter, methodcaller
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fulfillkit.carriers import DEFAULT_CARRIERS, TRACKING_URL_TEMPLATES, CarrierTable
from fulfillkit.frames.derive import derive_carriers, shipment_statuses
from fulfillkit.frames.mappings import (
    TEXT_MAP,
    id_list,
    infer_column,
    json_column,
    mapping_columns,
    place,
    text_map,
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

__all__ = ["items_frame", "to_arrow", "to_frame"]

Records = Iterable[Fulfillment | Mapping[str, Any]]

_TEXT: Final = ("id", "remote_id", "order_id", "carrier")
_LISTS: Final = ("tracking_numbers", "tracking_urls")
_TIMES: Final = ("created_at", "modified_at")
_LIST: Final = pa.list_(ARROW_STRING)
PANDAS_TEXT: Final = pa.large_string()
"""What pandas' ``string[pyarrow]`` holds (64-bit offsets): :func:`to_frame` builds its
text in it, so the frame shares the Arrow buffers."""
_ITEMS: Final = itemgetter("items")
_EMPTY: Final[dict[str, Any]] = {}
_PRIVATE: Final = attrgetter("__pydantic_private__")  # a slot: ._unparsed_timestamps is 10x slower
_CONVERSION_ERRORS: Final = (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, KeyError, IndexError)


def _has_remote_data(record: Any) -> bool:
    """Whether a record (model or mapping) carries the provider's raw data."""
    if isinstance(record, Fulfillment):
        return record.remote_data is not None
    return isinstance(record, Mapping) and record.get("remote_data") is not None


class _Options(NamedTuple):
    """What :func:`to_arrow` / :func:`to_frame` were asked for, passed down the pipeline
    as one value (``text``: the type source text is built in; ``remote_data`` None until
    :func:`_build` decides it from the records)."""

    remote_data: bool | None
    sep: str
    explode: bool
    carriers: CarrierTable
    url_templates: Mapping[str, str]
    field_mappings: FieldMappings
    text: pa.DataType


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
    columns, unparsed = _build(
        records,
        _Options(remote_data, sep, explode, carriers, url_templates, field_mappings, ARROW_STRING),
    )
    _warn_unparsed(unparsed)
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
    columns, unparsed = _build(
        records,
        _Options(remote_data, sep, explode, carriers, url_templates, field_mappings, PANDAS_TEXT),
    )
    _warn_unparsed(unparsed)
    return _pandas(columns)


def _build(
    records: Records, options: _Options
) -> tuple[dict[str, pa.Array | pa.ChunkedArray], list[Any]]:
    """The pipeline, run on slices of :data:`CHUNK` records whose columns become the chunks
    of the result: the intermediate arrays of one slice are all that is held beside the
    result (and stay in the CPU's caches), so the peak is little more than the table.

    Slices are independent except for the field-mapping columns, whose names are the union
    over all records in order of first appearance. When a slice had to read its
    ``field_mappings`` in Python (nested or non-text values: the column types are inferred
    from the values, and nested keys can collide across records), the whole input is
    built in one piece instead, so that the result does not depend on the slicing."""
    if options.field_mappings not in ("columns", "json"):
        raise ValueError(
            f'field_mappings must be "columns" or "json", not {options.field_mappings!r}'
        )
    given: list[Any] = records if isinstance(records, list) else list(records)
    if options.remote_data is None:  # decided once for all slices: they must agree
        options = options._replace(remote_data=any(map(_has_remote_data, given)))
    if len(given) <= CHUNK:
        columns, unparsed, _ = _build_part(given, options)
        return dict(columns), unparsed
    parts = []
    pool = pa.default_memory_pool()
    for start in range(0, len(given), CHUNK):
        parts.append(_build_part(given[start : start + CHUNK], options))
        pool.release_unused()  # the slice's intermediates: reused by the next, not kept
    if not all(simple for _, _, simple in parts):
        del parts
        columns, unparsed, _ = _build_part(given, options)
        return dict(columns), unparsed
    return _combine([columns for columns, _, _ in parts], options.sep), [
        record_id for _, unparsed, _ in parts for record_id in unparsed
    ]


CHUNK: Final = 16_384
"""Records per slice in :func:`_build` (and so rows per chunk of the result, before the
explode): large enough that the per-slice overhead of the kernels is small, small enough
that a slice's intermediate arrays stay in cache."""


def _combine(parts: list[dict[str, pa.Array]], sep: str) -> dict[str, pa.ChunkedArray]:
    """The slices' columns as chunked arrays, in the columns' order: field-mapping columns
    (after ``items``) are the union of the slices', in order of first appearance, null
    where a slice had no such key."""
    prefix = f"{FIELD_MAPPINGS_PREFIX}{sep}"
    mapped: dict[str, pa.DataType] = {}
    for part in parts:
        for name, column in part.items():
            if name.startswith(prefix) and name not in mapped:
                mapped[name] = column.type
    fixed = [n for n in parts[0] if not n.startswith(prefix)]
    at = fixed.index("items") + 1
    combined: dict[str, pa.ChunkedArray] = {}
    for name in fixed[:at] + list(mapped) + fixed[at:]:
        kind = mapped.get(name) or parts[0][name].type
        chunks = [p[name] if name in p else pa.nulls(len(p["id"]), kind) for p in parts]
        combined[name] = pa.chunked_array(chunks, type=kind)
    return combined


def _build_part(
    records: list[Any], options: _Options
) -> tuple[dict[str, pa.Array], list[Any], bool]:
    """The pipeline on one slice: read -> lay out rows -> source columns -> derived
    columns. Returns the columns in order, the ids whose timestamps did not parse, and
    whether the field mappings were Panora's flat text (or absent), so that slices can be
    put side by side. Source text columns are built as ``text`` (``large_string`` for
    pandas: widened per record, before the rows are laid out, which is cheaper than
    after)."""
    remote_data, sep, explode, carriers, url_templates, field_mappings, text = options
    source = _read(records, with_map=field_mappings == "columns")
    fields = source.fields
    numbers, urls = fields.pop("tracking_numbers"), fields.pop("tracking_urls")
    layout = _Layout.of(numbers, urls)
    numbers, urls = pc.list_flatten(numbers), pc.list_flatten(urls)
    rows = layout.rows(explode)
    # Each per-record column is dropped as soon as it is laid out on the rows, so that
    # the peak holds little more than the result.
    carrier = fields["carrier"]
    columns = {name: _take(fields.pop(name), rows, text) for name in _TEXT}
    record_ids = _RecordIds(columns["id"], None if rows is None else layout.starts)
    derived = derive_carriers(
        carrier,
        numbers,
        urls,
        layout.number_pos,
        layout.url_pos,
        layout.row_record,
        carriers,
        url_templates,
    )
    derived_columns = derived.row_columns() if explode else derived.record_columns(layout.n_records)
    derived_columns = {k: _take(v, None, text) for k, v in derived_columns.items()}
    del derived, carrier
    if explode:
        columns.update(layout.tracking_columns(numbers.cast(text), urls.cast(text)))
    else:
        columns["tracking_count"] = pa.array(layout.counts, type=pa.int64())
        for name in _LISTS:
            columns[name] = json_column([d.get(name) for d in source.dicts])
    del numbers, urls
    bad = np.zeros(layout.n_records, dtype=np.bool_)
    bad[source.flagged] = True
    for name in _TIMES:
        parsed, unparsed = parse_timestamps(fields.pop(name))
        columns[name] = _take(parsed, rows, text)
        bad |= unparsed
    columns["items"] = _items_column(source.items, rows, text)
    del source.items
    simple = True
    if field_mappings == "json":
        mappings = json_column([d.get("field_mappings") for d in source.dicts])
        columns[FIELD_MAPPINGS_PREFIX] = _take(mappings, rows, text)
    else:
        found = fields.pop("field_mappings", None)
        if found is None:
            values = [d.get("field_mappings") for d in source.dicts]
            present = any(values)
            found = text_map(values) if present else values
            simple = not present or isinstance(found, pa.MapArray)
        if isinstance(found, pa.MapArray) and text != ARROW_STRING:
            found = found.cast(pa.map_(ARROW_STRING, text))
        flat = mapping_columns(found, layout.n_records, record_ids, sep, rows)
        columns.update({f"{FIELD_MAPPINGS_PREFIX}{sep}{k}": v for k, v in flat.items()})
    columns.update(derived_columns)
    if remote_data:
        raws = [d.get("remote_data") for d in source.dicts]
        columns[SHIPMENT_STATUS_COLUMN] = _take(shipment_statuses(raws), rows, text)
        columns[REMOTE_DATA_COLUMN] = _take(json_column(raws), rows, text)
    return columns, [record_ids[i] for i in np.flatnonzero(bad).tolist()], simple


def _warn_unparsed(ids: list[Any]) -> None:
    if ids:
        warnings.warn(
            UnparsedTimestampWarning(
                f"{len(ids)} fulfillment(s) have a created_at/modified_at that could not be "
                f"parsed and is NaT in the frame: ids {id_list(ids)}"
            ),
            stacklevel=3,
        )


def _pandas(columns: dict[str, pa.Array]) -> pd.DataFrame:
    """The columns as pandas, sharing Arrow's buffers: pandas' ``string[pyarrow]`` holds
    ``large_string``, so text still in ``string`` (the derived columns) is widened first
    (new offsets, the same characters), one column at a time."""
    for name, column in columns.items():
        if column.type == ARROW_STRING:
            columns[name] = column.cast(PANDAS_TEXT)
    return to_pandas(pa.table(columns))


def _take(column: pa.Array, rows: pa.Array | None, text: pa.DataType) -> pa.Array:
    """A per-record column laid out on the rows (``None``: one row per record), text as
    ``text``."""
    if column.type == ARROW_STRING and text != ARROW_STRING:
        column = column.cast(text)
    return column if rows is None else column.take(rows)


# --- reading the records -------------------------------------------------------------------


@dataclass
class _Source:
    """The records as read: ``fields`` are per-record Arrow arrays (the text fields, the
    tracking lists, the timestamps as text or timestamps, and ``field_mappings`` as a
    ``map<string, string>`` when every record's is Panora's flat text object); ``items``
    the Python values; ``dicts`` every record as a mapping; ``flagged`` the positions of
    models that kept unparsed timestamp text."""

    fields: dict[str, pa.Array]
    items: list[Any]
    dicts: list[Mapping[str, Any]]
    flagged: list[int]


def _read(records: Records, *, with_map: bool) -> _Source:
    """Read the records, with Arrow doing the work wherever the values have their
    expected types.

    The API's own shape (plain dicts holding every field, which ``json.loads`` gives) is
    read in two passes over the records: one for ``items`` (which has no Arrow type:
    ``{}`` or a list) and one Arrow conversion of everything else into a struct array.
    Models are read through their field dict, without a copy."""
    given: list[Any] = records if isinstance(records, list) else list(records)
    try:
        items = list(map(_ITEMS, given))  # a KeyError / TypeError: not the API's shape
    except (KeyError, TypeError):
        dicts, flagged = _dicts(given)
        items = [d.get("items") for d in dicts]
    else:
        dicts, flagged = given, []
    fields = _struct_fields(dicts, with_map)
    if fields is None:
        fields = _python_fields(dicts)
    return _Source(fields, items, dicts, flagged)


def _dicts(records: list[Any]) -> tuple[list[Mapping[str, Any]], list[int]]:
    """Every record as a dict (a model's field dict, no copy); and the positions of models
    that kept unparsed timestamp text (they warn like unparsed dict values)."""
    if set(map(type, records)) == {Fulfillment}:  # what get_many gives: no Python loop
        privates = map(_PRIVATE, records)
        flagged = [i for i, p in enumerate(privates) if p and p.get("_unparsed_timestamps")]
        return list(map(vars, records)), flagged
    dicts: list[Mapping[str, Any]] = []
    flagged = []
    for record in records:
        if type(record) is dict:  # the usual case, and cheaper than isinstance on a model
            dicts.append(record)
        elif isinstance(record, Fulfillment):
            if record._unparsed_timestamps:
                flagged.append(len(dicts))
            dicts.append(record.__dict__)
        else:
            dicts.append(dict(record))
    return dicts, flagged


def _struct_fields(dicts: list[Mapping[str, Any]], with_map: bool) -> dict[str, pa.Array] | None:
    """The scalar fields, the tracking lists and the timestamps (and ``field_mappings``
    when ``with_map`` and it is text only) read by Arrow in one conversion; ``None`` when
    some value has another type (numbers as tracking numbers, say).

    A model's timestamps are ``datetime`` objects, which Arrow converts twice as fast from
    a list than inside a struct: those are read apart."""
    sample = next((d.get("created_at") for d in dicts if d.get("created_at") is not None), None)
    as_text = not isinstance(sample, datetime)
    base = [(n, ARROW_STRING) for n in _TEXT] + [(n, _LIST) for n in _LISTS]
    if as_text:
        base += [(n, ARROW_STRING) for n in _TIMES]
    for extra in ([("field_mappings", TEXT_MAP)], []) if with_map else ([],):
        try:
            struct = pa.array(dicts, type=pa.struct(base + extra))
        except _CONVERSION_ERRORS:
            continue
        fields = {name: struct.field(name) for name, _ in base + extra}
        for name in _LISTS:
            if _bare_values(fields[name], dicts, name):
                fields[name] = _list_column([d.get(name) for d in dicts])
        if not as_text:
            for name in _TIMES:
                fields[name] = _time_values(list(map(methodcaller("get", name), dicts)))
        return fields
    return None


def _bare_values(lists: pa.ListArray, dicts: list[Mapping[str, Any]], name: str) -> bool:
    """Whether a record's ``name`` was not a list or a tuple. Arrow reads text as the list
    of its characters (1 to 4 UTF-8 bytes each), so a list with an item of 5 bytes or more
    cannot be one: only the records whose list is empty or has no more than 4 bytes per
    item on average are looked at in Python. Worked out on the offsets alone."""
    list_offsets = np.asarray(lists.offsets.to_numpy(), dtype=np.int64)
    text = lists.values  # the whole child: list offsets point into it
    buffer = text.buffers()[1]
    text_offsets = (
        np.zeros(1, dtype=np.int32)
        if buffer is None
        else np.frombuffer(buffer, dtype=np.int32)[text.offset :]
    )
    items = np.diff(list_offsets)
    size = np.diff(text_offsets[list_offsets].astype(np.int64))
    valid = np.asarray(lists.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
    suspects = np.flatnonzero(valid & (size <= 4 * items)).tolist()
    kinds = set(map(type, map(methodcaller("get", name), map(dicts.__getitem__, suspects))))
    return not kinds <= {list, tuple}


def _python_fields(dicts: list[Mapping[str, Any]]) -> dict[str, pa.Array]:
    """:func:`_struct_fields` field by field, with Python clean-up: numbers as text, a bare
    tracking value as a one-item list, timestamps of mixed kinds."""
    fields: dict[str, Any] = {name: strings([d.get(name) for d in dicts]) for name in _TEXT}
    for name in _LISTS:
        fields[name] = _list_column([d.get(name) for d in dicts])
    for name in _TIMES:
        fields[name] = _time_values([d.get(name) for d in dicts])
    return fields


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


def _items_column(items: list[Any], rows: pa.Array | None, text: pa.DataType) -> pa.Array:
    """``items`` as JSON text. When every value is ``{}`` (what Panora sends) or null, the
    column is the constant ``"{}"`` with the nulls: no value is encoded. The nulls are
    found by identity (no value is read), and one ``count`` reads each value to check it
    is ``{}`` (equal to an empty dict: not ``[]``, not ``0``)."""
    null = np.fromiter(map(is_, items, repeat(None)), dtype=np.bool_, count=len(items))
    missing = int(null.sum())
    try:
        empty = items.count(_EMPTY)
    except (ValueError, TypeError):  # a value whose == is not a bool (an ndarray, say)
        empty = -1
    if empty + missing != len(items):
        return _take(json_column(items), rows, text)
    n_rows = len(items) if rows is None else len(rows)
    if not missing:
        return pa.repeat(pa.scalar("{}", text), n_rows)
    present = _take(pa.array(~null), rows, text)
    return pc.if_else(present, pa.scalar("{}", text), pa.scalar(None, text))


# --- laying out the rows -------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """Where every row comes from: its record, and its position in the flattened number
    and URL lists (``-1``: the list is shorter). One row per tracking position, one for a
    record without any; ``starts`` is each record's first row."""

    n_records: int
    counts: npt.NDArray[np.int64]
    starts: npt.NDArray[np.int64]
    row_record: npt.NDArray[np.intp]
    positions: npt.NDArray[np.int64]
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
            starts=starts,
            row_record=np.repeat(np.arange(len(counts), dtype=np.intp), rows),
            positions=np.arange(n_rows, dtype=np.int64) - np.repeat(starts, rows),
            number_pos=_spread_positions(number_lengths, starts, n_rows),
            url_pos=_spread_positions(url_lengths, starts, n_rows),
        )

    def rows(self, explode: bool) -> pa.Array | None:
        """The record of every row, for ``take``; ``None`` when rows are records."""
        if not explode or len(self.row_record) == self.n_records:
            return None
        return pa.array(self.row_record)

    def tracking_columns(self, numbers: pa.Array, urls: pa.Array) -> dict[str, pa.Array]:
        """``tracking_index``, ``tracking_number``, ``tracking_url`` from the flattened
        lists."""
        no_tracking = np.repeat(self.counts == 0, np.maximum(self.counts, 1))
        return {
            "tracking_index": pa.array(self.positions, mask=no_tracking),
            "tracking_number": numbers.take(_indices(self.number_pos)),
            "tracking_url": urls.take(_indices(self.url_pos)),
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


class _RecordIds:
    """A record's id, read from the ``id`` column (at the record's first row when ``starts``
    is given) only when a message needs it."""

    def __init__(self, ids: pa.Array, starts: npt.NDArray[np.int64] | None) -> None:
        self._ids = ids
        self._starts = starts

    def __getitem__(self, record: int) -> Any:
        row = record if self._starts is None else int(self._starts[record])
        return self._ids[row].as_py()


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
        where = np.array(rows, dtype=np.intp)
        columns[name] = place(infer_column(values), np.arange(len(where)), where, len(ids))
    return to_pandas(pa.table(columns))
