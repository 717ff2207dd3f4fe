"""Issue 11, invariant 2: ``max_response_bytes`` counts decoded bytes and the client never
holds more than the cap plus one decode step, whatever the encoding. The client inflates
gzip/deflate itself from the raw bytes, in bounded pieces; encodings it did not ask for are
refused. Loopback raw-socket servers; every test has a hard timeout."""

from __future__ import annotations

import gzip
import json
import os
import socket
import struct
import subprocess
import sys
import textwrap
import uuid
import zlib
from pathlib import Path

import pytest

import fulfillkit as fk
from fulfillkit.fetch.transport import ACCEPT_ENCODING, DECODE_PIECE, BodyDecoder

from .rawserver import RawServer, hard_timeout, record, response

KEY = "decode-test-api-key-0001"
TOKEN = "decode-test-connection-token-0001"
IDS = [str(uuid.uuid5(uuid.NAMESPACE_DNS, f"decode-{i}")) for i in range(4)]
MiB = 1 << 20


def client(url: str, **kwargs: object) -> fk.Client:
    kwargs.setdefault("retry_policy", fk.RetryPolicy(max_retries=1, base_delay=0.001))
    return fk.Client(KEY, connection_token=TOKEN, base_url=url, **kwargs)  # type: ignore[arg-type]


def requested(path: str) -> str:
    return path.split("?")[0].rsplit("/", 1)[-1]


def deflate(data: bytes, *, raw: bool = False) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


def gzip_bomb(gib: int = 1) -> bytes:
    """A valid single-member gzip stream of ``gib`` GiB of zeros, about 1 MiB long, built
    without ever holding the zeros: after a full flush the compressor forgets everything,
    so each MiB of zeros compresses to the same block."""
    c = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(MiB)
    first = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    assert first.endswith(block)
    crc = 0
    for _ in range(1024 * gib):
        crc = zlib.crc32(zeros, crc)
    header = first[: len(first) - len(block)]
    trailer = b"\x03\x00" + struct.pack("<II", crc, (1024 * gib * MiB) & 0xFFFFFFFF)
    return header + block * (1024 * gib) + trailer


def decode_all(encoding: str | None, chunks: list[bytes]) -> tuple[bytes, int]:
    decoder = BodyDecoder(encoding)
    pieces = [piece for chunk in chunks for piece in decoder.feed(chunk)]
    decoder.finish()
    return b"".join(pieces), max(map(len, pieces), default=0)


# -- the decoder --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", deflate),
        ("deflate", lambda d: deflate(d, raw=True)),  # raw deflate, as some servers send
        ("gzip, deflate", lambda d: deflate(gzip.compress(d))),  # layered: undone in reverse
        ("identity", lambda d: d),
        (None, lambda d: d),
    ],
)
def test_every_accepted_encoding_decodes_in_bounded_pieces(encoding: str | None, encode) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(1000) + b"z" * (5 * DECODE_PIECE)
    body = encode(data)
    for size in (1, 7, 4096, len(body)):  # however the network splits it
        if size == 1 and len(body) > 50_000:
            continue
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
        decoded, largest = decode_all(encoding, chunks)
        assert decoded == data
        if encoding not in (None, "identity"):
            assert largest <= DECODE_PIECE


def test_a_multi_member_gzip_body_decodes_whole() -> None:
    assert decode_all("gzip", [gzip.compress(b"ab") + gzip.compress(b"cd")])[0] == b"abcd"


def test_a_bomb_comes_out_one_bounded_piece_at_a_time() -> None:
    bomb = gzip.compress(bytes(8 * MiB))
    pieces = BodyDecoder("gzip").feed(bomb)
    first = [next(pieces) for _ in range(3)]  # a generator: nothing more is inflated
    assert [len(p) for p in first] == [DECODE_PIECE] * 3


@pytest.mark.parametrize(
    ("encoding", "body", "message"),
    [
        ("gzip", gzip.compress(b"x" * 1000)[:-12], "ended before its end"),
        ("gzip", b"\x1f\x8b\x08garbage" * 10, "corrupt"),
        ("deflate", b"\xff" * 50, "corrupt"),
    ],
)
def test_truncated_or_corrupt_streams_are_refused(encoding: str, body: bytes, message: str) -> None:
    import httpx

    with pytest.raises(httpx.DecodingError, match=message):
        decode_all(encoding, [body])


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, br", "compress"])
def test_encodings_the_client_did_not_ask_for_are_refused(encoding: str) -> None:
    import httpx

    with pytest.raises(httpx.DecodingError, match="did not ask for"):
        BodyDecoder(encoding)


