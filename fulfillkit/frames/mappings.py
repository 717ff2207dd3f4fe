"""``field_mappings`` -> one Arrow column per key, and typing a column of Python values.

Panora builds ``field_mappings`` as a flat ``{attribute_slug: "text"}`` object whose values
are always strings (the database column is text): that common case is converted by Arrow
in one call (a ``map<string, string>`` array) and split into columns with kernels. The API
types it as a free object, so anything else (numbers, booleans, nested dicts flattened with
``sep`` like ``pd.json_normalize``) is still accepted, through a Python pass.

Values stay as sent: ``"42"`` is the text ``"42"``. A column whose values are all Python
numbers or booleans (only possible outside Panora's own server) gets the narrowest type
holding them (:func:`infer_column`).

Example:
    >>> columns = mapping_columns([{"size": "XL"}, None, {"size": "M", "gift": "true"}], 3,
    ...                           [None] * 3, ".")
    >>> {name: array.to_pylist() for name, array in columns.items()}
    {'size': ['XL', None, 'M'], 'gift': [None, None, 'true']}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from fulfillkit.errors import FulfillkitError
from fulfillkit.formatting import to_json
from fulfillkit.frames.schema import ARROW_STRING, FIELD_MAPPINGS_PREFIX, strings

__all__ = [
    "TEXT_MAP",
    "FieldMappingCollisionError",
    "id_list",
    "infer_column",
    "json_column",
    "mapping_columns",
    "place",
    "text_map",
]

_MAX_IDS_IN_MESSAGE: Final = 10
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
_FLOAT_EXACT: Final = 2**53
TEXT_MAP: Final = pa.map_(pa.string(), pa.string())
"""Panora's ``field_mappings``: text keys, text values."""


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
            f"column {column!r} (fulfillment ids {id_list(self.ids)}); pass another sep= "
            "to to_frame() to keep them apart"
        )


def mapping_columns(
    mappings: Sequence[Any] | pa.MapArray,
    n: int,
    ids: Any,
    sep: str,
    rows: npt.NDArray[np.intp] | None = None,
) -> dict[str, pa.Array]:
    """Per flattened key, in order of first appearance, a column with one value per record
    (``n`` of them), null where the record lacks the key; or, given ``rows`` (the record
    of each output row), one value per row.

    ``mappings`` is the ``field_mappings`` of each record, or those already read by Arrow
    as a ``map<string, string>`` array (Panora's shape).

    Raises:
        FieldMappingCollisionError: two different keys flatten to the same name.
    """
    if not isinstance(mappings, pa.MapArray):
        if not any(mappings):  # the usual case: every record has {} or null
            return {}
        mappings = text_map(mappings)
    if isinstance(mappings, pa.MapArray):
        return _split_map(mappings, n, rows)
    return _python_columns(mappings, n, ids, sep, rows)


