"""An event loop in a daemon thread: how the synchronous :class:`~fulfillkit.Client` runs
the async core, unchanged inside Jupyter (where a loop already runs and
:func:`asyncio.run` fails).

``run(coro)`` blocks the caller until the coroutine finishes on that loop; Ctrl-C in the
caller cancels it (and its in-flight requests). ``close()`` may be called from any thread,
also while calls run: those calls are cancelled and raise
:class:`~fulfillkit.ClientClosedError` within a second. ``close()`` never starts the thread
(a client that never sent a request has nothing to stop), so it is safe in a finalizer
and during interpreter shutdown.

Example:
    >>> async def answer() -> int:
    ...     return 42
    >>> lt = LoopThread()
    >>> lt.run(answer())
    42
    >>> lt.close(); lt.started
    False
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fulfillkit.errors import ClientClosedError

__all__ = ["LoopThread"]

T = TypeVar("T")

CLOSE_WAIT = 1.0
"""Seconds ``close()`` waits for cancelled calls, and then for the final coroutine."""


class LoopThread:
    """An event loop running in a daemon thread; see the module docstring."""

    def __init__(self, name: str = "fulfillkit-loop") -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._futures: set[concurrent.futures.Future[Any]] = set()
        self.closed = False

    @property
    def started(self) -> bool:
        """Whether the thread is running."""
        return self._loop is not None

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self.closed:
                raise ClientClosedError("the client is closed; create a new one")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def main() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                self._thread = threading.Thread(target=main, name=self._name, daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    def run(self, coro: Coroutine[Any, Any, T], *, cancel_timeout: float = 1.0) -> T:
        """Run ``coro`` on the loop thread and return its result (or raise its error)."""
        try:
            loop = self._start()
        except BaseException:
            coro.close()
            raise
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("LoopThread.run called from its own loop thread")
        started, ended = threading.Event(), threading.Event()

        async def tracked() -> T:
            started.set()
            try:
                return await coro
            finally:
                ended.set()

        future = asyncio.run_coroutine_threadsafe(tracked(), loop)
        with self._lock:
            self._futures.add(future)
        try:
            while True:  # short waits: the main thread notices Ctrl-C promptly everywhere
                try:
                    return future.result(timeout=0.1)
                except concurrent.futures.TimeoutError:
                    if future.done():  # the coroutine's own TimeoutError, not our wait's
                        raise
                except concurrent.futures.CancelledError:
                    if self.closed:
                        raise ClientClosedError(
                            "the client was closed (from another thread) while this call ran"
                        ) from None
                    raise
        except KeyboardInterrupt:
            future.cancel()  # done at once here; the task on the loop is only told to stop
            _settle(loop, started, ended, cancel_timeout)
            raise
        finally:
            with self._lock:
                self._futures.discard(future)

    def close(self, final: Callable[[], Coroutine[Any, Any, None]] | None = None) -> None:
        """Cancel running calls, run ``final()`` (e.g. closing connections) on the loop, stop
        the loop and join the thread. Idempotent; never starts the thread; safe from any
        thread, a finalizer included (on the loop thread itself it only schedules the stop).
        """
        with self._lock:
            self.closed = True
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
            futures = list(self._futures)
        if loop is None or thread is None:
            return
        for future in futures:
            future.cancel()
        if threading.current_thread() is thread:
            loop.call_soon(loop.stop)
            return
        concurrent.futures.wait(futures, timeout=CLOSE_WAIT)
        if final is not None and not loop.is_closed():
            done = asyncio.run_coroutine_threadsafe(final(), loop)
            with contextlib.suppress(Exception):  # closing must not fail
                done.result(timeout=CLOSE_WAIT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        if not thread.is_alive():
            loop.close()


def _settle(
    loop: asyncio.AbstractEventLoop, started: threading.Event, ended: threading.Event, wait: float
) -> None:
    """After cancelling a call's future, wait (at most ``wait`` s) until its coroutine has
    really stopped, so that what the caller reads next (a batch's partial result) no longer
    changes under it. Two barrier callbacks first let the loop create the task (if it had
    not yet) and process the cancellation: after them, a coroutine that has not started
    never will."""
    for _ in range(2):
        barrier = threading.Event()
        try:
            loop.call_soon_threadsafe(barrier.set)
        except RuntimeError:  # the loop is closed: nothing runs any more
            return
        barrier.wait(wait)
    if started.is_set():
        ended.wait(wait)
