"""The client's one httpx user: connection pool, limits, timeouts, one GET.

No other module of the client (``fulfillkit.client``, ``fulfillkit.fetch``) imports httpx;
they take transports and types from here. (The embedded sandbox, a server, uses httpx on
its own for its ASGI test plumbing.)

A response body is read against a size cap (``max_response_bytes``) counted in *decoded*
bytes, while streaming: a declared ``Content-Length`` over the cap is refused before
reading, and any body is refused as soon as its decoded size crosses the cap. The client
asks for ``gzip`` and ``deflate`` only and inflates them itself (:class:`BodyDecoder`), at
most :data:`DECODE_PIECE` bytes per step from the raw network chunks, so a small gzip
"bomb" costs the cap plus one piece of memory, never a whole inflated network chunk (64 KiB
of gzip can inflate to 64 MiB). Any other ``Content-Encoding`` (``br``, ``zstd``: not asked
for) is refused. A body that cannot be decoded raises :class:`httpx.DecodingError`, which
the request loop turns into ``invalid_response``.

Connections are pooled in *lanes* (:class:`LanePool`): ``max_connections`` single-connection
httpcore pools, each request borrowing a free lane (the most recently used first, so warm
connections are reused). httpcore's own pool rescans every connection, and probes each idle
socket, for every request queued: with 32 connections that was most of the client's CPU
per request (see ``benchmarks/README.md``). A lane has one connection to look at, so a request
costs the same whatever the pool size. Behaviour is httpx's: its exceptions, its timeouts
(waiting for a free lane is the ``pool`` timeout, raising :class:`httpx.PoolTimeout`), its
keep-alive handling, and proxies from the environment (``trust_env``) still go through
httpx's own proxy transports.

Over the network (no proxy in the environment, no test transport) a GET goes straight to
the lane pool with one prebuilt URL prefix and header set: no ``build_request`` URL
merging, cookie jar or auth and redirect machinery per request (fulfillkit never follows
redirects and Panora sets no cookies). httpx's ``HTTP Request: ...`` INFO log line is
still written, only when that level is enabled. Anything else (an
:class:`httpx.ASGITransport`, a proxy) goes through :class:`httpx.AsyncClient` as usual.

Example:
    >>> import httpx
    >>> transport = Transport(base_url="https://api.panora.dev", max_connections=4, timeout=5.0)
    >>> transport.display_url
    'https://api.panora.dev'
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from fulfillkit.redaction import redact_url

__all__ = [
    "ACCEPT_ENCODING",
    "DECODE_PIECE",
    "AsyncBaseTransport",
    "BodyDecoder",
    "LanePool",
    "RawResponse",
    "ResponseTooLarge",
    "Transport",
    "asgi_transport",
]

AsyncBaseTransport = httpx.AsyncBaseTransport
"""What ``transport=`` accepts: any httpx async transport (tests, the sandbox)."""


def asgi_transport(app: Any) -> httpx.AsyncBaseTransport:
    """An in-process transport to an ASGI app (the embedded sandbox): no sockets."""
    return httpx.ASGITransport(app=app)


_httpx_logger = logging.getLogger("httpx")  # the same logger (and redaction) httpx uses
_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy"})
ACCEPT_ENCODING = "gzip, deflate"
"""The only content encodings the client asks for, and so the only ones it accepts."""
DECODE_PIECE = 64 * 1024
"""Most decoded bytes one inflate step produces: what a body may overshoot the cap by."""
_DEFAULT_HEADERS: Mapping[str, str] = {
    "accept": "*/*",
    "accept-encoding": ACCEPT_ENCODING,
    "connection": "keep-alive",
}


def _proxy_in_environment() -> bool:
    """Whether ``HTTP(S)_PROXY`` / ``ALL_PROXY`` is set (httpx would route through it)."""
    return any(k.lower() in _PROXY_VARIABLES and v for k, v in os.environ.items())


class ResponseTooLarge(Exception):
    """The body is larger than the configured cap (not a transport error: never retried)."""


class _Inflater:
    """One gzip or deflate layer, inflated at most :data:`DECODE_PIECE` bytes a step."""

    __slots__ = ("_gzip", "_head", "_raw_fallback", "_started", "_z")

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        # deflate is zlib-wrapped by the RFC, raw in practice from some servers (as httpx)
        self._raw_fallback = not self._gzip
        self._head = b""  # the first bytes, until the zlib header (2 bytes) was checked
        self._started = False
        self._z = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of ``data`` (each at most ``DECODE_PIECE`` bytes)."""
        self._started = self._started or bool(data)
        if self._raw_fallback:
            self._head += data
        while True:
            try:
                out = self._z.decompress(data, DECODE_PIECE)
            except zlib.error as exc:
                if self._raw_fallback:  # first bytes were not zlib-wrapped: raw deflate
                    self._raw_fallback = False
                    self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                    data, self._head = self._head, b""
                    continue
                raise httpx.DecodingError(f"corrupt compressed body: {exc}") from None
            if self._raw_fallback and len(self._head) >= 2:  # the header checked out
                self._raw_fallback, self._head = False, b""
            if out:
                yield out
            if self._z.eof:
                rest = self._z.unused_data
                if not rest or not self._gzip:
                    return  # bytes after a deflate stream are ignored, as by httpx
                self._z = zlib.decompressobj(zlib.MAX_WBITS | 16)  # next gzip member
                data = rest
                continue
            data = self._z.unconsumed_tail
            if not data and len(out) < DECODE_PIECE:
                return  # input used up and no output held back

    def finish(self) -> None:
        """Refuse a stream that stopped before its end (a truncated body); an empty body
        is not a stream at all and passes."""
        if self._started and not self._z.eof:
            raise httpx.DecodingError("compressed body ended before its end")


