"""The sandbox Panora server: a plain ASGI 3 app that answers like the real one.

No web framework: routing, auth and errors follow Panora's NestJS/Express server (see
``PANORA-FACTS.md`` in the project's reference material), including its quirks:

* CORS first, as ``app.enableCors()``: every answer carries
  ``Access-Control-Allow-Origin: *`` and ``OPTIONS`` on any path is a bodiless 204;
* routes ``GET /ecommerce/{fulfillments,orders}[/{id}]``; the id is one path segment,
  percent-decoded as UTF-8, so ``/``, ``?``, ``#``, ``%``, spaces and ``..`` sent encoded
  arrive verbatim; anything else is ``404 Cannot GET /path``;
* the throttle (on by default, Panora's 100 requests per 60 s per route and client IP; see
  :mod:`fulfillkit.sandbox.ratelimit`) runs on every route, before auth: ``X-RateLimit-*``
  headers on each answer, 429 ``ThrottlerException: Too Many Requests`` with
  ``Retry-After`` over the limit;
* then the ``x-api-key`` check (missing: 401, unknown: 500 ``API Key not found.``), then
  the connection token: a *missing* ``x-connection-token`` silently selects another
  connection (the sandbox holds a second dataset for it, so the danger shows), an unknown
  one is 500 ``Connection undefined for token <tok>`` on retrieve and
  ``ReferenceError: Connection undefined for token <tok>`` on the list endpoints;
* retrieve ignores the connection (upstream looks the id up globally); a UUID in any case
  answers the canonical (lower-case) record, an unknown UUID is 500 ``Fulfillment with ID
  <id> not found.``, a non-UUID a 500 Prisma UUID error; ``remote_data`` with any
  non-empty value, ``false`` included, means true;
* list validation and paging live in :mod:`fulfillkit.sandbox.paging`; a negative or
  fractional ``limit`` passes validation and fails with a 500 (a TypeError or Prisma
  error), a non-numeric one is 400;
* orders have no ``items`` key and whole-number totals (see :mod:`fulfillkit.sandbox.data`);
* errors are ``{"statusCode", "timestamp", "path", "message"}`` with ``path`` the raw URL.

Serialised records are cached as bytes per (record, remote_data), so a zero-latency
benchmark measures the client, not this server.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
import uuid
from collections.abc import Awaitable, Callable, Collection, MutableMapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from fulfillkit.sandbox.data import Dataset, RecordTable, make_dataset
from fulfillkit.sandbox.faults import Faults
from fulfillkit.sandbox.paging import BadRequest, limit_error, page, parse_list_query
from fulfillkit.sandbox.ratelimit import RateLimiter, default_rate_limit
from fulfillkit.sandbox.stats import SandboxStats

__all__ = [
    "SANDBOX_API_KEY",
    "SANDBOX_CONNECTION_TOKEN",
    "DroppedConnection",
    "SandboxApp",
]

SANDBOX_API_KEY = "sandbox-api-key"
SANDBOX_CONNECTION_TOKEN = "sandbox-connection-token"  # noqa: S105 - public sandbox value

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

_JSON = b"application/json; charset=utf-8"
_HTML = b"text/html; charset=utf-8"
_RESOURCES = {"fulfillments": "Fulfillment", "orders": "Order"}
_PRISMA_TABLES = {"fulfillments": "ecom_fulfilments", "orders": "ecom_orders"}
_CORS_PREFLIGHT = (
    (b"access-control-allow-methods", b"GET,HEAD,PUT,PATCH,POST,DELETE"),
    (b"vary", b"Access-Control-Request-Headers"),
)
_HEX_OR_DASH = frozenset("0123456789abcdefABCDEF-")
_UUID_GROUPS = (8, 4, 4, 4, 12)
_GATEWAY_PAGES = {
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised by the app to cut a response short (fault kinds ``drop`` and ``truncate``).

    Over a socket the server closes the connection; through ``httpx.ASGITransport`` the
    exception reaches the client as itself, an :class:`httpx.RemoteProtocolError`.
    """


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _uuid_problem(text: str) -> str | None:
    """Why Postgres (through Prisma's ``uuid`` crate) would refuse ``text``, or None."""
    body = text
    if body[:9].lower() == "urn:uuid:":
        body = body[9:]
    elif body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    for position, char in enumerate(body, start=1):
        if char not in _HEX_OR_DASH:
            return (
                "invalid character: expected an optional prefix of `urn:uuid:` followed by "
                f"[0-9a-fA-F-], found `{char}` at {position}"
            )
    if "-" not in body:
        if len(body) != 32:
            return f"invalid length: expected length 32 for simple format, found {len(body)}"
        return None
    groups = body.split("-")
    if len(groups) != len(_UUID_GROUPS):
        return f"invalid group count: expected 5, found {len(groups)}"
    for index, (group, expected) in enumerate(zip(groups, _UUID_GROUPS, strict=True)):
        if len(group) != expected:
            return f"invalid group length in group {index}: expected {expected}, found {len(group)}"
    return None


