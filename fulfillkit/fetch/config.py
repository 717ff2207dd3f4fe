"""Client settings, validated once, at construction, before anything is sent.

:class:`ClientConfig` reads arguments (falling back to ``PANORA_API_KEY``,
``PANORA_CONNECTION_TOKEN``, ``PANORA_BASE_URL``) and refuses, with a
:class:`~fulfillkit.ConfigurationError` that names the problem and never the secret:

* a missing key or token, or one that is not printable ASCII or has surrounding
  whitespace (HTTP headers cannot carry it faithfully: a trailing space is dropped by
  servers, a non-ASCII character cannot be encoded at all);
* plain ``http://`` to a non-loopback host (the key would travel in clear);
* bad numbers, and ``max_retries`` that contradicts ``retry_policy`` (retries are set in
  one place: the policy; ``max_retries`` is its shorthand).

Example:
    >>> cfg = ClientConfig.from_args("k" * 12, connection_token="t" * 12, base_url=None)
    >>> cfg.base_url, cfg.retry.max_retries
    ('https://api.panora.dev', 3)
"""

from __future__ import annotations

import ipaddress
import math
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import SecretStr

from fulfillkit.errors import ConfigurationError
from fulfillkit.fetch.retry import RetryPolicy
from fulfillkit.redaction import SafeURL, redact_url, register_secret

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "PANORA_HOSTED_HOSTS",
    "ClientConfig",
    "hide",
]

DEFAULT_BASE_URL = "https://api.panora.dev"
PANORA_HOSTED_HOSTS = frozenset(
    {"api.panora.dev", "api-sandbox.panora.dev", "api-eu.panora.dev", "api-dev.panora.dev"}
)
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024