class BodyDecoder:
    """Undo a response's ``Content-Encoding`` in bounded pieces, from the raw bytes.

    Only ``gzip`` / ``deflate`` (what the client asks for, possibly layered) and
    ``identity`` are accepted; anything else raises :class:`httpx.DecodingError` before
    a byte is decoded.

    Example:
        >>> import gzip
        >>> decoder = BodyDecoder("gzip")
        >>> pieces = list(decoder.feed(gzip.compress(b"x" * 200_000)))
        >>> decoder.finish()
        >>> max(map(len, pieces)) <= DECODE_PIECE, sum(map(len, pieces))
        (True, 200000)
    """

    __slots__ = ("_layers",)

    def __init__(self, content_encoding: str | None) -> None:
        names = [v.strip().lower() for v in (content_encoding or "").split(",")]
        layers: list[_Inflater] = []
        for name in reversed(names):  # the last encoding applied is undone first
            if name in ("", "identity"):
                continue
            if name not in ("gzip", "x-gzip", "deflate"):
                raise httpx.DecodingError(
                    f"the server answered with Content-Encoding {name[:40]!r}, which the "
                    f"client did not ask for (Accept-Encoding: {ACCEPT_ENCODING})"
                )
            layers.append(_Inflater(name))
        self._layers = layers

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of one raw chunk."""
        return self._through(data, 0)

    def _through(self, data: bytes, level: int) -> Iterator[bytes]:
        if level == len(self._layers):
            if data:
                yield data
            return
        for piece in self._layers[level].feed(data):
            yield from self._through(piece, level + 1)

    def finish(self) -> None:
        """Check every layer reached its end (raises :class:`httpx.DecodingError`)."""
        for layer in self._layers:
            layer.finish()


@dataclass(frozen=True, slots=True, repr=False)
class RawResponse:
    """What the client core needs from a response: status, headers, complete body.

    Its repr shows no body and no headers: a body may echo a secret (Panora repeats an
    unknown connection token), and a traceback printed with locals shows reprs.
    """

    status: int
    headers: httpx.Headers
    body: bytes

    def __repr__(self) -> str:
        return f"RawResponse(status={self.status}, body=<{len(self.body)} bytes>)"


class _ReleasingStream(httpx.AsyncByteStream):
    """A response body that gives its lane back when it is closed (exactly once)."""

    __slots__ = ("_release", "_stream")

    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


class LanePool(httpx.AsyncBaseTransport):
    """``size`` single-connection HTTP transports ("lanes"); each request borrows one.

    A request takes the most recently released idle lane (its connection is the warmest),
    else opens a new lane while there are fewer than ``size``, else waits in FIFO order for
    one to be released, at most the request's ``pool`` timeout
    (:class:`httpx.PoolTimeout`). The lane is released when the response is closed. Every
    lane shares one SSL context (created with the first lane, honouring ``SSL_CERT_FILE``
    / ``SSL_CERT_DIR`` when ``trust_env``): building one per lane cost ~20 ms each.

    Example:
        >>> pool = LanePool(4)
        >>> pool.size, pool.open_lanes
        (4, 0)
    """

    def __init__(
        self,
        size: int,
        *,
        keepalive_expiry: float = 30.0,
        trust_env: bool = True,
    ) -> None:
        if size < 1:
            raise ValueError("size must be >= 1")
        self.size = size
        self._limits = httpx.Limits(
            max_connections=1, max_keepalive_connections=1, keepalive_expiry=keepalive_expiry
        )
        self._trust_env = trust_env
        self._ssl: ssl.SSLContext | None = None
        self._lanes: list[httpx.AsyncHTTPTransport] = []
        self._idle: list[httpx.AsyncHTTPTransport] = []
        self._waiters: deque[asyncio.Future[httpx.AsyncHTTPTransport]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop the lanes live on

    @property
    def open_lanes(self) -> int:
        """Lanes created so far (at most ``size``)."""
        return len(self._lanes)

    async def _acquire(self, timeout: float | None) -> httpx.AsyncHTTPTransport:
        if self._idle:
            return self._idle.pop()
        if len(self._lanes) < self.size:
            if self._ssl is None:  # one context for every lane: loading CAs costs ~20 ms
                self._ssl = httpx.create_ssl_context(trust_env=self._trust_env)
            self._loop = asyncio.get_running_loop()
            lane = httpx.AsyncHTTPTransport(
                verify=self._ssl, limits=self._limits, trust_env=self._trust_env
            )
            self._lanes.append(lane)
            return lane
        waiter: asyncio.Future[httpx.AsyncHTTPTransport] = (
            asyncio.get_running_loop().create_future()
        )
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                self._release(waiter.result())  # handed a lane as we gave up: pass it on
            else:
                waiter.cancel()
            if isinstance(exc, TimeoutError):
                raise httpx.PoolTimeout("no free connection within the pool timeout") from None
            raise

    def _release(self, lane: httpx.AsyncHTTPTransport) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(lane)
                return
        self._idle.append(lane)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on a free lane; the lane is busy until the response closes."""
        timeout = request.extensions.get("timeout", {}).get("pool")
        lane = await self._acquire(timeout)
        try:
            response = await lane.handle_async_request(request)
        except BaseException:
            self._release(lane)
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _ReleasingStream(response.stream, lambda: self._release(lane))
        return response

    async def aclose(self) -> None:
        """Close every lane's connection."""
        lanes, self._lanes, self._idle = self._lanes, [], []
        for lane in lanes:
            await lane.aclose()

    def close_now(self) -> int:
        """Close every lane's sockets *synchronously*: for a client dropped without
        ``aclose()`` (a ``weakref.finalize`` callback, perhaps at interpreter exit, perhaps
        in another thread). Starts no thread and no loop and awaits nothing; returns how
        many connections it closed.

        While the lanes' loop is alive, each connection's asyncio transport is aborted on
        that loop (``call_soon_threadsafe``: the socket closes on its next turn). Once the
        loop is closed nothing will run there again, so the transport is finished here, as
        asyncio itself would finish it. Either way the socket is closed by its owner, so
        no ``unclosed transport`` warning is left for the garbage collector to print.
        """
        lanes, self._lanes, self._idle = self._lanes, [], []
        loop, closed = self._loop, 0
        for lane in lanes:
            for transport in _socket_transports(lane):
                closed += 1
                if loop is not None and not loop.is_closed():
                    with contextlib.suppress(RuntimeError):  # closed in the meantime
                        loop.call_soon_threadsafe(transport.abort)
                        continue
                _finish_transport(transport)
        return closed

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.aclose()


