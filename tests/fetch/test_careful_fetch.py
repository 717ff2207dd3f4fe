"""The fetch layer as a careful analyst meets it (issue 20): ids as a notebook holds them,
fail fast on a wrong server, timeouts that name their limit, rate-limit waits that show,
no password in a traceback's locals, and the per-id failure row's new name."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import traceback
import warnings
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

import fulfillkit as fk
from fulfillkit.fetch.pacer import Pacer
from fulfillkit.fetch.progress import BarStatus, progress_bar
from fulfillkit.sandbox import (
    SANDBOX_API_KEY,
    SANDBOX_CONNECTION_TOKEN,
    Dataset,
    SandboxApp,
    SandboxServer,
)

from ..conftest import ClientFactory, fast_retries
from .rawserver import hard_timeout, serving

# -- ids --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_ids",
    [
        pytest.param(lambda ids: list(ids), id="list"),
        pytest.param(lambda ids: tuple(ids), id="tuple"),
        pytest.param(lambda ids: (i for i in ids), id="generator"),
        pytest.param(lambda ids: np.array(ids), id="numpy"),
        pytest.param(lambda ids: pd.Series(ids, dtype="string"), id="string-series"),
        pytest.param(lambda ids: pd.Series(ids, dtype="string[pyarrow]"), id="arrow-series"),
        pytest.param(lambda ids: pd.Series(ids, dtype=object), id="object-series"),
        pytest.param(lambda ids: pd.DataFrame({"id": ids})["id"], id="frame-column"),
        pytest.param(lambda ids: [f"  {i}\n" for i in ids], id="whitespace"),
    ],
)
def test_ids_in_any_collection_of_text(
    make_client: ClientFactory, app: SandboxApp, dataset: Dataset, make_ids: Any
) -> None:
    client = make_client(app)
    wanted = dataset.fulfillment_ids[:12]
    batch = client.get_many(make_ids(wanted), progress=False)
    assert batch.ok and [f.id for f in batch] == wanted


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (pd.DataFrame({"id": ["a"]}), r"not a DataFrame .* pass its id column, e\.g\. df\['id'\]"),
        ("801f9ede-c698-4e66-a7fc-48d19eebaa4f", "wrap one id in a list"),
        (b"abc", "not a single bytes"),
        ({"a": 1}, "not a mapping"),
        (42, "got int"),
        (pd.Series(["a", None], dtype="string"), r"position 1: missing \(<NA>\)"),
        (pd.Series(["a", np.nan], dtype=object), r"position 1: missing \(nan\)"),
        (["a", "  "], r"position 1: blank"),
        (["a", 7, None], r"2 invalid id\(s\).*position 1: not text but int 7"),
    ],
)
def test_ids_that_are_not_a_collection_of_text_are_refused_before_any_request(
    make_client: ClientFactory, app: SandboxApp, ids: object, message: str
) -> None:
    client = make_client(app)
    with pytest.raises(fk.InvalidIdError, match=message):
        client.get_many(ids, progress=False)  # type: ignore[arg-type]
    assert app.stats.requests == 0


def test_one_id_is_stripped_like_the_cli_strips_it(
    make_client: ClientFactory, app: SandboxApp, dataset: Dataset
) -> None:
    client = make_client(app)
    wanted = dataset.fulfillment_ids[3]
    assert client.get(f" {wanted}\t").id == wanted
    with pytest.raises(fk.InvalidIdError, match="blank"):
        client.get("   ")
    assert app.stats.per_id[wanted] == 1


# -- fail fast --------------------------------------------------------------------------


def _closed_port() -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port


@hard_timeout(30)
def test_a_dead_server_stops_the_batch_at_once_naming_the_base_url() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    ids = [f"id-{i}" for i in range(100)]
    with (
        fk.Client(
            "k" * 12, connection_token="t" * 12, base_url=url, retry_policy=fast_retries()
        ) as client,
        pytest.raises(fk.UnreachableError) as info,
    ):
        client.get_many(ids, progress=False)
    error = info.value
    assert url in str(error) and "stopped the batch at once" in str(error)
    assert isinstance(error, fk.NetworkError)
    partial = error.partial
    assert isinstance(partial, fk.BatchResult)
    assert len(partial.errors) <= 8 and len(partial.pending) >= 92  # max_concurrency 8
    assert partial.requested == 100
    assert all(e.kind == "network" for e in partial.errors)


@hard_timeout(30)
def test_a_wrong_base_path_stops_the_batch_at_once(dataset: Dataset) -> None:
    app = SandboxApp(dataset)
    with (
        SandboxServer(app) as server,
        fk.Client(
            SANDBOX_API_KEY,
            connection_token=SANDBOX_CONNECTION_TOKEN,
            base_url=server.url + "/api/v1",
            retry_policy=fast_retries(),
        ) as client,
    ):
        with pytest.raises(fk.EndpointNotFoundError) as info:
            client.get_many(dataset.fulfillment_ids, progress=False)
        with pytest.raises(fk.EndpointNotFoundError, match="no such route: check base_url"):
            client.get(dataset.fulfillment_ids[0])
    assert "Cannot GET" in str(info.value) and info.value.status == 404
    assert app.stats.requests <= 8 + 1  # the first requests in flight, then the single get
    partial = info.value.partial
    assert isinstance(partial, fk.BatchResult) and partial.requested == len(dataset.fulfillment_ids)


def test_one_unknown_id_is_still_just_not_found(
    make_client: ClientFactory, app: SandboxApp, dataset: Dataset
) -> None:
    """A missing record does not look like a wrong route: the batch goes on."""
    client = make_client(app)
    batch = client.get_many([*dataset.fulfillment_ids[:5], "no-such-id"], progress=False)
    assert len(batch) == 5 and [e.kind for e in batch.errors] == ["not_found"]


@hard_timeout(30)
def test_a_server_that_answered_is_not_declared_unreachable(dataset: Dataset) -> None:
    """Once the server has answered, a later connect failure is one id's bad luck."""
    app = SandboxApp(dataset)
    server = SandboxServer(app)
    server.start()
    client = fk.Client(
        SANDBOX_API_KEY,
        connection_token=SANDBOX_CONNECTION_TOKEN,
        base_url=server.url,
        retry_policy=fast_retries(0),
        max_concurrency=1,
    )
    stop_after = 3

    def progress(done: int, total: int, failed: int) -> None:
        if done == stop_after:
            server.stop()

    with client:
        batch = client.get_many(dataset.fulfillment_ids[:10], on_progress=progress)
    assert len(batch) == stop_after
    assert {e.kind for e in batch.errors} == {"network"} and len(batch.errors) == 7


