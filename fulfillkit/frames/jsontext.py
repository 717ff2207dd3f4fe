"""JSON text of typed Arrow columns, written with Arrow kernels: the exact text
:data:`~fulfillkit.formatting.to_json` writes for the same Python values.

A record table (:mod:`fulfillkit.frames.records`) keeps the tracking lists as
``list<string>`` and Panora's ``field_mappings`` as ``map<string, string>``; the frames show
them as JSON text where asked (``explode=False``, ``field_mappings="json"``). Writing that
text from the typed columns costs a few string kernels per column instead of one
``json.dumps`` per record: strings are escaped as Python's encoder escapes them with
``ensure_ascii=False`` (``\\``, ``"`` and the control characters, nothing else), entries
joined with ``,`` and no spaces.

Example:
    >>> import pyarrow as pa
    >>> json_lists(pa.array([["1Z", None], [], None], pa.list_(pa.string()))).to_pylist()
    ['["1Z",null]', '[]', None]
    >>> maps = pa.array([[("size", 'X"L')], None], pa.map_(pa.string(), pa.string()))
    >>> json_maps(maps).to_pylist()
    ['{"size":"X\\\\"L"}', None]
"""

from __future__ import annotations

import json
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fulfillkit.frames.schema import ARROW_STRING

__all__ = ["json_lists", "json_maps", "json_strings"]

_CONTROL: Final = r"[\x00-\x1f]"
_ESCAPES: Final = tuple((chr(code), json.dumps(chr(code))[1:-1]) for code in range(0x20))
"""Each control character and the escape Python's encoder writes for it (``\\n``,
``\\u0000``...): taken from the encoder itself, so the two cannot disagree."""
_NULL: Final = pa.scalar("null", ARROW_STRING)


def json_strings(text: pa.Array) -> pa.Array:
    """Each text value as a JSON string literal (quoted, escaped); null stays null.

    Example:
        >>> json_strings(pa.array(['a"b', "tab\\t", None])).to_pylist()
        ['"a\\\\"b"', '"tab\\\\t"', None]
    """
    text = text.cast(ARROW_STRING)
    escaped = pc.replace_substring(pc.replace_substring(text, "\\", "\\\\"), '"', '\\"')
    if len(escaped) and pc.any(pc.match_substring_regex(escaped, _CONTROL)).as_py():
        for char, escape in _ESCAPES:  # rare: only text that holds a control character
            escaped = pc.replace_substring(escaped, char, escape)
    return pc.binary_join_element_wise('"', escaped, '"', "")


def _values(text: pa.Array) -> pa.Array:
    """JSON values of nullable text: a string literal, or ``null``."""
    return pc.coalesce(json_strings(text), _NULL)


def _joined(lists: pa.Array, items: pa.Array, opening: str, closing: str) -> pa.Array:
    """``opening + ",".join(items of each list) + closing``, null for a null list; ``items``
    are the list's flattened values (what ``list_flatten`` gives), already JSON."""
    lengths = np.asarray(pc.fill_null(pc.list_value_length(lists), 0).to_numpy(), np.int32)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    regrouped = pa.ListArray.from_arrays(pa.array(offsets), items, mask=lists.is_null())
    return pc.binary_join_element_wise(opening, pc.binary_join(regrouped, ","), closing, "")


def json_lists(lists: pa.Array) -> pa.Array:
    """``list<string>`` -> JSON arrays of strings and ``null`` (a null list stays null).

    Example:
        >>> json_lists(pa.array([["a", "é"]], pa.list_(pa.string()))).to_pylist()
        ['["a","é"]']
    """
    return _joined(lists, _values(pc.list_flatten(lists)), "[", "]")


def json_maps(maps: pa.Array) -> pa.Array:
    """``map<string, string>`` -> JSON objects in the map's key order (a null map stays
    null; an empty one is ``{}``).

    Example:
        >>> maps = pa.array([[("a", None)], []], pa.map_(pa.string(), pa.string()))
        >>> json_maps(maps).to_pylist()
        ['{"a":null}', '{}']
    """
    entry = pa.struct([maps.type.key_field, maps.type.item_field])
    lists = maps.view(pa.list_(pa.field("entries", entry, nullable=False)))  # no copy
    entries = pc.list_flatten(lists)
    keys = json_strings(pc.struct_field(entries, [0]))
    items = pc.binary_join_element_wise(keys, _values(pc.struct_field(entries, [1])), ":")
    return _joined(lists, items, "{", "}")
