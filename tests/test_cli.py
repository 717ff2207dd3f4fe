"""The command line: demo, fetch (against a loopback sandbox), report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import fulfillkit as fk
from fulfillkit.cli import main
from fulfillkit.frames import export
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


# --- audit, report --html, fetch options, errors -----------------------------------------


@pytest.fixture
def export_file(tmp_path: Path) -> Path:
    frame = fk.to_frame(make_dataset(80, seed=12).fulfillments, remote_data=True)
    return export(frame, tmp_path / "f.parquet")


def test_audit_prints_the_summary_and_writes_findings(
    export_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "findings.csv"
    assert main(["audit", str(export_file), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    expected = fk.audit(fk.read_frame(export_file))
    written = fk.read_frame(out)
    assert len(written) == len(expected)
    assert written["rule"].tolist() == expected["rule"].tolist()
    assert f"{len(expected):,} findings on" in text
    for rule in set(expected["rule"]):
        assert rule in text
    assert main(["audit", str(export_file), "--rules", "no_order"]) == 0
    assert "no_tracking" not in capsys.readouterr().out


def test_report_html_from_the_command_line(
    export_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "site" / "carriers.html"
    assert main(["report", str(export_file), "--html", str(page), "--carrier", "detected"]) == 0
    captured = capsys.readouterr()
    assert "carrier: detected" in captured.out and f"wrote {page}" in captured.err
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text and "detected: the carrier detected" in text
    for carrier in fk.carrier_report(fk.read_frame(export_file), carrier="detected").index:
        assert f">{carrier}<" in text


def test_fetch_all_and_by_list_with_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = make_dataset(60, seed=13)
    monkeypatch.setenv("PANORA_API_KEY", SANDBOX_API_KEY)
    monkeypatch.setenv("PANORA_CONNECTION_TOKEN", SANDBOX_CONNECTION_TOKEN)
    monkeypatch.delenv("PANORA_BASE_URL", raising=False)
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(dataset.fulfillment_ids[:25]))
    with SandboxServer(SandboxApp(dataset)) as server:
        everything = tmp_path / "all.parquet"
        args = ["fetch", "--all", "-o", str(everything), "--base-url", server.url]
        assert main([*args, "--rate-limit", "1000/1"]) == 0
        assert "listed 60 fulfillments" in capsys.readouterr().err
        assert set(fk.read_frame(everything)["id"]) == set(dataset.fulfillment_ids)

        some = tmp_path / "some.csv"
        checkpoint = tmp_path / "run.jsonl"
        common = [str(ids_file), "-o", str(some), "--base-url", server.url]
        assert main(["fetch", *common, "--via", "list", "--rate-limit", "off"]) == 0
        assert set(fk.read_frame(some)["id"]) == set(dataset.fulfillment_ids[:25])
        assert main(["fetch", *common, "--checkpoint", str(checkpoint)]) == 0
        assert checkpoint.exists()
        before = server.app.stats.requests
        assert main(["fetch", *common, "--checkpoint", str(checkpoint)]) == 0
        assert server.app.stats.requests == before
        assert set(fk.read_frame(some)["id"]) == set(dataset.fulfillment_ids[:25])


def _not_an_export(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    path.write_text("name,age\nada,36\n")
    return path


def _garbage_parquet(tmp_path: Path) -> Path:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    return path


def _unreadable(tmp_path: Path) -> Path:
    path = tmp_path / "secret.csv"
    path.write_text("id,tracking_number\n")
    path.chmod(0)
    return path


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda tmp: ["report", str(tmp / "missing.parquet")], "no such file"),
        (lambda tmp: ["audit", str(tmp / "missing.csv")], "no such file"),
        (lambda tmp: ["report", str(tmp)], "not a file"),
        (lambda tmp: ["report", str(_not_an_export(tmp))], "not a fulfillkit export"),
        (lambda tmp: ["audit", str(_garbage_parquet(tmp))], "as Parquet"),
        (lambda tmp: ["report", str(tmp / "x.xlsx")], "no such file"),
        (lambda tmp: ["audit", str(_not_an_export(tmp)), "-o", "f.json"], "must end in"),
        (lambda tmp: ["report", str(_not_an_export(tmp)), "--html", "x.pdf"], "must end in .html"),
        (lambda tmp: ["report", "x.csv", "--carrier", "guessed"], "invalid choice"),
        (lambda tmp: ["fetch", "--all", "-o", "x.parquet", "--rate-limit", "fast"], "expected N/S"),
        (lambda tmp: ["fetch", "--all", "-o", "x.parquet", "--rate-limit", "0/60"], "expected N/S"),
        (lambda tmp: ["fetch", "--all", "-o", "x.parquet", "--via", "carrier"], "invalid choice"),
        (lambda tmp: ["fetch", "--all", "-o", "x.parquet", "--concurrency", "0"], "at least 1"),
        (lambda tmp: ["fetch", "-o", "x.parquet"], "--all"),
        (lambda tmp: ["fetch", "ids.txt", "--all", "-o", "x.parquet"], "not both"),
        (lambda tmp: ["fetch", "--all", "--checkpoint", "c", "-o", "x.parquet"], "--checkpoint"),
        (lambda tmp: ["fetch", str(tmp / "nope.txt"), "-o", "x.parquet"], "no such file"),
        (lambda tmp: ["audit", "x.csv", "--max-lag", "soon"], "not a duration"),
        (lambda tmp: ["audit", "x.csv", "--untracked-days", "-3"], "0 or more"),
        (lambda tmp: ["demo", "--n", "ten"], "not a whole number"),
        (lambda tmp: ["sandbox", "--rate-limit", "lots"], "such as 100/60"),
        (lambda tmp: ["nonsense"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    make_args: Any,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PANORA_API_KEY", SANDBOX_API_KEY)
    monkeypatch.setenv("PANORA_CONNECTION_TOKEN", SANDBOX_CONNECTION_TOKEN)
    assert main(make_args(tmp_path)) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert message in err and "Traceback" not in err


def test_unreadable_and_unknown_rule_are_one_line(
    export_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    if os.geteuid() != 0:  # root reads anything: the permission case needs a user
        assert main(["report", str(_unreadable(tmp_path))]) == 2
        assert "permission denied" in capsys.readouterr().err
    assert main(["audit", str(export_file), "--rules", "no_such_rule"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "unknown audit rule" in err


def test_errors_are_one_line_in_a_real_process(tmp_path: Path) -> None:
    """No traceback from the installed entry point either, for a file that is not one."""
    bad = _garbage_parquet(tmp_path)
    out = subprocess.run(
        [sys.executable, "-m", "fulfillkit", "audit", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert out.stderr.startswith("fulfillkit: error:") and len(out.stderr.splitlines()) == 1


def test_demo_ends_with_the_html_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path), "--n", "40", "--latency", "0"]) == 0
    out = capsys.readouterr().out
    page = tmp_path / "carriers.html"
    assert out.rstrip().endswith(f"wrote {page} (open it in a browser)")
    text = page.read_text(encoding="utf-8")
    assert "fulfillkit demo" in text and "http://127.0.0.1:" in text
    assert "audit:" in out and "carrier: effective" in out
