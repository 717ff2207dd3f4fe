"""The store across processes: a sync killed with SIGKILL mid-way loses nothing committed
and the next sync resumes from it; a second writer gets StoreBusyError after a bounded
wait, never a corrupt file. The syncing process is a real subprocess; the sandbox runs
on loopback in this one, so its request counter tells how far the other process got."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import fulfillkit as fk
from fulfillkit.sandbox import (
    SANDBOX_API_KEY,
    SANDBOX_CONNECTION_TOKEN,
    SandboxApp,
    SandboxServer,
    make_dataset,
)

from ..fetch.rawserver import hard_timeout

N = 400
PAGE = 10

WORKER = f"""
import sys
import fulfillkit as fk
url, path = sys.argv[1], sys.argv[2]
store = fk.Store(path)
token = {SANDBOX_CONNECTION_TOKEN!r}
with fk.Client({SANDBOX_API_KEY!r}, connection_token=token, base_url=url) as client:
    report = store.sync(client, orders=False, page_size={PAGE}, progress=False)
print(report.outcome, report.new, flush=True)
"""


def _start_worker(url: str, path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "TQDM_DISABLE": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, url, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_for(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.01)


def _client(url: str) -> fk.Client:
    return fk.Client(SANDBOX_API_KEY, connection_token=SANDBOX_CONNECTION_TOKEN, base_url=url)


@hard_timeout(120)
def test_sigkill_mid_sync_keeps_what_was_committed_and_the_next_sync_resumes(
    tmp_path: Path,
) -> None:
    dataset = make_dataset(N, seed=5)
    app = SandboxApp(dataset, latency=0.03)
    path = tmp_path / "shop.duckdb"
    with SandboxServer(app) as server:
        worker = _start_worker(server.url, path)
        try:
            _wait_for(lambda: app.stats.requests >= 15 or worker.poll() is not None, 60)
            assert worker.poll() is None, worker.communicate()
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
        finally:
            if worker.poll() is None:
                worker.kill()
        killed_at = app.stats.requests
        store = fk.Store(path, busy_timeout=5)
        committed = store.sql("select count(*) as n from fulfillments")["n"][0]
        assert 0 < committed < N  # pages committed before the kill, and only those
        assert committed % PAGE == 0 or committed >= (killed_at - 2) * PAGE - PAGE
        ids = store.sql("select id from fulfillments")["id"]
        assert ids.is_unique
        app.latency = 0.0
        with _client(server.url) as client:
            report = store.sync(client, orders=False, page_size=PAGE, progress=False)
        assert report.ok
        assert report.new == N - committed
        # Resumed, not restarted: the pages not committed plus an overlap of at most two.
        assert report.requests <= (N - committed) // PAGE + 3
    assert sorted(store.to_frame()["id"].unique()) == sorted(dataset.fulfillment_ids)
    log = store.syncs()
    assert log["outcome"].tolist() == ["interrupted", "complete"]
    assert store.sql("select count(*) as n from versions")["n"][0] == N


@hard_timeout(120)
def test_a_second_writer_gets_store_busy_after_a_bounded_wait(tmp_path: Path) -> None:
    dataset = make_dataset(N, seed=6)
    app = SandboxApp(dataset, latency=0.05)
    path = tmp_path / "shop.duckdb"
    with SandboxServer(app) as server:
        worker = _start_worker(server.url, path)
        try:
            _wait_for(lambda: app.stats.requests >= 3 or worker.poll() is not None, 60)
            assert worker.poll() is None, worker.communicate()
            store = fk.Store(path, busy_timeout=0.5)
            started = time.monotonic()
            with _client(server.url) as client, pytest.raises(fk.StoreBusyError) as info:
                store.sync(client, progress=False)
            waited = time.monotonic() - started
            assert f"process {worker.pid}" in str(info.value)
            assert waited < 10
            with pytest.raises(fk.StoreBusyError):
                store.to_frame()  # readers wait while a write runs, then say why
            out, err = worker.communicate(timeout=60)
        finally:
            if worker.poll() is None:
                worker.kill()
    assert worker.returncode == 0, err
    assert out.split()[:2] == ["complete", str(N)]
    assert len(fk.Store(path).to_frame()["id"].unique()) == N
