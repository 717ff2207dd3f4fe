"""``fulfillkit sync`` for cron, and ``report`` / ``audit`` reading a store file."""

from __future__ import annotations

from pathlib import Path

import pytest

import fulfillkit as fk
from fulfillkit.cli import main
from fulfillkit.sandbox import (
    SANDBOX_API_KEY,
    SANDBOX_CONNECTION_TOKEN,
    SandboxApp,
    SandboxServer,
    make_dataset,
)
from fulfillkit.store.database import Database


def test_sync_then_report_and_audit_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = make_dataset(150, seed=21)
    app = SandboxApp(dataset, rate_limit=None)
    store = tmp_path / "new folder" / "shop.duckdb"
    monkeypatch.setenv("PANORA_API_KEY", SANDBOX_API_KEY)
    monkeypatch.setenv("PANORA_CONNECTION_TOKEN", SANDBOX_CONNECTION_TOKEN)
    with SandboxServer(app) as server:
        assert main(["sync", str(store), "--base-url", server.url, "--label", "shop"]) == 0
        out = capsys.readouterr().out
        assert "sync of shop: complete" in out and "new " in out
        assert main(["sync", str(store), "--base-url", server.url]) == 0
        assert "new 0, changed 0" in capsys.readouterr().out
    assert fk.Store(store).connections() == ["shop"]
    assert main(["report", str(store), "--html", str(tmp_path / "r.html")]) == 0
    assert "fulfillments" in capsys.readouterr().out
    assert (tmp_path / "r.html").read_text().count("<table") >= 1
    code = main(["audit", str(store), "--rules", "created_before_order,no_order"])
    out = capsys.readouterr().out
    assert code == 0 and "not run: created_before_order" not in out  # orders came with it


def test_sync_the_embedded_sandbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sandbox.duckdb"
    assert main(["sync", str(path), "--sandbox", "--no-orders", "--max-requests", "3"]) == 0
    out = capsys.readouterr().out
    assert "capped" in out and "left for the next sync" in out
    assert fk.Store(path).syncs()["requests"].tolist() == [3]


def test_a_busy_store_exits_75_for_cron_to_retry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "shop.duckdb"
    with Database(path, busy_timeout=0.1).write():  # another sync holds it
        code = main(["sync", str(path), "--sandbox", "--busy-timeout", "0.2"])
    assert code == 75
    assert "store busy" in capsys.readouterr().err


def test_a_folder_as_the_store_fails_before_any_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync", str(tmp_path), "--sandbox"]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_sync_help_names_the_environment_and_exit_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sync", "--help"]) == 0
    out = capsys.readouterr().out
    for text in ("PANORA_API_KEY", "PANORA_CONNECTION_TOKEN", "75", "{auto,open,all,none}"):
        assert text in out