class _Response:
    """A response ready to send."""

    __slots__ = ("body", "content_type", "express", "headers", "status")

    def __init__(
        self,
        status: int,
        body: bytes,
        content_type: bytes = _JSON,
        headers: Sequence[tuple[bytes, bytes]] = (),
        *,
        express: bool = True,
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = list(headers)
        self.express = express  # False: a gateway's page (no Express, no CORS headers)

    def raw_headers(self) -> Headers:
        headers = [(b"content-type", self.content_type)] if self.content_type else []
        headers.append((b"content-length", str(len(self.body)).encode()))
        if self.express:
            headers += [(b"x-powered-by", b"Express"), (b"access-control-allow-origin", b"*")]
        return [*headers, *self.headers]


class _Request:
    """What the handlers need from one HTTP scope."""

    __slots__ = ("client", "headers", "method", "params", "query", "raw_path", "url")

    def __init__(self, scope: Scope) -> None:
        self.method: str = scope["method"]
        client = scope.get("client")
        self.client: str = str(client[0]) if client else ""
        raw = scope.get("raw_path") or scope["path"].encode()
        self.raw_path = raw.split(b"?", 1)[0].decode("latin-1")
        self.query: str = scope.get("query_string", b"").decode("latin-1")
        self.url = f"{self.raw_path}?{self.query}" if self.query else self.raw_path
        self.params = urllib.parse.parse_qs(self.query, keep_blank_values=True)
        self.headers: dict[str, str] = {}
        for name, value in scope.get("headers", ()):
            self.headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))


