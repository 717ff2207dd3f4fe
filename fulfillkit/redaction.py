"""Keeping the API key and connection token out of every text fulfillkit produces.

Secrets are held as :class:`pydantic.SecretStr` (its repr is ``SecretStr('**********')``)
and registered here, so that:

* :func:`redact` scrubs any registered secret out of a text: server messages (Panora
  echoes an unknown connection token back in its 500 body), exception messages, progress
  bars;
* :func:`redact_url` drops ``user:password@`` from URLs before they are shown;
* :class:`RedactingFilter`, installed on the ``httpx``, ``httpcore.*`` and ``fulfillkit``
  loggers, does both to every log record at every level, debug included.

Example:
    >>> register_secret("tok-123")
    >>> redact("Connection undefined for token tok-123")
    'Connection undefined for token [REDACTED]'
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading

from pydantic import SecretStr

__all__ = [
    "REDACTED",
    "RedactingFilter",
    "SafeURL",
    "install_log_redaction",
    "redact",
    "redact_url",
    "register_secret",
    "token_hmac",
]

REDACTED = "[REDACTED]"
# Shorter strings are not secrets worth the name, and scrubbing them would shred every text
# (a one-letter "key" in a test would redact that letter everywhere).
MIN_SECRET_LENGTH = 8

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()
_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")
# Panora's own echo of an unknown token: redact what follows even if it is not ours.
_ECHOED_TOKEN = re.compile(r"(Connection undefined for token)\s+\S+", re.IGNORECASE)
_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "fulfillkit",
)
_installed = False


def register_secret(value: str) -> None:
    """Remember a secret so that every later :func:`redact` call removes it."""
    global _secrets
    if len(value) < MIN_SECRET_LENGTH:
        return
    with _lock:
        if value not in _secrets:
            # Longest first, so a secret containing another is removed whole.
            _secrets = tuple(sorted((*_secrets, value), key=len, reverse=True))


def redact_url(url: str) -> str:
    """Remove credentials (``user:password@``) from every URL in a text.

    Example:
        >>> redact_url("https://me:pw@api.panora.dev/x")
        'https://[REDACTED]@api.panora.dev/x'
    """
    return _URL_USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", url)


class SafeURL(str):
    """A URL whose repr never shows ``user:password@``: what a constructor holds its base
    URL as from its first line, so that a traceback printed with local variables
    (``TracebackException(capture_locals=True)``, IPython's verbose mode, Sentry) does not
    show the password. ``str()`` and every string operation give the URL itself.

    Example:
        >>> url = SafeURL("https://me:pw@api.panora.dev")
        >>> repr(url), url.startswith("https://me")
        ("'https://[REDACTED]@api.panora.dev'", True)
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(redact_url(str.__str__(self)))


def redact(text: str) -> str:
    """Remove every registered secret, echoed tokens and URL credentials from ``text``."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    if "://" in text:
        text = redact_url(text)
    if "oken" in text:
        text = _ECHOED_TOKEN.sub(rf"\1 {REDACTED}", text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that renders the message once and redacts it.

    Attached to the loggers of httpx, httpcore and fulfillkit; never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's problem, not ours
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        return True


def install_log_redaction() -> None:
    """Attach one :class:`RedactingFilter` to each logger fulfillkit talks through.

    Idempotent. Logger filters do not apply to child loggers, so every httpcore module
    logger is named explicitly.
    """
    global _installed
    with _lock:
        if _installed:
            return
        flt = RedactingFilter()
        for name in _LOGGERS:
            logging.getLogger(name).addFilter(flt)
        _installed = True


def token_hmac(token: SecretStr | str, salt: str) -> str:
    """The keyed hash (HMAC-SHA256, ``salt`` in hex as the key) that stands for a
    connection token wherever one must be recognised later without being written: a
    checkpoint's header, a store's connections.

    Example:
        >>> token_hmac("t" * 12, "00" * 16)[:12]
        '032d1a1e9b7e'
    """
    value = token.get_secret_value() if isinstance(token, SecretStr) else token
    return hmac.new(bytes.fromhex(salt), value.encode(), hashlib.sha256).hexdigest()
