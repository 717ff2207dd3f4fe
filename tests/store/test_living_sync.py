"""Incremental sync against the living sandbox, over real loopback HTTP and in-process:
the shop moves on between syncs, and the store gets exactly what changed, with versions;
rows inserted into a tie at a page boundary are not lost; a cursor row deleted upstream
falls back to an earlier one, then to a full scan."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

import fulfillkit as fk
from fulfillkit.sandbox import (
    SANDBOX_API_KEY,
    SANDBOX_CONNECTION_TOKEN,
    SandboxApp,
    SandboxServer,
    make_dataset,
)

ClientOf = Callable[[SandboxApp], fk.Client]


@pytest.fixture(params=["asgi", "uvicorn"])
def client_of(request: pytest.FixtureRequest) -> Iterator[ClientOf]:
    """A client of an app, in-process or over loopback HTTP."""
    opened: list[fk.Client] = []
    servers: list[SandboxServer] = []

    def make(app: SandboxApp) -> fk.Client:
        if request.param == "asgi":
            client = fk.Client.sandbox(app=app)
        else:
            server = SandboxServer(app)
            server.start()
            servers.append(server)
            client = fk.Client(
                SANDBOX_API_KEY, connection_token=SANDBOX_CONNECTION_TOKEN, base_url=server.url
            )
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()
    for server in servers:
        server.stop()


def test_advance_then_sync_gets_exactly_what_is_new_and_changed(
    client_of: ClientOf, tmp_path: Path
) -> None:
    app = SandboxApp(make_dataset(600, seed=4), rate_limit=None)
    dataset = app.dataset
    store = fk.Store(tmp_path / "shop.duckdb")
    client = client_of(app)
    first = store.sync(client, refresh="all", progress=False)
    assert first.by_resource["fulfillments"]["new"] == 600
    before = app.now
    app.advance(days=9)
    new = set(dataset.fulfillment_ids_at(app.now)) - set(dataset.fulfillment_ids_at(before))
    changed = set(dataset.changed_fulfillment_ids(before, app.now))
    new_orders = set(dataset.order_ids_at(app.now)) - set(dataset.order_ids_at(before))
    changed_orders = set(dataset.changed_order_ids(before, app.now))
    assert new and changed  # the shop did move
    second = store.sync(client, refresh="all", progress=False)
    assert second.by_resource["fulfillments"] == {
        "new": len(new),
        "changed": len(changed),
        "unchanged": 600 - len(changed),
    }
    assert second.by_resource["orders"]["new"] == len(new_orders)
    assert second.by_resource["orders"]["changed"] == len(changed_orders)
    versions = store.sql(
        "select id, count(*) as n from versions where resource = 'fulfillments' group by id"
    )
    twice = set(versions.loc[versions["n"] == 2, "id"])
    assert twice == changed and (versions["n"] <= 2).all()
    some = sorted(changed)[0]
    history = store.history(some)
    assert history["version"].tolist() == [1, 2]
    assert history["modified_at"].is_monotonic_increasing
    # What the store holds now is the shop's truth now, value for value.
    truth = list(dataset.fulfillments_at(app.now, remote_data=True))
    truth.sort(key=lambda r: (r["created_at"], r["id"]))
    pd.testing.assert_frame_equal(store.to_frame(), fk.to_frame(truth))


def test_open_refresh_reads_the_open_records_and_finds_their_changes(
    client_of: ClientOf, tmp_path: Path
) -> None:
    app = SandboxApp(make_dataset(3000, seed=8), rate_limit=None)
    dataset = app.dataset
    store = fk.Store(tmp_path / "shop.duckdb")
    client = client_of(app)
    store.sync(client, progress=False)
    before = app.now
    app.advance(days=3)
    report = store.sync(client, orders=False, refresh="open", progress=False)
    assert report.plans["fulfillments"].startswith("refresh=open: re-read ")  # not a rescan
    changed = set(dataset.changed_fulfillment_ids(before, app.now))
    # "Recent": created within 30 days of the newest record the store holds after listing
    # what is new (the shop's own clock); older open parcels that turn up are out of scope.
    newest = max(r["created_at"] for r in dataset.fulfillments_at(app.now, remote_data=False))
    recent = {
        i
        for i in changed
        if (dataset.fulfillment_at(i, before) or {}).get("created_at", "")
        >= _days_before(newest, 30)
    }
    found = set(
        store.sql("select id from versions where resource = 'fulfillments' and version = 2")["id"]
    )
    assert recent <= found <= changed  # every open recent change; nothing invented
    # The new records' page(s), then one request per open record: no rescan.
    opened = int(report.plans["fulfillments"].split("re-read ")[1].split()[0].replace(",", ""))
    assert report.requests <= 2 + opened
    auto = store.sync(client, orders=False, progress=False)  # auto: the cheaper of the two
    assert auto.plans["fulfillments"].startswith("refresh=auto: rescan of 3,0")
    assert "page(s) is cheaper than" in auto.plans["fulfillments"]


def _days_before(stamp: str, days: int) -> str:
    from datetime import datetime, timedelta

    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) - timedelta(days=days)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_a_row_inserted_into_a_tie_at_a_page_boundary_is_not_lost(
    client_of: ClientOf, tmp_path: Path
) -> None:
    app = SandboxApp(make_dataset(40, seed=2), rate_limit=None)
    dataset = app.dataset
    last = dataset.fulfillments_at(remote_data=False)[-1]["created_at"]
    tie = [dataset.insert_fulfillment(last) for _ in range(4)]  # the newest tie: 5 rows
    store = fk.Store(tmp_path / "shop.duckdb")
    client = client_of(app)
    first = store.sync(client, orders=False, page_size=3, progress=False)
    assert first.new == 44 and set(tie) <= set(store.to_frame()["id"])
    late = dataset.insert_fulfillment(last)  # ahead of the tie, which spans pages of 3
    report = store.sync(client, orders=False, page_size=3, refresh="none", progress=False)
    assert report.new == 1 and late in set(store.to_frame()["id"])
    assert report.requests <= 3  # the tie again (5 + 1 rows, pages of 3), not the whole list


def _resume_row(store: fk.Store) -> str:
    """The row a resumed listing starts from: the newest strictly before the newest time."""
    return str(
        store.sql(
            "select id from fulfillments where created_at < (select max(created_at) from "
            "fulfillments) order by created_at desc, id desc limit 1"
        )["id"][0]
    )


def test_a_deleted_cursor_row_falls_back_to_an_earlier_one_then_a_full_scan(
    client_of: ClientOf, tmp_path: Path
) -> None:
    app = SandboxApp(make_dataset(300, seed=6), rate_limit=None)
    dataset = app.dataset
    store = fk.Store(tmp_path / "shop.duckdb")
    client = client_of(app)
    store.sync(client, orders=False, page_size=20, progress=False)
    dataset.delete_fulfillment(_resume_row(store))
    app.advance(days=5)
    report = store.sync(client, orders=False, page_size=20, refresh="none", progress=False)
    assert report.ok and report.deleted_cursor_fallbacks == 1
    assert report.requests <= 5  # the earlier cursor is only a page back
    assert set(dataset.fulfillment_ids_at(app.now)) <= set(store.to_frame()["id"])
    # Both stored resume rows gone: a full scan, still nothing lost.
    first = _resume_row(store)
    earlier = str(
        store.sql(
            "select id from fulfillments where created_at < (select max(created_at) from "
            "fulfillments) order by created_at desc, id desc limit 1 offset 20"
        )["id"][0]
    )
    dataset.delete_fulfillment(first)
    dataset.delete_fulfillment(earlier)
    app.advance(days=5)
    full = store.sync(client, orders=False, page_size=20, refresh="none", progress=False)
    assert full.ok and full.deleted_cursor_fallbacks == 2
    assert set(dataset.fulfillment_ids_at(app.now)) <= set(store.to_frame()["id"])
    assert full.requests >= 300 // 20  # the whole list once more


def test_status_changes_follow_parcels_through_their_states(tmp_path: Path) -> None:
    app = SandboxApp(make_dataset(1000, seed=0), rate_limit=None)
    store = fk.Store(tmp_path / "shop.duckdb")
    with fk.Client.sandbox(app=app) as client:
        store.sync(client, progress=False)
        for _ in range(4):
            app.advance(days=3)
            store.sync(client, progress=False)
    changes = fk.status_changes(store)
    moved = changes[changes["from_status"].notna()]
    assert len(moved) > 0
    assert (moved["from_status"] != moved["to_status"]).all()
    assert set(moved["to_status"].dropna()) <= {
        "confirmed",
        "in_transit",
        "out_for_delivery",
        "delivered",
        "attempted_delivery",
        "failure",
        "label_printed",
    }
    one = moved.iloc[0]
    steps = changes[changes["id"] == one["id"]]
    assert steps["changed_at"].is_monotonic_increasing
    assert list(steps.columns) == [
        "connection",
        "id",
        "carrier",
        "from_status",
        "to_status",
        "changed_at",
        "observed_at",
        "version",
    ]
