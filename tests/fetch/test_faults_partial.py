"""Issue 11, invariant 1 for everything that is not ``get_many`` by id: a listing
(``list``, ``list_frame``, ``via="list"|"auto"``), ``get_orders`` and the Dask partitions
either return a result or raise one fulfillkit exception whose ``.partial`` holds everything
fetched so far. Raw-socket servers on loopback; every test has a hard timeout."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

import fulfillkit as fk
from fulfillkit.fetch.results import OrdersResult

from .rawserver import RawServer, hard_timeout, record, response

KEY = "partial-test-api-key-0001"
TOKEN = "partial-test-connection-token-0001"
IDS = [str(uuid.uuid5(uuid.NAMESPACE_DNS, f"partial-{i}")) for i in range(8)]
PAGES = [IDS[0:2], IDS[2:4], IDS[4:6], IDS[6:8]]


def client(url: str, **kwargs: object) -> fk.Client:
    kwargs.setdefault("retry_policy", fk.RetryPolicy(max_retries=1, base_delay=0.001))
    return fk.Client(KEY, connection_token=TOKEN, base_url=url, **kwargs)  # type: ignore[arg-type]


def page(n: int) -> bytes:
    """Page ``n`` of the listing: its records and the cursor of the next page."""
    nxt = f"cursor-{n + 1}" if n + 1 < len(PAGES) else None
    data = [json.loads(record(i)) for i in PAGES[n]]
    return json.dumps({"prev_cursor": None, "next_cursor": nxt, "data": data}).encode()


def lister(bad_page: int, bad: bytes) -> Callable[[str, socket.socket], None]:
    """A server whose list page ``bad_page`` answers ``bad``; records by id answer."""

    def handler(path: str, conn: socket.socket) -> None:
        parts = urlsplit(path)
        if parts.path.endswith("/ecommerce/fulfillments"):
            cursor = parse_qs(parts.query).get("cursor", ["cursor-0"])[0]
            n = int(cursor.rsplit("-", 1)[1])
            conn.sendall(bad if n == bad_page else response(200, page(n)))
        else:
            conn.sendall(response(200, record(parts.path.rsplit("/", 1)[-1])))

    return handler


SERVER_ERROR = response(500, b'{"statusCode": 500, "message": "boom"}')
UNAUTHORIZED = response(401, b'{"statusCode": 401, "message": "Unauthorized"}')
LOOPING = response(200, json.dumps({"next_cursor": "cursor-1", "data": []}).encode())


# -- list / list_frame ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "error"),
    [(SERVER_ERROR, fk.ServerError), (LOOPING, fk.InvalidResponseError)],
    ids=["500", "cursor-loop"],
)
@hard_timeout(20)
def test_a_listing_that_fails_mid_way_raises_with_every_record_listed(
    bad: bytes, error: type[fk.FetchFailed]
) -> None:
    seen: list[str] = []

    def consume(c: fk.Client) -> None:
        seen.extend(str(f.id) for f in c.list(page_size=2, progress=False))

    with RawServer(lister(2, bad)) as server, client(server.url) as c:
        with pytest.raises(error) as info:
            consume(c)
        with pytest.raises(error) as frame_info:
            c.list_frame(page_size=2, progress=False)
    for partial in (info.value.partial, frame_info.value.partial):
        assert isinstance(partial, fk.BatchResult)
        assert [f.id for f in partial] == IDS[:4] == seen  # pages 0 and 1: nothing lost


@hard_timeout(20)
def test_an_async_listing_that_fails_mid_way_raises_with_every_record_listed() -> None:
    async def main(url: str) -> BaseException:
        async with fk.AsyncClient(
            KEY, connection_token=TOKEN, base_url=url, retry_policy=fk.RetryPolicy(max_retries=0)
        ) as c:
            try:
                async for _ in c.list(page_size=2, progress=False):
                    pass
            except BaseException as exc:  # what escapes, whatever it is
                return exc
        raise AssertionError("the listing did not fail")

    with RawServer(lister(3, SERVER_ERROR)) as server:
        exc = asyncio.run(main(server.url))
    assert isinstance(exc, fk.ServerError) and not isinstance(exc, BaseExceptionGroup)
    assert isinstance(exc.partial, fk.BatchResult)
    assert [f.id for f in exc.partial] == IDS[:6]


# -- get_many(via="list" | "auto") ------------------------------------------------------------


@pytest.mark.parametrize("via", ["list", "auto"])
@hard_timeout(20)
def test_a_listing_page_that_fails_hands_the_rest_to_fetching_by_id(via: str) -> None:
    with (
        RawServer(lister(1, SERVER_ERROR)) as server,
        client(server.url) as c,
        pytest.warns(RuntimeWarning, match="listing stopped"),
    ):
        batch = c.get_many(IDS, via=via, progress=False)  # type: ignore[arg-type]
    assert batch.ok and [f.id for f in batch] == IDS
    by_id = [p for p in server.paths if not p.startswith("/ecommerce/fulfillments?")]
    assert sorted(p.rsplit("/", 1)[-1].split("?")[0] for p in by_id) == sorted(IDS[2:])


@hard_timeout(20)
def test_refused_credentials_while_listing_stop_the_batch_with_what_was_listed() -> None:
    with (
        RawServer(lister(1, UNAUTHORIZED)) as server,
        client(server.url) as c,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("error")  # stopping is not "falling back": no warning
        with pytest.raises(fk.AuthenticationError) as info:
            c.get_many(IDS, via="list", progress=False)
    partial = info.value.partial
    assert isinstance(partial, fk.BatchResult)
    assert [f.id for f in partial] == IDS[:2] and partial.pending == IDS[2:]


# -- get_orders -------------------------------------------------------------------------------


def orders(refuse: str | None = None, hang: str | None = None, stop: threading.Event | None = None):  # type: ignore[no-untyped-def]
    def handler(path: str, conn: socket.socket) -> None:
        oid = path.split("?")[0].rsplit("/", 1)[-1]
        if oid == refuse:
            conn.sendall(UNAUTHORIZED)
        elif oid == hang:
            assert stop is not None
            stop.wait(15)
        else:
            conn.sendall(response(200, json.dumps({"id": oid}).encode()))

    return handler


@hard_timeout(20)
def test_get_orders_stopped_by_refused_credentials_keeps_the_orders_fetched() -> None:
    with (
        RawServer(orders(refuse=IDS[3])) as server,
        client(server.url, max_concurrency=1) as c,
        pytest.raises(fk.AuthenticationError) as info,
    ):
        c.get_orders(IDS, progress=False)
    partial = info.value.partial
    assert isinstance(partial, OrdersResult)
    assert [o.id for o in partial] == IDS[:3] and partial.pending == IDS[4:]


@hard_timeout(20)
def test_get_orders_closed_from_another_thread_keeps_the_orders_fetched() -> None:
    hang = threading.Event()
    with RawServer(orders(hang=IDS[2], stop=hang)) as server:
        c = client(server.url, max_concurrency=1, timeout=30)
        outcome: list[BaseException] = []

        def run() -> None:
            try:
                c.get_orders(IDS, progress=False)
            except BaseException as exc:
                outcome.append(exc)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        deadline = time.monotonic() + 10
        while IDS[2] not in "".join(server.paths) and time.monotonic() < deadline:
            time.sleep(0.01)
        c.close()
        worker.join(5)
        hang.set()
    [error] = outcome
    assert isinstance(error, fk.ClientClosedError)
    assert isinstance(error.partial, OrdersResult)
    assert [o.id for o in error.partial] == IDS[:2] and len(error.partial.pending) == 6


# -- Dask partitions --------------------------------------------------------------------------


@hard_timeout(60)
def test_a_dask_connection_that_fails_mid_listing_keeps_its_records_and_an_error_row() -> None:
    dask = pytest.importorskip("dask")
    from fulfillkit.dask import errors_of, read_connections

    with RawServer(lister(2, SERVER_ERROR)) as server:
        options = {"api_key": KEY, "base_url": server.url, "max_retries": 0}
        df = read_connections({"shop": TOKEN}, client_options=options)
        frame, errors = dask.compute(df, errors_of(df), scheduler="sync")
    assert sorted(frame["id"].unique()) == sorted(IDS[:4])  # pages 0 and 1 kept
    assert errors["id"].tolist() == ["shop"] and errors["kind"].tolist() == ["server"]


@hard_timeout(60)
def test_a_dask_partition_stopped_by_refused_credentials_raises_with_partial() -> None:
    dask = pytest.importorskip("dask")
    from fulfillkit.dask import read_fulfillments

    def handler(path: str, conn: socket.socket) -> None:
        rid = path.split("?")[0].rsplit("/", 1)[-1]
        conn.sendall(UNAUTHORIZED if rid == IDS[2] else response(200, record(rid)))

    with RawServer(handler) as server:
        options: dict[str, object] = {"api_key": KEY, "connection_token": TOKEN}
        options.update(base_url=server.url, max_concurrency=1)
        df = read_fulfillments(IDS[:4], npartitions=1, client_options=options)
        with pytest.raises(fk.AuthenticationError) as info:
            dask.compute(df, scheduler="sync")
    partial = info.value.partial
    assert isinstance(partial, fk.BatchResult)
    assert [f.id for f in partial] == IDS[:2] and partial.pending == IDS[3:4]


@hard_timeout(60)
def test_a_dask_partition_whose_client_cannot_be_built_raises_with_every_id_pending() -> None:
    dask = pytest.importorskip("dask")
    from fulfillkit.dask import read_fulfillments

    options = {"api_key": KEY, "connection_token": TOKEN + " ", "base_url": "http://127.0.0.1:9"}
    df = read_fulfillments(IDS[:3], npartitions=1, client_options=options)
    with pytest.raises(fk.ConfigurationError) as info:
        dask.compute(df, scheduler="sync")
    partial = info.value.partial
    assert isinstance(partial, fk.BatchResult) and partial.pending == IDS[:3]


# -- Ctrl-C -----------------------------------------------------------------------------------


@pytest.mark.parametrize("call", ["get_orders", "list"])
def test_ctrl_c_stops_get_orders_and_listings_with_what_was_fetched(call: str) -> None:
    """A real SIGINT, handled the way Python does by default (so in the main thread, no
    hard-timeout thread: the batch would end by itself within ~5 s anyway)."""
    import os
    import signal

    from fulfillkit.sandbox import (
        SANDBOX_API_KEY,
        SANDBOX_CONNECTION_TOKEN,
        SandboxApp,
        SandboxServer,
        make_dataset,
    )

    dataset = make_dataset(400, seed=35)
    app = SandboxApp(dataset, latency=0.05)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with (
            SandboxServer(app) as server,
            fk.Client(
                SANDBOX_API_KEY,
                connection_token=SANDBOX_CONNECTION_TOKEN,
                base_url=server.url,
                max_concurrency=4,
            ) as c,
        ):

            def run() -> object:
                if call == "get_orders":
                    return c.get_orders(dataset.order_ids, progress=False)
                return list(c.list(page_size=10, progress=False))

            timer = threading.Timer(0.6, os.kill, (os.getpid(), signal.SIGINT))
            timer.start()
            with pytest.raises(fk.BatchInterrupted) as info:
                run()
            timer.cancel()
    finally:
        signal.signal(signal.SIGINT, previous)
    partial = info.value.partial
    assert isinstance(partial, OrdersResult if call == "get_orders" else fk.BatchResult)
    assert 0 < len(partial) < 400
    if call == "get_orders":  # every distinct order id accounted for
        distinct = dict.fromkeys(i for i in dataset.order_ids if i is not None)
        assert partial.requested == len(distinct) and partial.pending
