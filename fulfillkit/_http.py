"""The only module that imports httpx: connection pool, limits, timeouts, one GET.

A response body is read against a size cap (``max_response_bytes``): a declared
``Content-Length`` over the cap is refused before reading, and a chunked body is refused as
soon as it crosses it, so a hostile or broken server cannot make the client buffer without
bound.

Example:
    >>> import httpx
    >>> transport = Transport(base_url="https://api.panora.dev", max_connections=4, timeout=5.0)
    >>> transport.display_url
    'https://api.panora.dev'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from ._redact import redact_url

__all__ = ["RawResponse", "ResponseTooLarge", "Transport"]


class ResponseTooLarge(Exception):
    """The body is larger than the configured cap (not a transport error: never retried)."""


@dataclass(frozen=True, slots=True)
class RawResponse:
    """What the client core needs from a response: status, headers, complete body."""

    status: int
    headers: httpx.Headers
    body: bytes


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
            trust_env=transport is None,
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
        request = self._client.build_request("GET", path, params=params, headers=headers)
        response = await self._client.send(request, stream=True)
        try:
            declared = response.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                raise ResponseTooLarge(declared)
            if declared is not None and declared.isdigit():
                body = await response.aread()
            else:
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise ResponseTooLarge(str(size))
                    chunks.append(chunk)
                body = b"".join(chunks)
        finally:
            await response.aclose()
        return RawResponse(response.status_code, response.headers, body)

    async def aclose(self) -> None:
        """Close every pooled connection."""
        await self._client.aclose()
