"""The list endpoints' query rules and cursor paging, as Panora implements them.

Upstream validates list queries with class-validator (``FetchObjectsQueryDto``):

* ``remote_data`` must be the string ``true`` or ``false``;
* ``limit`` goes through JavaScript's ``Number()`` and must be a number (default 50, no
  maximum); negative and fractional values pass validation and fail later, in the handler,
  with a 500 (:func:`limit_error`); ``0`` serves an empty page whose ``next_cursor`` is
  not null (a client that sends it loops forever);
* ``cursor`` is base64 of a UUID (decoded leniently, like Node's ``Buffer.from(s,
  "base64")``) and must decode to a UUID.

Any validation failure is ``400 Bad Request``. Paging is Prisma's ``take: limit + 1`` from
the cursor row, ordered by ``created_at`` only: when the extra row exists its id, base64-encoded,
becomes ``next_cursor``; ``prev_cursor`` is the request's cursor re-encoded. Because the
sort key is not unique, a page that starts at a cursor also re-serves the earlier rows that
share the cursor row's ``created_at``, so consecutive pages can overlap and clients must
deduplicate by id. (The sandbox keeps a guarantee upstream lacks: when a tie group is
longer than the page, the page starts at the cursor row itself, so paging always ends.)
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass

from fulfillkit.sandbox.dataset import RecordTable

__all__ = [
    "DEFAULT_LIMIT",
    "BadRequest",
    "ListQuery",
    "Page",
    "decode_cursor",
    "encode_cursor",
    "limit_error",
    "page",
    "parse_list_query",
]

DEFAULT_LIMIT = 50
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_JS_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_BASE64_JUNK = re.compile(r"[^A-Za-z0-9+/]")


class BadRequest(ValueError):
    """A list query that upstream's validation pipe rejects with 400."""


@dataclass(frozen=True)
class ListQuery:
    """A validated list query (``limit`` may still be negative or fractional)."""

    limit: float
    cursor: str | None
    remote_data: bool


@dataclass(frozen=True)
class Page:
    """Row positions to serve and the cursors to send back."""

    start: int
    stop: int
    prev_cursor: str | None
    next_cursor: str | None


def encode_cursor(record_id: str) -> str:
    """``Buffer.from(id).toString("base64")``."""
    return base64.b64encode(record_id.encode()).decode("ascii")


def decode_cursor(cursor: str) -> str:
    """``Buffer.from(cursor, "base64").toString()``: url-safe letters accepted, junk skipped."""
    cleaned = _BASE64_JUNK.sub("", cursor.split("=")[0].replace("-", "+").replace("_", "/"))
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]  # a lone trailing sextet carries no whole byte
    try:
        raw = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except binascii.Error as exc:  # pragma: no cover - cleaned input always decodes
        raise BadRequest(cursor) from exc
    return raw.decode("utf-8", errors="replace")


def _js_number(text: str) -> float:
    """JavaScript's ``Number(text)`` for the forms a query string can carry."""
    stripped = text.strip()
    if not stripped:
        return 0.0
    lowered = stripped.lower()
    if lowered.startswith(("0x", "0o", "0b")):
        try:
            return float(int(lowered, 0))
        except ValueError:
            return math.nan
    if stripped in {"Infinity", "+Infinity", "-Infinity"}:
        return math.inf if not stripped.startswith("-") else -math.inf
    if _JS_NUMBER.fullmatch(stripped):
        return float(stripped)
    return math.nan


def parse_list_query(params: dict[str, list[str]]) -> ListQuery:
    """Validate ``limit``, ``cursor`` and ``remote_data``; raise :class:`BadRequest`."""
    remote_data = False
    if "remote_data" in params:
        values = params["remote_data"]
        if len(values) != 1 or values[0] not in {"true", "false"}:
            raise BadRequest("remote_data")
        remote_data = values[0] == "true"
    limit: float = DEFAULT_LIMIT
    if "limit" in params:
        values = params["limit"]
        number = _js_number(values[0]) if len(values) == 1 else math.nan
        if not math.isfinite(number):
            raise BadRequest("limit")
        limit = number
    cursor = None
    if "cursor" in params:
        values = params["cursor"]
        if len(values) != 1:
            raise BadRequest("cursor")
        cursor = decode_cursor(values[0])
        if not _UUID.fullmatch(cursor):
            raise BadRequest("cursor")
    return ListQuery(limit, cursor, remote_data)


def limit_error(limit: float, model: str) -> str | None:
    """The 500 message upstream answers for a ``limit`` validation let through, or None.

    A fractional one reaches Prisma as ``take: limit + 1`` and fails its Int check; a
    negative one makes the handler read the id of a row that is not there (a TypeError).
    ``model`` is the Prisma model (``ecom_fulfilments``, ``ecom_orders``).

    Example:
        >>> limit_error(50, "ecom_orders") is None
        True
    """
    if limit != int(limit):
        return (
            f"\nInvalid `prisma.{model}.findMany()` invocation:\n\n\n"
            f"Argument `take`: Invalid value provided. Expected Int, provided Float."
        )
    if limit < 0:
        key = "id_ecom_fulfilment" if model == "ecom_fulfilments" else "id_ecom_order"
        return f"TypeError: Cannot read properties of undefined (reading '{key}')"
    return None


def page(
    table: RecordTable, limit: int, cursor_index: int | None, cursor: str | None, total: int
) -> Page:
    """The rows of one page among the first ``total`` rows of ``table`` (those that exist
    at the moment served; ``cursor_index``: position of the cursor row, if any, below
    ``total``)."""
    start = 0
    if cursor_index is not None:
        start = cursor_index
        stamp = table.created_ms(cursor_index)
        first = cursor_index
        while first > 0 and table.created_ms(first - 1) == stamp:
            first -= 1
        if first + limit > cursor_index:  # re-serve the ties, as long as the page advances
            start = first
    stop = min(start + limit, total)
    next_cursor = encode_cursor(table.ids[start + limit]) if start + limit < total else None
    prev_cursor = encode_cursor(cursor) if cursor is not None else None
    return Page(start, stop, prev_cursor, next_cursor)
