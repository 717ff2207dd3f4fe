"""The store over real HTTP (uvicorn on loopback) and in-process: first sync, no-change
resync, frames equal to the in-memory path, several connections, foreign files, secrets."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import httpx
import pandas as pd
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

from ..conftest import ClientFactory


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "shop.duckdb"


def test_first_sync_stores_every_record_verbatim(
    make_client: ClientFactory, app: SandboxApp, dataset: Dataset, store_path: Path
) -> None:
    client = make_client(app)
    store = fk.Store(store_path)
    report = store.sync(client, progress=False)
    n, orders = len(dataset.fulfillment_ids), len(dataset.order_ids)
    assert report.ok and (report.new, report.changed, report.unchanged) == (n + orders, 0, 0)
    assert report.requests == -(-n // 100) + -(-orders // 100)  # ceil(n / page size) each
    assert report.plans["fulfillments"].startswith("refresh=auto: first sync")
    stored = store.sql("select id, raw_json from fulfillments order by id")
    assert sorted(stored["id"]) == sorted(dataset.fulfillment_ids)
    for record_id, raw in stored.itertuples(index=False):
        assert json.loads(raw) == dataset.get_fulfillment(record_id, remote_data=True)
    # Byte for byte what the server sent: compare with a plain HTTP request.
    transport = httpx.ASGITransport(app=app)
    one = dataset.fulfillment_ids[7]

    async def fetch() -> bytes:
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as http:
            response = await http.get(
                f"/ecommerce/fulfillments/{one}",
                params={"remote_data": "true"},
                headers={
                    "x-api-key": SANDBOX_API_KEY,
                    "x-connection-token": SANDBOX_CONNECTION_TOKEN,
                },
            )
            return response.content

    import asyncio

    body = asyncio.run(fetch())
    assert str(stored.set_index("id").loc[one, "raw_json"]).encode() == body
    assert len(store.sql("select * from orders")) == orders
    assert store.sql("select count(*) as n from versions")["n"][0] == n + orders


def test_a_resync_with_nothing_new_costs_one_or_two_requests(
    make_client: ClientFactory, app: SandboxApp, dataset: Dataset, store_path: Path
) -> None:
    client = make_client(app)
    store = fk.Store(store_path)
    store.sync(client, progress=False)
    before = app.stats.requests
    again = store.sync(client, refresh="none", progress=False)
    assert again.ok and again.new == 0 and again.changed == 0
    assert app.stats.requests - before == again.requests <= 4  # <= 2 per resource
    assert again.unchanged > 0
    assert store.sql("select count(*) as n from versions")["n"][0] == (
        len(dataset.fulfillment_ids) + len(dataset.order_ids)
    )  # an unchanged record adds no version
    log = store.syncs()
    assert log["outcome"].tolist() == ["complete", "complete"]
    assert log["new"].tolist()[1] == 0


def test_store_frame_equals_the_in_memory_frame(
    make_client: ClientFactory, app: SandboxApp, store_path: Path
) -> None:
    client = make_client(app)
    store = fk.Store(store_path)
    store.sync(client, progress=False)
    records = list(client.list(remote_data=True, progress=False))
    records.sort(key=lambda r: (r.created_at, r.id))
    expected = fk.to_frame(records)
    got = store.to_frame()
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))
    flat = store.to_frame(explode=False, field_mappings="json")
    pd.testing.assert_frame_equal(flat, fk.to_frame(records, explode=False, field_mappings="json"))
    since = records[len(records) // 2].created_at
    window = store.to_frame(since=since)
    assert set(window["id"]) == {r.id for r in records if r.created_at >= since}  # type: ignore[operator]


def test_two_connections_in_one_store(dataset: Dataset, store_path: Path) -> None:
    other = make_dataset(40, seed=99)
    token_b = "sandbox-connection-token-two"
    app_a, app_b = SandboxApp(dataset), SandboxApp(other, connection_tokens=(token_b,))
    store = fk.Store(store_path)
    with (
        SandboxServer(app_a) as a,
        SandboxServer(app_b) as b,
        fk.Client(SANDBOX_API_KEY, connection_token=SANDBOX_CONNECTION_TOKEN, base_url=a.url) as ca,
        fk.Client(SANDBOX_API_KEY, connection_token=token_b, base_url=b.url) as cb,
    ):
        report = store.sync([ca, cb], label=["a-shop", "b-shop"], progress=False)
        assert [p.connection for p in report.parts] == ["a-shop", "b-shop"]
        again = store.sync(cb, progress=False)  # recognised by URL + token, no label needed
        assert again.connection == "b-shop" and again.new == 0
    assert store.connections() == ["a-shop", "b-shop"]
    frame = store.to_frame()
    assert frame.columns[0] == "connection"
    counts = frame.drop_duplicates("id").groupby("connection").size().to_dict()
    assert counts == {"a-shop": len(dataset.fulfillment_ids), "b-shop": 40}
    only_b = store.to_frame(connection="b-shop")
    assert set(only_b["connection"]) == {"b-shop"}


def test_the_token_never_reaches_the_file(
    make_client: ClientFactory, app: SandboxApp, store_path: Path
) -> None:
    store = fk.Store(store_path)
    store.sync(make_client(app), progress=False)
    data = store_path.read_bytes()
    for wal in store_path.parent.glob("*.wal"):
        data += wal.read_bytes()
    assert SANDBOX_CONNECTION_TOKEN.encode() not in data
    assert SANDBOX_API_KEY.encode() not in data


def test_a_foreign_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    text = tmp_path / "notes.duckdb"
    text.write_text("not a database")
    with pytest.raises(fk.NotAStoreError, match="not a fulfillkit store"):
        fk.Store(text)
    assert text.read_text() == "not a database"
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("create table t as select 1 as x")
    con.close()
    before = other.read_bytes()
    store = fk.Store(other)
    with (
        fk.Client.sandbox(n=5) as client,
        pytest.raises(fk.NotAStoreError, match="not a fulfillkit store"),
    ):
        store.sync(client, progress=False)
    with pytest.raises(fk.NotAStoreError):
        store.to_frame()
    assert other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.duckdb", "other.duckdb"]


def test_an_empty_store_reads_as_empty(store_path: Path) -> None:
    store = fk.Store(store_path)
    frame = store.to_frame()
    assert len(frame) == 0 and list(frame.columns) == list(fk.to_frame([]).columns)
    assert store.connections() == [] and not store_path.exists()


def test_history_and_status_changes_of_a_fresh_store(
    make_client: ClientFactory, app: SandboxApp, dataset: Dataset, store_path: Path
) -> None:
    store = fk.Store(store_path)
    store.sync(make_client(app), progress=False)
    history = store.history(dataset.fulfillment_ids[0])
    assert history["version"].tolist() == [1]
    assert history.loc[0, "id"] == dataset.fulfillment_ids[0]
    changes = fk.status_changes(store)
    assert len(changes) == len(dataset.fulfillment_ids)  # each record's first status
    assert changes["from_status"].isna().all()


def test_sql_is_read_only(make_client: ClientFactory, app: SandboxApp, store_path: Path) -> None:
    store = fk.Store(store_path)
    store.sync(make_client(app), progress=False)
    with pytest.raises(fk.StoreError, match="read-only"):
        store.sql("delete from fk_fulfillments_seen")
    with pytest.raises(fk.StoreError, match="read-only"):
        store.sql("select 1; drop table fk_meta")
    assert store.sql("select count(*) as n from tracking")["n"][0] == len(store.to_frame())


def test_max_requests_caps_a_sync_and_the_next_continues(
    make_client: ClientFactory, app: SandboxApp, dataset: Dataset, store_path: Path
) -> None:
    client = make_client(app)
    store = fk.Store(store_path)
    capped = store.sync(client, max_requests=3, page_size=10, orders=False, progress=False)
    assert capped.outcome == "capped" and capped.requests == 3 and capped.left_for_next == 1
    assert capped.new == 30 and not capped.ok
    rest = store.sync(client, refresh="none", page_size=10, orders=False, progress=False)
    assert rest.ok and rest.new == len(dataset.fulfillment_ids) - 30
    # Resumed from the stored rows (an overlap of a page at most), not from the start.
    assert rest.unchanged <= 10
    assert rest.requests <= -(-(len(dataset.fulfillment_ids) - 30) // 10) + 2
    assert store.syncs()["outcome"].tolist() == ["capped", "complete"]


def test_a_listing_that_fails_is_reported_not_skipped(dataset: Dataset, store_path: Path) -> None:
    import httpx

    from fulfillkit.sandbox import Faults

    app = SandboxApp(dataset, faults=Faults(script={"list:": ["invalid_json"]}))
    with fk.Client(
        SANDBOX_API_KEY,
        connection_token=SANDBOX_CONNECTION_TOKEN,
        base_url="http://sandbox.localhost",
        transport=httpx.ASGITransport(app=app),
    ) as client:
        report = fk.Store(store_path).sync(client, orders=False, progress=False)
        assert report.outcome == "failed" and not report.ok
        assert [e.id for e in report.errors] == ["listing fulfillments"]
        assert report.errors[0].kind == "invalid_response"
        assert report.errors_frame()["kind"].tolist() == ["invalid_response"]
        store = fk.Store(store_path)
        assert store.sql("select id, kind from sync_errors")["id"].tolist() == [
            "listing fulfillments"
        ]
        again = store.sync(client, orders=False, progress=False)  # the script is spent
        assert again.ok and again.new == len(dataset.fulfillment_ids)


def test_refused_credentials_stop_the_sync_and_are_recorded(
    make_client: ClientFactory, app: SandboxApp, store_path: Path
) -> None:
    store = fk.Store(store_path)
    client = make_client(app, api_key="wrong-key-123456")
    with pytest.raises(fk.AuthenticationError) as info:
        store.sync(client, progress=False)
    assert store.syncs()["outcome"].tolist() == ["failed"]
    assert info.value.partial is not None


def test_async_clients_sync_on_the_callers_loop(dataset: Dataset, store_path: Path) -> None:
    import asyncio

    store = fk.Store(store_path)

    async def main() -> fk.SyncReport:
        async with fk.AsyncClient.sandbox(n=len(dataset.fulfillment_ids), seed=7) as client:
            return await store.async_sync(client, progress=False)

    report = asyncio.run(main())
    assert report.ok and report.by_resource["fulfillments"]["new"] == len(dataset.fulfillment_ids)

    async def wrong_face() -> None:
        async with fk.AsyncClient.sandbox(n=3) as client:
            with pytest.raises(fk.ConfigurationError, match="async_sync"):
                store.sync(client)  # type: ignore[arg-type]

    asyncio.run(wrong_face())


def test_a_connection_keeps_its_remote_data_setting(
    make_client: ClientFactory, app: SandboxApp, store_path: Path
) -> None:
    store = fk.Store(store_path)
    client = make_client(app)
    store.sync(client, remote_data=False, orders=False, progress=False)
    with pytest.raises(fk.ConfigurationError, match="remote_data=False"):
        store.sync(client, remote_data=True, progress=False)
    assert "shipment_status" not in store.to_frame().columns
    with pytest.raises(fk.ConfigurationError, match="stored as"):
        store.sync(client, label="another name", progress=False)


def test_reports_accept_a_store(
    make_client: ClientFactory, app: SandboxApp, store_path: Path
) -> None:
    store = fk.Store(store_path)
    store.sync(make_client(app), progress=False)
    report = fk.carrier_report(store)
    assert report.equals(fk.carrier_report(store.to_frame()))
    assert len(fk.audit(store)) == len(fk.audit(store.to_frame()))


def test_a_store_of_a_newer_format_is_refused_with_what_to_install(
    make_client: ClientFactory, app: SandboxApp, store_path: Path
) -> None:
    fk.Store(store_path).sync(make_client(app), orders=False, progress=False)
    con = duckdb.connect(str(store_path))
    con.execute("UPDATE fk_meta SET value = '99' WHERE key = 'version'")
    con.close()
    before = store_path.read_bytes()
    with pytest.raises(fk.StoreVersionError, match=r"format 99.*pip install -U fulfillkit"):
        fk.Store(store_path).to_frame()
    with pytest.raises(fk.StoreVersionError):
        fk.Store(store_path).sync(make_client(app), progress=False)
    assert store_path.read_bytes() == before


def test_a_damaged_store_is_refused_and_left_as_it_is(
    make_client: ClientFactory, app: SandboxApp, store_path: Path
) -> None:
    fk.Store(store_path).sync(make_client(app), orders=False, progress=False)
    data = store_path.read_bytes()
    store_path.write_bytes(data[: len(data) // 3])  # a file cut short: a copy that died
    damaged = store_path.read_bytes()
    with pytest.raises(fk.NotAStoreError, match="not modified"):
        fk.Store(store_path).to_frame()
    assert store_path.read_bytes() == damaged


def test_every_reader_and_the_report_of_a_sync(
    make_client: ClientFactory, app: SandboxApp, store_path: Path
) -> None:
    store = fk.Store(store_path)
    report = store.sync(make_client(app), progress=False)
    html = report._repr_html_()
    assert "<b>SyncReport</b>" in html and "complete" in html and f"{report.new:,}" in html
    assert "sync of" in report.text() and repr(report).startswith("SyncReport(")
    frame = store.to_frame()
    middle = frame["created_at"].sort_values().iloc[len(frame) // 2]
    early, late = store.to_frame(until=middle), store.to_frame(since=middle)
    assert len(early) + len(late) == len(frame) and (early["created_at"] < middle).all()
    polars = pytest.importorskip("polars")
    table = store.to_polars()
    assert isinstance(table, polars.DataFrame) and table.height == len(frame)
    arrow = store.to_arrow(explode=False)
    assert arrow.num_rows == frame["id"].nunique()
    assert list(store.orders_frame().columns) == list(fk.orders_frame([]).columns)
    assert store._repr_html_().count("<tr>") == 2  # the header and one connection
