"""The command line's surface: --version, what every --help says, fetch --sandbox, and the
one output-path rule checked before the first request (the sandbox counts the requests)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import fulfillkit as fk
from fulfillkit.cli import EXIT_CODES, main
from fulfillkit.sandbox import (
    SANDBOX_API_KEY,
    SANDBOX_CONNECTION_TOKEN,
    Dataset,
    SandboxApp,
    SandboxServer,
    make_dataset,
)

CREDENTIALS = ("PANORA_API_KEY", "PANORA_CONNECTION_TOKEN", "PANORA_BASE_URL")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"fulfillkit {fk.__version__}"
    out = subprocess.run(
        [sys.executable, "-m", "fulfillkit", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert out.stdout.strip() == f"fulfillkit {fk.__version__}"


def _help(capsys: pytest.CaptureFixture[str], *command: str) -> str:
    assert main([*command, "--help"]) == 0
    return " ".join(capsys.readouterr().out.split())  # one line: wrapping is not content


@pytest.mark.parametrize(
    ("command", "names"),
    [
        ((), [*CREDENTIALS, "TQDM_DISABLE", "FULFILLKIT_SANDBOX_RATE_LIMIT", "--version"]),
        (("fetch",), [*CREDENTIALS, "TQDM_DISABLE", "HTTPS_PROXY", "{id,list,auto}"]),
        (("demo",), ["TQDM_DISABLE", "--out"]),
        (("report",), ["{effective,stated,detected}", ".parquet, .csv or .csv.gz", ".html"]),
        (("audit",), ["environment variables read: none"]),
        (("sandbox",), ["FULFILLKIT_SANDBOX_RATE_LIMIT"]),
    ],
)
def test_every_help_names_its_environment_choices_and_exit_codes(
    command: tuple[str, ...], names: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    text = _help(capsys, *command)
    assert "environment variables read:" in text
    assert " ".join(EXIT_CODES.split()) in text
    for name in names:
        assert name in text, name


def test_fetch_help_says_where_credentials_come_from(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(capsys, "fetch")
    assert "Credentials come from the environment (PANORA_API_KEY, PANORA_CONNECTION_TOKEN" in text
    assert "--sandbox" in text and "which needs none" in text
    assert "auto (the default" in text and "--rate-limit N/S|auto|off" in text


# --- fetch --sandbox ----------------------------------------------------------------------


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CREDENTIALS:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_credentials")
def test_fetch_sandbox_needs_no_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with fk.Client.sandbox() as client:  # the dataset fetch --sandbox serves
        ids = client.sandbox_ids
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join([*ids[:20], "  " + ids[0] + " ", "not-in-the-sandbox"]))
    out = tmp_path / "some.csv"
    assert main(["fetch", "--sandbox", str(ids_file), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "fetched 20 of 21 distinct ids" in err and "not_found: 1" in err
    assert set(fk.read_frame(out)["id"]) == set(ids[:20])

    everything = tmp_path / "all.parquet"
    assert main(["fetch", "--sandbox", "--all", "-o", str(everything)]) == 0
    assert f"listed {len(ids)} fulfillments" in capsys.readouterr().err
    assert set(fk.read_frame(everything)["id"]) == set(ids)


@pytest.mark.usefixtures("no_credentials")
@pytest.mark.parametrize("option", [["--base-url", "http://127.0.0.1:9"], ["--rate-limit", "off"]])
def test_fetch_sandbox_refuses_server_options(
    option: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fetch", "--sandbox", "--all", "-o", str(tmp_path / "x.csv"), *option]) == 2
    assert "--sandbox talks to the embedded sandbox" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


# --- the output-path rule, before the first request ----------------------------------------


@pytest.fixture(scope="module")
def data() -> Dataset:
    return make_dataset(30, seed=61)


@pytest.fixture
def server(data: Dataset, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    with SandboxServer(SandboxApp(data)) as server:
        monkeypatch.setenv("PANORA_API_KEY", SANDBOX_API_KEY)
        monkeypatch.setenv("PANORA_CONNECTION_TOKEN", SANDBOX_CONNECTION_TOKEN)
        monkeypatch.setenv("PANORA_BASE_URL", server.url)
        yield server


@pytest.fixture
def ids_file(tmp_path: Path, data: Dataset) -> Path:
    path = tmp_path / "ids.txt"
    path.write_text("\n".join(data.fulfillment_ids))
    return path


def test_fetch_creates_missing_folders(
    server: SandboxServer, ids_file: Path, tmp_path: Path, data: Dataset
) -> None:
    out = tmp_path / "no" / "such" / "x.parquet"
    errors = tmp_path / "other" / "failed.csv"
    assert main(["fetch", str(ids_file), "-o", str(out), "--errors", str(errors)]) == 0
    assert set(fk.read_frame(out)["id"]) == set(data.fulfillment_ids)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (lambda tmp: ["-o", str(tmp / "taken.parquet")], "is a folder; give a file name"),
        (lambda tmp: ["-o", str(tmp / "blocker" / "x.csv")], "is a file, not a folder"),
        (
            lambda tmp: ["-o", str(tmp / "x.csv"), "--errors", str(tmp / "taken.parquet")],
            "errors file path",
        ),
        (
            lambda tmp: ["-o", str(tmp / "x.csv"), "--checkpoint", str(tmp / "taken.parquet")],
            "checkpoint path",
        ),
    ],
)
def test_a_bad_output_path_fails_before_the_first_request(
    server: SandboxServer,
    ids_file: Path,
    tmp_path: Path,
    options: object,
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "taken.parquet").mkdir()
    (tmp_path / "blocker").write_text("x")
    args = options(tmp_path)  # type: ignore[operator]
    for source in ([str(ids_file)], ["--all"]):
        if "--checkpoint" in args and source == ["--all"]:
            continue  # --checkpoint is for fetches by id
        assert main(["fetch", *source, *args]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and message in err, err
    assert server.app.stats.requests == 0
    assert not (tmp_path / "x.csv").exists()


def test_report_and_demo_check_their_outputs_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = fk.export(fk.to_frame(make_dataset(40, seed=62).fulfillments), tmp_path / "f.csv")
    (tmp_path / "taken.html").mkdir()
    assert main(["report", str(source), "--html", str(tmp_path / "taken.html")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "HTML report path" in captured.err  # no report printed

    table, page = tmp_path / "a" / "carriers.csv", tmp_path / "b" / "carriers.html"
    assert main(["report", str(source), "-o", str(table), "--html", str(page)]) == 0
    assert page.is_file()
    written = fk.read_frame(table)
    expected = fk.carrier_report(fk.read_frame(source)).reset_index()
    assert written["carrier"].tolist() == expected["carrier"].tolist()
    assert written["fulfillments"].tolist() == expected["fulfillments"].tolist()
    capsys.readouterr()

    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    assert main(["demo", "--out", str(blocker), "--n", "5", "--latency", "0"]) == 2
    captured = capsys.readouterr()
    assert "sandbox Panora serving" not in captured.out  # nothing started, nothing fetched
    assert "demo output path" in captured.err and blocker.read_text() == "x"
