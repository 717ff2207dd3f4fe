"""A raw-socket HTTP/1.1 server on loopback that can misbehave at the byte level.

Each test gives it a ``handler(path, conn)`` that writes whatever bytes it likes (trickled
headers, corrupt encodings, bombs, wrong ids); the server reads one request per connection
and closes it afterwards. Used by the fault tests only.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Handler = Callable[[str, socket.socket], None]


def response(
    status: int = 200,
    body: bytes = b"",
    *,
    headers: dict[str, str] | None = None,
    reason: str = "X",
) -> bytes:
    """A complete HTTP/1.1 response with ``Content-Length`` and ``Connection: close``."""
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def record(record_id: str | None, **fields: Any) -> bytes:
    """A fulfillment body with that id."""
    return json.dumps({"id": record_id, "carrier": "UPS", **fields}).encode()


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9)


def trickle(conn: socket.socket, data: bytes, pause: float, stop: threading.Event) -> None:
    """Send ``data`` one byte at a time, ``pause`` seconds apart, until ``stop``."""
    for i in range(len(data)):
        if stop.is_set():
            return
        conn.sendall(data[i : i + 1])
        time.sleep(pause)


class RawServer:
    """``with RawServer(handler) as server: server.url``; ``server.paths`` lists requests."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.stop = threading.Event()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
                path = head[0].split(" ")[1]
                self.paths.append(path)
                self.headers.append(
                    {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:])}
                )
                self.handler(path, conn)
            except OSError:
                return

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._sock.close()
        self._thread.join(5)


@contextmanager
def serving(handler: Handler) -> Iterator[RawServer]:
    with RawServer(handler) as server:
        yield server


def hard_timeout(seconds: float) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Fail (instead of hanging the suite) if the test body runs longer than ``seconds``.

    The body runs in a daemon thread; its exception is re-raised in the test.
    """
    import functools

    def decorate(test: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(test)
        def wrapper(*args: Any, **kwargs: Any) -> None:
            outcome: list[BaseException] = []

            def body() -> None:
                try:
                    test(*args, **kwargs)
                except BaseException as exc:
                    outcome.append(exc)

            thread = threading.Thread(target=body, daemon=True)
            thread.start()
            thread.join(seconds)
            if thread.is_alive():
                raise AssertionError(f"{test.__name__} still running after {seconds} s: a hang")
            if outcome:
                raise outcome[0]

        return wrapper

    return decorate