def _socket_transports(lane: httpx.AsyncHTTPTransport) -> Iterator[asyncio.Transport]:
    """The asyncio transports under a lane's open connections.

    httpx and httpcore offer no synchronous close, so this follows their (stable for
    years, but private) attributes: lane -> httpcore pool -> connection -> network stream
    -> anyio socket stream (under TLS, its ``transport_stream``) -> asyncio transport.
    Anything unexpected on the way is skipped, never raised (a finalizer must not fail);
    ``tests/fetch/test_faults_process.py`` fails if the chain ever stops finding sockets.
    """
    pool = getattr(lane, "_pool", None)
    for connection in list(getattr(pool, "connections", ())):
        stream = getattr(getattr(connection, "_connection", None), "_network_stream", None)
        inner = getattr(stream, "_stream", None)
        while inner is not None and hasattr(inner, "transport_stream"):  # TLS over TCP
            inner = inner.transport_stream
        transport = getattr(inner, "_transport", None)
        if isinstance(transport, asyncio.Transport) and not transport.is_closing():
            yield transport


def _finish_transport(transport: asyncio.Transport) -> None:
    """Close a transport whose loop is closed: what its loop would have run after
    ``abort()`` (``_call_connection_lost``: close the socket, drop the protocol)."""
    with contextlib.suppress(Exception):
        transport.abort()  # marks it closing; scheduling the rest fails on a closed loop
    finish = getattr(transport, "_call_connection_lost", None)
    if callable(finish):
        with contextlib.suppress(Exception):
            finish(None)


