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
* orders have no ``items`` key and whole-number totals (see :mod:`fulfillkit.sandbox.dataset`);
* errors are ``{"statusCode", "timestamp", "path", "message"}`` with ``path`` the raw URL.

It serves the dataset *at the app's clock* (:mod:`fulfillkit.sandbox.clock`): rows not yet
created then do not exist (retrieve: not found; a cursor at one: does not exist), and each
record is served as it is then. Two admin routes, which Panora does not have, move and read
the clock (``x-api-key`` required; not throttled, never faulty; any other method on them
is Express's 404 ``Cannot <METHOD> <path>``):

* ``POST /_sandbox/advance?days=&hours=&minutes=&seconds=`` moves it forward;
* ``GET /_sandbox/clock`` reads it.

Both answer ``{"now", "default_now", "fulfillments", "orders"}`` (the last two: how many
exist now); a bad amount is 400 with a message saying why.

Serialised records are cached as bytes per (record, remote_data), so a zero-latency
benchmark measures the client, not this server.
"""

from __future__ import annotations

import asyncio
import urllib.parse
import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Literal

import httpx

from fulfillkit.sandbox.clock import SandboxClock, parse_advance_query
from fulfillkit.sandbox.dataset import (
    DEFAULT_N,
    DEFAULT_SEED,
    Dataset,
    RecordTable,
    make_dataset,
)
from fulfillkit.sandbox.express import (
    HTML,
    Headers,
    Receive,
    Request,
    Response,
    Scope,
    Send,
    dumps,
    error_response,
    preflight,
    uuid_problem,
)
from fulfillkit.sandbox.faults import Faults
from fulfillkit.sandbox.paging import BadRequest, limit_error, page, parse_list_query
from fulfillkit.sandbox.ratelimit import RateLimiter, default_rate_limit
from fulfillkit.sandbox.stats import SandboxStats
from fulfillkit.sandbox.timestamps import iso_ms

__all__ = [
    "SANDBOX_API_KEY",
    "SANDBOX_CONNECTION_TOKEN",
    "DroppedConnection",
    "SandboxApp",
]

SANDBOX_API_KEY = "sandbox-api-key"
SANDBOX_CONNECTION_TOKEN = "sandbox-connection-token"  # noqa: S105 - public sandbox value

_RESOURCES = {"fulfillments": "Fulfillment", "orders": "Order"}
_ADMIN = {
    "/_sandbox/advance": ("POST", "sandbox.advance"),
    "/_sandbox/clock": ("GET", "sandbox.clock"),
}
_PRISMA_TABLES = {"fulfillments": "ecom_fulfilments", "orders": "ecom_orders"}
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


class SandboxApp:
    """An in-memory Panora serving one :class:`Dataset` (ASGI 3; lifespan supported).

    Args:
        dataset: what the sandbox connection holds; by default ``make_dataset(n, seed=seed)``.
        n, seed: used only when ``dataset`` is None (defaults: :data:`DEFAULT_N`,
            :data:`DEFAULT_SEED`, the same as ``fulfillkit sandbox``).
        now: the moment to serve (timezone-aware); None: the dataset's default now, when
            exactly its ``n`` fulfillments exist. Not before the default now.
        clock_speed: days of shop time that pass per minute of wall time (0: the clock
            moves only with :meth:`advance` or ``POST /_sandbox/advance``).
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
        clock: the moment served (:class:`~fulfillkit.sandbox.clock.SandboxClock`).

    Example:
        >>> from datetime import timedelta
        >>> app = SandboxApp(n=50, seed=1)
        >>> app.now == app.dataset.default_now
        True
        >>> app.advance(days=2) == app.dataset.default_now + timedelta(days=2)
        True
    """

    def __init__(
        self,
        dataset: Dataset | None = None,
        *,
        n: int = DEFAULT_N,
        seed: int = DEFAULT_SEED,
        now: datetime | None = None,
        clock_speed: float = 0.0,
        api_keys: Collection[str] = (SANDBOX_API_KEY,),
        connection_tokens: Collection[str] = (SANDBOX_CONNECTION_TOKEN,),
        latency: float = 0.0,
        rate_limit: tuple[int, float] | Literal["default"] | None = "default",
        faults: Faults | None = None,
    ) -> None:
        if rate_limit == "default":
            rate_limit = default_rate_limit()
        self.dataset = dataset if dataset is not None else make_dataset(n, seed=seed)
        self.clock = SandboxClock(self.dataset.at_ms(now), clock_speed)
        self.api_keys = frozenset(api_keys)
        self.connection_tokens = frozenset(connection_tokens)
        self.latency = latency
        self.limiter = RateLimiter(*rate_limit) if isinstance(rate_limit, tuple) else None
        self.faults = faults
        self.stats = SandboxStats()
        self._other: Dataset | None = None
        self._cache: dict[tuple[int, int, int, bool], bytes] = {}

    def __repr__(self) -> str:
        return (
            f"SandboxApp({self.dataset!r}, now={self.now.isoformat()}, "
            f"latency={self.latency}, faults={self.faults!r})"
        )

    @property
    def now(self) -> datetime:
        """The moment the app serves (UTC)."""
        return self.clock.now

    def advance(
        self, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
    ) -> datetime:
        """Move the clock forward (never backward: ValueError); return the new now.

        What is served then is ``dataset.*_at(app.now)``: new fulfillments (and orders)
        appear, open ones move along.
        """
        return self.clock.advance(days=days, hours=hours, minutes=minutes, seconds=seconds)

    def _at(self, dataset: Dataset) -> int:
        """The moment to serve ``dataset`` at: the clock's for the sandbox connection;
        the other connection stays as built."""
        return self.clock.now_ms() if dataset is self.dataset else dataset.default_now_ms

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
        request = Request(scope)
        route = self._route(request.raw_path)
        admin = _ADMIN.get(request.raw_path.removesuffix("/"))  # Express: one "/" is lenient
        name = (
            admin[1]
            if admin is not None
            else "unknown"
            if route is None
            else f"{route[0]}.{'list' if route[1] is None else 'retrieve'}"
        )
        self.stats.record_request(name, request.raw_path, request.query)
        if request.method == "OPTIONS":  # CORS preflight, answered before any routing
            return await self._send(send, preflight(request), head=True)
        head = request.method == "HEAD"
        if admin is not None and (
            request.method == admin[0] or (head and admin[0] == "GET")
        ):  # Express routes HEAD to GET handlers
            return await self._send(send, self._admin(request, name), head)
        if route is None or request.method not in {"GET", "HEAD"}:
            message = f"Cannot {request.method} {request.url}"
            return await self._send(send, error_response(404, message, request), head)
        resource, raw_id = route
        record_id: str | None = None
        if raw_id is not None:
            try:
                record_id = urllib.parse.unquote_to_bytes(raw_id).decode("utf-8")
            except UnicodeDecodeError:
                return await self._send(
                    send, error_response(400, f"Failed to decode param '{raw_id}'", request), head
                )
            self.stats.record_id(record_id)

        limiter = self.limiter
        verdict = limiter.hit(f"{name} {request.client}") if limiter is not None else None
        rate_headers = verdict.headers() if verdict is not None else []
        if verdict is not None and not verdict.allowed:
            throttled = error_response(429, "ThrottlerException: Too Many Requests", request)
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
    def _check_key(self, request: Request) -> Response | None:
        """The ``x-api-key`` check: 401 when missing, 500 when unknown, None when it passes."""
        api_key = request.headers.get("x-api-key")
        if not api_key:
            return error_response(401, "Unauthorized", request)
        if api_key not in self.api_keys:
            return error_response(500, "API Key not found.", request)
        return None

    def _answer(self, request: Request, resource: str, record_id: str | None) -> Response:
        refused = self._check_key(request)
        if refused is not None:
            return refused
        query = None
        if record_id is None:
            try:
                query = parse_list_query(request.params)
            except BadRequest:
                return error_response(400, "Bad Request", request)
        token = request.headers.get("x-connection-token")
        if token is None:
            dataset = self.other_dataset  # upstream: findFirst({connection_token: undefined})
        elif token in self.connection_tokens:
            dataset = self.dataset
        else:
            message = f"Connection undefined for token {token}"
            if query is not None:  # the list handlers let the ReferenceError's name show
                message = f"ReferenceError: {message}"
            return error_response(500, message, request)
        if query is None:
            assert record_id is not None
            values = request.params.get("remote_data", [])
            remote = len(values) > 1 or bool(values and values[0])  # any value is truthy
            return self._retrieve(request, resource, record_id, remote)
        table = self._table(dataset, resource)
        at = self._at(dataset)
        with dataset.lock:  # hooks and advances from other threads wait for this page
            dataset.materialise(at)
            total = table.visible(at)
            cursor_index = None
            if query.cursor is not None:
                cursor_index = table.index_of(query.cursor.lower())
                if cursor_index is None or cursor_index >= total:  # gone, or not yet there
                    return error_response(500, "The provided cursor does not exist!", request)
            problem = limit_error(query.limit, _PRISMA_TABLES[resource])
            if problem is not None:
                return error_response(500, problem, request)
            selected = page(table, int(query.limit), cursor_index, query.cursor, total)
            rows = b",".join(
                self._record_bytes(table, index, query.remote_data, at)
                for index in range(selected.start, selected.stop)
            )
        body = b"".join(
            (
                b'{"data":[',
                rows,
                b'],"prev_cursor":',
                dumps(selected.prev_cursor),
                b',"next_cursor":',
                dumps(selected.next_cursor),
                b"}",
            )
        )
        return Response(200, body)

    def _retrieve(self, request: Request, resource: str, record_id: str, remote: bool) -> Response:
        problem = uuid_problem(record_id)
        if problem is not None:
            message = (
                f"\nInvalid `prisma.{_PRISMA_TABLES[resource]}.findUnique()` invocation:\n\n\n"
                f"Inconsistent column data: Error creating UUID, {problem}"
            )
            return error_response(500, message, request)
        canonical = str(uuid.UUID(record_id))
        for dataset in (self.dataset, self.other_dataset):  # retrieve ignores the connection
            table = self._table(dataset, resource)
            at = self._at(dataset)
            with dataset.lock:
                dataset.materialise(at)
                index = table.index_at(canonical, at)
                if index is not None:
                    return Response(200, self._record_bytes(table, index, remote, at))
        return self._not_found(request, resource, record_id)

    def _not_found(self, request: Request, resource: str, record_id: str) -> Response:
        return error_response(
            500, f"{_RESOURCES[resource]} with ID {record_id} not found.", request
        )

    @staticmethod
    def _table(dataset: Dataset, resource: str) -> RecordTable:
        return dataset.fulfillment_table if resource == "fulfillments" else dataset.order_table

    def _record_bytes(self, table: RecordTable, index: int, remote: bool, at: int) -> bytes:
        slot, version = table.state(index, at)
        key = (id(table), slot, version, remote)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = dumps(table.slot_record(slot, remote, version))
        return cached

    def _admin(self, request: Request, name: str) -> Response:
        """The clock's routes: ``sandbox.advance`` moves it, ``sandbox.clock`` reads it."""
        refused = self._check_key(request)
        if refused is not None:
            return refused
        if name == "sandbox.advance":
            try:
                self.clock.advance_by(parse_advance_query(request.params))
            except ValueError as exc:
                return error_response(400, str(exc), request)
        dataset = self.dataset
        at = self.clock.now_ms()
        with dataset.lock:
            dataset.materialise(at)
            counts = (dataset.fulfillment_table.visible(at), dataset.order_table.visible(at))
        body = {
            "now": iso_ms(at),
            "default_now": iso_ms(dataset.default_now_ms),
            "fulfillments": counts[0],
            "orders": counts[1],
        }
        return Response(200, dumps(body))

    def _fault_response(
        self,
        kind: str,
        request: Request,
        resource: str,
        record_id: str | None,
    ) -> Response | None:
        """The canned answer for fault ``kind``, or None to answer normally."""
        if kind in {"502", "503", "504"}:
            status = int(kind)
            title = f"{status} {_GATEWAY_PAGES[status]}"
            page_html = (
                f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
                f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
                "</body>\r\n</html>\r\n"
            )
            return Response(status, page_html.encode(), HTML, express=False)
        if kind == "429":
            assert self.faults is not None
            response = error_response(429, "ThrottlerException: Too Many Requests", request)
            response.headers = [(b"retry-after", format(self.faults.retry_after, "g").encode())]
            return response
        if kind == "500":
            return error_response(500, "Internal server error", request)
        if kind == "not_found":
            if record_id is None:
                return error_response(500, "The provided cursor does not exist!", request)
            return self._not_found(request, resource, record_id)
        if kind == "invalid_json":
            return Response(
                200,
                b'{"id":"'
                + (record_id or "").encode()
                + b'","carrier":"UPS","tracking_numbers":["1Z',
            )
        if kind == "html":
            return Response(
                200,
                b"<!DOCTYPE html><html><head><title>Panora</title></head>"
                b"<body><h1>Something went wrong</h1><p>Please try again later.</p></body></html>",
                HTML,
            )
        if kind == "null":
            return Response(200, b"null")
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
                return Response(200, dumps({"data": record, "prev_cursor": 1, "next_cursor": 2}))
            return Response(200, dumps(record))
        return None

    # ---- sending ----------------------------------------------------------------------
    async def _send(
        self,
        send: Send,
        response: Response,
        head: bool,
        extra: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        await self._start(send, response, extra)
        await send({"type": "http.response.body", "body": b"" if head else response.body})

    async def _start(
        self, send: Send, response: Response, extra: Sequence[tuple[bytes, bytes]]
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
        self, send: Send, response: Response, extra: Headers, *, more_body: bool
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
