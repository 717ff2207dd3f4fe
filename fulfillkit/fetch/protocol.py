"""Panora's HTTP protocol, with no I/O: what to send and what an answer means.

* :func:`record_path`, :func:`request_headers`, :func:`request_params`: the request (the id
  percent-encoded into one path segment; never ``remote_data=false``, which Panora reads as
  true);
* :func:`check_id`, :func:`check_ids`, :func:`parse_ids`, :func:`same_id`: ids, validated
  before anything is sent, parsed from pasted text, compared as Panora compares them (a
  UUID in any case is the same record as its canonical lower-case form);
* :func:`interpret`: a status, headers and body become a record or a :class:`Failure`. A
  200 is a record only if it is a JSON object whose ``id`` is the one asked for; a 3xx is
  explained (redirects are never followed: the credentials would travel with them); an
  error body is parsed within a size and depth bound.

Example:
    >>> record_path("/ecommerce/fulfillments", "../orders/x")
    '/ecommerce/fulfillments/..%2Forders%2Fx'
    >>> same_id("801F9EDE-C698-4E66-A7FC-48D19EEBAA4F", "801f9ede-c698-4e66-a7fc-48d19eebaa4f")
    True
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar
from urllib.parse import quote

import pydantic

from fulfillkit.errors import (
    ERRORS_BY_KIND,
    ConfigurationError,
    FetchFailed,
    InvalidIdError,
)
from fulfillkit.fetch.config import ClientConfig
from fulfillkit.fetch.retry import Decision, classify, parse_retry_after
from fulfillkit.formatting import is_missing
from fulfillkit.redaction import redact, redact_url

__all__ = [
    "FULFILLMENTS",
    "ORDERS",
    "Failure",
    "Parsed",
    "canonical_id",
    "check_id",
    "check_ids",
    "interpret",
    "oversize",
    "parse_ids",
    "record_path",
    "request_headers",
    "request_params",
    "same_id",
    "transport_failure",
]

T = TypeVar("T")

FULFILLMENTS: Final = "/ecommerce/fulfillments"
ORDERS: Final = "/ecommerce/orders"
USER_AGENT: Final = "fulfillkit/0.1"
MAX_ERROR_BODY: Final = 16 * 1024
"""Bytes of an error body that are parsed for Panora's ``message`` (the rest is ignored)."""
MAX_ERROR_DEPTH: Final = 32
"""Deeper JSON error bodies are shown as text, never parsed (no recursion bomb)."""

_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_SPLIT = re.compile(r"[\s,;]+")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


# -- ids ------------------------------------------------------------------------------------


def canonical_id(value: str) -> str:
    """The id as Panora answers with it: a UUID in lower case, anything else as is.

    Example:
        >>> canonical_id("ABCDEF01-2345-6789-ABCD-EF0123456789")
        'abcdef01-2345-6789-abcd-ef0123456789'
    """
    return value.lower() if _UUID.fullmatch(value) else value


def same_id(answered: object, requested: str) -> bool:
    """Whether a record's ``id`` is the requested one (UUIDs compared case-insensitively)."""
    return isinstance(answered, str) and (
        answered == requested or canonical_id(answered) == canonical_id(requested)
    )


def _shown(value: object) -> str:
    """A short, safe description of a value for an error message (a repr may raise)."""
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 60 else text[:57] + "..."


def _id_problem(value: object) -> str | None:
    """What is wrong with one id (``None``: usable after stripping)."""
    if isinstance(value, str):
        if not value:
            return "an empty string"
        if not value.strip():
            return "blank (only whitespace)"
        return None
    if is_missing(value):
        return f"missing ({_shown(value)}): drop missing ids first, e.g. ids.dropna()"
    return f"not text but {type(value).__name__} {_shown(value)}"


def check_id(value: object, *, position: int | None = None) -> str:
    """``value`` as a usable id, surrounding whitespace stripped (as the CLI does), else
    :class:`InvalidIdError` before anything is sent.

    Any non-blank text is accepted (Panora's ids are UUIDs, but this does not assume it).

    Example:
        >>> check_id(" 801f9ede-c698-4e66-a7fc-48d19eebaa4f\\n")
        '801f9ede-c698-4e66-a7fc-48d19eebaa4f'
    """
    problem = _id_problem(value)
    if problem is not None:
        where = "" if position is None else f" at position {position}"
        raise InvalidIdError(f"id{where} is {problem}")
    return str(value).strip()  # str(): a numpy or pandas text scalar becomes a plain str