class Transport:
    """One pooled :class:`httpx.AsyncClient`, sized for the client's concurrency.

    Args:
        base_url: where Panora is.
        max_connections: pool size; the batch engine never runs more requests at once.
        timeout: seconds for connect, read, write and waiting for a pooled connection.
        transport: an httpx transport to use instead of the network (e.g.
            :class:`httpx.ASGITransport` over the embedded sandbox).
    """

    def __init__(
        self,
        *,
        base_url: str,
        max_connections: int,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base_url = base_url
        trust_env = transport is None
        self._direct: LanePool | None = None
        if transport is None:
            transport = LanePool(max_connections, keepalive_expiry=30.0, trust_env=True)
        parts = urlsplit(base_url)
        userinfo = parts.username or parts.password  # httpx turns it into basic auth
        if isinstance(transport, LanePool) and not userinfo and not _proxy_in_environment():
            self._direct = transport
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._prefix = parts.path.rstrip("/")
        self._timeout = httpx.Timeout(timeout).as_dict()
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
                keepalive_expiry=30.0,
            ),
            transport=transport,
            follow_redirects=False,
            trust_env=trust_env,
            headers={"accept-encoding": ACCEPT_ENCODING},  # what BodyDecoder undoes
        )

    @property
    def display_url(self) -> str:
        """The base URL without credentials."""
        return redact_url(self._base_url)

    async def get(
        self,
        path: str,
        *,
        params: Mapping[str, str],
        headers: Mapping[str, str],
        max_bytes: int,
    ) -> RawResponse:
        """Send one GET and read the whole body, refusing bodies over ``max_bytes``.

        Raises httpx transport exceptions as they are (the caller classifies them) and
        :class:`ResponseTooLarge`.
        """
        if self._direct is not None:
            target = self._prefix + "/" + path.lstrip("/")
            if params:
                target += "?" + urlencode(params)
            request = httpx.Request(
                "GET",
                self._origin + target,
                headers={**_DEFAULT_HEADERS, **headers},
                extensions={"timeout": self._timeout},
            )
            response = await self._direct.handle_async_request(request)
            response.request = request
            if _httpx_logger.isEnabledFor(logging.INFO):
                _httpx_logger.info(
                    'HTTP Request: %s %s "%s %d %s"',
                    request.method,
                    request.url,
                    response.http_version,
                    response.status_code,
                    response.reason_phrase,
                )
        else:
            request = self._client.build_request("GET", path, params=params, headers=headers)
            response = await self._client.send(request, stream=True)
        try:
            declared = response.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                raise ResponseTooLarge(declared)
            if response.is_stream_consumed:  # built in memory (a mock transport): read already
                body = response.content
                if len(body) > max_bytes:
                    raise ResponseTooLarge(str(len(body)))
                return RawResponse(response.status_code, response.headers, body)
            decoder = BodyDecoder(response.headers.get("content-encoding"))
            chunks: list[bytes] = []
            size = 0
            async for raw in response.aiter_raw():
                for piece in decoder.feed(raw):  # decoded: the cap counts real bytes
                    size += len(piece)
                    if size > max_bytes:
                        chunks.clear()
                        raise ResponseTooLarge(str(size))
                    chunks.append(piece)
            decoder.finish()
        finally:
            await response.aclose()
        return RawResponse(response.status_code, response.headers, b"".join(chunks))

    def close_now(self) -> int:
        """Close the pool's sockets synchronously (see :meth:`LanePool.close_now`); a
        test transport or a proxy has none of ours to close."""
        return self._direct.close_now() if self._direct is not None else 0

    async def aclose(self) -> None:
        """Close every pooled connection."""
        await self._client.aclose()  # closes the lane pool too: it is the client's transport
