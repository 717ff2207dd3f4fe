"""Regression guards for the per-record cost of a batch, counted, never timed.

A fetched record must cost exactly one JSON parse-and-validate (the prebuilt
``FULFILLMENT_ADAPTER.validate_json`` on the response bytes), no ``json.loads`` and no
other pydantic model construction, and no log record when logging is at its default
level. Counted over a real batch, in-process (ASGI) and over loopback HTTP (the lane pool).
Also: the lane pool reuses and bounds connections, and the direct GET sends what httpx's
client would.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any, cast

import httpx
import pydantic
import pytest

import fulfillkit as fk
import fulfillkit.models
from fulfillkit.fetch.resources import FULFILLMENTS
from fulfillkit.fetch.transport import LanePool, Transport
from fulfillkit.sandbox import (
    SANDBOX_API_KEY,
    SANDBOX_CONNECTION_TOKEN,
    SandboxApp,
    SandboxServer,
    make_dataset,
)

N = 60


class CountingAdapter:
    """A stand-in for a :class:`pydantic.TypeAdapter` that counts what is called on it."""

    def __init__(self, adapter: pydantic.TypeAdapter[Any], calls: Counter[str]) -> None:
        self._adapter = adapter
        self._calls = calls

    def validate_json(self, data: Any, **kwargs: Any) -> Any:
        self._calls["validate_json"] += 1
        return self._adapter.validate_json(data, **kwargs)

    def validate_python(self, data: Any, **kwargs: Any) -> Any:
        self._calls["validate_python"] += 1
        return self._adapter.validate_python(data, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._adapter, name)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Count adapter validations, ``json.loads`` and direct model constructions."""
    counter: Counter[str] = Counter()
    adapter = CountingAdapter(fulfillkit.models.FULFILLMENT_ADAPTER, counter)
    # The Resource value is frozen (it is a constant); the count swaps its adapter in place.
    real_adapter = FULFILLMENTS.adapter
    object.__setattr__(FULFILLMENTS, "adapter", adapter)
    monkeypatch.setattr(fulfillkit.models, "FULFILLMENT_ADAPTER", adapter)
    real_loads = json.loads

    def counting_loads(*args: Any, **kwargs: Any) -> Any:
        counter["json.loads"] += 1
        return real_loads(*args, **kwargs)

    monkeypatch.setattr(json, "loads", counting_loads)
    model = fk.Fulfillment
    for name in ("model_validate", "model_validate_json"):
        real = getattr(model, name)

        def counting(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            counter[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(model, name, counting)
    real_init = model.__init__

    def counting_init(self: Any, *args: Any, **kwargs: Any) -> None:
        counter["__init__"] += 1
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(model, "__init__", counting_init)
    try:
        yield counter
    finally:
        object.__setattr__(FULFILLMENTS, "adapter", real_adapter)


def _fetch(client: fk.Client, ids: list[str]) -> fk.BatchResult:
    batch = client.get_many(ids, progress=False)
    assert batch.ok and len(batch.fulfillments) == len(ids)
    return batch


def test_one_validation_per_record_in_process(calls: Counter[str]) -> None:
    with fk.Client.sandbox(n=N) as client:
        _fetch(client, client.sandbox_ids)
    assert calls["validate_json"] == N
    assert calls["validate_python"] == 0
    assert calls["json.loads"] == 0
    assert calls["model_validate"] == calls["model_validate_json"] == calls["__init__"] == 0


def test_one_validation_per_record_over_http(calls: Counter[str]) -> None:
    app = SandboxApp(make_dataset(N, seed=3))
    with (
        SandboxServer(app) as server,
        fk.Client(
            SANDBOX_API_KEY,
            connection_token=SANDBOX_CONNECTION_TOKEN,
            base_url=server.url,
            max_concurrency=8,
        ) as client,
    ):
        _fetch(client, list(app.dataset.fulfillment_ids))
    assert calls["validate_json"] == N
    assert calls["json.loads"] == 0
    assert calls["model_validate"] == calls["model_validate_json"] == calls["__init__"] == 0


def test_a_failed_record_is_parsed_once_for_its_message(calls: Counter[str]) -> None:
    with fk.Client.sandbox(n=5) as client:
        batch = client.get_many(["missing-1", "missing-2"], progress=False)
    assert [e.kind for e in batch.errors] == ["not_found", "not_found"]
    assert calls["validate_json"] == 0
    assert calls["json.loads"] == 2  # the error body's message, once per failed request


def test_no_log_records_per_request_when_logging_is_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: Counter[str] = Counter()
    real_log = logging.Logger._log

    def counting_log(self: logging.Logger, *args: Any, **kwargs: Any) -> None:
        made[self.name] += 1
        real_log(self, *args, **kwargs)

    monkeypatch.setattr(logging.Logger, "_log", counting_log)
    for name in ("httpx", "httpcore", "fulfillkit"):
        logger = logging.getLogger(name)
        monkeypatch.setattr(logger, "level", logging.WARNING)
    logging.Logger.manager._clear_cache()  # type: ignore[attr-defined]
    app = SandboxApp(make_dataset(20, seed=1))
    try:
        with (
            SandboxServer(app) as server,
            fk.Client(
                SANDBOX_API_KEY, connection_token=SANDBOX_CONNECTION_TOKEN, base_url=server.url
            ) as client,
        ):
            made.clear()  # the server's start-up may log; only the batch counts
            _fetch(client, list(app.dataset.fulfillment_ids))
            fetched = dict(made)
    finally:
        logging.Logger.manager._clear_cache()  # type: ignore[attr-defined]
    assert {k: v for k, v in fetched.items() if not k.startswith("uvicorn")} == {}


# -- the lane pool and the direct GET (fulfillkit.fetch.transport) ---------------------------


async def _echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An ASGI app answering every GET with what it received: path, query, headers."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = json.dumps(
        {
            "raw_path": scope["raw_path"].decode(),
            "query": scope["query_string"].decode(),
            "headers": {k.decode(): v.decode() for k, v in scope["headers"]},
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def echo_server() -> Iterator[SandboxServer]:
    with SandboxServer(cast(SandboxApp, _echo_app)) as server:
        yield server


@pytest.mark.parametrize("direct", [True, False])
def test_direct_get_sends_what_httpx_sends(echo_server: SandboxServer, direct: bool) -> None:
    async def main() -> dict[str, Any]:
        transport = Transport(base_url=echo_server.url + "/api", max_connections=2, timeout=5)
        assert transport._direct is not None  # no proxy in the test environment
        if not direct:
            transport._direct = None  # the httpx.AsyncClient path, for comparison
        try:
            raw = await transport.get(
                "/ecommerce/fulfillments/..%2Forders%2Fx",
                params={"remote_data": "true"},
                headers={"x-api-key": "k", "accept": "application/json"},
                max_bytes=1 << 20,
            )
        finally:
            await transport.aclose()
        assert raw.status == 200
        echoed: dict[str, Any] = json.loads(raw.body)
        return echoed

    echoed = asyncio.run(main())
    assert echoed["raw_path"] == "/api/ecommerce/fulfillments/..%2Forders%2Fx"
    assert echoed["query"] == "remote_data=true"
    headers = echoed["headers"]
    assert headers["host"] == echo_server.url.removeprefix("http://")
    assert headers["x-api-key"] == "k"
    assert headers["accept"] == "application/json"
    assert headers["accept-encoding"] == "gzip, deflate"


def test_lanes_are_reused_and_bounded(echo_server: SandboxServer) -> None:
    async def main() -> int:
        pool = LanePool(3)
        async with httpx.AsyncClient(base_url=echo_server.url, transport=pool) as client:
            for _ in range(3):
                responses = await asyncio.gather(*(client.get(f"/x/{i}") for i in range(10)))
                assert all(r.status_code == 200 for r in responses)
            return pool.open_lanes

    assert asyncio.run(main()) == 3


def test_waiting_for_a_lane_is_the_pool_timeout(echo_server: SandboxServer) -> None:
    async def main() -> None:
        pool = LanePool(1)
        timeout = httpx.Timeout(5.0, pool=0.05)
        async with httpx.AsyncClient(
            base_url=echo_server.url, transport=pool, timeout=timeout
        ) as client:
            request = client.build_request("GET", "/held")
            held = await client.send(request, stream=True)  # keeps the only lane busy
            with pytest.raises(httpx.PoolTimeout):
                await client.get("/waits")
            await held.aclose()  # the lane is free again
            assert (await client.get("/next")).status_code == 200

    asyncio.run(main())
