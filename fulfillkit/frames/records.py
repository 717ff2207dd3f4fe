"""Fulfillment records -> the record table: one row per record, every field typed.

:func:`record_table` reads fulfillments (:class:`~fulfillkit.models.Fulfillment` objects or
the plain dicts the API returns) into a ``pyarrow.Table`` of :data:`RECORD_SCHEMA`. It holds
everything :func:`~fulfillkit.frames.to_frame` shows, typed, so that a frame can be laid out
from it without the records (:mod:`fulfillkit.frames.layout`): ``to_frame`` itself is
``record_table`` + that layout, and a store that keeps the record table (DuckDB, Parquet)
gives back the same frame.

The records are read by Arrow itself: one conversion of the records into a struct array (the
text fields, the two tracking lists, the timestamps and Panora's flat text
``field_mappings`` as a ``map<string, string>``), timestamps parsed with one ``cast``.
Python still touches each record for what has no kernel: ``items`` (one ``itemgetter``
pass; ``{}``, the usual value, is a constant column with no JSON encoding), ``remote_data``
when asked for, and the records whose tracking list came out empty or all single
characters (Arrow reads a bare string as the list of its characters: only those can hide
one). Anything else (numbers as tracking numbers, nested field mappings, mixed kinds of
timestamps) falls back to a field-by-field read with the same result. Inputs are read in
slices of :data:`CHUNK` records, the chunks of the table.

Example:
    >>> table = record_table([{"id": "f1", "tracking_numbers": ["1Z1", "1Z2"],
    ...                        "field_mappings": {"size": "XL"}}])
    >>> table.num_rows, table.column("tracking_numbers").to_pylist()
    (1, [['1Z1', '1Z2']])
    >>> table.column("field_mappings").to_pylist()
    [[('size', 'XL')]]
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import repeat
from operator import attrgetter, is_, itemgetter, methodcaller
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fulfillkit.errors import InvalidDataError
from fulfillkit.frames.derive import shipment_statuses
from fulfillkit.frames.mappings import TEXT_MAP, json_column, text_map
from fulfillkit.frames.schema import ARROW_STRING, ARROW_TIMESTAMP, strings
from fulfillkit.frames.timestamps import parse_timestamps
from fulfillkit.models import Fulfillment

__all__ = [
    "CHUNK",
    "LIST_FIELDS",
    "RECORD_SCHEMA",
    "TEXT_FIELDS",
    "TIME_FIELDS",
    "Records",
    "checked_records",
    "has_remote_data",
    "record_batch",
    "record_batches",
    "record_table",
]

Records = Iterable[Fulfillment | Mapping[str, Any]]

TEXT_FIELDS: Final = ("id", "remote_id", "order_id", "carrier")
LIST_FIELDS: Final = ("tracking_numbers", "tracking_urls")
TIME_FIELDS: Final = ("created_at", "modified_at")
TEXT_LIST: Final = pa.list_(ARROW_STRING)

RECORD_SCHEMA: Final = pa.schema(
    [
        *((name, ARROW_STRING) for name in TEXT_FIELDS),
        *((name, TEXT_LIST) for name in LIST_FIELDS),
        *((name, ARROW_TIMESTAMP) for name in TIME_FIELDS),
        ("items", ARROW_STRING),
        ("field_mappings", TEXT_MAP),
        ("shipment_status", ARROW_STRING),
        ("remote_data", ARROW_STRING),
        pa.field("unparsed_timestamps", pa.bool_(), nullable=False),
        ("tracking_numbers_json", ARROW_STRING),
        ("tracking_urls_json", ARROW_STRING),
        ("field_mappings_json", ARROW_STRING),
    ]
)
"""The columns of :func:`record_table`, one row per record, in order:

* ``id, remote_id, order_id, carrier``: text as sent (numbers written with ``str``);
* ``tracking_numbers, tracking_urls``: ``list<string>``, a null list kept null (a bare
  value is a one-item list, numbers are text: what the exploded frame shows);
* ``created_at, modified_at``: ``timestamp[us, tz=UTC]``, null where absent or not
  parseable;
* ``items``: JSON text as the frame shows it (``{}`` for Panora's usual value);
* ``field_mappings``: Panora's flat text object as ``map<string, string>`` (null or an
  empty map as sent); null when the record's mappings are not flat text (below);
* ``shipment_status``, ``remote_data``: Shopify's status as the frame derives it and the
  provider's record as JSON text; null unless remote data was read;
* ``unparsed_timestamps``: the record had a ``created_at`` / ``modified_at`` that could not
  be parsed (the frame warns naming its id);
