"""Part 0 of the store issue: one Resource value, one BatchOptions value, one paginator.

Orders get ``checkpoint=``, ``via=`` and listing exactly as fulfillments have them, over
real loopback HTTP and in-process; the faces' signatures stay equal to BatchOptions; the
list loop is driven by a CursorPaginator that can start at a stored cursor; and a record
can be kept byte for byte as the server sent it (what the store stores).
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
from pathlib import Path

import pytest

import fulfillkit as fk
from fulfillkit.fetch.engine import Listing
from fulfillkit.fetch.options import OPTION_NAMES, BatchOptions
from fulfillkit.fetch.paging import CursorPaginator, ListedPage
from fulfillkit.fetch.resources import FULFILLMENTS, ORDERS
from fulfillkit.sandbox import Dataset, SandboxApp
from fulfillkit.sandbox.paging import encode_cursor

from ..conftest import ClientFactory


@pytest.mark.parametrize("face", [fk.Client, fk.AsyncClient])
def test_faces_spell_out_exactly_the_batch_options(
    face: type[fk.Client] | type[fk.AsyncClient],
) -> None:
    """One description of a batch's options: the faces' keywords are BatchOptions' fields
    (get_orders has every one but the sink, which streams fulfillments only)."""
    many = list(inspect.signature(face.get_many).parameters)[2:]
    orders = list(inspect.signature(face.get_orders).parameters)[2:]
    assert many == list(OPTION_NAMES)
    assert orders == [name for name in OPTION_NAMES if name != "sink"]
    defaults = {f: getattr(BatchOptions(), f) for f in OPTION_NAMES}
    for name, parameter in inspect.signature(face.get_many).parameters.items():
        if name in defaults:
            assert parameter.default == defaults[name], name


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"via": "fast"}, "via must be"),
        ({"remote_data": "yes"}, "remote_data must be True or False"),
        ({"progress": "on"}, "progress must be"),
        ({"checkpoint_mismatch": "keep"}, "checkpoint_mismatch"),
        ({"checkpoint": 42}, "checkpoint must be a path"),
        ({"on_progress": "print"}, "on_progress must be callable"),
        ({"stop": True}, "stop must be a threading.Event"),
    ],
)
def test_bad_options_are_refused_before_any_request(
    make_client: ClientFactory, app: SandboxApp, options: dict[str, object], message: str
) -> None:
    client = make_client(app)
    with pytest.raises(fk.ConfigurationError, match=message):
        client.get_many(["a"], **options)  # type: ignore[arg-type]
    with pytest.raises(fk.ConfigurationError, match=message):
        client.get_orders(["a"], **{k: v for k, v in options.items() if k != "sink"})  # type: ignore[arg-type]
    assert app.stats.requests == 0


def test_orders_are_listed_like_fulfillments(
    make_client: ClientFactory, app: SandboxApp, dataset: Dataset
) -> None:
    client = make_client(app)
    listed = list(client.list_orders(page_size=17, progress=False))
    assert [o.id for o in listed] == dataset.order_ids
    assert all(isinstance(o, fk.Order) for o in listed)
    assert app.stats.by_route.get("orders.list", 0) == -(-len(dataset.order_ids) // 17)


def test_get_orders_via_list_takes_the_records_from_pages(
    make_client: ClientFactory, app: SandboxApp, dataset: Dataset
) -> None:
    client = make_client(app)
    wanted = dataset.order_ids[:60]
    by_id = client.get_orders(wanted, progress=False)
    requests = app.stats.requests
    by_list = client.get_orders(wanted, via="list", progress=False)
    listed_requests = app.stats.requests - requests
    assert by_list.ok and [o.id for o in by_list] == [o.id for o in by_id]
    assert [o.model_dump() for o in by_list] == [o.model_dump() for o in by_id]
    assert listed_requests == 1  # one page of 100 holds all 60


def test_get_orders_resumes_from_a_checkpoint(
    make_client: ClientFactory, app: SandboxApp, dataset: Dataset, tmp_path: Path
) -> None:
    client = make_client(app)
    path = tmp_path / "orders.jsonl"
    first = client.get_orders(dataset.order_ids[:30], checkpoint=path, progress=False)
    assert first.ok and len(first) == 30
    before = app.stats.requests
    again = client.get_orders(dataset.order_ids[:40], checkpoint=path, progress=False)
    assert again.ok and [o.id for o in again] == dataset.order_ids[:40]
    assert app.stats.requests - before == 10  # only the ten not checkpointed
    header = json.loads(path.read_text().splitlines()[0])
    assert header["resource"] == "orders"
    # An orders checkpoint is not a fulfillments checkpoint: refused, and left untouched.
    content = path.read_bytes()
    with pytest.raises(fk.CheckpointError, match="holds orders, not fulfillments"):
        client.get_many(dataset.fulfillment_ids[:3], checkpoint=path, progress=False)
    assert path.read_bytes() == content


def test_get_orders_drops_missing_ids_but_get_many_refuses_them(
    make_client: ClientFactory, app: SandboxApp, dataset: Dataset
) -> None:
    pd = pytest.importorskip("pandas")
    client = make_client(app)
    column = pd.Series([dataset.order_ids[0], None, dataset.order_ids[1]], dtype="string")
    assert [o.id for o in client.get_orders(column, progress=False)] == dataset.order_ids[:2]
    with pytest.raises(fk.InvalidIdError, match="position 1: missing"):
        client.get_many(column, progress=False)
    assert app.stats.by_route.get("fulfillments.retrieve", 0) == 0


def test_a_listing_failure_keeps_what_was_listed_for_orders(
    make_client: ClientFactory, dataset: Dataset
) -> None:
    app = SandboxApp(dataset)
    client = make_client(app, max_retries=0)
    listed: list[fk.Order] = []

    def walk() -> None:
        for order in client.list_orders(page_size=10, progress=False):
            listed.append(order)
            if len(listed) == 25:
                app.api_keys = frozenset()  # the key is revoked mid-listing

    with pytest.raises(fk.FetchFailed) as info:
        walk()
    partial = info.value.partial
    assert isinstance(partial, fk.OrdersResult)
    assert [o.id for o in partial] == [o.id for o in listed][: len(partial)]
    assert len(partial) >= 20


def test_paginator_walks_from_a_start_cursor(
    make_client: ClientFactory, app: SandboxApp, dataset: Dataset
) -> None:
    """A listing can resume at a stored cursor (the store's incremental sync)."""
    client = make_client(app)
    start = encode_cursor(dataset.fulfillment_ids[50])

    async def pages() -> list[ListedPage[fk.Fulfillment]]:
        listing = client.core.listing(
            FULFILLMENTS, remote_data=False, page_size=30, paginator=CursorPaginator(start)
        )
        return [page async for page in listing]

    got = client.run(pages())
    ids = [r.id for page in got for r in page.records]
    # From the cursor row on (Panora re-serves rows tying with it): nothing earlier is lost.
    assert set(dataset.fulfillment_ids[50:]) <= set(ids)
    assert len(ids) == len(set(ids))
    assert got[0].cursor == start and got[-1].next_cursor is None
    assert all(page.next_cursor == nxt.cursor for page, nxt in itertools.pairwise(got))


def test_paginator_refuses_a_repeated_cursor() -> None:
    pager = CursorPaginator()
    pager.update_state("a")
    pager.update_state("b")
    with pytest.raises(fk.InvalidResponseError, match="already returned"):
        pager.update_state("a")
    assert not pager.has_next
    with pytest.raises(ValueError, match="non-empty string"):
        CursorPaginator("")


def test_records_can_be_kept_byte_for_byte(
    make_client: ClientFactory, app: SandboxApp, dataset: Dataset
) -> None:
    """``raw=True`` keeps each record exactly as the server sent it: listed (a slice of the
    page body) and by id (the whole body), with and without remote data."""
    client = make_client(app)

    async def listed(remote: bool) -> list[fk.Fulfillment]:
        listing = client.core.listing(
            FULFILLMENTS, remote_data=remote, page_size=40, raw=True, keep=Listing(FULFILLMENTS)
        )
        return [r async for page in listing for r in page.records]

    for remote in (False, True):
        records = client.run(listed(remote))
        assert len(records) == len(dataset.fulfillment_ids)
        for record in records[:: max(1, len(records) // 15)]:
            raw = record.raw_json
            assert raw is not None
            assert json.loads(raw) == dataset.get_fulfillment(str(record.id), remote_data=remote)
            assert fk.Fulfillment.model_validate_json(raw).model_dump() == record.model_dump()

    state = client.core.state(FULFILLMENTS, dataset.fulfillment_ids[:5], BatchOptions())
    result = client.run(client.core.batch(state, BatchOptions(progress=False), raw=True))
    for record in result:
        expected = dataset.get_fulfillment(str(record.id))
        assert record.raw_json is not None and json.loads(record.raw_json) == expected
    # Without raw=True nothing is kept (no memory spent on bytes nobody asked for).
    assert all(f.raw_json is None for f in client.get_many(dataset.fulfillment_ids[:3]))


def test_a_batch_remembers_whether_it_fetched_remote_data(
    make_client: ClientFactory, app: SandboxApp, dataset: Dataset
) -> None:
    client = make_client(app)
    with_remote = client.get_many(dataset.fulfillment_ids[:20], remote_data=True, progress=False)
    frame = with_remote.to_frame()
    assert {"shipment_status", "remote_data"} <= set(frame.columns)
    assert frame["shipment_status"].notna().any()
    plain = client.get_many(dataset.fulfillment_ids[:20], progress=False).to_frame()
    assert not {"shipment_status", "remote_data"} & set(plain.columns)
    assert isinstance(client.get_orders(dataset.order_ids[:3]).to_frame(), type(frame))


def test_async_orders_listing_and_batch(dataset: Dataset) -> None:
    async def main() -> tuple[list[str], list[str]]:
        async with fk.AsyncClient.sandbox(n=len(dataset.fulfillment_ids), seed=7) as client:
            ids = [o.id async for o in client.list_orders(progress=False)]
            batch = await client.get_orders(ids[:10], via="auto", progress=False)
            return [str(i) for i in ids], [str(o.id) for o in batch]

    listed, fetched = asyncio.run(main())
    assert listed == dataset.order_ids and fetched == dataset.order_ids[:10]


def test_resources_describe_their_endpoints() -> None:
    assert (FULFILLMENTS.path, ORDERS.path) == ("/ecommerce/fulfillments", "/ecommerce/orders")
    assert ORDERS.record_path("a/b") == "/ecommerce/orders/a%2Fb"
    assert repr(ORDERS) == "Resource('orders')"
