"""The exception tree. Every error fulfillkit raises is a :class:`FulfillkitError`::

    FulfillkitError
    ├── ConfigurationError        bad client settings: missing key or token, unsafe base URL
    ├── InvalidIdError            (also a ValueError) a blank, missing or non-text id, checked first
    ├── BatchInterrupted          Ctrl-C during get_many, get_orders, list; carries .partial
    ├── ClientClosedError         (also RuntimeError) the client was closed, even mid-call
    ├── CheckpointError           the checkpoint file is unusable or belongs to another connection
    ├── SinkError                 the sink cannot be written (path, disk full, ...)
    ├── OutputPathError           (also ValueError) an output path that cannot be written
    ├── InvalidDataError          (also TypeError) data a function cannot take, before any work
    ├── StoreError                the local store cannot be used as asked
    │   ├── NotAStoreError        the file is not a fulfillkit store (or is damaged): untouched
    │   ├── StoreVersionError     written by a newer fulfillkit, or needs an upgrade step
    │   └── StoreBusyError        another process is writing to it (after a bounded wait)
    ├── FieldMappingCollisionError (also ValueError, in fulfillkit.frames) two keys, one column
    ├── ExportFormatError         (also ValueError, in fulfillkit.frames) unknown suffix or option
    └── FetchFailed               a request for one record failed; has .kind/.status/.attempts
        ├── APIStatusError        the server answered with an error status
        │   ├── AuthenticationError   kind "auth": missing/unknown API key or connection token
        │   ├── NotFoundError         kind "not_found": unknown id (Panora says so with a 500)
        │   ├── EndpointNotFoundError kind "server": 404 "Cannot GET" for the route itself
        │   ├── RateLimitError        kind "rate_limited": 429 and retries exhausted
        │   └── ServerError           kind "server": 5xx and other unexpected statuses
        │       └── UnknownCursorError    a listing cursor whose row is gone upstream
        ├── InvalidResponseError  kind "invalid_response": 200 whose body is not a record
        └── NetworkError          kind "network": connection refused, dropped, truncated
            ├── UnreachableError  the server was never reached: a batch stops at once
            └── TimeoutError      kind "timeout": connect/read/write/pool timeout

``Client.get`` raises these; ``get_many`` records them per id as :class:`FailedId` rows,
except the ones that say the whole batch cannot succeed (``stops_batch``): refused
credentials (:class:`AuthenticationError`), a base URL without Panora's routes
(:class:`EndpointNotFoundError`) and a server that cannot be connected to at all
(:class:`UnreachableError`). Those stop the batch at once and are raised.

Every exception that stops a batch carries ``.partial``: the result of everything fetched
so far (a :class:`PartialResult`, in practice a ``BatchResult`` or ``OrdersResult``).

Messages never contain the API key or connection token: the client redacts them, also
from server messages (Panora echoes an unknown connection token back).

Example:
    >>> err = NotFoundError("Fulfillment with ID x not found.", status=500, attempts=1)
    >>> err.kind, isinstance(err, FetchFailed)
    ('not_found', True)
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol

__all__ = [
    "ERRORS_BY_KIND",
    "APIStatusError",
    "AuthenticationError",
    "BatchInterrupted",
    "CheckpointError",
    "ClientClosedError",
    "ConfigurationError",
    "EndpointNotFoundError",
    "ErrorKind",
    "FailedId",
    "FetchFailed",
    "FulfillkitError",
    "InvalidDataError",
    "InvalidIdError",
    "InvalidResponseError",
    "NetworkError",
    "NotAStoreError",
    "NotFoundError",
    "OutputPathError",
    "PartialResult",
    "RateLimitError",
    "ServerError",
    "SinkError",
    "StoreBusyError",
    "StoreError",
    "StoreVersionError",
    "TimeoutError",
    "UnknownCursorError",
    "UnreachableError",
    "error_for_failures",
]

ErrorKind = Literal[
    "not_found", "auth", "rate_limited", "server", "network", "timeout", "invalid_response"
]


@dataclass(frozen=True, slots=True)
class FailedId:
    """Why one id could not be fetched: one row of a batch's ``errors``.

    Attributes:
        id: the requested id.
        kind: ``not_found``, ``auth``, ``rate_limited``, ``server``, ``network``,
            ``timeout`` or ``invalid_response``.
        status: the last HTTP status, or ``None`` when no response came back.
        message: what went wrong, secrets redacted.
        attempts: how many requests were actually sent for this id.

    Example:
        >>> FailedId("a", "not_found", 500, "gone", 1).kind
        'not_found'
    """

    id: str
    kind: ErrorKind
    status: int | None
    message: str
    attempts: int

    @classmethod
    def from_exception(cls, record_id: str, exc: FetchFailed) -> FailedId:
        """The row for an exception raised by ``get`` (its message is already redacted)."""
        return cls(record_id, exc.kind, exc.status, exc.message, exc.attempts)


class PartialResult(Protocol):
    """What ``.partial`` holds: a batch result so far (``BatchResult``, ``OrdersResult``).

    Defined here, not imported from the fetch layer, so the exception tree depends on
    nothing above it.
    """

    @property
    def errors(self) -> Sequence[FailedId]: ...

    @property
    def pending(self) -> Sequence[str]: ...

    @property
    def ok(self) -> bool: ...

    @property
    def requested(self) -> int: ...

    def __len__(self) -> int: ...


class FulfillkitError(Exception):
    """Root of every exception fulfillkit raises.

    ``partial`` is set on an exception that stopped a batch: everything fetched before it.
    """

    partial: PartialResult | None = None


class ConfigurationError(FulfillkitError):
    """The client cannot be used as configured (missing credentials, unsafe URL, ...)."""


class InvalidIdError(FulfillkitError, ValueError):
    """An id is empty, blank or not text, or the ids are not a collection of them (a
    DataFrame, a bare string). Raised before any request is sent."""


class FetchFailed(FulfillkitError):
    """Fetching one record failed for good (after any retries).

    Attributes:
        kind: one of :data:`ErrorKind`.
        status: the HTTP status of the last response, or ``None`` when there was none.
        attempts: how many requests were actually sent for this record.
        id: the record id, when the failure belongs to one.
    """

    kind: ClassVar[ErrorKind] = "server"
    stops_batch: ClassVar[bool] = False
    """Whether this failure means no other id of the batch can succeed either."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        attempts: int = 1,
        id: str | None = None,
        connect_failed: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.attempts = attempts
        self.id = id
        self.connect_failed = connect_failed
        """No connection to the server could be made (refused, no route, DNS, connect
        timeout): nothing was sent."""

    def __str__(self) -> str:
        where = f" (HTTP {self.status})" if self.status is not None else ""
        tries = "" if self.attempts == 1 else f" after {self.attempts} attempts"
        return f"{self.message}{where}{tries}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status!r}, "
            f"attempts={self.attempts!r}, id={self.id!r})"
        )