def _refuse_container(ids: object) -> None:
    """Refuse what is not a collection of ids, saying what to pass instead."""
    if isinstance(ids, (str, bytes)):
        raise InvalidIdError(
            "ids must be a collection of id strings, not a single "
            f"{type(ids).__name__}; wrap one id in a list: [id]"
        )
    if hasattr(ids, "columns") and hasattr(ids, "shape"):  # pandas / polars DataFrame
        raise InvalidIdError(
            f"ids must be a collection of id strings, not a {type(ids).__name__} (iterating "
            "one gives its column names); pass its id column, e.g. df['id']"
        )
    if isinstance(ids, Mapping):
        raise InvalidIdError(
            "ids must be a collection of id strings, not a mapping; pass list(d) for its "
            "keys or list(d.values())"
        )
    if not isinstance(ids, Iterable):
        raise InvalidIdError(
            f"ids must be a collection of id strings (a list, a set, a pandas Series...), "
            f"got {type(ids).__name__}"
        )


def check_ids(ids: Iterable[object], *, drop_missing: bool = False) -> list[str]:
    """Every id checked and stripped (:func:`check_id`), duplicates dropped keeping
    first-seen order.

    ``ids`` is any collection of text: a list, tuple, set, generator, numpy array, or a
    pandas/polars Series of any string dtype. A DataFrame, a mapping or a bare string is
    refused with what to pass instead. With ``drop_missing`` (order ids of a frame, where
    null means "no order"), missing values are dropped instead of refused.

    Raises:
        InvalidIdError: listing the bad entries by position, before anything is sent.

    Example:
        >>> check_ids(["a", " a", "b\\n"])
        ['a', 'b']
    """
    _refuse_container(ids)
    checked: dict[str, None] = {}
    problems: list[str] = []
    bad = 0
    for position, value in enumerate(ids):
        if drop_missing and is_missing(value):
            continue
        problem = _id_problem(value)
        if problem is None:
            checked.setdefault(str(value).strip())
            continue
        bad += 1
        if len(problems) < 5:
            problems.append(f"position {position}: {problem}")
    if bad:
        more = f" (and {bad - len(problems)} more)" if bad > len(problems) else ""
        raise InvalidIdError(
            f"{bad} invalid id(s), each must be non-blank text: {'; '.join(problems)}{more}"
        )
    return list(checked)


def parse_ids(text: str) -> list[str]:
    """Ids from text (a file, stdin, a pasted list): split on line breaks, commas,
    semicolons and spaces; surrounding quotes stripped; blank entries and ``#`` comment
    lines dropped; duplicates kept once, in first-seen order.

    The one id parser: the CLI and the explorer both use it.

    Example:
        >>> parse_ids("a, b\\n# comment\\n\\n'c' a")
        ['a', 'b', 'c']
    """
    found: dict[str, None] = {}
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        for part in _SPLIT.split(line):
            token = part.strip().strip("\"'")
            if token:
                found.setdefault(token)
    return list(found)


# -- requests -------------------------------------------------------------------------------


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


class SecretHeaders(dict[str, str]):
    """Request headers holding credentials; their repr never shows the values (a
    traceback printed with local variables must not leak them)."""

    def __repr__(self) -> str:
        return f"SecretHeaders({sorted(self)})"


def request_headers(config: ClientConfig) -> SecretHeaders:
    """Panora's auth headers plus ours. The connection token is always present: a request
    without it returns *another customer's* data."""
    token = config.connection_token.get_secret_value()
    if not token:  # unreachable through from_args; kept as the last line of defence
        raise ConfigurationError("refusing to send a request without x-connection-token")
    return SecretHeaders(
        {
            "x-api-key": config.api_key.get_secret_value(),
            "x-connection-token": token,
            "accept": "application/json",
            "user-agent": USER_AGENT,
        }
    )


# -- answers --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed attempt: what it means, what the server said, how long it asks us to wait."""

    decision: Decision
    message: str
    status: int | None = None
    retry_after: float | None = None

    def error(self, *, attempts: int, record_id: str | None) -> FetchFailed:
        """The exception to raise (or record) once retries are over."""
        cls = self.decision.error or ERRORS_BY_KIND[self.decision.kind]
        return cls(
            self.message,
            status=self.status,
            attempts=attempts,
            id=record_id,
            connect_failed=self.decision.connect,
        )


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    """A successful attempt."""

    value: T


