"""The command line: demo, fetch (against a loopback sandbox), report."""

from __future__ import annotations

import subprocess
import sys
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


def test_demo_writes_both_exports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path), "--n", "60", "--latency", "0"]) == 0
    out = capsys.readouterr().out
    assert "fetched 60 of 63 distinct ids" in out
    assert "not_found: 3" in out
    frame = fk.read_frame(tmp_path / "fulfillments.parquet")
    assert frame["id"].nunique() == 60
    assert fk.read_frame(tmp_path / "fulfillments.csv")["id"].nunique() == 60


def test_fetch_and_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = make_dataset(40, seed=51)
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text(
        "# ids to fetch\n" + "\n".join(dataset.fulfillment_ids[:30]) + "\n\nnot-a-real-id\n"
    )
    with SandboxServer(SandboxApp(dataset)) as server:
        monkeypatch.setenv("PANORA_API_KEY", SANDBOX_API_KEY)
        monkeypatch.setenv("PANORA_CONNECTION_TOKEN", SANDBOX_CONNECTION_TOKEN)
        monkeypatch.setenv("PANORA_BASE_URL", server.url)
        out = tmp_path / "out.csv.gz"
        errors = tmp_path / "errors.csv"
        code = main(["fetch", str(ids_file), "-o", str(out), "--errors", str(errors)])
    assert code == 1  # one id failed
    err = capsys.readouterr().err
    assert "fetched 30 of 31 distinct ids" in err
    assert SANDBOX_API_KEY not in err and SANDBOX_CONNECTION_TOKEN not in err
    frame = fk.read_frame(out)
    assert frame["id"].nunique() == 30
    assert fk.read_frame(errors)["id"].tolist() == ["not-a-real-id"]

    assert main(["report", str(out)]) == 0
    report = capsys.readouterr().out
    assert report.splitlines()[0].split()[:2] == ["carrier", "fulfillments"]
    expected = fk.carrier_report(frame)
    rows = {}
    for line in report.splitlines()[1:]:
        for carrier in expected.index:
            if line.strip().startswith(f"{carrier} "):
                rows[carrier] = int(line.strip()[len(carrier) :].split()[0])
    assert rows == expected["fulfillments"].to_dict()
    assert sum(rows.values()) == 30


def test_fetch_without_credentials_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("PANORA_API_KEY", "PANORA_CONNECTION_TOKEN", "PANORA_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("abc\n")
    assert main(["fetch", str(ids_file), "-o", str(tmp_path / "x.parquet")]) == 2
    assert "PANORA_API_KEY" in capsys.readouterr().err
    assert main(["fetch", str(ids_file), "-o", str(tmp_path / "x.xlsx")]) == 2


def test_module_entry_point() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "fulfillkit", "--help"], capture_output=True, text=True, check=True
    )
    assert "demo" in out.stdout and "fetch" in out.stdout
