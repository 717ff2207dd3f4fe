"""sandbox.advance: the same connection later, shipments moved on, nothing else changed."""

from __future__ import annotations

import httpx
import pytest

import fulfillkit as fk
from fulfillkit.sandbox import SandboxApp, advance, make_dataset
from fulfillkit.sandbox.evolve import NEXT_STATUS


def test_open_shipments_move_on_and_nothing_else_changes() -> None:
    before = make_dataset(300, seed=4)
    after = advance(before, hours=24, seed=1)
    assert after.fulfillment_ids == before.fulfillment_ids
    assert after.order_table is before.order_table
    moved = 0
    for record_id in before.fulfillment_ids:
        old = before.get_fulfillment(record_id, remote_data=True)
        new = after.get_fulfillment(record_id, remote_data=True)
        assert old is not None and new is not None
        was, now = old["remote_data"]["shipment_status"], new["remote_data"]["shipment_status"]
        if was == now:
            assert new == old
            continue
        moved += 1
        assert now in {target for target, _ in NEXT_STATUS[was]}
        assert new["modified_at"] > old["modified_at"]  # ISO text in UTC sorts as time
        assert new["remote_data"]["updated_at"] == new["modified_at"]
        assert {k: v for k, v in new.items() if k not in ("modified_at", "remote_data")} == {
            k: v for k, v in old.items() if k not in ("modified_at", "remote_data")
        }
    open_ = sum(
        1 for r in before.fulfillments if r["remote_data"]["shipment_status"] in NEXT_STATUS
    )
    assert 0.2 * open_ < moved < open_
    assert advance(before, hours=24, seed=1).fulfillments == after.fulfillments  # deterministic
    assert advance(before, hours=24, seed=2).fulfillments != after.fulfillments
    with pytest.raises(ValueError, match="hours"):
        advance(before, hours=0)


def test_a_store_synced_across_days_keeps_versions_and_status_changes() -> None:
    app = SandboxApp(make_dataset(150, seed=6), rate_limit=None)
    with fk.Client.sandbox(transport=httpx.ASGITransport(app=app)) as client:
        store = fk.Store(":memory:")
        store.sync(client, progress=False)
        app.dataset = advance(app.dataset, hours=12, seed=1)
        report = store.sync(client, progress=False, refresh="all")
    assert report.changed > 0 and report.new == 0
    changes = fk.status_changes(store)
    moved = changes[changes["version"] == 2]
    assert len(moved) == report.changed
    assert (moved["from_status"] != moved["to_status"]).all()
    history = store.history(str(moved["id"].iloc[0]))
    assert history["version"].tolist() == [1, 2]
