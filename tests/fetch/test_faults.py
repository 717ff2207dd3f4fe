"""Issue 11, invariants 1-3 and 8: misbehaving servers at the byte level (raw sockets on
loopback). A batch always ends with what it fetched, every request is bounded, a record is
what was asked for, redirects are explained. Every test has a hard timeout."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
import zlib

import pytest

import fulfillkit as fk
from fulfillkit.fetch.protocol import canonical_id, parse_ids, same_id

from .rawserver import RawServer, gzipped, hard_timeout, record, response, trickle

KEY = "fault-test-api-key-0001"
TOKEN = "fault-test-connection-token-0001"
IDS = [str(uuid.uuid5(uuid.NAMESPACE_DNS, f"fault-{i}")) for i in range(6)]


def client(url: str, **kwargs: object) -> fk.Client:
    kwargs.setdefault("retry_policy", fk.RetryPolicy(max_retries=1, base_delay=0.001))
    return fk.Client(KEY, connection_token=TOKEN, base_url=url, **kwargs)  # type: ignore[arg-type]


def requested(path: str) -> str:
    return path.split("?")[0].rsplit("/", 1)[-1]


# -- 2. every request is bounded ------------------------------------------------------------


@pytest.mark.parametrize("where", ["headers", "body"])
@hard_timeout(20)
def test_a_trickling_server_hits_the_whole_request_deadline(where: str) -> None:
    body = record(IDS[0])
    full = response(200, body)
    split = full.index(b"\r\n\r\n") + 4

    def handler(path: str, conn: socket.socket) -> None:
        if where == "body":
            conn.sendall(full[:split])
            trickle(conn, full[split:], 0.05, server.stop)
        else:
            trickle(conn, full, 0.05, server.stop)

    with (
        RawServer(handler) as server,
        client(server.url, timeout=0.5) as c,
        pytest.raises(fk.TimeoutError) as info,
    ):
        c.get(IDS[0])
    # each read came within 0.05 s, so only a whole-request deadline can end this
    assert info.value.kind == "timeout" and info.value.attempts == 2


@pytest.mark.parametrize(
    "encoding",
    ["gzip", "deflate", "br"],
)
@hard_timeout(20)
def test_corrupt_encodings_fail_that_id_and_the_batch_goes_on(encoding: str) -> None:
    def handler(path: str, conn: socket.socket) -> None:
        rid = requested(path)
        if rid == IDS[0]:
            conn.sendall(
                response(200, b"\x1f\x8b\x08garbage" * 50, headers={"Content-Encoding": encoding})
            )
        else:
            conn.sendall(response(200, record(rid)))

    with RawServer(handler) as server, client(server.url) as c:
        batch = c.get_many(IDS[:3], progress=False)
    assert [f.id for f in batch] == IDS[1:3]
    [error] = batch.errors
    assert (error.id, error.kind) == (IDS[0], "invalid_response")
    assert error.attempts == 1  # the server answered; asking again gives the same


@hard_timeout(30)
def test_a_decompression_bomb_is_capped_in_decoded_bytes() -> None:
    bomb = gzipped(b"[" + b" " * (64 * 1024 * 1024) + b"]")  # ~64 KiB that inflates to 64 MiB

    def handler(path: str, conn: socket.socket) -> None:
        conn.sendall(response(200, bomb, headers={"Content-Encoding": "gzip"}))

    assert len(bomb) < 1024 * 1024
    with RawServer(handler) as server, client(server.url, max_response_bytes=1024 * 1024) as c:
        batch = c.get_many(IDS[:1], progress=False)
    [error] = batch.errors
    assert error.kind == "invalid_response" and "max_response_bytes" in error.message


@hard_timeout(20)
def test_deeply_nested_bodies_are_bounded() -> None:
    deep = b'{"message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"

    def handler(path: str, conn: socket.socket) -> None:
        status = 500 if requested(path) == IDS[0] else 200
        conn.sendall(response(status, deep))

    with RawServer(handler) as server, client(server.url) as c:
        batch = c.get_many(IDS[:2], progress=False)
    kinds = {e.id: e.kind for e in batch.errors}
    assert kinds == {IDS[0]: "server", IDS[1]: "invalid_response"}
    assert all(len(e.message) < 1000 for e in batch.errors)


# -- 3. a record is what was asked for -------------------------------------------------------


@hard_timeout(20)
def test_a_record_with_another_id_or_no_id_is_not_counted() -> None:
    answers = {IDS[0]: record(IDS[5]), IDS[1]: b"{}", IDS[2]: b"[]", IDS[3]: record(IDS[3])}

    def handler(path: str, conn: socket.socket) -> None:
        conn.sendall(response(200, answers[requested(path)]))

    with RawServer(handler) as server, client(server.url) as c:
        batch = c.get_many(IDS[:4], progress=False)
        with pytest.raises(fk.InvalidResponseError) as info:
            c.get(IDS[0])
    assert [f.id for f in batch] == [IDS[3]]
    assert {e.id: e.kind for e in batch.errors} == dict.fromkeys(IDS[:3], "invalid_response")
    assert IDS[0] in str(info.value) and IDS[5] in str(info.value)


@hard_timeout(20)
def test_an_upper_case_uuid_is_the_same_record_as_its_canonical_form() -> None:
    def handler(path: str, conn: socket.socket) -> None:
        conn.sendall(response(200, record(requested(path).lower())))

    upper = IDS[0].upper()
    with RawServer(handler) as server, client(server.url) as c:
        batch = c.get_many([upper, IDS[1]], progress=False)
    assert batch.ok and [f.id for f in batch] == [IDS[0], IDS[1]]
    assert same_id(IDS[0], upper) and canonical_id(upper) == IDS[0]
    assert not same_id("ABC", "abc")  # only UUIDs are case-insensitive


# -- 8. redirects are explained ---------------------------------------------------------------


@hard_timeout(20)
def test_a_redirect_names_status_location_and_why_it_is_not_followed() -> None:
    def handler(path: str, conn: socket.socket) -> None:
        conn.sendall(response(302, b"", headers={"Location": "https://elsewhere.example/x"}))

    with (
        RawServer(handler) as server,
        client(server.url) as c,
        pytest.raises(fk.FetchFailed) as info,
    ):
        c.get(IDS[0])
    text = str(info.value)
    assert "302" in text and "https://elsewhere.example/x" in text
    assert "credentials" in text and "not followed" in text
    assert len(server.paths) == 1  # not retried, not followed


# -- 1. a batch always ends with what it fetched -----------------------------------------------


@hard_timeout(30)
def test_one_batch_through_every_misbehaviour_accounts_for_every_id() -> None:
    def handler(path: str, conn: socket.socket) -> None:
        rid = requested(path)
        if rid == IDS[0]:
            conn.sendall(response(200, b"garbage", headers={"Content-Encoding": "gzip"}))
        elif rid == IDS[1]:
            conn.sendall(response(500, b"[" * 50_000))
        elif rid == IDS[2]:
            conn.sendall(response(301, b"", headers={"Location": "/moved"}))
        elif rid == IDS[3]:
            conn.sendall(response(200, record(IDS[4])))
        elif rid == IDS[4]:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{")  # truncated
        else:
            conn.sendall(
                response(200, zlib.compress(record(rid)), headers={"Content-Encoding": "deflate"})
            )

    with RawServer(handler) as server, client(server.url) as c:
        batch = c.get_many(IDS, progress=False)
    assert [f.id for f in batch] == [IDS[5]]
    kinds = {e.id: e.kind for e in batch.errors}
    assert kinds == {
        IDS[0]: "invalid_response",
        IDS[1]: "server",
        IDS[2]: "server",
        IDS[3]: "invalid_response",
        IDS[4]: "network",
    }
    assert batch.requested == len(IDS) and not batch.pending


@hard_timeout(20)
def test_refused_credentials_stop_the_batch_with_partial() -> None:
    def handler(path: str, conn: socket.socket) -> None:
        rid = requested(path)
        if rid == IDS[3]:
            conn.sendall(response(401, json.dumps({"message": "no"}).encode()))
        else:
            conn.sendall(response(200, record(rid)))

    with (
        RawServer(handler) as server,
        client(server.url, max_concurrency=1) as c,
        pytest.raises(fk.AuthenticationError) as info,
    ):
        c.get_many(IDS, progress=False)
    partial = info.value.partial
    assert isinstance(partial, fk.BatchResult)
    assert [f.id for f in partial] == IDS[:3] and [e.id for e in partial.errors] == [IDS[3]]
    assert partial.pending == IDS[4:]


# -- 6. close() from another thread ------------------------------------------------------------


@hard_timeout(20)
def test_close_from_another_thread_ends_a_running_batch_promptly() -> None:
    def handler(path: str, conn: socket.socket) -> None:
        if requested(path) in IDS[:2]:
            conn.sendall(response(200, record(requested(path))))
        else:
            server.stop.wait(15)  # hang

    with RawServer(handler) as server:
        c = client(server.url, max_concurrency=1, timeout=30)
        first = threading.Event()
        outcome: list[BaseException] = []

        def run() -> None:
            try:
                c.get_many(IDS, progress=False, on_progress=lambda d, t, f: first.set())
            except BaseException as exc:
                outcome.append(exc)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        assert first.wait(10)
        time.sleep(0.2)  # now blocked on the hanging id
        c.close()
        worker.join(5)
        assert not worker.is_alive()
    [error] = outcome
    assert isinstance(error, fk.ClientClosedError)
    assert isinstance(error.partial, fk.BatchResult)
    assert [f.id for f in error.partial] == IDS[:2] and len(error.partial.pending) == 4
    with pytest.raises(fk.ClientClosedError):
        c.get(IDS[0])


@hard_timeout(20)
def test_async_client_after_aclose_raises() -> None:
    import asyncio

    async def main() -> None:
        c = fk.AsyncClient.sandbox(n=2)
        await c.get(c.sandbox_ids[0])
        await c.aclose()
        with pytest.raises(fk.ClientClosedError):
            await c.get(c.sandbox_ids[0])
        with pytest.raises(fk.ClientClosedError):
            await c.get_many(c.sandbox_ids)

    asyncio.run(main())


# -- the rest of issue 12's fixes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        ("not_found", fk.NotFoundError),
        ("auth", fk.AuthenticationError),
        ("rate_limited", fk.RateLimitError),
        ("server", fk.ServerError),
        ("network", fk.NetworkError),
        ("timeout", fk.TimeoutError),
        ("invalid_response", fk.InvalidResponseError),
    ],
)
def test_raise_for_errors_raises_the_class_of_the_first_error(
    kind: fk.errors.ErrorKind, cls: type[fk.FetchFailed]
) -> None:
    batch = fk.BatchResult(
        fulfillments=[],
        errors=[fk.FailedId("a", kind, 500, "m", 2), fk.FailedId("b", "server", 500, "x", 1)],
    )
    with pytest.raises(fk.FetchFailed) as info:
        batch.raise_for_errors()
    assert type(info.value) is cls
    assert (info.value.id, info.value.attempts) == ("a", 2)


def test_retries_are_set_in_one_place() -> None:
    policy = fk.RetryPolicy(max_retries=5, base_delay=0.01)
    with fk.Client.sandbox(n=1, retry_policy=policy) as c:
        assert c._core.requester.config.retry == policy  # max_retries is not lost
    with fk.Client.sandbox(n=1, max_retries=0) as c:
        assert c._core.requester.config.retry.max_retries == 0
    with pytest.raises(fk.ConfigurationError, match="one place"):
        fk.Client(KEY, connection_token=TOKEN, max_retries=2, retry_policy=policy)


def test_parse_ids_is_the_one_parser() -> None:
    from fulfillkit.notebook import widgets

    text = "a, b\n# comment\n\n'c';a\n  d  "
    assert parse_ids(text) == ["a", "b", "c", "d"]
    assert widgets.parse_ids is parse_ids
