"""The I/O-free core shared by :class:`Client` and :class:`AsyncClient`.

Everything that needs no network lives here, so it is written once and tested directly:

* :class:`ClientConfig`: settings read from arguments or the environment, validated before
  any request (missing key or token, unsafe ``http://`` base URL, bad numbers);
* :func:`record_path`: the request path with the id percent-encoded into one segment;
* :func:`request_headers` / :func:`request_params`: Panora's headers and query (never
  ``remote_data=false``, which Panora reads as true);
* :func:`interpret`: a status, headers and body become a record or a :class:`Failure`.

Example:
    >>> record_path("/ecommerce/fulfillments", "../orders/x")
    '/ecommerce/fulfillments/..%2Forders%2Fx'
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlsplit

import pydantic
from pydantic import SecretStr

from ._errors import (
    AuthenticationError,
    ConfigurationError,
    ErrorKind,
    FetchFailed,
    InvalidIdError,
    InvalidResponseError,
    NetworkError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TimeoutError,
)
from ._redact import redact, redact_url, register_secret
from ._retry import Decision, RetryPolicy, classify, parse_retry_after

__all__ = [
    "DEFAULT_BASE_URL",
    "ERRORS_BY_KIND",
    "ClientConfig",
    "Failure",
    "check_id",
    "check_ids",
    "interpret",
    "record_path",
    "request_headers",
    "request_params",
]

T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.panora.dev"
PANORA_HOSTED_HOSTS = frozenset(
    {"api.panora.dev", "api-sandbox.panora.dev", "api-eu.panora.dev", "api-dev.panora.dev"}
)
FULFILLMENTS = "/ecommerce/fulfillments"
ORDERS = "/ecommerce/orders"
USER_AGENT = "fulfillkit/0.1"
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024

ERRORS_BY_KIND: dict[ErrorKind, type[FetchFailed]] = {
    "not_found": NotFoundError,
    "auth": AuthenticationError,
    "rate_limited": RateLimitError,
    "server": ServerError,
    "network": NetworkError,
    "timeout": TimeoutError,
    "invalid_response": InvalidResponseError,
}


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value else None


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Validated client settings. Secrets are :class:`~pydantic.SecretStr`.

    Build it with :meth:`from_args`, which reads ``PANORA_API_KEY``,
    ``PANORA_CONNECTION_TOKEN`` and ``PANORA_BASE_URL`` for arguments left as ``None``.
    """

    api_key: SecretStr
    connection_token: SecretStr
    base_url: str
    max_concurrency: int
    timeout: float
    retry: RetryPolicy
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    rate_limit: tuple[int, float] | None = None
    extra_headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_args(
        cls,
        api_key: str | SecretStr | None,
        *,
        connection_token: str | SecretStr | None,
        base_url: str | None,
        max_concurrency: int,
        timeout: float,
        max_retries: int,
        allow_insecure: bool = False,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        rate_limit: tuple[int, float] | str | None = "auto",
        retry_policy: RetryPolicy | None = None,
    ) -> ClientConfig:
        """Validate arguments (falling back to the environment) into a config.

        Raises :class:`ConfigurationError` naming the problem; nothing is sent.
        """
        key = _secret(api_key, "PANORA_API_KEY", "api_key")
        token = _secret(connection_token, "PANORA_CONNECTION_TOKEN", "connection_token")
        url = _check_base_url(base_url or _env("PANORA_BASE_URL") or DEFAULT_BASE_URL)
        if not allow_insecure:
            parts = urlsplit(url)
            if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
                raise ConfigurationError(
                    f"refusing plain http:// to non-loopback host {parts.hostname!r}: the API "
                    "key would travel in clear; use https:// or pass allow_insecure=True"
                )
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int):
            raise ConfigurationError("max_concurrency must be an int >= 1")
        if max_concurrency < 1:
            raise ConfigurationError(f"max_concurrency must be >= 1, got {max_concurrency}")
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigurationError(f"max_retries must be an int >= 0, got {max_retries!r}")
        if not isinstance(timeout, (int, float)) or not math.isfinite(timeout) or timeout <= 0:
            raise ConfigurationError(f"timeout must be a positive number of seconds: {timeout!r}")
        if max_response_bytes < 1:
            raise ConfigurationError("max_response_bytes must be >= 1")
        limit = _rate_limit(rate_limit, url)
        policy = retry_policy or RetryPolicy(max_retries=max_retries)
        if retry_policy is not None and retry_policy.max_retries != max_retries:
            policy = RetryPolicy(
                max_retries=max_retries,
                base_delay=retry_policy.base_delay,
                max_delay=retry_policy.max_delay,
                max_retry_after=retry_policy.max_retry_after,
            )
        return cls(
            api_key=key,
            connection_token=token,
            base_url=url,
            max_concurrency=max_concurrency,
            timeout=float(timeout),
            retry=policy,
            max_response_bytes=max_response_bytes,
            rate_limit=limit,
        )

    @property
    def display_url(self) -> str:
        """The base URL with any credentials removed, safe to print."""
        return redact_url(self.base_url)

    @property
    def is_hosted_panora(self) -> bool:
        """Whether the base URL points at Panora's hosted service."""
        return (urlsplit(self.base_url).hostname or "") in PANORA_HOSTED_HOSTS


