"""Talk to a sandbox app in-process (ASGI) and over real loopback HTTP (uvicorn)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest

from fulfillkit.sandbox import SandboxApp, SandboxServer


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Connector:
    """``async with connect(app) as client``: in-process (ASGI) or over real HTTP."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self._servers: list[SandboxServer] = []

    @asynccontextmanager
    async def __call__(
        self, app: SandboxApp, client_ip: str = "127.0.0.1"
    ) -> AsyncIterator[httpx.AsyncClient]:
        """A client talking to ``app`` from ``client_ip`` (any 127.x.y.z over loopback)."""
        transport: httpx.AsyncBaseTransport
        if self.mode == "asgi":
            transport = httpx.ASGITransport(app=app, client=(client_ip, 123))
            base_url = "http://sandbox"
        else:
            server = SandboxServer(app)
            server.start()
            self._servers.append(server)
            transport = httpx.AsyncHTTPTransport(local_address=client_ip)
            base_url = server.url
        async with httpx.AsyncClient(
            transport=transport, base_url=base_url, timeout=20.0
        ) as client:
            yield client

    def close(self) -> None:
        for server in self._servers:
            server.stop()


@pytest.fixture(params=["asgi", "uvicorn"])
def connect(request: pytest.FixtureRequest) -> Iterator[Connector]:
    connector = Connector(str(request.param))
    yield connector
    connector.close()