* ``tracking_numbers_json, tracking_urls_json, field_mappings_json``: the value as sent,
  as JSON text, only where the typed column cannot hold it verbatim (a tracking "list"
  that is a bare value or holds numbers; mappings with numbers, booleans or nested
  objects, which Panora never sends); null otherwise. JSON holds what the frame needs of
  them; a value JSON cannot hold (a ``datetime`` in a hand-built dict) is kept as
  :data:`~fulfillkit.formatting.to_json` writes it, its ``str``.

Every type survives a DuckDB table and Parquet (read back, cast to this schema)."""

CHUNK: Final = 16_384
"""Records per slice (and so rows per chunk of a record table, and records per step of the
layout): large enough that the per-slice overhead of the kernels is small, small enough
that a slice's intermediate arrays stay in cache."""

_ITEMS: Final = itemgetter("items")
_EMPTY: Final[dict[str, Any]] = {}
_PRIVATE: Final = attrgetter("__pydantic_private__")  # a slot: ._unparsed_timestamps is 10x slower
_CONVERSION_ERRORS: Final = (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, KeyError, IndexError)


def checked_records(
    data: object,
    *,
    what: str,
    kinds: tuple[type, ...] = (Fulfillment,),
    noun: str = "fulfillment records (fk.Fulfillment objects or the API's dicts)",
) -> list[Any]:
    """``data`` as a list of records (``kinds`` objects or mappings), else
    :class:`~fulfillkit.InvalidDataError` naming what was given and what to pass, before any
    work. A frame, a table or an object with its own ``to_frame()`` (a batch, a store) is
    refused too: it is not records, and says how to get a frame from it.

    Example:
        >>> checked_records(({"id": "a"},), what="to_frame")
        [{'id': 'a'}]
    """

    def refuse(got: str) -> InvalidDataError:
        return InvalidDataError(f"{what} takes {noun}; got {got}")

    if isinstance(data, (str, bytes, os.PathLike)):
        raise refuse(f"a path or text {str(data)[:60]!r} (read a file with fk.read_frame)")
    if hasattr(data, "columns") or isinstance(data, (pa.Table, pa.RecordBatch)):
        raise refuse(f"a {type(data).__name__}, which is a table already")
    if isinstance(data, (Mapping, *kinds)):
        raise refuse("a single record (wrap it in a list)")
    if not isinstance(data, Iterable):
        has_own = callable(getattr(data, "to_frame", None))
        own = " (it has .to_frame(): call that)" if has_own else ""
        raise refuse(f"{type(data).__name__}{own}")
    records = data if isinstance(data, list) else list(data)
    for position, record in enumerate(records):
        if type(record) is not dict and not isinstance(record, (Mapping, *kinds)):
            kind = type(record).__name__
            raise refuse(f"a {type(data).__name__} whose item {position} is {kind!r}")
    return records


def has_remote_data(record: Any) -> bool:
    """Whether a record (model or mapping) carries the provider's raw data.

    Example:
        >>> has_remote_data({"id": "f1", "remote_data": {"status": "success"}})
        True
    """
    if isinstance(record, Fulfillment):
        return record.remote_data is not None
    return isinstance(record, Mapping) and record.get("remote_data") is not None


def record_table(records: Records, *, remote_data: bool | None = None) -> pa.Table:
    """Fulfillments as a record table: one row per record, :data:`RECORD_SCHEMA`, in
    chunks of :data:`CHUNK` records.

    ``remote_data``: fill ``shipment_status`` and ``remote_data``; ``None`` (default):
    exactly when some record carries remote data, as :func:`~fulfillkit.frames.to_frame`
    decides. Otherwise those two columns are null (no JSON is written).

    Lay it out as the frame with :func:`~fulfillkit.frames.frame_from_record_table`; keep
    it in DuckDB or Parquet as it is (extra per-record columns, such as a store's
    ``connection``, may be appended and are carried onto the frame's rows).

    Example:
        >>> table = record_table([{"id": "f1", "created_at": "soon"}])
        >>> table.column("unparsed_timestamps").to_pylist(), table.schema == RECORD_SCHEMA
        ([True], True)
    """
    _, batches = record_batches(checked_records(records, what="record_table"), remote_data)
    return pa.Table.from_batches(batches, schema=RECORD_SCHEMA)


