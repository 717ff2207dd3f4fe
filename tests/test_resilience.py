"""A batch against a flaky, rate-limited, interrupted server: every id accounted for."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

import fulfillkit as fk
from fulfillkit.sandbox import (
    SANDBOX_API_KEY,
    SANDBOX_CONNECTION_TOKEN,
    Faults,
    SandboxApp,
    SandboxServer,
    make_dataset,
)

from .conftest import fast_retries

TRANSIENT = ("503", "502", "504", "429", "500", "drop", "truncate", "slow")


def _client(url: str, **kwargs: object) -> fk.Client:
    kwargs.setdefault("retry_policy", fast_retries(kwargs.pop("max_retries", None)))  # type: ignore[arg-type]
    return fk.Client(
        SANDBOX_API_KEY,
        connection_token=SANDBOX_CONNECTION_TOKEN,
        base_url=url,
        **kwargs,  # type: ignore[arg-type]
    )


def test_fault_storm_over_loopback() -> None:
    """1,000 ids, about 20% of them hit by a transient fault of every kind: all succeed;
    permanent faults land in errors with the right kind."""
    dataset = make_dataset(1000, seed=11)
    ids = dataset.fulfillment_ids
    permanent = {
        ids[0]: ["invalid_json"],
        ids[1]: ["html"],
        ids[2]: ["null"],
        ids[3]: ["wrong_types"],
        ids[4]: ["not_found"],
    }
    faults = Faults(
        rate=0.2, kinds=TRANSIENT, seed=5, retry_after=0.01, slow_seconds=1.5, script=permanent
    )
    app = SandboxApp(dataset, faults=faults)
    unknown = [str(uuid.uuid5(uuid.NAMESPACE_DNS, f"gone-{i}")) for i in range(5)]
    with (
        SandboxServer(app) as server,
        _client(server.url, max_concurrency=32, timeout=1.0, max_retries=3) as client,
    ):
        batch = client.get_many([*ids, *unknown, *ids[:50]], progress=False)

    assert set(faults.injected) >= set(TRANSIENT)  # every kind really happened
    transient_hits = sum(faults.injected[k] for k in TRANSIENT)
    assert transient_hits >= 150
    assert len(batch.fulfillments) + len(batch.errors) == len(ids) + len(unknown)
    kinds = {e.id: e.kind for e in batch.errors}
    assert kinds == {
        ids[0]: "invalid_response",
        ids[1]: "invalid_response",
        ids[2]: "invalid_response",
        ids[3]: "invalid_response",
        ids[4]: "not_found",
        **dict.fromkeys(unknown, "not_found"),
    }
    # attempts is the real number of requests; scripted permanent faults are never retried
    assert all(e.attempts == app.stats.per_id[e.id] for e in batch.errors)
    assert all(e.attempts == 1 for e in batch.errors if e.id in permanent)
    assert [f.id for f in batch.fulfillments] == ids[5:]


def test_rate_limited_server_sees_almost_no_429() -> None:
    """The sandbox allows 20 requests per 2 s; 100 ids must finish with at most 5 429s."""
    dataset = make_dataset(100, seed=12)
    app = SandboxApp(dataset, rate_limit=(20, 2.0))
    with SandboxServer(app) as server, _client(server.url, max_concurrency=8) as client:
        batch = client.get_many(dataset.fulfillment_ids, progress=False)
    assert batch.ok and len(batch) == 100
    assert app.stats.by_status[429] <= 5
    assert app.stats.by_status[200] == 100


def test_client_side_budget_paces_without_server_headers() -> None:
    dataset = make_dataset(30, seed=13)
    app = SandboxApp(dataset)
    with fk.Client.sandbox(n=30, seed=13, rate_limit=None) as probe:
        assert probe.rate_limit is None
    with (
        SandboxServer(app) as server,
        _client(server.url, max_concurrency=8, rate_limit=(10, 0.5)) as client,
    ):
        batch = client.get_many(dataset.fulfillment_ids, progress=False)
        waited = client._core.requester.pacer.waited
    assert batch.ok
    assert waited > 0  # 30 requests at 10 per 0.5 s had to wait for two windows


def test_checkpoint_resume_after_sigkill(tmp_path: Path) -> None:
    dataset = make_dataset(300, seed=14)
    ids = dataset.fulfillment_ids
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(ids))
    checkpoint = tmp_path / "run.jsonl"
    app = SandboxApp(dataset, latency=0.02)
    script = (
        "import sys, fulfillkit as fk\n"
        "ids = open(sys.argv[2]).read().split()\n"
        "c = fk.Client(sys.argv[4], connection_token=sys.argv[5], base_url=sys.argv[1],"
        " max_concurrency=4)\n"
        "c.get_many(ids, checkpoint=sys.argv[3], progress=False)\n"
    )
    with SandboxServer(app) as server:
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                script,
                server.url,
                str(ids_file),
                str(checkpoint),
                SANDBOX_API_KEY,
                SANDBOX_CONNECTION_TOKEN,
            ],
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if checkpoint.exists() and checkpoint.read_bytes().count(b"\n") >= 61:  # + header
                    break
                time.sleep(0.02)
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.wait()
        assert child.returncode == -signal.SIGKILL
        written = checkpoint.read_bytes().count(b"\n") - 1  # the first line is the header
        assert 60 <= written < len(ids)
        with checkpoint.open("ab") as handle:  # as if killed in the middle of a line
            handle.write(b'{"id": "torn", "rec')
        saved = {json.loads(line)["id"] for line in checkpoint.read_text().splitlines()[1:-1]}
        time.sleep(0.3)  # requests the child had already sent still reach the server
        before = dict(app.stats.per_id)
        with _client(server.url, max_concurrency=4) as client:
            batch = client.get_many(ids, checkpoint=checkpoint, progress=False)
        rerun = {i: app.stats.per_id[i] - before.get(i, 0) for i in ids}

    assert batch.ok and [f.id for f in batch] == ids
    assert len(saved) == written
    assert {i for i, n in rerun.items() if n} == set(ids) - saved  # only what was missing
    assert set(rerun.values()) == {0, 1}
    lines = checkpoint.read_text().splitlines()[1:]
    assert len(lines) == len(ids)
    assert {json.loads(line)["id"] for line in lines} == set(ids)


def test_ctrl_c_stops_quickly_and_keeps_what_was_fetched(tmp_path: Path) -> None:
    dataset = make_dataset(400, seed=15)
    app = SandboxApp(dataset, latency=0.05)
    checkpoint = tmp_path / "run.jsonl"
    # A real SIGINT, as Ctrl-C sends, handled the way Python does by default.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    with SandboxServer(app) as server, _client(server.url, max_concurrency=4) as client:
        timer = threading.Timer(0.6, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        started = time.monotonic()
        with pytest.raises(fk.BatchInterrupted) as info:
            client.get_many(dataset.fulfillment_ids, checkpoint=checkpoint, progress=False)
        stopped_after = time.monotonic() - started
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
        time.sleep(0.3)  # requests already on the wire may still arrive
        requests_at_stop = app.stats.requests
        time.sleep(0.3)
        assert app.stats.requests == requests_at_stop  # nothing kept running
    partial = info.value.partial
    assert isinstance(partial, fk.BatchResult)
    assert isinstance(info.value, KeyboardInterrupt)
    assert 0 < len(partial.fulfillments) < 400
    assert partial.pending
    assert len(partial.fulfillments) + len(partial.errors) + len(partial.pending) == 400
    assert requests_at_stop <= len(partial.fulfillments) + 4  # at most the in-flight ones
    assert stopped_after < 0.6 + 5  # generous: the contract is "within a second"
    assert checkpoint.read_bytes().count(b"\n") - 1 == len(partial.fulfillments)
