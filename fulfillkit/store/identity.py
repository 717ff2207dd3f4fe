"""Which connection a client is, in a store that holds many: base URL, keyed token hash, label.

A connection is identified by its base URL (credentials removed) and an HMAC-SHA256 of its
connection token, keyed with a random salt kept per connection (as the checkpoint's header
does): the token itself is never written to the file, and the hash cannot be matched
against a token list without the salt. Each connection also has a label, the value of the
``connection`` column in frames and views: the user's (``label="EU shop"``), else the host
and the hash's first characters.

Example:
    >>> from pydantic import SecretStr
    >>> salt = "00" * 16
    >>> token_hmac(SecretStr("t" * 12), salt)[:12]
    '032d1a1e9b7e'
    >>> default_label("https://api.panora.dev", "032d1a1e9b7ef00d")
    'api.panora.dev/032d1a'
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import duckdb
from pydantic import SecretStr

from fulfillkit.errors import ConfigurationError
from fulfillkit.redaction import redact_url, token_hmac

__all__ = ["Connection", "default_label", "resolve"]


def default_label(base_url: str, digest: str) -> str:
    """``host[:port]/<first 6 of the hash>``: readable, and distinct per token."""
    netloc = urlsplit(base_url).netloc.rsplit("@", 1)[-1]
    return f"{netloc}/{digest[:6]}"


@dataclass(frozen=True, slots=True)
class Connection:
    """One connection of a store: its label (the ``connection`` column) and settings.

    Attributes:
        label: the ``connection`` value in every table and frame.
        base_url: the base URL without credentials.
        remote_data: whether its records are stored with the provider's raw data (fixed
            at the first sync, so that versions compare like with like).
    """

    label: str
    base_url: str
    remote_data: bool


def resolve(
    con: duckdb.DuckDBPyConnection,
    *,
    base_url: str,
    token: SecretStr,
    label: str | None,
    remote_data: bool | None,
) -> Connection:
    """The stored connection for this base URL and token, created on first use.

    ``label`` names a new connection, or must match an existing one's (a label is one
    connection's for good). ``remote_data`` ``None`` takes the stored setting (``True`` for
    a new connection); a value that contradicts the stored one is refused, because every
    record would then look changed.

    Raises:
        ConfigurationError: a label that belongs to another connection, or a different
            ``remote_data`` than the connection was stored with.
    """
    url = redact_url(base_url)
    rows = con.sql(
        "SELECT connection, token_hmac, salt, remote_data FROM fk_connections WHERE base_url = ?",
        params=[url],
    ).fetchall()
    for stored_label, digest, salt, stored_remote in rows:
        if hmac.compare_digest(token_hmac(token, salt), digest):
            if label is not None and label != stored_label:
                raise ConfigurationError(
                    f"this connection is stored as {stored_label!r}, not {label!r} (a label "
                    "names one connection for good; omit label= or pass the stored one)"
                )
            if remote_data is not None and remote_data != stored_remote:
                raise ConfigurationError(
                    f"connection {stored_label!r} is stored with remote_data={stored_remote}; "
                    f"syncing it with remote_data={remote_data} would make every record look "
                    "changed: keep the stored setting, or use another store"
                )
            return Connection(stored_label, url, bool(stored_remote))
    salt = secrets.token_hex(16)
    digest = token_hmac(token, salt)
    name = label if label is not None else default_label(url, digest)
    if not isinstance(name, str) or not name.strip():
        raise ConfigurationError(f"label must be a non-blank string, got {label!r}")
    taken = con.sql("SELECT 1 FROM fk_connections WHERE connection = ?", params=[name]).fetchall()
    if taken:
        raise ConfigurationError(f"the label {name!r} already names another connection")
    keep = True if remote_data is None else remote_data
    con.execute(
        "INSERT INTO fk_connections VALUES (?, ?, ?, ?, ?, ?, ?)",
        [name, name, url, digest, salt, keep, datetime.now(UTC)],
    )
    return Connection(name, url, keep)
