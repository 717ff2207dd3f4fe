"""Issue 11, invariants 1 and 4: checkpoints know whose they are, never modify a file that
is not theirs, keep a complete last line, and fail before the first request."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import fulfillkit as fk
from fulfillkit.sandbox import (
    SANDBOX_API_KEY,
    SANDBOX_CONNECTION_TOKEN,
    Dataset,
    SandboxApp,
    SandboxServer,
    make_dataset,
)

OTHER_TOKEN = "another-connection-token-0042"


@pytest.fixture(scope="module")
def data() -> Dataset:
    return make_dataset(20, seed=21)


@pytest.fixture
def app(data: Dataset) -> SandboxApp:
    return SandboxApp(data, connection_tokens=(SANDBOX_CONNECTION_TOKEN, OTHER_TOKEN))


@pytest.fixture
def server(app: SandboxApp) -> Iterator[SandboxServer]:
    with SandboxServer(app) as running:
        yield running


def client(server: SandboxServer, token: str = SANDBOX_CONNECTION_TOKEN) -> fk.Client:
    return fk.Client(SANDBOX_API_KEY, connection_token=token, base_url=server.url)


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_header_records_version_url_and_a_keyed_hash_never_the_token(
    server: SandboxServer, data: Dataset, tmp_path: Path
) -> None:
    path = tmp_path / "run.jsonl"
    with client(server) as c:
        c.get_many(data.fulfillment_ids[:5], progress=False, checkpoint=path)
    header, *records = lines(path)
    assert header["fulfillkit_checkpoint"] == 1 and header["base_url"] == server.url
    assert SANDBOX_CONNECTION_TOKEN not in path.read_text()
    assert len(str(header["token_hmac"])) == 64 and len(records) == 5


def test_another_connections_checkpoint_is_refused_before_any_request(
    server: SandboxServer, app: SandboxApp, data: Dataset, tmp_path: Path
) -> None:
    path = tmp_path / "run.jsonl"
    with client(server) as c:
        c.get_many(data.fulfillment_ids[:5], progress=False, checkpoint=path)
    before, sent = path.read_bytes(), app.stats.requests
    with client(server, OTHER_TOKEN) as other:
        with pytest.raises(fk.CheckpointError, match="another connection") as info:
            other.get_many(data.fulfillment_ids, progress=False, checkpoint=path)
        assert app.stats.requests == sent and path.read_bytes() == before
        assert isinstance(info.value.partial, fk.BatchResult)
        batch = other.get_many(
            data.fulfillment_ids, progress=False, checkpoint=path, checkpoint_mismatch="discard"
        )
    assert batch.ok and len(batch) == 20
    assert app.stats.requests == sent + 20  # started over: nothing reused
    assert len(lines(path)) == 21


def test_a_file_that_is_not_a_checkpoint_is_never_modified(
    server: SandboxServer, app: SandboxApp, data: Dataset, tmp_path: Path
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my notes\nlast line without newline")
    before = path.read_bytes()
    with client(server) as c:
        for mismatch in ("raise", "discard"):
            with pytest.raises(fk.CheckpointError, match="not a fulfillkit checkpoint"):
                c.get_many(
                    data.fulfillment_ids,
                    progress=False,
                    checkpoint=path,
                    checkpoint_mismatch=mismatch,
                )
    assert path.read_bytes() == before and app.stats.requests == 0


def test_a_complete_last_line_without_newline_is_kept_a_torn_one_is_cut(
    server: SandboxServer, app: SandboxApp, data: Dataset, tmp_path: Path
) -> None:
    path = tmp_path / "run.jsonl"
    ids = data.fulfillment_ids[:6]
    with client(server) as c:
        c.get_many(ids[:3], progress=False, checkpoint=path)
        path.write_bytes(path.read_bytes().rstrip(b"\n"))  # complete, no newline
        sent = app.stats.requests
        batch = c.get_many(ids, progress=False, checkpoint=path)
        assert batch.ok and app.stats.requests == sent + 3  # the third record was kept
        with path.open("ab") as handle:
            handle.write(b'{"id": "torn", "rec')
        sent = app.stats.requests
        batch = c.get_many(ids, progress=False, checkpoint=path)
    assert batch.ok and app.stats.requests == sent
    # Torn tail cut, nothing else: each id once (lines are in completion order, which
    # concurrency decides).
    assert sorted(str(r["id"]) for r in lines(path)[1:]) == sorted(ids)


def test_a_line_that_is_not_that_ids_fulfillment_is_refetched(
    server: SandboxServer, app: SandboxApp, data: Dataset, tmp_path: Path
) -> None:
    path = tmp_path / "run.jsonl"
    ids = data.fulfillment_ids[:3]
    with client(server) as c:
        c.get_many(ids, progress=False, checkpoint=path)
    header, first, *rest = path.read_text().splitlines()
    swapped = json.loads(first)
    # valid JSON, another record (lines are in completion order: pick an id not this line's)
    swapped["record"]["id"] = next(i for i in ids if i != swapped["id"])
    upper = json.loads(rest[0])
    upper["id"] = upper["id"].upper()  # the same record, asked for in upper case
    text = "\n".join([header, json.dumps(swapped), json.dumps(upper), rest[1]]) + "\n"
    path.write_text(text)
    sent = app.stats.requests
    with client(server) as c, pytest.warns(UserWarning, match="not the requested"):
        batch = c.get_many(ids, progress=False, checkpoint=path)
    assert batch.ok and app.stats.requests == sent + 1  # only the swapped one


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_an_unwritable_checkpoint_folder_fails_before_the_first_request(
    server: SandboxServer, app: SandboxApp, data: Dataset, tmp_path: Path
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with client(server) as c, pytest.raises(fk.CheckpointError):
            c.get_many(data.fulfillment_ids, progress=False, checkpoint=folder / "run.jsonl")
    finally:
        folder.chmod(0o700)
    assert app.stats.requests == 0


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_folder_no_one_can_write_fails_before_the_first_request_even_as_root(
    server: SandboxServer, app: SandboxApp, data: Dataset
) -> None:
    """The root-proof twin of the test above: ``/proc/self`` exists and is a folder, but no
    file can be created in it, whoever asks (root included)."""
    folder = Path("/proc/self")
    with client(server) as c:
        with pytest.raises(fk.OutputPathError, match="not writable") as info:
            c.get_many(data.fulfillment_ids, progress=False, checkpoint=folder / "run.jsonl")
        assert info.value.partial is not None and len(info.value.partial) == 0
        assert "'/proc/self/run.jsonl'" in str(info.value)
        with pytest.raises(fk.OutputPathError, match="cannot create"):
            c.get_many(data.fulfillment_ids, progress=False, sink=folder / "out.parquet")
        with pytest.raises(fk.OutputPathError):  # a sink with it changes nothing
            c.get_many(
                data.fulfillment_ids,
                progress=False,
                checkpoint=folder / "run.jsonl",
                sink=folder / "out.parquet",
            )
    assert app.stats.requests == 0
    assert not (folder / "run.jsonl").exists()


def test_unusable_paths_fail_before_the_first_request(
    server: SandboxServer, app: SandboxApp, data: Dataset, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with client(server) as c:
        with pytest.raises(fk.OutputPathError, match="is a file"):  # its folder is a file
            c.get_many(data.fulfillment_ids, progress=False, checkpoint=blocker / "run.jsonl")
        with pytest.raises(fk.OutputPathError, match="is a folder"):
            c.get_many(data.fulfillment_ids, progress=False, checkpoint=tmp_path)
        with pytest.raises(fk.OutputPathError, match="cannot create the folder"):
            c.get_many(data.fulfillment_ids, progress=False, sink=blocker / "x.parquet")
        with pytest.raises(fk.OutputPathError, match="is a file"):
            c.get_many(data.fulfillment_ids, progress=False, sink=blocker)
    assert app.stats.requests == 0 and blocker.read_text() == "x"


def test_missing_folders_are_created_for_checkpoint_and_sink(
    server: SandboxServer, app: SandboxApp, data: Dataset, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "a" / "b" / "run.jsonl"
    sink = tmp_path / "c" / "d" / "out.parquet"
    with client(server) as c:
        batch = c.get_many(data.fulfillment_ids, progress=False, checkpoint=checkpoint, sink=sink)
    assert batch.ok and checkpoint.is_file() and sink.is_dir()
    assert set(fk.read_frame(sink)["id"]) == set(data.fulfillment_ids)


def test_a_checkpoint_under_home_is_written_under_home(
    server: SandboxServer, data: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``~`` is expanded for the write too, not only for the check: no ``./~`` folder."""
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    with client(server) as c:
        batch = c.get_many(data.fulfillment_ids[:3], progress=False, checkpoint="~/run.jsonl")
    assert batch.ok
    header, *records = lines(home / "run.jsonl")
    assert header["fulfillkit_checkpoint"] == 1 and len(records) == 3
    assert not (cwd / "~").exists()
