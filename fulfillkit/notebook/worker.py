"""One job at a time off the kernel's thread, stoppable, never left behind.

The explorer fetches and syncs in a worker thread so that the kernel keeps delivering
widget events (the Stop button, the tabs) while a long job runs. :class:`Worker` owns that
thread: one job at a time, a :class:`threading.Event` the job reads to stop early, and a
``weakref.finalize`` on its owner that sets the event when the owner is collected or the
interpreter exits (a finalizer never starts a thread; the worker is a daemon, so a job
that does not stop cannot hold the process either).

Example:
    >>> import threading
    >>> class Owner: pass
    >>> owner = Owner()
    >>> worker = Worker(owner, name="demo")
    >>> done = []
    >>> worker.start(lambda stop: done.append(stop.is_set()))
    True
    >>> worker.wait(5); done
    [False]
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable

__all__ = ["Worker"]


class Worker:
    """Runs ``job(stop_event)`` in a daemon thread named ``name``, one at a time."""

    def __init__(self, owner: object, *, name: str) -> None:
        self.name = name
        self.stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        # Set the event when the owner goes (or at exit): a running job ends at its next
        # check. Only an Event.set: safe in a finalizer, at interpreter shutdown too.
        self._finalizer = weakref.finalize(owner, self.stop_event.set)

    @property
    def running(self) -> bool:
        """A job is running."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, job: Callable[[threading.Event], None]) -> bool:
        """Start ``job`` unless one is running (then ``False``)."""
        if self.running:
            return False
        self.stop_event.clear()
        self._thread = threading.Thread(
            target=job, args=(self.stop_event,), name=self.name, daemon=True
        )
        self._thread.start()
        return True

    def stop(self) -> None:
        """Ask the running job to stop (it ends at its next check)."""
        self.stop_event.set()

    def wait(self, timeout: float | None = 60.0) -> None:
        """Block until the running job (if any) has finished.

        Raises :class:`TimeoutError` if it still runs after ``timeout`` seconds.
        """
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return
        thread.join(timeout)
        if thread.is_alive():
            raise TimeoutError(f"the {self.name} job is still running after {timeout} s")

    def close(self, timeout: float = 10.0) -> None:
        """Stop the running job and wait for it (at most ``timeout`` seconds)."""
        self.stop()
        with contextlib.suppress(TimeoutError):
            self.wait(timeout)
        self._finalizer.detach()