def _too_deep(body: bytes, limit: int = MAX_ERROR_DEPTH) -> bool:
    """Whether brackets nest deeper than ``limit`` (brackets in strings count too: a
    conservative bound that only ever falls back to showing text)."""
    depth = 0
    for byte in body.translate(None, _NOT_BRACKETS):
        depth += 1 if byte in b"[{" else -1
        if depth > limit:
            return True
    return False


def _server_message(body: bytes, limit: int = 500) -> str:
    """The ``message`` of Panora's JSON error body, else the start of the text; redacted.

    Bounded: at most :data:`MAX_ERROR_BODY` bytes are looked at and a body nested deeper
    than :data:`MAX_ERROR_DEPTH` is not parsed.
    """
    head = body[:MAX_ERROR_BODY]
    text = head[:4096].decode("utf-8", "replace")
    message: Any = None
    if len(body) <= MAX_ERROR_BODY and not _too_deep(head):
        try:
            payload = json.loads(head)
        except (ValueError, RecursionError):
            payload = None
        if isinstance(payload, dict):
            message = payload.get("message")
            if isinstance(message, list):
                message = "; ".join(map(str, message))
    if not isinstance(message, str):
        message = text
    return redact(" ".join(message.split())[:limit])


def _redirect(status: int, headers: Mapping[str, str]) -> Failure:
    location = headers.get("location")
    where = f" to {redact(redact_url(location))[:300]!r}" if location else " (no Location)"
    return Failure(
        Decision("server", retry=False, reason="redirect not followed"),
        f"redirect {status}{where} not followed: fulfillkit never follows redirects because "
        "the credentials (API key and connection token) would travel with them; set "
        "base_url to the final address",
        status=status,
    )


def interpret(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    adapter: pydantic.TypeAdapter[T],
    *,
    what: str = "fulfillment",
    record_id: str | None = None,
) -> Parsed[T] | Failure:
    """Turn one complete response into a record or a :class:`Failure`.

    A 200 whose body is not valid JSON, not a record, or (with ``record_id``) a record
    with another ``id`` is ``invalid_response`` and is not retried: the server answered,
    and asking again returns the same thing.
    """
    if status == 200:
        try:
            value = adapter.validate_json(body)
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
        if record_id is not None:
            answered = getattr(value, "id", None)
            if not same_id(answered, record_id):
                shown = "no id" if answered is None else f"id {redact(str(answered))[:80]!r}"
                return Failure(
                    Decision("invalid_response", retry=False),
                    f"asked for {what} {record_id!r:.80} but the response is a {what} with "
                    f"{shown} (a caching proxy or a server bug?); not counted",
                    status=status,
                )
        return Parsed(value)
    if 300 <= status < 400:
        return _redirect(status, headers)
    message = _server_message(body)
    decision = classify(status, message)
    retry_after = parse_retry_after(headers.get("retry-after")) if status in (429, 503) else None
    text = f"{decision.reason}: {message}" if message else decision.reason
    return Failure(decision, text, status=status, retry_after=retry_after)


def oversize(limit: int) -> Failure:
    """The failure for a body larger than ``max_response_bytes`` (decoded)."""
    return Failure(
        Decision("invalid_response", retry=False),
        f"response body exceeds max_response_bytes={limit} (decoded bytes)",
        status=200,
    )


def transport_failure(exc: BaseException, decision: Decision, *, timeout: float) -> Failure:
    """The failure for a transport exception, with a redacted message; a timeout names the
    limit that was hit (``timeout`` bounds each request as a whole).

    Example:
        >>> from fulfillkit.fetch.retry import classify_exception
        >>> exc = TimeoutError()
        >>> transport_failure(exc, classify_exception(exc), timeout=30).message
        'timed out after 30 s (timeout=30 bounds each request: connect, headers and body)'
    """
    if decision.kind == "timeout":
        return Failure(
            decision,
            f"{decision.reason} after {timeout:g} s (timeout={timeout:g} bounds each request: "
            "connect, headers and body)",
        )
    detail = redact(str(exc))[:300]
    name = type(exc).__name__
    return Failure(
        decision,
        f"{decision.reason} ({name}: {detail})" if detail else f"{decision.reason} ({name})",
    )