# One class per failure kind, each a docstring and its `kind`: `duplicates` sees the same
# shape repeated; a class factory would hide the tree from readers, `except` and mypy.
class APIStatusError(FetchFailed):
    """The server answered with an error status."""


class AuthenticationError(APIStatusError):
    """The API key or the connection token was refused. Stops a whole batch."""

    kind: ClassVar[ErrorKind] = "auth"
    stops_batch: ClassVar[bool] = True


class EndpointNotFoundError(APIStatusError):
    """The server has no such route (404 ``Cannot GET /...``): the base URL is wrong (a
    missing or extra path part), not the id. Stops a whole batch."""

    kind: ClassVar[ErrorKind] = "server"
    stops_batch: ClassVar[bool] = True


class NotFoundError(APIStatusError):
    """No record with that id (Panora answers 500 ``... not found.``; also invalid UUIDs)."""

    kind: ClassVar[ErrorKind] = "not_found"


class RateLimitError(APIStatusError):
    """Still rate limited (429) when retries ran out, or ``Retry-After`` exceeded the cap."""

    kind: ClassVar[ErrorKind] = "rate_limited"


class ServerError(APIStatusError):
    """A 5xx (or another unexpected status) that retries did not cure."""

    kind: ClassVar[ErrorKind] = "server"


class UnknownCursorError(ServerError):
    """Panora's 500 ``The provided cursor does not exist!``: the row a listing cursor points
    at is gone upstream (a resumed listing must start earlier)."""


class InvalidResponseError(FetchFailed):
    """A complete response that is not a valid record (bad JSON, wrong types, HTML, too big)."""

    kind: ClassVar[ErrorKind] = "invalid_response"


class NetworkError(FetchFailed):
    """The connection failed: refused, dropped, or closed before the body was complete."""

    kind: ClassVar[ErrorKind] = "network"


