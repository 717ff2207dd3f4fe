"""Serve a :class:`~fulfillkit.sandbox.SandboxApp` over real HTTP with uvicorn.

``SandboxServer`` runs uvicorn in a daemon thread on a socket it binds itself (port 0 picks
a free port) for what in-process tests cannot show: timeouts, dropped sockets, connection
pools. The socket is made with ``IPPROTO_TCP`` so asyncio turns Nagle off (otherwise every
response stalls about 40 ms). ``serve`` blocks, for ``fulfillkit sandbox`` and for
``python -m fulfillkit.sandbox``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

from fulfillkit.closing import Closing
from fulfillkit.sandbox.app import DroppedConnection, SandboxApp

if TYPE_CHECKING:
    import uvicorn

__all__ = ["SandboxServer", "bind_socket", "serve"]


class _HideDroppedConnections(logging.Filter):
    """Keep uvicorn from logging the sandbox's intentional connection drops as errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, DroppedConnection)


def _quiet_dropped_connections() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _HideDroppedConnections) for f in logger.filters):
        logger.addFilter(_HideDroppedConnections())


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket (``IPPROTO_TCP``, so asyncio can disable Nagle)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _server(app: SandboxApp, host: str, port: int) -> uvicorn.Server:
    """A uvicorn server for ``app`` (uvicorn imported here: the command line's parser and
    in-process users of the sandbox never pay for it)."""
    import uvicorn

    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="on", access_log=False
    )
    _quiet_dropped_connections()  # after Config, which (re)configures uvicorn's loggers
    return uvicorn.Server(config)


class SandboxServer(Closing):
    """Run ``app`` on ``http://host:port`` in a background thread, as a context manager.

    Example:
        >>> with SandboxServer(SandboxApp(n=5)) as server:  # doctest: +SKIP
        ...     httpx.get(f"{server.url}/ecommerce/fulfillments").status_code
        401
    """

    def __init__(self, app: SandboxApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self._requested_port = port
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = port

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        """Bind, start uvicorn in a daemon thread and wait until it accepts connections."""
        if self._thread is not None:
            raise RuntimeError("server already started")
        self._socket = bind_socket(self.host, self._requested_port)
        self.port = self._socket.getsockname()[1]
        self._server = _server(self.app, self.host, self.port)
        server, sock = self._server, self._socket
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[sock])),
            name=f"fulfillkit-sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.005)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to exit, join its thread and close the socket."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def close(self) -> None:
        """:meth:`stop`, with its default timeout (what the end of a ``with`` block calls)."""
        self.stop()

    def __enter__(self) -> Self:
        """Start serving; :class:`~fulfillkit.closing.Closing` stops it when the block ends."""
        self.start()
        return self


def serve(
    port: int = 3000,
    host: str = "127.0.0.1",
    *,
    ready: Callable[[str], object] | None = None,
    app: SandboxApp | None = None,
    **app_kwargs: Any,
) -> None:
    """Serve ``app`` (default: a new ``SandboxApp(**app_kwargs)``) until interrupted; blocks.

    ``ready``, if given, is called with the base URL once the socket is bound (``python -m
    fulfillkit.sandbox`` prints it).
    """
    if app is None:
        app = SandboxApp(**app_kwargs)
    sock = bind_socket(host, port)
    url = f"http://{host}:{sock.getsockname()[1]}"
    server = _server(app, host, sock.getsockname()[1])
    if ready is not None:
        ready(url)
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