def text_map(mappings: Sequence[Any]) -> pa.MapArray | Sequence[Any]:
    """The records' ``field_mappings`` as a ``map<string, string>`` array when every one is
    Panora's flat text object (or null), else the values as they are (nested or non-text
    values are read in Python).

    Example:
        >>> text_map([{"gift_wrap": "true"}, None]).type
        MapType(map<string, string>)
        >>> text_map([{"boxes": 2}])
        [{'boxes': 2}]
    """
    try:
        found: pa.MapArray = pa.array(mappings, type=TEXT_MAP, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return mappings
    return found


def _split_map(text: pa.MapArray, n: int, rows: npt.NDArray[np.intp] | None) -> dict[str, pa.Array]:
    """A ``map<string, string>`` array -> one column per key, one ``take`` per column."""
    offsets = np.asarray(text.offsets.to_numpy(), dtype=np.intp)
    start, stop = int(offsets[0]), int(offsets[-1])
    if stop == start:
        return {}
    keys, values = text.keys.slice(start, stop - start), text.items.slice(start, stop - start)
    parents = np.repeat(np.arange(len(text), dtype=np.intp), np.diff(offsets))
    names = pc.unique(keys)  # in order of first appearance
    codes = np.asarray(pc.index_in(keys, value_set=names).to_numpy(), dtype=np.intp)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    return {
        name: place(values, order[bounds[k] : bounds[k + 1]], parents, n, rows)
        for k, name in enumerate(names.to_pylist())
    }


def place(
    values: pa.Array,
    entries: npt.NDArray[np.intp],
    records: npt.NDArray[np.intp],
    n: int,
    rows: npt.NDArray[np.intp] | None = None,
) -> pa.Array:
    """A column of ``n`` records, null except ``values[entries]`` at records
    ``records[entries]``, laid out on ``rows`` when given (the record of each row); in one
    ``take``.

    Example:
        >>> place(pa.array(["a", "b"]), np.array([1]), np.array([0, 2]), 3).to_pylist()
        [None, None, 'b']
    """
    layout = np.full(n, -1, dtype=np.intp)
    layout[records[entries]] = entries
    if rows is not None:
        layout = layout[rows]
    return values.take(pa.array(layout, mask=layout < 0))


def _python_columns(
    mappings: Sequence[Any], n: int, ids: Any, sep: str, rows: npt.NDArray[np.intp] | None
) -> dict[str, pa.Array]:
    """The general case: values of any JSON type, nested dicts flattened with ``sep``."""
    # column name -> (key path that made it, values, record positions)
    columns: dict[str, tuple[tuple[str, ...], list[Any], list[int]]] = {}
    for i, mapping in enumerate(mappings):
        if not mapping or not (type(mapping) is dict or isinstance(mapping, Mapping)):
            continue
        flat: dict[tuple[str, ...], Any] = {}
        _flatten_paths(mapping, (), flat)
        for path, leaf in flat.items():
            name = sep.join(path)
            column = columns.get(name)
            if column is None:
                columns[name] = (path, [leaf], [i])
            elif column[0] == path:
                column[1].append(leaf)
                column[2].append(i)
            else:
                raise FieldMappingCollisionError(
                    FIELD_MAPPINGS_PREFIX + sep + name, column[0], path, [ids[column[2][0]], ids[i]]
                )
    return {
        name: place(
            infer_column(values), np.arange(len(where)), np.array(where, dtype=np.intp), n, rows
        )
        for name, (_, values, where) in columns.items()
    }


def _flatten_paths(
    mapping: Mapping[Any, Any], path: tuple[str, ...], out: dict[tuple[str, ...], Any]
) -> None:
    """Nested dicts -> {key path: leaf}; an empty nested dict is a leaf (kept as ``{}``)."""
    for key, value in mapping.items():
        here = (*path, key if type(key) is str else str(key))
        if value and (
            type(value) is dict or (type(value) is not str and isinstance(value, Mapping))
        ):
            _flatten_paths(value, here, out)
        else:
            out[here] = value


def infer_column(values: Sequence[Any]) -> pa.Array:
    """The narrowest Arrow type that holds every value, else JSON text.

    ``str`` -> string (the common case); ``bool`` -> bool; ``int`` (within int64) -> int64;
    ``int``/``float`` -> double; anything else or a mix -> JSON text per value.

    Example:
        >>> infer_column([1, None]).type, infer_column(["1", 2]).to_pylist()
        (DataType(int64), ['"1"', '2'])
    """
    kinds = {type(v) for v in values if v is not None}
    if not kinds or kinds == {str}:
        return pa.array(values, type=ARROW_STRING)
    if kinds == {bool}:
        return pa.array(values, type=pa.bool_())
    if kinds == {int} and all(_INT64_MIN <= v <= _INT64_MAX for v in values if v is not None):
        return pa.array(values, type=pa.int64())
    if kinds <= {int, float} and all(_exact_float(v) for v in values if v is not None):
        return pa.array([None if v is None else float(v) for v in values], type=pa.float64())
    return json_column(values)


def json_column(values: Sequence[Any]) -> pa.Array:
    """JSON text per value (``None`` -> null); ``{}``, the usual ``items``, costs no encoding.

    Example:
        >>> json_column([{}, None, [1, "é"]]).to_pylist()
        ['{}', None, '[1,"é"]']
    """
    dump = to_json
    return strings(
        [None if v is None else "{}" if type(v) is dict and not v else dump(v) for v in values]
    )


def _exact_float(value: float) -> bool:
    """Not NaN (it would read as NA), and an int that a float holds exactly."""
    if type(value) is int:
        return -_FLOAT_EXACT <= value <= _FLOAT_EXACT
    return value == value


def _key_path(path: tuple[str, ...]) -> str:
    return "".join(f"[{key!r}]" for key in path)


def id_list(ids: Sequence[Any]) -> str:
    """Ids for a message: the first ten, then how many more."""
    shown = ", ".join(repr(i) for i in ids[:_MAX_IDS_IN_MESSAGE])
    more = len(ids) - _MAX_IDS_IN_MESSAGE
    return shown + (f" and {more} more" if more > 0 else "")