class UnreachableError(NetworkError):
    """No request of a batch could connect to the server (refused, no route, DNS, connect
    timeout) before any answer came: the batch stops at once instead of retrying every id.
    The message names the base URL; ``.partial`` holds the ids as pending."""

    stops_batch: ClassVar[bool] = True


class TimeoutError(NetworkError, builtins.TimeoutError):
    """A connect, read, write or pool timeout."""

    kind: ClassVar[ErrorKind] = "timeout"


class BatchInterrupted(FulfillkitError, KeyboardInterrupt):
    """A batch (``get_many``, ``get_orders``, a listing) was interrupted (Ctrl-C);
    :attr:`partial` holds what was fetched.

    It is a :class:`KeyboardInterrupt` too, so code that stops on Ctrl-C still stops.
    """

    partial: PartialResult

    def __init__(self, partial: PartialResult) -> None:
        super().__init__(
            f"interrupted: {len(partial)} fetched, {len(partial.errors)} failed, "
            f"{len(partial.pending)} not fetched (see .partial)"
        )
        self.partial = partial


class ClientClosedError(FulfillkitError, RuntimeError):
    """The client is closed: it was used after ``close()``/``aclose()``, or closed (from
    another thread) while this call ran. A batch stopped this way carries ``.partial``."""


class CheckpointError(FulfillkitError):
    """The checkpoint cannot be used: its folder is not writable, the file is not a
    fulfillkit checkpoint, or it was written for another base URL or connection token.

    Raised before the first request (pass ``checkpoint_mismatch="discard"`` to start over
    on a checkpoint of another connection), or, when writing fails mid-batch, with
    ``.partial`` set.
    """


class SinkError(FulfillkitError):
    """The sink cannot be written (folder missing or read-only, disk full, ...). Raised
    before the first request for an unusable path, else with ``.partial`` set."""


class OutputPathError(FulfillkitError, ValueError):
    """An output path (export, sink, checkpoint, HTML report, store, CLI ``-o``) that cannot
    be written: a folder where a file is wanted, a parent that is a file, no permission.
    Raised before the first request, naming the path as the user gave it."""


class InvalidDataError(FulfillkitError, TypeError):
    """Data a function cannot take (not a frame, a batch, records or a store), or a frame
    without the columns it needs. Raised before any work, saying what to pass."""


class StoreError(FulfillkitError):
    """The local store (:class:`~fulfillkit.Store`) cannot be used as asked."""


class NotAStoreError(StoreError):
    """The file is not a fulfillkit store (another file, another DuckDB database) or is
    damaged. It was not modified."""


class StoreVersionError(StoreError):
    """The store was written by a newer fulfillkit (its format is unknown here); the
    message says what to install."""


class StoreBusyError(StoreError):
    """Another process (a notebook, a cron job) holds the store for writing; raised after a
    bounded wait, naming the holder when it is known."""


ERRORS_BY_KIND: dict[ErrorKind, type[FetchFailed]] = {
    "not_found": NotFoundError,
    "auth": AuthenticationError,
    "rate_limited": RateLimitError,
    "server": ServerError,
    "network": NetworkError,
    "timeout": TimeoutError,
    "invalid_response": InvalidResponseError,
}
"""The exception class for each :data:`ErrorKind` (``raise_for_errors``, the request loop)."""


def error_for_failures(failures: Sequence[FailedId], summary: str) -> FetchFailed:
    """The exception ``raise_for_errors`` raises for failed ids: the first one's class, its
    status, attempts and id, and a message that starts with ``summary``.

    One rule for a batch and a store sync alike, so both say the same thing.

    Example:
        >>> err = error_for_failures([FailedId("a", "not_found", 404, "gone", 1)], "1 failed")
        >>> type(err).__name__, str(err)
        ('NotFoundError', "1 failed; first: 'a': gone (HTTP 404)")
    """
    first = failures[0]
    return ERRORS_BY_KIND[first.kind](
        f"{summary}; first: {first.id!r}: {first.message}",
        status=first.status,
        attempts=first.attempts,
        id=first.id,
    )


def __getattr__(name: str) -> object:
    if name == "FetchError":  # the per-id failure row's old name, kept for one release
        import warnings

        warnings.warn(
            "fulfillkit.FetchError was renamed FailedId (it is a row of batch.errors, not an "
            "exception; to catch a failed fetch use FetchFailed); FetchError goes in the next "
            "release",
            DeprecationWarning,
            stacklevel=2,
        )
        return FailedId
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