def record_batches(
    records: list[Any], remote_data: bool | None
) -> tuple[bool, Iterator[pa.RecordBatch]]:
    """Checked ``records`` as :func:`record_batch` slices of :data:`CHUNK` records, each
    read only when the iterator gets to it; and ``remote_data`` decided once for all of
    them, as they must agree (``None``: exactly when some record carries remote data).

    Example:
        >>> remote, batches = record_batches([{"id": "f1"}], None)
        >>> remote, [batch.num_rows for batch in batches]
        (False, [1])
    """
    decided = any(map(has_remote_data, records)) if remote_data is None else remote_data
    batches = (
        record_batch(records[start : start + CHUNK], remote_data=decided)
        for start in range(0, len(records), CHUNK)
    )
    return decided, batches


def record_batch(records: list[Any], *, remote_data: bool) -> pa.RecordBatch:
    """One slice of :func:`record_table` (any length; :data:`CHUNK` records keeps the
    intermediate arrays in cache), as a ``RecordBatch`` of :data:`RECORD_SCHEMA`.

    Example:
        >>> record_batch([{"id": "f1"}], remote_data=False).num_rows
        1
    """
    source = _read(records)
    fields = source.fields
    n = len(records)
    columns: dict[str, pa.Array] = {name: fields[name] for name in TEXT_FIELDS + LIST_FIELDS}
    bad = np.zeros(n, dtype=np.bool_)
    bad[source.flagged] = True
    for name in TIME_FIELDS:
        columns[name], unparsed = parse_timestamps(fields[name])
        bad |= unparsed
    columns["items"] = _items_column(source.items)
    mappings, sent_mappings = _mappings(fields.get("field_mappings"), source.dicts)
    columns["field_mappings"] = mappings
    if remote_data:
        raws = [d.get("remote_data") for d in source.dicts]
        columns["shipment_status"] = shipment_statuses(raws)
        columns["remote_data"] = json_column(raws)
    else:
        columns["shipment_status"] = columns["remote_data"] = pa.nulls(n, ARROW_STRING)
    columns["unparsed_timestamps"] = pa.array(bad, type=pa.bool_())
    for name in LIST_FIELDS:
        columns[f"{name}_json"] = source.sent.get(name, pa.nulls(n, ARROW_STRING))
    columns["field_mappings_json"] = sent_mappings
    return pa.RecordBatch.from_pydict(columns, schema=RECORD_SCHEMA)


# --- reading the records -------------------------------------------------------------------


@dataclass
class _Source:
    """The records as read: ``fields`` are per-record Arrow arrays (the text fields, the
    tracking lists, the timestamps as text or timestamps, and ``field_mappings`` as a
    ``map<string, string>`` when every record's is Panora's flat text object); ``items``
    the Python values; ``dicts`` every record as a mapping; ``flagged`` the positions of
    models that kept unparsed timestamp text; ``sent`` the tracking lists as JSON text where
    the ``list<string>`` does not hold them verbatim."""

    fields: dict[str, pa.Array]
    items: list[Any]
    dicts: list[Mapping[str, Any]]
    flagged: list[int]
    sent: dict[str, pa.Array] = field(default_factory=dict)


def _read(given: list[Any]) -> _Source:
    """Read the records, with Arrow doing the work wherever the values have their
    expected types.

    The API's own shape (plain dicts holding every field, which ``json.loads`` gives) is
    read in two passes over the records: one for ``items`` (which has no Arrow type:
    ``{}`` or a list) and one Arrow conversion of everything else into a struct array.
    Models are read through their field dict, without a copy."""
    try:
        items = list(map(_ITEMS, given))  # a KeyError / TypeError: not the API's shape
    except (KeyError, TypeError):
        dicts, flagged = _dicts(given)
        items = [d.get("items") for d in dicts]
    else:
        dicts, flagged = given, []
    source = _Source({}, items, dicts, flagged)
    if not _struct_fields(source):
        _python_fields(source)
    return source


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


def _struct_fields(source: _Source) -> bool:
    """The scalar fields, the tracking lists and the timestamps (and ``field_mappings``
    when it is text only) read by Arrow in one conversion into ``source.fields``; False
    when some value has another type (numbers as tracking numbers, say).

    A model's timestamps are ``datetime`` objects, which Arrow converts twice as fast from
    a list than inside a struct: those are read apart."""
    dicts = source.dicts
    sample = next((d.get("created_at") for d in dicts if d.get("created_at") is not None), None)
    as_text = not isinstance(sample, datetime)
    base = [(n, ARROW_STRING) for n in TEXT_FIELDS] + [(n, TEXT_LIST) for n in LIST_FIELDS]
    if as_text:
        base += [(n, ARROW_STRING) for n in TIME_FIELDS]
    for extra in ([("field_mappings", TEXT_MAP)], []):
        try:
            struct = pa.array(dicts, type=pa.struct(base + extra))
        except _CONVERSION_ERRORS:
            continue
        fields = {name: struct.field(name) for name, _ in base + extra}
        for name in LIST_FIELDS:
            if _bare_values(fields[name], dicts, name):
                values = [d.get(name) for d in dicts]
                fields[name], source.sent[name] = _list_column(values), _sent_lists(values)
        if not as_text:
            for name in TIME_FIELDS:
                fields[name] = _time_values(list(map(methodcaller("get", name), dicts)))
        source.fields = fields
        return True
    return False


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


