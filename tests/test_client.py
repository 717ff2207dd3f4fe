"""The fetch layer over real HTTP: sync and async, single and batch, every error kind.

Each test runs twice: in-process through ``httpx.ASGITransport`` and against uvicorn on a
loopback port (the ``make_client`` fixture), except where only one of them can show it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import fulfillkit as fk
from fulfillkit.sandbox import (
    SANDBOX_API_KEY,
    SANDBOX_CONNECTION_TOKEN,
    Dataset,
    Faults,
    SandboxApp,
    SandboxServer,
)

from .conftest import fast_retries

MakeClient = Callable[..., fk.Client]


def _missing(n: int) -> list[str]:
    return [str(uuid.uuid5(uuid.NAMESPACE_URL, f"missing-{i}")) for i in range(n)]


def _expected(dataset: Dataset, record_id: str, remote_data: bool = False) -> dict[str, Any]:
    record = dataset.get_fulfillment(record_id, remote_data=remote_data)
    assert record is not None
    return fk.Fulfillment.model_validate(record).model_dump()


def test_get_one(make_client: MakeClient, app: SandboxApp, dataset: Dataset) -> None:
    client = make_client(app)
    record_id = dataset.fulfillment_ids[3]
    record = client.get(record_id)
    assert isinstance(record, fk.Fulfillment)
    assert record.model_dump() == _expected(dataset, record_id)
    assert record.remote_data is None
    assert record.created_at is not None and record.created_at.utcoffset() is not None
    assert app.stats.queries == [""]  # remote_data=False is never sent


def test_get_with_remote_data(make_client: MakeClient, app: SandboxApp, dataset: Dataset) -> None:
    client = make_client(app)
    record_id = dataset.fulfillment_ids[5]
    record = client.get(record_id, remote_data=True)
    assert isinstance(record.remote_data, dict) and "line_items" in record.remote_data
    assert record.model_dump() == _expected(dataset, record_id, remote_data=True)
    assert app.stats.queries == ["remote_data=true"]


def test_get_many_keeps_first_seen_order_and_fetches_duplicates_once(
    make_client: MakeClient, app: SandboxApp, dataset: Dataset
) -> None:
    client = make_client(app, max_concurrency=5)
    ids = dataset.fulfillment_ids[:40]
    requested = [*reversed(ids), ids[0], ids[1], ids[0]]
    batch = client.get_many(requested, progress=False)
    assert batch.ok and not batch.errors
    assert [f.id for f in batch.fulfillments] == list(reversed(ids))
    assert len(batch) == 40 and batch.requested == 40
    assert set(app.stats.per_id.values()) == {1}
    assert app.stats.requests == 40


def test_async_get_many(app: SandboxApp, dataset: Dataset) -> None:
    ids = dataset.fulfillment_ids[:30] + _missing(2)

    async def main() -> fk.BatchResult:
        async with fk.AsyncClient(
            SANDBOX_API_KEY,
            connection_token=SANDBOX_CONNECTION_TOKEN,
            base_url="http://sandbox.localhost",
            transport=httpx.ASGITransport(app=app),
        ) as client:
            single = await client.get(ids[0])
            assert single.id == ids[0]
            return await client.get_many(ids, progress=False)

    batch = asyncio.run(main())
    assert [f.id for f in batch] == ids[:30]
    assert [(e.id, e.kind, e.status, e.attempts) for e in batch.errors] == [
        (i, "not_found", 500, 1) for i in ids[30:]
    ]


def test_async_client_over_loopback(server: SandboxServer, dataset: Dataset) -> None:
    async def main() -> fk.BatchResult:
        async with fk.AsyncClient(
            SANDBOX_API_KEY, connection_token=SANDBOX_CONNECTION_TOKEN, base_url=server.url
        ) as client:
            return await client.get_many(dataset.fulfillment_ids[:50], progress=False)

    batch = asyncio.run(main())
    assert batch.ok and len(batch) == 50


def test_sync_client_inside_a_running_event_loop(
    make_client: MakeClient, app: SandboxApp, dataset: Dataset
) -> None:
    """A Jupyter cell runs inside an event loop; the sync client must still work there."""
    client = make_client(app)

    async def cell() -> fk.BatchResult:
        assert asyncio.get_running_loop() is not None
        client.get(dataset.fulfillment_ids[0])
        return client.get_many(dataset.fulfillment_ids[:10], progress=False)

    batch = asyncio.run(cell())
    assert batch.ok and len(batch) == 10


def test_every_id_is_accounted_for(
    make_client: MakeClient, app: SandboxApp, dataset: Dataset
) -> None:
    client = make_client(app, max_concurrency=7)
    good = dataset.fulfillment_ids[:25]
    ids = [*good, *_missing(4), "not-a-uuid", good[0]]
    batch = client.get_many(ids, progress=False)
    distinct = set(ids)
    got = {f.id for f in batch.fulfillments} | {e.id for e in batch.errors}
    assert got == distinct
    assert len(batch.fulfillments) + len(batch.errors) == len(distinct)
    assert {e.id: e.kind for e in batch.errors} == {
        **dict.fromkeys(_missing(4), "not_found"),
        "not-a-uuid": "not_found",
    }
    bad_uuid = next(e for e in batch.errors if e.id == "not-a-uuid")
    assert "UUID" in bad_uuid.message


HOSTILE_IDS = [
    "../orders/x",
    "a/b",
    "x?y=1",
    "#",
    "#frag",
    "100%",
    "%2F",
    "a b",
    ".",
    "..",
    "ünïcødé-✓",
    "?remote_data=true",
    "x" * 10_000,
]


def test_hostile_ids_reach_the_server_verbatim_in_one_segment(
    make_client: MakeClient, app: SandboxApp
) -> None:
    client = make_client(app, max_concurrency=1)
    batch = client.get_many(HOSTILE_IDS, progress=False)
    assert app.stats.seen_ids == HOSTILE_IDS
    assert app.stats.queries == [""] * len(HOSTILE_IDS)
    assert all(
        p.startswith("/ecommerce/fulfillments/") and p.count("/") == 3 for p in app.stats.raw_paths
    )
    assert [e.id for e in batch.errors] == HOSTILE_IDS
    assert {e.kind for e in batch.errors} == {"not_found"}
    assert app.stats.by_route.get("orders", 0) == 0


@pytest.mark.parametrize(
    ("many", "one"), [([""], ""), (["ok", None], None), ("abc", 5), ([b"bytes"], b"bytes")]
)
def test_bad_ids_fail_before_any_request(
    make_client: MakeClient, app: SandboxApp, many: Any, one: Any
) -> None:
    client = make_client(app)
    with pytest.raises(fk.InvalidIdError):
        client.get_many(many)
    with pytest.raises(ValueError, match="id"):
        client.get(one)
    assert app.stats.requests == 0


def test_not_found_is_not_retried(make_client: MakeClient, app: SandboxApp) -> None:
    client = make_client(app)
    missing = _missing(1)[0]
    with pytest.raises(fk.NotFoundError) as info:
        client.get(missing)
    assert info.value.kind == "not_found"
    assert info.value.status == 500
    assert info.value.attempts == 1
    assert app.stats.per_id[missing] == 1
    assert missing in str(info.value)


def test_transient_faults_are_retried_and_counted(
    make_client: MakeClient, dataset: Dataset
) -> None:
    ids = dataset.fulfillment_ids[:6]
    script = {
        ids[0]: ["503", "503", "ok"],
        ids[1]: ["502", "ok"],
        ids[2]: ["504", "429", "ok"],
        ids[3]: ["drop", "ok"],
        ids[4]: ["truncate", "500", "ok"],
    }
    app = SandboxApp(dataset, faults=Faults(script=script, retry_after=0.01))
    client = make_client(app, max_retries=3)
    batch = client.get_many(ids, progress=False)
    assert batch.ok, batch.errors
    assert [app.stats.per_id[i] for i in ids] == [3, 2, 3, 2, 3, 1]


@pytest.mark.parametrize(
    ("script", "kind", "status", "attempts", "exc"),
    [
        (["503"] * 9, "server", 503, 3, fk.ServerError),
        (["500"] * 9, "server", 500, 2, fk.ServerError),  # unknown 500: retried once
        (["429"] * 9, "rate_limited", 429, 3, fk.RateLimitError),
        (["drop"] * 9, "network", None, 3, fk.NetworkError),
        (["invalid_json"] * 2, "invalid_response", 200, 1, fk.InvalidResponseError),
        (["html"] * 2, "invalid_response", 200, 1, fk.InvalidResponseError),
        (["null"] * 2, "invalid_response", 200, 1, fk.InvalidResponseError),
        (["wrong_types"] * 2, "invalid_response", 200, 1, fk.InvalidResponseError),
        (["not_found"] * 2, "not_found", 500, 1, fk.NotFoundError),
    ],
)
def test_each_error_kind(
    make_client: MakeClient,
    dataset: Dataset,
    script: list[str],
    kind: str,
    status: int | None,
    attempts: int,
    exc: type[fk.FetchFailed],
) -> None:
    target, other = dataset.fulfillment_ids[:2]
    app = SandboxApp(dataset, faults=Faults(script={target: script}, retry_after=0.01))
    client = make_client(app, max_retries=2)
    batch = client.get_many([target, other], progress=False)
    assert [f.id for f in batch.fulfillments] == [other]  # the rest of the batch goes on
    [error] = batch.errors
    assert (error.id, error.kind, error.status, error.attempts) == (target, kind, status, attempts)
    assert app.stats.per_id[target] == attempts  # attempts is the real request count
    app.stats.reset()
    with pytest.raises(exc) as info:
        client.get(target)
    assert info.value.kind == kind


def test_timeout_kind(dataset: Dataset) -> None:
    """Timeouts need a real socket (ASGITransport ignores timeouts)."""
    target = dataset.fulfillment_ids[0]
    app = SandboxApp(dataset, faults=Faults(script={target: ["slow"] * 5}, slow_seconds=1.0))
    with (
        SandboxServer(app) as server,
        fk.Client(
            SANDBOX_API_KEY,
            connection_token=SANDBOX_CONNECTION_TOKEN,
            base_url=server.url,
            timeout=0.2,
            retry_policy=fast_retries(1),
        ) as client,
    ):
        batch = client.get_many([target, dataset.fulfillment_ids[1]], progress=False)
        with pytest.raises(fk.TimeoutError) as info:  # also a builtin TimeoutError
            client.get(target)
    assert isinstance(info.value, TimeoutError) and info.value.attempts == 2
    [error] = batch.errors
    assert (error.kind, error.status, error.attempts) == ("timeout", None, 2)
    assert len(batch) == 1


def test_unknown_api_key_stops_the_batch(make_client: MakeClient, dataset: Dataset) -> None:
    app = SandboxApp(dataset)
    client = make_client(app, api_key="wrong-key-1234", max_concurrency=4)
    with pytest.raises(fk.AuthenticationError) as info:
        client.get_many(dataset.fulfillment_ids[:100], progress=False)
    assert info.value.kind == "auth" and info.value.attempts == 1
    assert app.stats.requests <= 4  # at most max_concurrency requests
    assert "wrong-key-1234" not in str(info.value)


def test_unknown_connection_token_is_auth_and_redacted(
    make_client: MakeClient, dataset: Dataset
) -> None:
    app = SandboxApp(dataset)
    client = make_client(app, connection_token="tok-not-known-5678")
    with pytest.raises(fk.AuthenticationError) as info:
        client.get(dataset.fulfillment_ids[0])
    assert info.value.status == 500
    assert "tok-not-known-5678" not in str(info.value)
    assert "tok-not-known-5678" not in repr(info.value)
    assert "Connection undefined for token" in str(info.value)


def test_response_size_cap(make_client: MakeClient, app: SandboxApp, dataset: Dataset) -> None:
    client = make_client(app, max_response_bytes=200)
    with pytest.raises(fk.InvalidResponseError, match="max_response_bytes"):
        client.get(dataset.fulfillment_ids[0], remote_data=True)


def test_closed_client_refuses(app: SandboxApp, dataset: Dataset) -> None:
    client = fk.Client.sandbox(n=3)
    client.close()
    client.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        client.get(dataset.fulfillment_ids[0])


def test_sandbox_constructor_needs_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PANORA_API_KEY", raising=False)
    with fk.Client.sandbox(n=15, seed=3) as client:
        batch = client.get_many(client.sandbox_ids, progress=False)
    assert batch.ok and len(batch) == 15


def test_progress_bar_respects_tqdm_disable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with fk.Client.sandbox(n=5) as client:
        monkeypatch.setenv("TQDM_DISABLE", "1")
        client.get_many(client.sandbox_ids, progress=None)
        assert capsys.readouterr().err == ""
        monkeypatch.delenv("TQDM_DISABLE")
        client.get_many(client.sandbox_ids + _missing(1), progress=None)
        err = capsys.readouterr().err
        assert "6/6" in err and "errors=1" in err
        client.get_many(client.sandbox_ids, progress=False)
        assert capsys.readouterr().err == ""