def test_an_empty_compressed_body_is_an_empty_body() -> None:
    assert decode_all("gzip", [])[0] == b"" and decode_all("deflate", [b""])[0] == b""


# -- end to end on loopback ----------------------------------------------------------------


@hard_timeout(20)
def test_the_client_asks_only_for_what_it_decodes_and_refuses_the_rest() -> None:
    def handler(path: str, conn: socket.socket) -> None:
        rid = requested(path)
        if rid == IDS[0]:
            conn.sendall(response(200, record(rid), headers={"Content-Encoding": "br"}))
        elif rid == IDS[1]:
            body = deflate(gzip.compress(record(rid)))
            conn.sendall(response(200, body, headers={"Content-Encoding": "gzip, deflate"}))
        else:
            body = deflate(record(rid))
            conn.sendall(response(200, body, headers={"Content-Encoding": "deflate"}))

    with RawServer(handler) as server, client(server.url) as c:
        batch = c.get_many(IDS[:3], progress=False)
    assert {h["accept-encoding"] for h in server.headers} == {ACCEPT_ENCODING}
    assert [f.id for f in batch] == IDS[1:3]
    [error] = batch.errors
    assert (error.id, error.kind, error.attempts) == (IDS[0], "invalid_response", 1)
    assert "'br'" in error.message and "did not ask for" in error.message


@hard_timeout(20)
def test_the_sandbox_path_asks_for_the_same_encodings() -> None:
    with fk.Client.sandbox(n=1) as c:
        transport = c._core.requester._transport._client  # the httpx.AsyncClient path
        assert transport.headers["accept-encoding"] == ACCEPT_ENCODING
        assert c.get(c.sandbox_ids[0]).id == c.sandbox_ids[0]


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
@hard_timeout(120)
def test_a_one_gib_gzip_bomb_costs_the_cap_not_the_bomb() -> None:
    """In a fresh process: peak RSS grows by about the cap (2 MiB; the compressed body is
    under it, so only decoding can stop it), not by decoded network chunks (a 64 KiB chunk
    of this bomb inflates to 64 MiB: httpx's own decoding grew it by ~126 MiB) nor by the
    bomb (1 GiB)."""
    bomb = gzip_bomb(1)
    assert len(bomb) < 2 * MiB  # the declared Content-Length passes the cap

    def handler(path: str, conn: socket.socket) -> None:
        rid = requested(path)
        if rid == IDS[0]:
            conn.sendall(response(200, record(rid)))
        else:
            conn.sendall(response(200, bomb, headers={"Content-Encoding": "gzip"}))

    script = """
        import json, sys, fulfillkit as fk
        url, key, token, warm, bomb = sys.argv[1:]

        def peak_kib():
            with open("/proc/self/status") as status:
                return next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))

        policy = fk.RetryPolicy(max_retries=0)
        with fk.Client(key, connection_token=token, base_url=url, retry_policy=policy,
                       max_response_bytes=2 << 20) as c:
            c.get_many([warm], progress=False)  # imports, threads, buffers: warmed up
            with open("/proc/self/clear_refs", "w") as clear:
                clear.write("5")  # reset the peak RSS to the current RSS
            before = peak_kib()
            batch = c.get_many([bomb], progress=False)
            after = peak_kib()
        [error] = batch.errors
        print(json.dumps({"kind": error.kind, "message": error.message,
                          "growth_kib": after - before}))
    """
    with RawServer(handler) as server:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(script), server.url, KEY, TOKEN, *IDS[:2]],
            capture_output=True,
            text=True,
            timeout=100,
            check=False,
            env={**os.environ, "TQDM_DISABLE": "1"},
        )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["kind"] == "invalid_response" and "max_response_bytes" in out["message"]
    assert out["growth_kib"] < 24 * 1024, out  # the cap plus buffers, not 64+ MiB


@hard_timeout(20)
def test_a_response_built_in_memory_is_taken_as_read_and_still_capped() -> None:
    """A mock transport hands over responses already read (and decoded): they are used as
    they are, under the same cap."""
    import httpx

    def handler(request: httpx.Request) -> httpx.Response:
        rid = request.url.path.rsplit("/", 1)[-1]
        padding = "x" * (2 * MiB) if rid == IDS[1] else ""
        return httpx.Response(200, content=record(rid, remote_id=padding))

    with fk.Client(
        KEY,
        connection_token=TOKEN,
        base_url="http://mock.localhost",
        transport=httpx.MockTransport(handler),
        max_response_bytes=MiB,
    ) as c:
        batch = c.get_many(IDS[:2], progress=False)
    assert [f.id for f in batch] == IDS[:1]
    [error] = batch.errors
    assert error.id == IDS[1] and "max_response_bytes" in error.message
