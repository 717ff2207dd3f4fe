"""Records exactly as the server sent them: the bytes behind each parsed record.

The store keeps every record verbatim (its JSON, byte for byte) beside typed columns.
A record fetched by id is its whole response body; a record in a list page is a slice of
the page's body, found here with the standard library's own JSON scanner
(``json.JSONDecoder.raw_decode``, which reports where each value ends) rather than by
re-serialising the parsed value, which would change number spellings and escapes.

Example:
    >>> body = b'{"prev_cursor":null,"next_cursor":"eA==","data":[{"id":"a","n":1.0},{"id":"b"}]}'
    >>> record_slices(body)
    [b'{"id":"a","n":1.0}', b'{"id":"b"}']
"""

from __future__ import annotations

import json
from typing import Any, Final

__all__ = ["keep_raw", "record_slices"]

_DECODER: Final = json.JSONDecoder()
_SPACE: Final = " \t\n\r"


def _skip(text: str, at: int, also: str = "") -> int:
    while at < len(text) and (text[at] in _SPACE or text[at] in also):
        at += 1
    return at


def record_slices(body: bytes) -> list[bytes]:
    """The UTF-8 bytes of each element of a page's top-level ``data`` array, in order.

    Raises:
        ValueError: the body is not a JSON object with a ``data`` array.
    """
    text = body.decode("utf-8")
    at = _skip(text, 0)
    if not text.startswith("{", at):
        raise ValueError("a page is a JSON object")
    at = _skip(text, at + 1)
    while at < len(text) and text[at] != "}":
        key, at = _DECODER.raw_decode(text, at)
        at = _skip(text, at)
        if not text.startswith(":", at):
            raise ValueError("expected ':' in the page object")
        at = _skip(text, at + 1)
        if key == "data" and text.startswith("[", at):
            return _elements(text, at + 1)
        _, at = _DECODER.raw_decode(text, at)
        at = _skip(text, at, ",")
    raise ValueError("the page has no data array")


def _elements(text: str, at: int) -> list[bytes]:
    out: list[bytes] = []
    at = _skip(text, at)
    while at < len(text) and text[at] != "]":
        _, end = _DECODER.raw_decode(text, at)
        out.append(text[at:end].encode("utf-8"))
        at = _skip(text, end, ",")
    return out


def keep_raw(value: Any, body: bytes) -> Any:
    """Attach to ``value`` (a record, or a page whose ``data`` are records) the bytes each
    record came from; return ``value``.

    Raises:
        ValueError: a page's slices do not line up with its parsed records.
    """
    data = getattr(value, "data", None)
    if isinstance(data, list):
        slices = record_slices(body)
        if len(slices) != len(data):
            raise ValueError("page records and their JSON slices differ in number")
        for record, raw in zip(data, slices, strict=True):
            record.keep_raw_json(raw)
    else:
        value.keep_raw_json(body)
    return value
