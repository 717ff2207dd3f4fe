"""What Panora's NestJS/Express server puts around every answer, for the sandbox app.

ASGI types, one request as the handlers see it, a response ready to send (Express's
``X-Powered-By`` and the ``cors`` middleware's ``Access-Control-Allow-Origin: *`` on every
answer but a gateway's page), NestJS's error body, the ``cors`` preflight answer, and the
UUID check Prisma runs on a path id. No routing here: that is the app's.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "HTML",
    "JSON",
    "Headers",
    "Message",
    "Receive",
    "Request",
    "Response",
    "Scope",
    "Send",
    "dumps",
    "error_response",
    "preflight",
    "uuid_problem",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

JSON = b"application/json; charset=utf-8"
HTML = b"text/html; charset=utf-8"
_CORS_PREFLIGHT = (
    (b"access-control-allow-methods", b"GET,HEAD,PUT,PATCH,POST,DELETE"),
    (b"vary", b"Access-Control-Request-Headers"),
)
_HEX_OR_DASH = frozenset("0123456789abcdefABCDEF-")
_UUID_GROUPS = (8, 4, 4, 4, 12)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, as Express's ``res.json`` sends it.

    Example:
        >>> dumps({"a": "é"})
        b'{"a":"\\xc3\\xa9"}'
    """
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def uuid_problem(text: str) -> str | None:
    """Why Postgres (through Prisma's ``uuid`` crate) would refuse ``text``, or None.

    Example:
        >>> uuid_problem("0b6f1d7e-9a51-4c1f-8e0b-6a2b4b1f9c3d") is None
        True
        >>> uuid_problem("abc")
        'invalid length: expected length 32 for simple format, found 3'
    """
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


class Response:
    """A response ready to send."""

    __slots__ = ("body", "content_type", "express", "headers", "status")

    def __init__(
        self,
        status: int,
        body: bytes,
        content_type: bytes = JSON,
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
        """The ASGI header list: type, length, Express's and CORS's, then the extras."""
        headers = [(b"content-type", self.content_type)] if self.content_type else []
        headers.append((b"content-length", str(len(self.body)).encode()))
        if self.express:
            headers += [(b"x-powered-by", b"Express"), (b"access-control-allow-origin", b"*")]
        return [*headers, *self.headers]


class Request:
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


def error_response(status: int, message: str, request: Request) -> Response:
    """NestJS's error: ``{"statusCode", "timestamp", "path", "message"}``, path the raw URL."""
    body = {
        "statusCode": status,
        "timestamp": _now_iso(),
        "path": request.url,
        "message": message,
    }
    return Response(status, dumps(body))


def preflight(request: Request) -> Response:
    """``cors``' answer to any OPTIONS: 204, allowed methods, requested headers echoed."""
    headers = list(_CORS_PREFLIGHT)
    asked = request.headers.get("access-control-request-headers")
    if asked:
        headers.append((b"access-control-allow-headers", asked.encode("latin-1")))
    return Response(204, b"", b"", headers)