# -- timeouts ---------------------------------------------------------------------------


@hard_timeout(20)
def test_a_timeout_names_the_limit_that_was_hit() -> None:
    def silent(path: str, conn: socket.socket) -> None:
        time.sleep(3)  # headers never come within the limit

    with (
        serving(silent) as server,
        fk.Client(
            "k" * 12,
            connection_token="t" * 12,
            base_url=server.url,
            timeout=0.3,
            retry_policy=fast_retries(0),
        ) as client,
    ):
        with pytest.raises(fk.TimeoutError) as info:
            client.get("a")
        batch = client.get_many(["b"], progress=False)
    assert "after 0.3 s" in str(info.value) and "timeout=0.3" in str(info.value)
    assert batch.errors[0].kind == "timeout" and "after 0.3 s" in batch.errors[0].message


# -- rate-limit waits show --------------------------------------------------------------


def test_the_bar_says_how_long_the_rate_limit_holds_requests() -> None:
    pacer = Pacer((2, 30.0))

    async def spend() -> None:  # two sends: the 30 s window is spent
        for _ in range(2):
            await pacer.acquire()
            pacer.release()

    asyncio.run(spend())
    bar = progress_bar(total=3, progress=False)
    status = BarStatus(bar, pacer.wait_time)
    assert status.text().startswith("rate limit: waiting ")
    assert 29 <= int(status.text().split()[-2]) <= 30
    status.errors = 1
    assert status.text().startswith("errors=1, rate limit: waiting")
    assert BarStatus(bar, Pacer(None).wait_time).text() == ""


@hard_timeout(30)
def test_a_paced_batch_shows_the_wait_in_its_progress_bar(
    dataset: Dataset, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    app = SandboxApp(dataset, rate_limit=(3, 2.0))
    with fk.Client(
        SANDBOX_API_KEY,
        connection_token=SANDBOX_CONNECTION_TOKEN,
        base_url="http://sandbox.localhost",
        transport=httpx.ASGITransport(app=app),
        retry_policy=fast_retries(),
        max_concurrency=1,
    ) as client:
        batch = client.get_many(dataset.fulfillment_ids[:5], progress=True)
    assert batch.ok
    assert "rate limit: waiting" in capsys.readouterr().err


# -- secrets and names --------------------------------------------------------------------


PASSWORD_URL = "https://analyst:hunter2-s3cret@api.panora.dev"  # a global: not a test local


def test_a_password_in_the_base_url_is_not_in_traceback_locals() -> None:
    try:
        fk.Client("k" * 12, base_url=PASSWORD_URL)  # no token: the constructor raises
    except fk.ConfigurationError as exc:
        text = "".join(
            traceback.TracebackException.from_exception(exc, capture_locals=True).format()
        )
    else:
        raise AssertionError("expected a ConfigurationError")
    assert "base_url" in text and "hunter2-s3cret" not in text
    with fk.Client("k" * 12, connection_token="t" * 12, base_url=PASSWORD_URL) as client:
        assert "hunter2" not in repr(client) and "hunter2" not in client.base_url


def test_the_failure_row_has_a_name_that_is_not_an_exceptions() -> None:
    row = fk.FailedId("a", "not_found", 500, "gone", 1)
    assert not isinstance(row, BaseException)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert fk.FetchError is fk.FailedId
    assert any(
        issubclass(w.category, DeprecationWarning) and "FailedId" in str(w.message) for w in caught
    )
    assert "FetchError" not in fk.__all__


def test_stop_from_another_thread_still_leaves_the_rest_pending(
    make_client: ClientFactory, app: SandboxApp, dataset: Dataset
) -> None:
    client = make_client(app, max_concurrency=1)
    stop = threading.Event()

    def progress(done: int, total: int, failed: int) -> None:
        if done == 4:
            stop.set()

    batch = client.get_many(dataset.fulfillment_ids[:20], on_progress=progress, stop=stop)
    assert len(batch) == 4 and len(batch.pending) == 16 and not batch.errors
