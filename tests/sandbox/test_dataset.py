"""The sandbox dataset at any moment: pinned bytes, growth, moving parcels, test hooks.

These talk to :class:`~fulfillkit.sandbox.Dataset` directly (what is true at a time); the
HTTP side of the same behaviour is in ``test_living.py``. The oracles here are written out
in the tests (which fulfillments are open, which scans may follow which), not imported.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fulfillkit.sandbox import DEFAULT_N, DEFAULT_SEED, Dataset, SandboxApp, make_dataset

Json = dict[str, Any]

# sha256 of the compact JSON of make_dataset(300, seed=3)'s records (remote data included),
# computed before sandbox/data.py was split: the refactor and the living shop change no byte.
FULFILLMENTS_300_3 = "dfb53449a887d54b5994a4e35a820567967b2a23ad862e39335e8b17f1a3205a"
ORDERS_300_3 = "19897030d76e92ca77211f060e5627859d6edf1be893b4a321eaa67f906f2fd6"

FINAL_SHIPMENT = {"delivered", "failure"}
FINAL_STATUS = {"cancelled", "error", "failure"}
# Which scan may follow which (attempted_delivery may go out for delivery again).
NEXT_SCANS = {
    None: {"label_printed", "confirmed", "in_transit"},
    "label_printed": {"confirmed", "in_transit"},
    "confirmed": {"in_transit"},
    "in_transit": {"out_for_delivery", "delivered", "failure"},
    "out_for_delivery": {"delivered", "attempted_delivery", "failure"},
    "attempted_delivery": {"out_for_delivery", "delivered", "failure"},
}


def _digest(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=False, ensure_ascii=False)


def _ms(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _open(record: Json) -> bool:
    remote = record["remote_data"]
    if remote["status"] in FINAL_STATUS:
        return False
    return not record["tracking_numbers"] or remote["shipment_status"] not in FINAL_SHIPMENT


def _reachable(before: str | None, after: str | None) -> bool:
    """Whether scans can lead from ``before`` to ``after`` (zero or more steps)."""
    seen, frontier = {before}, [before]
    while frontier:
        for following in NEXT_SCANS.get(frontier.pop(), set()):
            if following not in seen:
                seen.add(following)
                frontier.append(following)
    return after in seen


# --- as built ----------------------------------------------------------------------------


def test_the_default_dataset_is_byte_identical_to_before_the_split() -> None:
    dataset = make_dataset(300, seed=3)
    assert _digest(dataset.fulfillments) == FULFILLMENTS_300_3
    assert _digest(dataset.orders) == ORDERS_300_3
    # ... and so is what the time-aware API says at the default now.
    assert _digest(dataset.fulfillments_at()) == FULFILLMENTS_300_3


def test_one_default_sandbox() -> None:
    assert (DEFAULT_N, DEFAULT_SEED) == (1000, 0)
    app = SandboxApp(rate_limit=None)
    assert (app.dataset.n, app.dataset.seed) == (DEFAULT_N, DEFAULT_SEED)
    assert make_dataset().fulfillment_ids == app.dataset.fulfillment_ids


def test_default_now_is_when_exactly_the_n_records_exist() -> None:
    dataset = make_dataset(400, seed=8)
    now = dataset.default_now
    assert now.tzinfo is not None
    records, orders = dataset.fulfillments, dataset.orders
    latest = max(_ms(r["created_at"]) for r in [*records, *orders])
    assert latest == now
    assert dataset.fulfillment_ids_at() == dataset.fulfillment_ids
    assert dataset.order_ids_at() == dataset.order_ids
    assert dataset.fulfillment_ids_at(now) == dataset.fulfillment_ids
    assert dataset.changed_fulfillment_ids(None, now) == []
    with pytest.raises(ValueError, match="before this dataset's default now"):
        dataset.fulfillment_ids_at(now - timedelta(milliseconds=1))


def test_time_arguments_are_checked() -> None:
    dataset = make_dataset(20, seed=1)
    later = dataset.default_now + timedelta(days=1)
    with pytest.raises(ValueError, match="timezone-aware"):
        dataset.fulfillment_ids_at(later.replace(tzinfo=None))
    with pytest.raises(ValueError, match="timezone-aware"):
        dataset.fulfillment_at(dataset.fulfillment_ids[0], "2026-01-01")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="before since"):
        dataset.changed_fulfillment_ids(later, dataset.default_now)
    with pytest.raises(ValueError, match="timezone-aware"):
        dataset.insert_fulfillment(datetime(2025, 1, 1))  # naive
    with pytest.raises(ValueError, match="timezone-aware"):
        dataset.insert_fulfillment("2025-01-01T00:00:00")  # naive text: not local time
    with pytest.raises(ValueError, match="not an ISO timestamp"):
        dataset.insert_fulfillment("yesterday")


# --- growth ------------------------------------------------------------------------------


def test_the_shop_is_the_same_however_the_clock_gets_there() -> None:
    stepped, direct, ahead = (make_dataset(2000, seed=9) for _ in range(3))
    start = stepped.default_now
    two, five = start + timedelta(days=2), start + timedelta(days=5)
    stepped.fulfillments_at(two)
    stepped.order_ids_at(two)
    ahead.fulfillment_ids_at(start + timedelta(days=40))  # drawing far ahead changes nothing
    results = [
        (
            _dumps(d.fulfillments_at(five)),
            d.order_ids_at(five),
            [d.order_at(i, five, remote_data=True) for i in d.order_ids_at(five)[-40:]],
        )
        for d in (stepped, direct, ahead)
    ]
    assert results[0] == results[1] == results[2]
    assert len(stepped.fulfillment_ids_at(five)) > stepped.n


def test_new_records_arrive_at_the_initial_rate_in_sync_batches() -> None:
    dataset = make_dataset(5000, seed=2)
    start = dataset.default_now
    until = start + timedelta(days=30)
    ids = dataset.fulfillment_ids_at(until)
    assert ids[: dataset.n] == dataset.fulfillment_ids  # new rows come after the old ones
    new = [dataset.fulfillment_at(i, until, remote_data=True) for i in ids[dataset.n :]]
    assert new and all(r is not None for r in new)
    expected = dataset.daily_rate * 30  # about 207 at the initial rate
    assert 0.7 * expected < len(new) < 1.3 * expected
    created = [_ms(r["created_at"]) for r in new if r is not None]
    assert created == sorted(created) and start < created[0] and created[-1] <= until
    ties = Counter(r["created_at"] for r in new if r is not None)
    groups = [stamp for stamp, count in ties.items() if count > 1]
    assert len(groups) >= 10, "a sync batch inserts many rows at one created_at"
    in_tie = [[r["id"] for r in new if r is not None and r["created_at"] == g] for g in groups]
    assert any(group != sorted(group) for group in in_tie), "ties are not ordered by id"
    # Before a row's created_at it does not exist; from it on it does.
    first = new[0]
    assert first is not None
    just_before = _ms(first["created_at"]) - timedelta(milliseconds=1)
    assert dataset.fulfillment_at(first["id"], just_before) is None
    assert dataset.fulfillment_at(first["id"], _ms(first["created_at"])) is not None


def test_orders_of_new_fulfillments_are_placed_before_them_and_then_fulfilled() -> None:
    dataset = make_dataset(3000, seed=4)
    until = dataset.default_now + timedelta(days=20)
    new = [dataset.fulfillment_at(i, until) for i in dataset.fulfillment_ids_at(until)[dataset.n :]]
    linked = [r for r in new if r is not None and r["order_id"] in dataset.order_ids_at(until)]
    assert len(linked) > 0.8 * len(new)
    placed: dict[str, tuple[datetime, datetime]] = {}
    for record in linked:
        fulfilled = _ms(record["created_at"])
        before = dataset.order_at(record["order_id"], fulfilled - timedelta(milliseconds=1))
        after = dataset.order_at(record["order_id"], fulfilled, remote_data=True)
        assert before is not None and after is not None
        assert dataset.default_now < _ms(before["created_at"]) < fulfilled
        assert before["fulfillment_status"] is None
        assert before["modified_at"] == before["created_at"]
        assert after["fulfillment_status"] == "fulfilled"
        assert after["modified_at"] == record["created_at"]
        assert after["remote_data"]["fulfillment_status"] == "fulfilled"
        assert "items" not in after
        placed[record["order_id"]] = (_ms(before["created_at"]), fulfilled)
    middle = dataset.default_now + timedelta(days=10)
    waiting = {i for i, (made, done) in placed.items() if made <= middle < done}
    assert waiting, "some orders wait for their fulfillment across the middle"
    assert set(dataset.changed_order_ids(middle, until)) == waiting
    assert dataset.changed_order_ids(None, until) == []  # the initial orders never change


# --- moving parcels ------------------------------------------------------------------------


def test_open_fulfillments_move_along_and_closed_ones_never_change() -> None:
    dataset = make_dataset(4000, seed=6)
    start = dataset.default_now
    until = start + timedelta(days=45)
    before = {r["id"]: r for r in dataset.fulfillments}
    after = {r["id"]: r for r in dataset.fulfillments_at(until)[: dataset.n]}
    changed = set(dataset.changed_fulfillment_ids(None, until))
    assert changed == {i for i in before if _dumps(before[i]) != _dumps(after[i])}
    young = {i for i, r in before.items() if start - _ms(r["created_at"]) <= timedelta(days=30)}
    old = {i for i, r in before.items() if start - _ms(r["created_at"]) > timedelta(days=120)}
    open_ids = {i for i, r in before.items() if _open(r)}
    assert not changed - open_ids, "a delivered, failed or cancelled fulfillment moved"
    assert len(changed & young) >= 0.75 * len(open_ids & young)  # most progress
    assert len(changed & old) <= 0.05 * len(open_ids & old)  # most old open ones are stuck
    assert changed & old, "a few lost parcels turn up again"
    for record_id in changed:
        was, now = before[record_id], after[record_id]
        remote_was, remote_now = was["remote_data"], now["remote_data"]
        assert start < _ms(now["modified_at"]) <= until
        assert _ms(now["modified_at"]) > _ms(was["modified_at"])
        assert _ms(remote_now["updated_at"]) <= _ms(now["modified_at"])  # Panora syncs later
        assert _reachable(remote_was["shipment_status"], remote_now["shipment_status"])
        if not was["tracking_numbers"]:
            assert now["tracking_numbers"], "a missing tracking number is added first"
        assert remote_now["tracking_numbers"] == (now["tracking_numbers"] or [])
        assert remote_now["tracking_number"] == (now["tracking_numbers"] or [None])[0]
        assert remote_now["status"] == "success"
        unchanged = {"tracking_numbers", "tracking_urls", "modified_at", "remote_data"}
        assert {k: v for k, v in was.items() if k not in unchanged} == {
            k: v for k, v in now.items() if k not in unchanged
        }


def test_a_record_at_a_time_is_a_pure_function_of_the_time() -> None:
    dataset = make_dataset(1500, seed=12)
    start = dataset.default_now
    changed = dataset.changed_fulfillment_ids(None, start + timedelta(days=20))
    assert changed
    record_id = changed[0]
    moments = [start + timedelta(hours=6 * k) for k in range(4 * 20 + 1)]
    states = [dataset.fulfillment_at(record_id, t, remote_data=True) for t in moments]
    modified = [_ms(r["modified_at"]) for r in states if r is not None]
    assert len(modified) == len(moments)
    assert modified == sorted(modified)
    assert all(m <= t or m == modified[0] for m, t in zip(modified, moments, strict=True))
    assert len({_dumps(r) for r in states}) > 1
    fresh = make_dataset(1500, seed=12)  # a new dataset, asked in reverse order
    for moment, state in reversed(list(zip(moments, states, strict=True))):
        assert fresh.fulfillment_at(record_id, moment, remote_data=True) == state


def test_new_fulfillments_start_open_and_move_too() -> None:
    dataset = make_dataset(3000, seed=5)
    start = dataset.default_now
    soon, later = start + timedelta(days=10), start + timedelta(days=40)
    new_ids = dataset.fulfillment_ids_at(soon)[dataset.n :]
    fresh = []
    for record_id in new_ids:
        created = dataset.fulfillment_at(record_id, soon)
        assert created is not None
        moment = _ms(created["created_at"])
        fresh.append(dataset.fulfillment_at(record_id, moment, remote_data=True))
    assert all(r is not None and r["modified_at"] == r["created_at"] for r in fresh)
    opened = [r for r in fresh if r is not None and _open(r)]
    assert len(opened) > 0.8 * len(fresh)
    moved = set(dataset.changed_fulfillment_ids(soon, later)) & set(new_ids)
    delivered = [
        r
        for r in (dataset.fulfillment_at(i, later, remote_data=True) for i in new_ids)
        if r is not None and r["remote_data"]["shipment_status"] == "delivered"
    ]
    assert moved and len(delivered) > 0.5 * len(new_ids)


# --- test hooks ----------------------------------------------------------------------------


def test_insert_lands_ahead_of_the_rows_it_ties_with() -> None:
    dataset = make_dataset(300, seed=11)
    ids = dataset.fulfillment_ids
    records = dataset.fulfillments
    tie = next(
        i for i in range(1, len(ids)) if records[i]["created_at"] == records[i - 1]["created_at"]
    )
    stamp = records[tie]["created_at"]
    first = tie - 1
    new_id = dataset.insert_fulfillment(stamp)
    now_ids = dataset.fulfillment_ids_at()
    assert now_ids.index(new_id) == first
    assert now_ids[:first] + now_ids[first + 1 :] == ids
    inserted = dataset.fulfillment_at(new_id, remote_data=True)
    assert inserted is not None and inserted["created_at"] == stamp
    assert inserted["order_id"] is None and "remote_data" in inserted
    later = dataset.default_now + timedelta(days=60)
    assert dataset.fulfillment_at(new_id, later, remote_data=True) == inserted  # never moves
    assert new_id not in dataset.changed_fulfillment_ids(None, later)
    assert dataset.fulfillment_ids == ids and _digest(dataset.fulfillments) == _digest(records)
    # A datetime works as well, and a second insert goes ahead of the first.
    second = dataset.insert_fulfillment(_ms(stamp).astimezone(UTC))
    assert dataset.fulfillment_ids_at().index(second) == first
    assert second != new_id


def test_delete_removes_a_fulfillment_at_every_moment() -> None:
    dataset = make_dataset(100, seed=13)
    victim = dataset.fulfillment_ids[40]
    dataset.delete_fulfillment(victim)
    assert dataset.fulfillment_at(victim) is None
    later = dataset.default_now + timedelta(days=9)
    assert victim not in dataset.fulfillment_ids_at(later)
    assert victim not in dataset.changed_fulfillment_ids(None, later)
    with pytest.raises(ValueError, match="no fulfillment"):
        dataset.delete_fulfillment(victim)
    with pytest.raises(ValueError, match="no fulfillment"):
        dataset.delete_fulfillment("not-an-id")
    assert isinstance(dataset, Dataset) and dataset.fulfillment_ids[40] == victim  # as built