def _python_fields(source: _Source) -> None:
    """:func:`_struct_fields` field by field, with Python clean-up: numbers as text, a bare
    tracking value as a one-item list, timestamps of mixed kinds."""
    dicts = source.dicts
    fields: dict[str, Any] = {name: strings([d.get(name) for d in dicts]) for name in TEXT_FIELDS}
    for name in LIST_FIELDS:
        values = [d.get(name) for d in dicts]
        fields[name], source.sent[name] = _list_column(values), _sent_lists(values)
    for name in TIME_FIELDS:
        fields[name] = _time_values([d.get(name) for d in dicts])
    source.fields = fields


def _list_column(values: list[Any]) -> pa.Array:
    """A ``list<string>`` column: a tuple as it is, any other bare value as one item, items
    that are not text written with ``str``."""
    lists = [v if v is None or type(v) is list else _as_list(v) for v in values]
    lengths = np.array([0 if v is None else len(v) for v in lists], dtype=np.int32)
    offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int32)])
    flat = strings([item for v in lists if v for item in v])
    nulls = pa.array([v is None for v in lists], type=pa.bool_())
    return pa.ListArray.from_arrays(pa.array(offsets), flat, mask=nulls)


def _as_list(value: Any) -> list[Any]:
    """A tracking "list" that is not a list: a tuple as it is, a bare value as one item."""
    return list(value) if isinstance(value, tuple) else [value]


def _is_text_list(value: Any) -> bool:
    """A null, or a list or tuple of text and nulls: what ``list<string>`` holds verbatim."""
    return value is None or (
        type(value) in (list, tuple) and all(v is None or type(v) is str for v in value)
    )


def _sent_lists(values: list[Any]) -> pa.Array:
    """JSON text of the tracking values ``list<string>`` cannot hold verbatim (a bare
    value, numbers); null for the rest."""
    return json_column([None if _is_text_list(v) else v for v in values])


def _time_values(values: list[Any]) -> pa.Array | list[Any]:
    """Timestamps as an Arrow array when they are all text or all datetimes; otherwise the
    Python values, for :func:`parse_timestamps` to parse what it can and report the rest."""
    for arrow_type in (ARROW_STRING, ARROW_TIMESTAMP):
        try:
            return pa.array(values, type=arrow_type)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
    return values


def _items_column(items: list[Any]) -> pa.Array:
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
        return json_column(items)
    constant = pa.scalar("{}", ARROW_STRING)
    if not missing:
        return pa.repeat(constant, len(items))
    return pc.if_else(pa.array(~null), constant, pa.scalar(None, ARROW_STRING))


def _is_flat_text(mapping: Any) -> bool:
    """A null, or Panora's flat ``{text: text or null}`` object (``map<string, string>``)."""
    return mapping is None or (
        type(mapping) is dict
        and all(type(k) is str and (v is None or type(v) is str) for k, v in mapping.items())
    )


def _mappings(found: pa.Array | None, dicts: list[Mapping[str, Any]]) -> tuple[pa.Array, pa.Array]:
    """``field_mappings`` as (``map<string, string>``, JSON text as sent): the map when the
    struct conversion read it, else Arrow's conversion of all of them (as
    :func:`~fulfillkit.frames.mappings.text_map`), else record by record: the flat text ones
    in the map, the others as JSON text (and null in the map)."""
    n = len(dicts)
    if found is not None:
        return found, pa.nulls(n, ARROW_STRING)
    values = [d.get("field_mappings") for d in dicts]
    as_map = text_map(values)
    if isinstance(as_map, pa.MapArray):
        return as_map, pa.nulls(n, ARROW_STRING)
    flat = [_is_flat_text(v) for v in values]
    mapped = [v if ok else None for v, ok in zip(values, flat, strict=True)]
    sent = [None if ok else v for v, ok in zip(values, flat, strict=True)]
    return pa.array(mapped, type=TEXT_MAP), json_column(sent)
