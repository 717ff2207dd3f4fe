"""The exception tree. Every error fulfillkit raises is a :class:`FulfillkitError`::

    FulfillkitError
    ├── ConfigurationError        bad client settings: missing key or token, unsafe base URL
    ├── InvalidIdError            (also a ValueError) empty or non-string id, before any request
    ├── BatchInterrupted          Ctrl-C during get_many; carries the partial BatchResult
    ├── FieldMappingCollisionError (also ValueError, in frame.py) two keys, one column
    ├── ExportFormatError         (also ValueError, in export.py) unknown file suffix
    └── FetchFailed               a request for one record failed; has .kind/.status/.attempts
        ├── APIStatusError        the server answered with an error status
        │   ├── AuthenticationError   kind "auth": missing/unknown API key or connection token
        │   ├── NotFoundError         kind "not_found": unknown id (Panora says so with a 500)
        │   ├── RateLimitError        kind "rate_limited": 429 and retries exhausted
        │   └── ServerError           kind "server": 5xx and other unexpected statuses
        ├── InvalidResponseError  kind "invalid_response": 200 whose body is not a record
        └── NetworkError          kind "network": connection refused, dropped, truncated
            └── TimeoutError      kind "timeout": connect/read/write/pool timeout

``Client.get`` raises these; ``get_many`` records them per id as :class:`FetchError` rows
(except :class:`AuthenticationError`, which stops the batch and is raised).

Messages never contain the API key or connection token: the client redacts them, also
from server messages (Panora echoes an unknown connection token back).

Example:
    >>> err = NotFoundError("Fulfillment with ID x not found.", status=500, attempts=1)
    >>> err.kind, isinstance(err, FetchFailed)
    ('not_found', True)
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, ClassVar, Literal

if TYPE_CHECKING:
    from ._batch import BatchResult

__all__ = [
    "APIStatusError",
    "AuthenticationError",
    "BatchInterrupted",
    "ConfigurationError",
    "ErrorKind",
    "FetchFailed",
    "FulfillkitError",
    "InvalidIdError",
    "InvalidResponseError",
    "NetworkError",
    "NotFoundError",
    "RateLimitError",
    "ServerError",
    "TimeoutError",
]

ErrorKind = Literal[
    "not_found", "auth", "rate_limited", "server", "network", "timeout", "invalid_response"
]


class FulfillkitError(Exception):
    """Root of every exception fulfillkit raises."""


class ConfigurationError(FulfillkitError):
    """The client cannot be used as configured (missing credentials, unsafe URL, ...)."""


class InvalidIdError(FulfillkitError, ValueError):
    """An id is empty or not a string. Raised before any request is sent."""


class FetchFailed(FulfillkitError):
    """Fetching one record failed for good (after any retries).

    Attributes:
        kind: one of :data:`ErrorKind`.
        status: the HTTP status of the last response, or ``None`` when there was none.
        attempts: how many requests were actually sent for this record.
        id: the record id, when the failure belongs to one.
    """

    kind: ClassVar[ErrorKind] = "server"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        attempts: int = 1,
        id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.attempts = attempts
        self.id = id

    def __str__(self) -> str:
        where = f" (HTTP {self.status})" if self.status is not None else ""
        tries = "" if self.attempts == 1 else f" after {self.attempts} attempts"
        return f"{self.message}{where}{tries}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status!r}, "
            f"attempts={self.attempts!r}, id={self.id!r})"
        )


class APIStatusError(FetchFailed):
    """The server answered with an error status."""


class AuthenticationError(APIStatusError):
    """The API key or the connection token was refused. Stops a whole batch."""

    kind: ClassVar[ErrorKind] = "auth"


class NotFoundError(APIStatusError):
    """No record with that id (Panora answers 500 ``... not found.``; also invalid UUIDs)."""

    kind: ClassVar[ErrorKind] = "not_found"


class RateLimitError(APIStatusError):
    """Still rate limited (429) when retries ran out, or ``Retry-After`` exceeded the cap."""

    kind: ClassVar[ErrorKind] = "rate_limited"


class ServerError(APIStatusError):
    """A 5xx (or another unexpected status) that retries did not cure."""

    kind: ClassVar[ErrorKind] = "server"


class InvalidResponseError(FetchFailed):
    """A complete response that is not a valid record (bad JSON, wrong types, HTML, too big)."""

    kind: ClassVar[ErrorKind] = "invalid_response"


class NetworkError(FetchFailed):
    """The connection failed: refused, dropped, or closed before the body was complete."""

    kind: ClassVar[ErrorKind] = "network"


class TimeoutError(NetworkError, builtins.TimeoutError):
    """A connect, read, write or pool timeout."""

    kind: ClassVar[ErrorKind] = "timeout"


class BatchInterrupted(FulfillkitError, KeyboardInterrupt):
    """``get_many`` was interrupted (Ctrl-C); :attr:`partial` holds what was fetched.

    It is a :class:`KeyboardInterrupt` too, so code that stops on Ctrl-C still stops.
    """

    def __init__(self, partial: BatchResult) -> None:
        super().__init__(
            f"interrupted: {len(partial.fulfillments)} fetched, {len(partial.errors)} failed, "
            f"{len(partial.pending)} not fetched (see .partial)"
        )
        self.partial = partial
