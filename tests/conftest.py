"""Shared fixtures: the embedded sandbox, in-process (ASGI) and on real loopback HTTP."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import fulfillkit as fk
from fulfillkit.sandbox import (
    SANDBOX_API_KEY,
    SANDBOX_CONNECTION_TOKEN,
    Dataset,
    SandboxApp,
    SandboxServer,
    make_dataset,
)

# Progress bars are tested explicitly; elsewhere they would only clutter the output.
os.environ.setdefault("TQDM_DISABLE", "1")
# The sandbox throttles like Panora (100 requests / 60 s) unless told otherwise: keep its
# X-RateLimit-* headers but a window no test fills (tests of the throttle pass their own).
os.environ.setdefault("FULFILLKIT_SANDBOX_RATE_LIMIT", "10000/1")

FAST_RETRIES = fk.RetryPolicy(base_delay=0.001, max_delay=0.01)

ClientFactory = Callable[..., fk.Client]


def fast_retries(max_retries: int | None = None) -> fk.RetryPolicy:
    """FAST_RETRIES, with another ``max_retries`` (retries are set in the policy only)."""
    if max_retries is None:
        return FAST_RETRIES
    return dataclasses.replace(FAST_RETRIES, max_retries=max_retries)


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    return make_dataset(120, seed=7)


@pytest.fixture
def app(dataset: Dataset) -> SandboxApp:
    return SandboxApp(dataset)


@pytest.fixture(params=["asgi", "uvicorn"])
def transport_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_client(transport_kind: str) -> Iterator[Callable[..., fk.Client]]:
    """``make_client(app, **client_kwargs)``: a sync client talking to ``app`` either
    in-process through ``httpx.ASGITransport`` or over loopback HTTP to uvicorn."""
    clients: list[fk.Client] = []
    servers: list[SandboxServer] = []

    def factory(app: SandboxApp, **kwargs: Any) -> fk.Client:
        kwargs.setdefault("api_key", SANDBOX_API_KEY)
        kwargs.setdefault("connection_token", SANDBOX_CONNECTION_TOKEN)
        kwargs.setdefault("retry_policy", fast_retries(kwargs.pop("max_retries", None)))
        if transport_kind == "asgi":
            kwargs.setdefault("base_url", "http://sandbox.localhost")
            kwargs["transport"] = httpx.ASGITransport(app=app)
        else:
            server = SandboxServer(app)
            server.__enter__()
            servers.append(server)
            kwargs.setdefault("base_url", server.url)
        client = fk.Client(kwargs.pop("api_key"), **kwargs)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()
    for server in servers:
        server.__exit__(None, None, None)


@pytest.fixture
def server(app: SandboxApp) -> Iterator[SandboxServer]:
    with SandboxServer(app) as running:
        yield running
