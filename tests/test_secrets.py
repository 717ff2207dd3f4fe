"""The API key and connection token never appear in anything fulfillkit prints or raises."""

from __future__ import annotations

import logging
import traceback

import pytest

import fulfillkit as fk
from fulfillkit.sandbox import SandboxApp, SandboxServer, make_dataset

KEY = "sk-live-9f8e7d6c5b4a-SECRET"
TOKEN = "ct-prod-0a1b2c3d4e5f-SECRET"
WRONG_TOKEN = "ct-typo-123456789-SECRET"


def test_secrets_never_leak_anywhere(
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    caplog.set_level(logging.DEBUG)  # httpx and httpcore debug logs included
    dataset = make_dataset(40, seed=21)
    app = SandboxApp(dataset, api_keys=(KEY,), connection_tokens=(TOKEN,))
    texts: list[str] = []
    with SandboxServer(app) as server:
        url_with_userinfo = server.url.replace("http://", f"http://user:{KEY}@")
        with fk.Client(KEY, connection_token=TOKEN, base_url=url_with_userinfo) as client:
            batch = client.get_many([*dataset.fulfillment_ids, "missing"], progress=True)
            texts += [repr(client), str(client), client.base_url, repr(batch), str(batch)]
            texts += [repr(e) for e in batch.errors]
            texts.append(batch.errors_frame().to_string())
            try:
                batch.raise_for_errors()
            except fk.FulfillkitError:
                texts.append(traceback.format_exc())
        # Panora echoes an unknown connection token back in its 500 message.
        with fk.Client(KEY, connection_token=WRONG_TOKEN, base_url=server.url) as client:
            try:
                client.get_many(dataset.fulfillment_ids, progress=True)
            except fk.AuthenticationError as exc:
                texts += [str(exc), repr(exc), traceback.format_exc()]
            else:
                pytest.fail("an unknown token must raise AuthenticationError")
    captured = capsys.readouterr()
    texts += [captured.out, captured.err, caplog.text]
    texts += [str(r.__dict__) for r in caplog.records]
    assert batch.errors and len(batch) == 40
    assert any("httpcore" in r.name for r in caplog.records)  # debug logs were produced
    assert "41/41" in captured.err  # the progress bar was there
    everything = "\n".join(texts)
    for secret in (KEY, TOKEN, WRONG_TOKEN):
        assert secret not in everything
    assert "Connection undefined for token" in everything