def hide(value: object) -> object:
    """A string credential wrapped in :class:`SecretStr` (anything else unchanged).

    Constructors call this on their first line, so that a traceback printed with its local
    variables (IPython's verbose mode, rich, Sentry) shows ``SecretStr('**********')``.
    """
    return SecretStr(value) if isinstance(value, str) else value


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

    Build it with :meth:`from_args`.
    """

    api_key: SecretStr
    connection_token: SecretStr
    base_url: SafeURL
    max_concurrency: int
    timeout: float
    retry: RetryPolicy
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    rate_limit: tuple[int, float] | None = None

    @classmethod
    def from_args(
        cls,
        api_key: object,
        *,
        connection_token: object,
        base_url: object,
        max_concurrency: int = 8,
        timeout: float = 30.0,
        max_retries: int | None = None,
        allow_insecure: bool = False,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        rate_limit: tuple[int, float] | str | None = "auto",
        retry_policy: RetryPolicy | None = None,
    ) -> ClientConfig:
        """Validate arguments (falling back to the environment) into a config.

        Raises :class:`ConfigurationError` naming the problem; nothing is sent.
        """
        api_key, connection_token = hide(api_key), hide(connection_token)
        base_url = SafeURL(base_url) if isinstance(base_url, str) else base_url
        key = _secret(api_key, "PANORA_API_KEY", "api_key")
        token = _secret(connection_token, "PANORA_CONNECTION_TOKEN", "connection_token")
        url = _check_base_url(base_url or SafeURL(_env("PANORA_BASE_URL") or DEFAULT_BASE_URL))
        if not allow_insecure:
            scheme, host, _, _ = _url_parts(url)
            if scheme == "http" and not _is_loopback(host):
                raise ConfigurationError(
                    f"refusing plain http:// to non-loopback host {host!r}: the API "
                    "key would travel in clear; use https:// or pass allow_insecure=True"
                )
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int):
            raise ConfigurationError("max_concurrency must be an int >= 1")
        if max_concurrency < 1:
            raise ConfigurationError(f"max_concurrency must be >= 1, got {max_concurrency}")
        if not isinstance(timeout, (int, float)) or not math.isfinite(timeout) or timeout <= 0:
            raise ConfigurationError(f"timeout must be a positive number of seconds: {timeout!r}")
        if max_response_bytes < 1:
            raise ConfigurationError("max_response_bytes must be >= 1")
        return cls(
            api_key=key,
            connection_token=token,
            base_url=url,
            max_concurrency=max_concurrency,
            timeout=float(timeout),
            retry=retry_setting(max_retries, retry_policy),
            max_response_bytes=max_response_bytes,
            rate_limit=_rate_limit(rate_limit, url),
        )

    @property
    def display_url(self) -> str:
        """The base URL with any credentials removed, safe to print."""
        return redact_url(self.base_url)


def retry_setting(max_retries: int | None, policy: RetryPolicy | None) -> RetryPolicy:
    """The one retry policy: ``retry_policy``, or ``RetryPolicy(max_retries=...)``.

    ``max_retries`` is shorthand for the policy's own field; passing both with different
    values is refused rather than silently dropping one.

    Example:
        >>> retry_setting(None, RetryPolicy(max_retries=5)).max_retries
        5
    """
    if max_retries is not None and (
        isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0
    ):
        raise ConfigurationError(f"max_retries must be an int >= 0, got {max_retries!r}")
    if policy is None:
        return RetryPolicy() if max_retries is None else RetryPolicy(max_retries=max_retries)
    if not isinstance(policy, RetryPolicy):
        raise ConfigurationError(f"retry_policy must be a RetryPolicy, got {type(policy).__name__}")
    if max_retries is not None and max_retries != policy.max_retries:
        raise ConfigurationError(
            f"max_retries={max_retries} contradicts retry_policy.max_retries="
            f"{policy.max_retries}: set retries in one place (the policy's max_retries)"
        )
    return policy


def _credential_problem(text: str) -> str | None:
    """What is wrong with a credential, described without quoting it (``None``: usable)."""
    if not text.strip():
        return "is empty"
    if text != text.strip():
        return "has leading or trailing whitespace"
    for position, char in enumerate(text):
        if not " " <= char <= "~":
            what = "a non-ASCII" if ord(char) > 127 else "a control"
            return f"contains {what} character (U+{ord(char):04X}) at position {position}"
    return None


def _secret(value: object, env: str, name: str) -> SecretStr:
    # Only SecretStr is held in this frame's locals (see hide()).
    if value is None:
        value = hide(_env(env))
    if value is None:
        raise ConfigurationError(
            f"no {name}: pass {name}=... or set the {env} environment variable "
            "(or use Client.sandbox() to try fulfillkit without credentials)"
        )
    if not isinstance(value, SecretStr):
        raise ConfigurationError(f"{name} must be a string, got {type(value).__name__}")
    problem = _credential_problem(value.get_secret_value())
    if problem is not None:
        raise ConfigurationError(
            f"{name} {problem}: credentials must be printable ASCII without surrounding "
            "whitespace (check for a stray space, line break or pasted quote)"
        )
    register_secret(value.get_secret_value())
    return value


def _url_parts(url: str) -> tuple[str, str, bool, bool]:
    """``(scheme, host, has query or fragment, has user info)``: what the checks need, with
    no credentials in it."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return "", "", False, False
    return parts.scheme, host, bool(parts.query or parts.fragment), "@" in parts.netloc


def _check_base_url(url: object) -> SafeURL:
    # No local variable holds the URL with its credentials except as a SafeURL, whose repr
    # hides them (a traceback printed with its locals must not show a password).
    if not isinstance(url, str):
        raise ConfigurationError(f"base_url must be a string, got {type(url).__name__}")
    url = SafeURL(url.strip().rstrip("/"))
    scheme, host, extra, userinfo = _url_parts(url)
    if scheme not in ("http", "https") or not host:
        raise ConfigurationError(
            f"base_url must be an absolute http(s) URL, got {redact_url(url)!r}"
        )
    if extra:
        raise ConfigurationError(
            f"base_url must not carry a query or fragment: {redact_url(url)!r}"
        )
    if userinfo:
        register_secret(urlsplit(url).netloc.rsplit("@", 1)[0])
    return url


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
