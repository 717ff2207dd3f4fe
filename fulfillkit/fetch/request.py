"""The one retry loop: pace, send, interpret, decide, sleep; one record or page at a time.

:class:`Requester` owns what every request needs (settings, the credential headers, the
transport, the pacer) and :meth:`Requester.fetch` is the only place a request is sent.
Each attempt is bounded as a whole: ``timeout`` is a deadline for connect, headers and
body together (a server trickling one byte a second fails as ``timeout``), and the body
is capped in decoded bytes. Whatever goes wrong ends as one
:class:`~fulfillkit.FetchFailed`: a transport error is classified, a body that cannot be
decoded is ``invalid_response``, and any other unexpected exception becomes
``invalid_response`` too, its cause chained without its traceback (whose frames could
hold request headers).

Example:
    >>> from fulfillkit.fetch.config import ClientConfig
    >>> cfg = ClientConfig.from_args("k" * 12, connection_token="t" * 12, base_url=None)
    >>> Requester(cfg).closed
    False
"""

from __future__ import annotations

import asyncio
import random
from typing import TypeVar

import pydantic

from fulfillkit.errors import ClientClosedError, InvalidResponseError
from fulfillkit.fetch.config import ClientConfig
from fulfillkit.fetch.pacer import Pacer
from fulfillkit.fetch.protocol import (
    Failure,
    Parsed,
    interpret,
    oversize,
    request_headers,
    transport_failure,
)
from fulfillkit.fetch.retry import Decision, classify_exception
from fulfillkit.fetch.transport import AsyncBaseTransport, ResponseTooLarge, Transport
from fulfillkit.fetch.verbatim import keep_raw
from fulfillkit.redaction import redact

__all__ = ["Requester", "detached"]

T = TypeVar("T")


def detached(exc: BaseException) -> BaseException:
    """A stand-in for ``exc`` to chain as a cause: same type name, redacted message, no
    traceback (so no frame locals)."""
    message = redact(str(exc))[:300]
    try:
        copy = type(exc)(message)
    except Exception:
        copy = RuntimeError(f"{type(exc).__name__}: {message}")
    copy.__traceback__ = None
    return copy


class Requester:
    """Sends requests for one client: ``fetch`` is the retry loop, ``aclose`` the end."""

    def __init__(self, config: ClientConfig, transport: AsyncBaseTransport | None = None) -> None:
        self.config = config
        self._headers = request_headers(config)
        self._transport = Transport(
            base_url=config.base_url,
            max_connections=config.max_concurrency,
            timeout=config.timeout,
            transport=transport,
        )
        self.pacer = Pacer(config.rate_limit)
        self._rng = random.Random()
        self.closed = False
        self.sent = 0
        """Requests sent (attempts, retries included): what a rate limit counts."""
        self.answered = 0
        """Responses received, any status: zero means the server was never reached."""

    def __repr__(self) -> str:
        return f"Requester({self.config.display_url!r}, closed={self.closed})"

    def check_open(self) -> None:
        """Raise :class:`ClientClosedError` once the client is closed."""
        if self.closed:
            raise ClientClosedError("the client is closed; create a new one")

    async def _attempt(
        self,
        path: str,
        params: dict[str, str],
        adapter: pydantic.TypeAdapter[T],
        what: str,
        record_id: str | None,
        raw: bool,
    ) -> Parsed[T] | Failure:
        config = self.config
        await self.pacer.acquire()
        self.sent += 1
        try:
            async with asyncio.timeout(config.timeout):  # one deadline for the whole request
                response = await self._transport.get(
                    path, params=params, headers=self._headers, max_bytes=config.max_response_bytes
                )
        except ResponseTooLarge:
            return oversize(config.max_response_bytes)
        except Exception as exc:
            self.check_open()  # closed under our feet: say so, not "network"
            decision = classify_exception(exc)
            if decision is None:
                raise InvalidResponseError(
                    f"unexpected {type(exc).__name__} while fetching: {redact(str(exc))[:300]}",
                    id=record_id,
                ) from detached(exc)
            return transport_failure(exc, decision, timeout=config.timeout)
        finally:
            self.pacer.release()
        self.answered += 1
        self.pacer.observe(response.headers)
        outcome = interpret(
            response.status,
            response.headers,
            response.body,
            adapter,
            what=what,
            record_id=record_id,
        )
        if raw and isinstance(outcome, Parsed):
            try:
                keep_raw(outcome.value, response.body)
            except (ValueError, UnicodeDecodeError) as exc:
                return Failure(
                    Decision("invalid_response", retry=False),
                    f"could not keep the {what}'s bytes: {exc}",
                    status=response.status,
                )
        return outcome

    async def fetch(
        self,
        path: str,
        params: dict[str, str],
        adapter: pydantic.TypeAdapter[T],
        *,
        record_id: str | None,
        what: str,
        raw: bool = False,
    ) -> T:
        """GET ``path`` until it yields a record or retries are over (then raise).

        ``raw`` attaches to each record the bytes it was parsed from
        (:attr:`~fulfillkit.Fulfillment.raw_json`)."""
        policy = self.config.retry
        attempts = 0
        seen: dict[Decision, int] = {}
        while True:
            self.check_open()
            attempts += 1
            outcome = await self._attempt(path, params, adapter, what, record_id, raw)
            if isinstance(outcome, Parsed):
                return outcome.value
            if outcome.status == 429:
                self.pacer.hold(outcome.retry_after)
            delay = None
            seen[outcome.decision] = times = seen.get(outcome.decision, 0) + 1
            if policy.should_retry(outcome.decision, attempts, times):
                delay = policy.delay(attempts, outcome.retry_after, self._rng)
            if delay is None:
                if outcome.retry_after is not None and outcome.retry_after > policy.max_retry_after:
                    outcome = Failure(
                        outcome.decision,
                        f"{outcome.message} (Retry-After {outcome.retry_after:.0f}s exceeds "
                        f"max_retry_after={policy.max_retry_after:.0f}s)",
                        outcome.status,
                        outcome.retry_after,
                    )
                raise outcome.error(attempts=attempts, record_id=record_id)
            await asyncio.sleep(delay)

    def close_now(self) -> None:
        """Mark closed and close the sockets synchronously: the finalizer of a client
        dropped without closing (no thread, no loop, nothing awaited)."""
        self.closed = True
        self._transport.close_now()

    async def aclose(self) -> None:
        """Close the connection pool; every later request raises ClientClosedError."""
        self.closed = True
        await self._transport.aclose()