def _secret(value: str | SecretStr | None, env: str, name: str) -> SecretStr:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None:
        value = _env(env)
    if value is None:
        raise ConfigurationError(
            f"no {name}: pass {name}=... or set the {env} environment variable "
            "(or use Client.sandbox() to try fulfillkit without credentials)"
        )
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{name} must be a non-empty string")
    if any(c in value for c in "\r\n\0"):
        raise ConfigurationError(f"{name} contains a line break or NUL character")
    register_secret(value)
    return SecretStr(value)


def _check_base_url(url: str) -> str:
    if not isinstance(url, str):
        raise ConfigurationError("base_url must be a string")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"base_url must be an absolute http(s) URL, got {redact_url(url)!r}"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(
            f"base_url must not carry a query or fragment: {redact_url(url)!r}"
        )
    if parts.username or parts.password:
        register_secret(parts.netloc.rsplit("@", 1)[0])
    return url.strip().rstrip("/")


def _rate_limit(value: tuple[int, float] | str | None, url: str) -> tuple[int, float] | None:
    if value == "auto":
        host = urlsplit(url).hostname or ""
        return (100, 60.0) if host in PANORA_HOSTED_HOSTS else None
    if value is None:
        return None
    if isinstance(value, str):
        raise ConfigurationError(
            f"rate_limit must be (requests, seconds), None or 'auto': {value!r}"
        )
    try:
        count, window = value
    except (TypeError, ValueError):
        raise ConfigurationError(f"rate_limit must be (requests, seconds): {value!r}") from None
    if not isinstance(count, int) or count < 1 or not (float(window) > 0):
        raise ConfigurationError(f"rate_limit must be (requests >= 1, seconds > 0): {value!r}")
    return (count, float(window))


def check_id(value: object, *, position: int | None = None) -> str:
    """Return ``value`` if it is a usable id, else raise :class:`InvalidIdError`.

    Any non-empty string is accepted (Panora's ids are UUIDs, but this does not assume it).
    """
    where = "" if position is None else f" at position {position}"
    if not isinstance(value, str):
        raise InvalidIdError(f"id{where} must be a str, got {type(value).__name__}: {value!r:.80}")
    if not value:
        raise InvalidIdError(f"id{where} is an empty string")
    return value


def check_ids(ids: Iterable[object]) -> list[str]:
    """Validate every id, then drop duplicates keeping first-seen order.

    Raises :class:`InvalidIdError` listing the bad entries before anything is sent.
    """
    if isinstance(ids, (str, bytes)):
        raise InvalidIdError(
            "ids must be an iterable of id strings, not a single "
            f"{type(ids).__name__}; wrap one id in a list"
        )
    if not isinstance(ids, Iterable):
        raise InvalidIdError(f"ids must be an iterable of strings, got {type(ids).__name__}")
    items = list(ids)
    problems: list[str] = []
    for i, value in enumerate(items):
        if not isinstance(value, str) or not value:
            problems.append(f"position {i}: {'empty string' if value == '' else repr(value)[:60]}")
    if problems:
        shown = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise InvalidIdError(
            f"{len(problems)} invalid id(s), ids must be non-empty strings: {shown}{more}"
        )
    return list(dict.fromkeys(items))  # type: ignore[arg-type]


