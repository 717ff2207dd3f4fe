"""Issue 11, invariant 7: credentials checked once, at construction; no secret in any
message, repr or traceback's local variables, on every error path."""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest

import fulfillkit as fk
from fulfillkit.sandbox import SANDBOX_API_KEY, SandboxApp, SandboxServer, make_dataset

from .rawserver import RawServer, hard_timeout, response

KEY = "secret-api-key-7f3a9c"
TOKEN = "secret-connection-token-51be0d"
SECRETS = (KEY, TOKEN)


def shown(exc: BaseException) -> str:
    """Everything a verbose traceback printer would show, locals included, from the
    library's frames (the test's own frame holds the secrets it passed, by design)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    exc.__traceback__ = tb
    return "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())


def assert_clean(exc: BaseException, *secrets: str) -> None:
    text = shown(exc) + repr(exc) + str(exc)
    for secret in [s for s in secrets or SECRETS if s]:
        assert secret not in text


@pytest.mark.parametrize(
    ("key", "token", "problem"),
    [
        (KEY, TOKEN + "é", "non-ASCII"),
        (KEY, TOKEN + " ", "whitespace"),
        (" " + KEY, TOKEN, "whitespace"),
        (KEY[:5] + "\x0b" + KEY[5:], TOKEN, "control"),
        (KEY, TOKEN[:4] + "\n" + TOKEN[4:], "control"),
        (KEY, "", "empty"),
    ],
)
def test_bad_credentials_fail_at_construction_without_the_secret(
    key: str, token: str, problem: str
) -> None:
    for cls in (fk.Client, fk.AsyncClient):
        with pytest.raises(fk.ConfigurationError, match=problem) as info:
            cls(key, connection_token=token, base_url="http://127.0.0.1:9")
        assert_clean(info.value, key, token)


def test_a_half_built_client_has_a_working_repr() -> None:
    client = fk.Client.__new__(fk.Client)
    assert "not configured" in repr(client)


@hard_timeout(30)
def test_no_secret_in_any_error_path(tmp_path: Path) -> None:
    failures: list[BaseException] = []

    # a server that echoes the credentials back in an error body (as Panora echoes a token)
    def echo(path: str, conn: object) -> None:
        body = f'{{"message": "internal error for token {TOKEN} key {KEY}"}}'.encode()
        conn.sendall(response(500, body))  # type: ignore[attr-defined]

    with RawServer(echo) as server:
        client = fk.Client(KEY, connection_token=TOKEN, base_url=server.url)
        with pytest.raises(fk.FetchFailed) as info2:
            client.get("a")
        failures.append(info2.value)
        batch = client.get_many(["a"], progress=False)
        assert all(s not in repr(batch.errors) for s in SECRETS)
        with pytest.raises(fk.FetchFailed) as info3:
            batch.raise_for_errors()
        failures.append(info3.value)
        client.close()
    # connection refused (a network error with the transport's own exception chained)
    with fk.Client(KEY, connection_token=TOKEN, base_url="http://127.0.0.1:9") as refused:
        with pytest.raises(fk.NetworkError) as info4:
            refused.get("a")
        failures.append(info4.value)
    # a checkpoint of another connection
    app = SandboxApp(make_dataset(2), api_keys=(SANDBOX_API_KEY, KEY), connection_tokens=(TOKEN,))
    with SandboxServer(app) as sandbox:
        with fk.Client(SANDBOX_API_KEY, connection_token=TOKEN + "x", base_url=sandbox.url) as c:
            with pytest.raises(fk.FulfillkitError) as info5:
                c.get_many(["a"], progress=False)
            failures.append(info5.value)
            c.get_many([], progress=False, checkpoint=tmp_path / "c.jsonl")
        with fk.Client(KEY, connection_token=TOKEN, base_url=sandbox.url) as c:
            with pytest.raises(fk.CheckpointError) as info6:
                c.get_many(["a"], progress=False, checkpoint=tmp_path / "c.jsonl")
            failures.append(info6.value)
    # closed client
    closed = fk.Client(KEY, connection_token=TOKEN, base_url="http://127.0.0.1:9")
    closed.close()
    with pytest.raises(fk.ClientClosedError) as info7:
        closed.get("a")
    failures.append(info7.value)
    for exc in failures:
        assert_clean(exc, KEY, TOKEN, TOKEN + "x")
