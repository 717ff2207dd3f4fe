"""Client configuration: credentials from arguments or environment, refused before sending."""

from __future__ import annotations

import pytest

import fulfillkit as fk
from fulfillkit.fetch.protocol import check_ids, record_path, request_params


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PANORA_API_KEY", "PANORA_CONNECTION_TOKEN", "PANORA_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_environment_supplies_credentials_and_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANORA_API_KEY", "env-key-123")
    monkeypatch.setenv("PANORA_CONNECTION_TOKEN", "env-token-456")
    monkeypatch.setenv("PANORA_BASE_URL", "https://api-eu.panora.dev/")
    with fk.Client() as client:
        assert client.base_url == "https://api-eu.panora.dev"
        assert client.rate_limit == (100, 60.0)  # hosted Panora: published limit
        text = repr(client)
        assert "env-key-123" not in text and "env-token-456" not in text


def test_defaults_to_production_url() -> None:
    with fk.Client("k", connection_token="t") as client:
        assert client.base_url == "https://api.panora.dev"
        assert client.max_concurrency == 8


def test_missing_connection_token_is_refused() -> None:
    with pytest.raises(fk.ConfigurationError, match="PANORA_CONNECTION_TOKEN"):
        fk.Client("key")


def test_missing_api_key_is_refused() -> None:
    with pytest.raises(fk.ConfigurationError, match="PANORA_API_KEY"):
        fk.AsyncClient(connection_token="tok")


@pytest.mark.parametrize("token", ["", "   ", "a\nb"])
def test_blank_or_broken_token_is_refused(token: str) -> None:
    with pytest.raises(fk.ConfigurationError, match="connection_token"):
        fk.Client("key", connection_token=token)


@pytest.mark.parametrize(
    "url",
    ["ftp://api.panora.dev", "api.panora.dev", "https://", "https://api.panora.dev/?x=1"],
)
def test_bad_base_url(url: str) -> None:
    with pytest.raises(fk.ConfigurationError, match="base_url"):
        fk.Client("k", connection_token="t", base_url=url)


def test_plain_http_only_for_loopback() -> None:
    with pytest.raises(fk.ConfigurationError, match="allow_insecure"):
        fk.Client("k", connection_token="t", base_url="http://panora.example.com")
    fk.Client(
        "k", connection_token="t", base_url="http://panora.example.com", allow_insecure=True
    ).close()
    for url in ("http://localhost:3000", "http://127.0.0.1:3000", "http://[::1]:3000"):
        with fk.Client("k", connection_token="t", base_url=url) as client:
            assert client.rate_limit is None  # self-hosted: no default budget


def test_credentials_in_base_url_are_redacted() -> None:
    with fk.Client(
        "k", connection_token="t", base_url="https://me:hunter2@panora.example.com"
    ) as c:
        assert "hunter2" not in c.base_url and "hunter2" not in repr(c)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"max_concurrency": 2.5}, "max_concurrency"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"rate_limit": (0, 60)}, "rate_limit"),
        ({"rate_limit": "fast"}, "rate_limit"),
    ],
)
def test_bad_numbers(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(fk.ConfigurationError, match=match):
        fk.Client("k", connection_token="t", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("record_id", "path"),
    [
        (
            "801f9ede-c698-4e66-a7fc-48d19eebaa4f",
            "/ecommerce/fulfillments/801f9ede-c698-4e66-a7fc-48d19eebaa4f",
        ),
        ("../orders/x", "/ecommerce/fulfillments/..%2Forders%2Fx"),
        ("a/b", "/ecommerce/fulfillments/a%2Fb"),
        ("x?y=1", "/ecommerce/fulfillments/x%3Fy%3D1"),
        ("#", "/ecommerce/fulfillments/%23"),
        ("100%", "/ecommerce/fulfillments/100%25"),
        ("a b", "/ecommerce/fulfillments/a%20b"),
        (".", "/ecommerce/fulfillments/%2E"),
        ("..", "/ecommerce/fulfillments/%2E%2E"),
        ("é", "/ecommerce/fulfillments/%C3%A9"),
    ],
)
def test_record_path_keeps_id_in_one_segment(record_id: str, path: str) -> None:
    assert record_path("/ecommerce/fulfillments", record_id) == path


def test_remote_data_false_is_never_sent() -> None:
    assert request_params(False) == {}
    assert request_params(True) == {"remote_data": "true"}
    with pytest.raises(fk.ConfigurationError):
        request_params("false")  # type: ignore[arg-type]


def test_check_ids_dedupes_in_first_seen_order() -> None:
    assert check_ids(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]
    assert check_ids(iter(["x"])) == ["x"]


@pytest.mark.parametrize(
    ("ids", "match"),
    [
        ("abc", "single str"),
        (["ok", ""], "position 1: an empty string"),
        (["ok", 5, None], "2 invalid id"),
        (42, "collection of id strings"),
    ],
)
def test_check_ids_rejects_bad_input(ids: object, match: str) -> None:
    with pytest.raises(fk.InvalidIdError, match=match) as info:
        check_ids(ids)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