def record_path(collection: str, record_id: str) -> str:
    """``collection/<id>`` with the id percent-encoded into exactly one path segment.

    ``/ ? # %`` and spaces are encoded; so are the dot segments ``.`` and ``..`` (as
    ``%2E``), which URL normalisation would otherwise resolve into another endpoint.
    """
    segment = quote(record_id, safe="")
    if segment in (".", ".."):
        segment = segment.replace(".", "%2E")
    return f"{collection}/{segment}"


def request_params(remote_data: bool) -> dict[str, str]:
    """Query parameters. ``remote_data`` is sent only when true: Panora reads any value,
    ``false`` included, as true."""
    if not isinstance(remote_data, bool):
        raise ConfigurationError(f"remote_data must be True or False, got {remote_data!r}")
    return {"remote_data": "true"} if remote_data else {}


def request_headers(config: ClientConfig) -> dict[str, str]:
    """Panora's auth headers plus ours. The connection token is always present: a request
    without it returns *another customer's* data."""
    token = config.connection_token.get_secret_value()
    if not token:  # unreachable through from_args; kept as the last line of defence
        raise ConfigurationError("refusing to send a request without x-connection-token")
    return {
        "x-api-key": config.api_key.get_secret_value(),
        "x-connection-token": token,
        "accept": "application/json",
        "user-agent": USER_AGENT,
    }


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed attempt: what it means, what the server said, how long it asks us to wait."""

    decision: Decision
    message: str
    status: int | None = None
    retry_after: float | None = None

    def error(self, *, attempts: int, record_id: str | None) -> FetchFailed:
        """The exception to raise (or record) once retries are over."""
        cls = ERRORS_BY_KIND[self.decision.kind]
        return cls(self.message, status=self.status, attempts=attempts, id=record_id)


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    """A successful attempt."""

    value: T


def _server_message(body: bytes, limit: int = 500) -> str:
    """The ``message`` of Panora's JSON error body, else the start of the text; redacted."""
    text = body[:4096].decode("utf-8", "replace")
    message: Any = None
    try:
        import json

        payload = json.loads(body) if len(body) <= 65536 else None
        if isinstance(payload, dict):
            message = payload.get("message")
            if isinstance(message, list):
                message = "; ".join(map(str, message))
    except ValueError:
        pass
    if not isinstance(message, str):
        message = text
    return redact(" ".join(message.split())[:limit])


def interpret(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    adapter: pydantic.TypeAdapter[T],
    *,
    what: str = "fulfillment",
) -> Parsed[T] | Failure:
    """Turn one complete response into a record or a :class:`Failure`.

    A 200 whose body is not valid JSON, or not a record, is ``invalid_response`` and is
    not retried: the server answered, and asking again returns the same thing.
    """
    if status == 200:
        try:
            return Parsed(adapter.validate_json(body))
        except pydantic.ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False)
            first = errors[0] if errors else {"msg": "invalid", "loc": ()}
            kind = "not valid JSON" if first.get("type") == "json_invalid" else f"not a {what}"
            loc = ".".join(map(str, first.get("loc", ()))) or "body"
            return Failure(
                Decision("invalid_response", retry=False),
                f"response body is {kind} ({loc}: {first.get('msg')})",
                status=status,
            )
    message = _server_message(body)
    decision = classify(status, message)
    retry_after = parse_retry_after(headers.get("retry-after")) if status in (429, 503) else None
    text = f"{decision.reason}: {message}" if message else decision.reason
    return Failure(decision, text, status=status, retry_after=retry_after)


def oversize(limit: int) -> Failure:
    """The failure for a body larger than ``max_response_bytes``."""
    return Failure(
        Decision("invalid_response", retry=False),
        f"response body exceeds max_response_bytes={limit}",
        status=200,
    )


def transport_failure(exc: BaseException, decision: Decision) -> Failure:
    """The failure for a transport exception, with a redacted message."""
    detail = redact(str(exc)) or type(exc).__name__
    return Failure(decision, f"{decision.reason} ({type(exc).__name__}: {detail})")
