"""The list endpoint, ``via="list"``, and orders, over real HTTP to the sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pandas as pd
import pytest

import fulfillkit as fk
from fulfillkit.sandbox import (
    SANDBOX_API_KEY,
    SANDBOX_CONNECTION_TOKEN,
    Faults,
    SandboxApp,
    make_dataset,
)

MakeClient = Callable[..., fk.Client]


def test_list_walks_every_page_once(make_client: MakeClient) -> None:
    dataset = make_dataset(437, seed=31)
    app = SandboxApp(dataset)
    client = make_client(app)
    records = list(client.list(page_size=50, progress=False))
    ids = [r.id for r in records]
    assert len(ids) == len(set(ids)) == 437  # overlapping pages deduplicated
    assert set(ids) == set(dataset.fulfillment_ids)
    pages = app.stats.by_route["fulfillments.list"]
    assert 9 <= pages <= 12  # ceil(437 / 50) plus overlap at tied timestamps
    assert all("limit=50" in q for q in app.stats.queries)
    assert not any("limit=0" in q for q in app.stats.queries)
    assert not any("remote_data" in q for q in app.stats.queries)


def test_list_retries_a_failing_page(make_client: MakeClient) -> None:
    dataset = make_dataset(120, seed=32)
    # The first page (no cursor) fails twice with a 503 and then succeeds.
    app = SandboxApp(dataset, faults=Faults(script={"list:": ["503", "502", "ok"]}))
    client = make_client(app)
    records = list(client.list(page_size=40, progress=False))
    assert {r.id for r in records} == set(dataset.fulfillment_ids)
    assert app.stats.by_status[503] == 1 and app.stats.by_status[502] == 1


def test_list_frame_matches_by_id_frame(make_client: MakeClient) -> None:
    dataset = make_dataset(90, seed=33)
    client = make_client(SandboxApp(dataset))
    listed = client.list_frame(remote_data=True, progress=False)
    by_id = client.get_many(dataset.fulfillment_ids, remote_data=True, progress=False)
    expected = by_id.to_frame(remote_data=True)
    order = listed.sort_values(["id", "tracking_index"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        order[expected.columns],
        expected.sort_values(["id", "tracking_index"]).reset_index(drop=True),
    )


@pytest.mark.parametrize("via", ["list", "auto"])
def test_via_list_gives_the_same_result_with_fewer_requests(
    make_client: MakeClient, via: str
) -> None:
    dataset = make_dataset(300, seed=34)
    app = SandboxApp(dataset)
    client = make_client(app)
    ids = [*dataset.fulfillment_ids[::2], "f0000000-0000-4000-8000-000000000000"]
    batch = client.get_many(ids, via=via, progress=False)  # type: ignore[arg-type]
    requests_via_list = app.stats.requests
    app.stats.reset()
    reference = client.get_many(ids, progress=False)
    assert app.stats.requests == len(ids)
    assert requests_via_list < len(ids) / 10  # 3 pages and one by-id request
    assert [f.id for f in batch] == [f.id for f in reference]
    pd.testing.assert_frame_equal(batch.to_frame(), reference.to_frame())
    assert [(e.id, e.kind) for e in batch.errors] == [(ids[-1], "not_found")]


def test_auto_falls_back_to_ids_quickly_for_a_few_ids(make_client: MakeClient) -> None:
    dataset = make_dataset(2000, seed=35)
    app = SandboxApp(dataset)
    client = make_client(app)
    ids = dataset.fulfillment_ids[-6:]  # at the end of the listing order
    batch = client.get_many(ids, via="auto", progress=False)
    assert batch.ok
    assert app.stats.requests <= len(ids) + len(ids) // 2  # never more than 1.5x by id


def test_bad_via_and_page_size(make_client: MakeClient) -> None:
    client = make_client(SandboxApp(make_dataset(5, seed=36)))
    with pytest.raises(fk.ConfigurationError, match="via"):
        client.get_many(["a"], via="sideways")  # type: ignore[arg-type]
    with pytest.raises(fk.ConfigurationError, match="page_size"):
        list(client.list(page_size=0))


def test_async_list() -> None:
    dataset = make_dataset(130, seed=37)

    async def main() -> list[fk.Fulfillment]:
        async with fk.AsyncClient(
            SANDBOX_API_KEY,
            connection_token=SANDBOX_CONNECTION_TOKEN,
            base_url="http://sandbox.localhost",
            transport=httpx.ASGITransport(app=SandboxApp(dataset)),
        ) as client:
            return [f async for f in client.list(page_size=60, progress=False)]

    assert {f.id for f in asyncio.run(main())} == set(dataset.fulfillment_ids)


def test_get_orders_with_missing_and_null_ids(make_client: MakeClient) -> None:
    dataset = make_dataset(60, seed=38)
    app = SandboxApp(dataset)
    client = make_client(app)
    frame = client.get_many(dataset.fulfillment_ids, progress=False).to_frame()
    nulls = pd.Series([None, pd.NA], dtype="string")
    order_ids = pd.concat([frame["order_id"], nulls], ignore_index=True)  # nulls are skipped
    result = client.get_orders(order_ids, progress=False)
    distinct = set(order_ids.dropna())
    assert len(result.orders) + len(result.errors) == len(distinct)
    assert {o.id for o in result.orders} <= set(dataset.order_ids)
    assert {e.kind for e in result.errors} <= {"not_found"}
    assert all(isinstance(o, fk.Order) for o in result)
    one = client.get_order(result.orders[0].id or "")
    assert one.id == result.orders[0].id