class SandboxApp:
    """An in-memory Panora serving one :class:`Dataset` (ASGI 3; lifespan supported).

    Args:
        dataset: what the sandbox connection holds; by default ``make_dataset(n, seed=seed)``.
        n, seed: used only when ``dataset`` is None.
        api_keys: keys that authenticate.
        connection_tokens: tokens that select the sandbox connection.
        latency: seconds to wait before answering each request.
        rate_limit: ``(limit, window_seconds)`` per route and client IP, or None for no
            throttle (and no ``X-RateLimit-*`` headers). ``"default"``: the environment
            variable ``FULFILLKIT_SANDBOX_RATE_LIMIT`` (``"10000/1"``, ``"off"``) if set,
            else Panora's ``(100, 60.0)``. Demos and tests pass
            :data:`~fulfillkit.sandbox.FAST_RATE_LIMIT`.
        faults: fault injection (see :class:`~fulfillkit.sandbox.Faults`).

    Attributes:
        stats: what the app has seen (:class:`~fulfillkit.sandbox.SandboxStats`).
    """

    def __init__(
        self,
        dataset: Dataset | None = None,
        *,
        n: int = 500,
        seed: int = 0,
        api_keys: Collection[str] = (SANDBOX_API_KEY,),
        connection_tokens: Collection[str] = (SANDBOX_CONNECTION_TOKEN,),
        latency: float = 0.0,
        rate_limit: tuple[int, float] | Literal["default"] | None = "default",
        faults: Faults | None = None,
    ) -> None:
        if rate_limit == "default":
            rate_limit = default_rate_limit()
        self.dataset = dataset if dataset is not None else make_dataset(n, seed=seed)
        self.api_keys = frozenset(api_keys)
        self.connection_tokens = frozenset(connection_tokens)
        self.latency = latency
        self.limiter = RateLimiter(*rate_limit) if isinstance(rate_limit, tuple) else None
        self.faults = faults
        self.stats = SandboxStats()
        self._other: Dataset | None = None
        self._cache: dict[tuple[int, int, bool], bytes] = {}

    def __repr__(self) -> str:
        return f"SandboxApp({self.dataset!r}, latency={self.latency}, faults={self.faults!r})"

    @property
    def other_dataset(self) -> Dataset:
        """The *other* connection's data, served when ``x-connection-token`` is missing."""
        if self._other is None:
            self._other = make_dataset(min(max(self.dataset.n, 1), 100), seed=self.dataset.seed + 1)
        return self._other

    # ---- ASGI -------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        else:  # websocket: not part of Panora
            await send({"type": "websocket.close", "code": 1000})

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, send: Send) -> None:
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        request = _Request(scope)
        route = self._route(request.raw_path)
        name = (
            "unknown"
            if route is None
            else f"{route[0]}.{'list' if route[1] is None else 'retrieve'}"
        )
        self.stats.record_request(name, request.raw_path, request.query)
        if request.method == "OPTIONS":  # CORS preflight, answered before any routing
            return await self._send(send, self._preflight(request), head=True)
        head = request.method == "HEAD"
        if route is None or request.method not in {"GET", "HEAD"}:
            message = f"Cannot {request.method} {request.url}"
            return await self._send(send, self._error(404, message, request), head)
        resource, raw_id = route
        record_id: str | None = None
        if raw_id is not None:
            try:
                record_id = urllib.parse.unquote_to_bytes(raw_id).decode("utf-8")
            except UnicodeDecodeError:
                return await self._send(
                    send, self._error(400, f"Failed to decode param '{raw_id}'", request), head
                )
            self.stats.record_id(record_id)

        limiter = self.limiter
        verdict = limiter.hit(f"{name} {request.client}") if limiter is not None else None
        rate_headers = verdict.headers() if verdict is not None else []
        if verdict is not None and not verdict.allowed:
            throttled = self._error(429, "ThrottlerException: Too Many Requests", request)
            return await self._send(send, throttled, head, rate_headers)

        kind = "ok"
        if self.faults is not None:
            cursor = request.params.get("cursor", [""])[0]
            kind = self.faults.next(record_id if record_id is not None else f"list:{cursor}")
            if kind == "slow":
                await asyncio.sleep(self.faults.slow_seconds)
        response = self._fault_response(kind, request, resource, record_id) or self._answer(
            request, resource, record_id
        )
        if kind in {"drop", "truncate"}:
            return await self._send_broken(send, response, rate_headers, more_body=kind == "drop")
        return await self._send(send, response, head, rate_headers)

    @staticmethod
    def _route(raw_path: str) -> tuple[str, str | None] | None:
        """``(resource, raw id or None)`` for a known route, else None (Express is lenient
        about case and one trailing slash)."""
        segments = raw_path.split("/")
        if len(segments) > 3 and segments[-1] == "":
            segments.pop()
        if len(segments) not in {3, 4} or segments[0] != "" or segments[1].lower() != "ecommerce":
            return None
        resource = segments[2].lower()
        if resource not in _RESOURCES:
            return None
        if len(segments) == 3:
            return resource, None
        return (resource, segments[3]) if segments[3] else None

    # ---- answers ----------------------------------------------------------------------
    def _answer(self, request: _Request, resource: str, record_id: str | None) -> _Response:
        api_key = request.headers.get("x-api-key")
        if not api_key:
            return self._error(401, "Unauthorized", request)
        if api_key not in self.api_keys:
            return self._error(500, "API Key not found.", request)
        query = None
        if record_id is None:
            try:
                query = parse_list_query(request.params)
            except BadRequest:
                return self._error(400, "Bad Request", request)
        token = request.headers.get("x-connection-token")
        if token is None:
            dataset = self.other_dataset  # upstream: findFirst({connection_token: undefined})
        elif token in self.connection_tokens:
            dataset = self.dataset
        else:
            message = f"Connection undefined for token {token}"
            if query is not None:  # the list handlers let the ReferenceError's name show
                message = f"ReferenceError: {message}"
            return self._error(500, message, request)
        table = self._table(dataset, resource)
        if query is None:
            assert record_id is not None
            values = request.params.get("remote_data", [])
            remote = len(values) > 1 or bool(values and values[0])  # any value is truthy
            return self._retrieve(request, resource, record_id, remote)
        cursor_index = None
        if query.cursor is not None:
            cursor_index = table.index_of(query.cursor.lower())
            if cursor_index is None:
                return self._error(500, "The provided cursor does not exist!", request)
        problem = limit_error(query.limit, _PRISMA_TABLES[resource])
        if problem is not None:
            return self._error(500, problem, request)
        selected = page(table, int(query.limit), cursor_index, query.cursor)
        rows = b",".join(
            self._record_bytes(table, index, query.remote_data)
            for index in range(selected.start, selected.stop)
        )
        body = b"".join(
            (
                b'{"data":[',
                rows,
                b'],"prev_cursor":',
                _dumps(selected.prev_cursor),
                b',"next_cursor":',
                _dumps(selected.next_cursor),
                b"}",
            )
        )
        return _Response(200, body)

    def _retrieve(
        self, request: _Request, resource: str, record_id: str, remote: bool
    ) -> _Response:
        problem = _uuid_problem(record_id)
        if problem is not None:
            message = (
                f"\nInvalid `prisma.{_PRISMA_TABLES[resource]}.findUnique()` invocation:\n\n\n"
                f"Inconsistent column data: Error creating UUID, {problem}"
            )
            return self._error(500, message, request)
        canonical = str(uuid.UUID(record_id))
        for dataset in (self.dataset, self.other_dataset):  # retrieve ignores the connection
            table = self._table(dataset, resource)
            index = table.index_of(canonical)
            if index is not None:
                return _Response(200, self._record_bytes(table, index, remote))
        return self._not_found(request, resource, record_id)

    def _not_found(self, request: _Request, resource: str, record_id: str) -> _Response:
        return self._error(500, f"{_RESOURCES[resource]} with ID {record_id} not found.", request)

    @staticmethod
    def _preflight(request: _Request) -> _Response:
        """``cors``' answer to any OPTIONS: 204, allowed methods, requested headers echoed."""
        headers = list(_CORS_PREFLIGHT)
        asked = request.headers.get("access-control-request-headers")
        if asked:
            headers.append((b"access-control-allow-headers", asked.encode("latin-1")))
        return _Response(204, b"", b"", headers)

    @staticmethod
    def _table(dataset: Dataset, resource: str) -> RecordTable:
        return dataset.fulfillment_table if resource == "fulfillments" else dataset.order_table

    def _record_bytes(self, table: RecordTable, index: int, remote: bool) -> bytes:
        key = (id(table), index, remote)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = _dumps(table.record(index, remote))
        return cached

    @staticmethod
    def _error(status: int, message: str, request: _Request) -> _Response:
        body = {
            "statusCode": status,
            "timestamp": _now_iso(),
            "path": request.url,
            "message": message,
        }
        return _Response(status, _dumps(body))

    def _fault_response(
        self,
        kind: str,
        request: _Request,
        resource: str,
        record_id: str | None,
    ) -> _Response | None:
        """The canned answer for fault ``kind``, or None to answer normally."""
        if kind in {"502", "503", "504"}:
            status = int(kind)
            title = f"{status} {_GATEWAY_PAGES[status]}"
            page_html = (
                f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
                f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
                "</body>\r\n</html>\r\n"
            )
            return _Response(status, page_html.encode(), _HTML, express=False)
        if kind == "429":
            assert self.faults is not None
            response = self._error(429, "ThrottlerException: Too Many Requests", request)
            response.headers = [(b"retry-after", format(self.faults.retry_after, "g").encode())]
            return response
        if kind == "500":
            return self._error(500, "Internal server error", request)
        if kind == "not_found":
            if record_id is None:
                return self._error(500, "The provided cursor does not exist!", request)
            return self._not_found(request, resource, record_id)
        if kind == "invalid_json":
            return _Response(
                200,
                b'{"id":"'
                + (record_id or "").encode()
                + b'","carrier":"UPS","tracking_numbers":["1Z',
            )
        if kind == "html":
            return _Response(
                200,
                b"<!DOCTYPE html><html><head><title>Panora</title></head>"
                b"<body><h1>Something went wrong</h1><p>Please try again later.</p></body></html>",
                _HTML,
            )
        if kind == "null":
            return _Response(200, b"null")
        if kind == "wrong_types":
            record = {
                "id": record_id,
                "carrier": ["UPS"],
                "tracking_numbers": 12345,
                "tracking_urls": "https://www.ups.com/track?tracknum=12345",
                "items": "none",
                "field_mappings": [],
                "remote_id": 12345,
                "created_at": 1727784000,
                "modified_at": True,
            }
            if record_id is None:
                return _Response(200, _dumps({"data": record, "prev_cursor": 1, "next_cursor": 2}))
            return _Response(200, _dumps(record))
        return None

    # ---- sending ----------------------------------------------------------------------
    async def _send(
        self,
        send: Send,
        response: _Response,
        head: bool,
        extra: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        await self._start(send, response, extra)
        await send({"type": "http.response.body", "body": b"" if head else response.body})

    async def _start(
        self, send: Send, response: _Response, extra: Sequence[tuple[bytes, bytes]]
    ) -> None:
        """Count the status and send the response's start (status and headers)."""
        self.stats.record_status(response.status)
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [*response.raw_headers(), *extra],
            }
        )

    async def _send_broken(
        self, send: Send, response: _Response, extra: Headers, *, more_body: bool
    ) -> None:
        """Announce the whole body, send half of it, then abort the connection."""
        await self._start(send, response, extra)
        part = response.body[: max(1, len(response.body) // 2)]
        try:
            await send({"type": "http.response.body", "body": part, "more_body": more_body})
        except Exception as exc:  # the server noticed the short body first
            raise DroppedConnection("sandbox truncated the response") from exc
        raise DroppedConnection(
            "sandbox dropped the connection" if more_body else "sandbox truncated the response"
        )
