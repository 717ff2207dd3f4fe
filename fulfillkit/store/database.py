"""How the store reaches its DuckDB file: briefly, per operation, one writer at a time.

DuckDB lets one process open a file read-write, and no other process can open it at all
meanwhile (not even read-only). So the store never holds the file for a kernel's life:

* a **read** (``to_frame``, ``sql``, ``history``) opens the file, reads, and closes it;
  when another process holds it at that moment, the open is retried for a bounded time;
* a **write** (a sync) opens the file for the whole sync and commits page by page. DuckDB's
  own lock on the file (an OS lock, released by the OS when the holder dies, even by
  SIGKILL) keeps every other process out meanwhile: a second writer, or a reader, waits at
  most ``busy_timeout`` seconds, then gets :class:`~fulfillkit.StoreBusyError` naming the
  holder's process id;
* inside one process, every operation on a path shares one DuckDB connection (a read
  during a sync, from the explorer's thread say, uses a cursor of the sync's connection:
  DuckDB refuses two differently configured connections to one file in a process).

Every time the file is opened it is checked before anything is written
(:mod:`fulfillkit.store.schema`): a file that is not a fulfillkit store, or is damaged, gets
one clear error and is never modified.

Example:
    >>> db = Database(":memory:")
    >>> with db.read() as con:
    ...     con.sql("select 42 as answer").fetchall()
    [(42,)]
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import duckdb

from fulfillkit.errors import NotAStoreError, StoreBusyError

__all__ = ["MEMORY", "Database", "check_file", "is_duckdb_file"]

MEMORY: Final = ":memory:"
_MAGIC: Final = b"DUCK"  # bytes 8-12 of every DuckDB database file
_LOCK_HELD = re.compile(r"lock|conflicting", re.IGNORECASE)
_PID = re.compile(r"PID (\d+)")


@dataclass
class _Handle:
    """The one DuckDB connection a process has open on a path, and who uses it."""

    connection: duckdb.DuckDBPyConnection
    users: int = 0


@dataclass
class _PathState:
    """Per path, in this process: the shared handle and the in-process writer lock."""

    guard: threading.Lock = field(default_factory=threading.Lock)
    writer: threading.Lock = field(default_factory=threading.Lock)
    handle: _Handle | None = None


def is_duckdb_file(path: Path) -> bool:
    """Whether ``path`` is a readable DuckDB database file (its header says so).

    Example:
        >>> is_duckdb_file(Path("no-such-file.duckdb"))
        False
    """
    try:
        with path.open("rb") as file:
            return file.read(12)[8:12] == _MAGIC
    except OSError:
        return False


def check_file(path: Path) -> None:
    """Refuse, before DuckDB touches it, an existing file that is not a DuckDB database
    (an empty file is a store not yet written)."""
    try:
        with path.open("rb") as file:
            head = file.read(12)
    except OSError as exc:
        raise NotAStoreError(f"store {path} cannot be read: {exc.strerror}") from None
    if head and head[8:12] != _MAGIC:
        raise NotAStoreError(
            f"{path} is not a fulfillkit store (not a DuckDB database); it was not modified: "
            "give the store its own file"
        )


_REGISTRY: dict[str, _PathState] = {}
_REGISTRY_LOCK = threading.Lock()


def _state(key: str) -> _PathState:
    with _REGISTRY_LOCK:
        state = _REGISTRY.get(key)
        if state is None:
            state = _REGISTRY[key] = _PathState()
        return state


def _configure(connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Session settings every store connection uses: UTC (timestamps come back as UTC in
    Arrow), and no extension downloads (everything the store needs is built in)."""
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("SET autoinstall_known_extensions = false")
    return connection


class Database:
    """One store file (or ``":memory:"``), opened per operation (see the module docstring).

    Args:
        path: the DuckDB file; ``":memory:"`` keeps everything in this object's memory.
        busy_timeout: seconds to wait for another process before
            :class:`~fulfillkit.StoreBusyError`.
        check: called with a read-only connection the first time an existing file is
            opened in this process; raises to refuse the file (never modified).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = 10.0,
        check: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    ) -> None:
        self.memory = os.fspath(path) == MEMORY
        self.path = Path(path) if not self.memory else None
        self.busy_timeout = busy_timeout
        self._check = check
        self._memory: duckdb.DuckDBPyConnection | None = None
        self._memory_writer = threading.Lock()
        key = MEMORY if self.path is None else str(self.path.expanduser().resolve())
        self._key = key
        self._shared = _state(key) if not self.memory else _PathState()

    def __repr__(self) -> str:
        return f"Database({MEMORY if self.path is None else str(self.path)!r})"

    # -- connections ------------------------------------------------------------------------

    def _open(self) -> duckdb.DuckDBPyConnection:
        """A connection to the file, retried while another process holds it, and checked
        before anything is written (a foreign file is closed untouched)."""
        assert self.path is not None
        with self._retrying() as attempt:
            while True:
                try:
                    connection = duckdb.connect(str(self.path))
                    break
                except duckdb.Error as exc:
                    attempt(exc)
        try:
            _configure(connection)
            if self._check is not None:
                self._check(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    @contextlib.contextmanager
    def _retrying(self) -> Iterator[Callable[[BaseException], None]]:
        """``attempt(exc)``: sleep and return while the file is busy and time remains;
        raise :class:`StoreBusyError` (busy) or :class:`NotAStoreError` (anything else)."""
        deadline = time.monotonic() + self.busy_timeout
        delay = 0.02

        def attempt(exc: BaseException) -> None:
            nonlocal delay
            text = str(exc)
            if not _LOCK_HELD.search(text):
                raise NotAStoreError(
                    f"{self.path} cannot be opened as a fulfillkit store (it is not a DuckDB "
                    f"database, or it is damaged): {text.splitlines()[0][:300]}; it was not "
                    "modified"
                ) from None
            if time.monotonic() + delay > deadline:
                raise StoreBusyError(self._busy_message(text)) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.25)

        yield attempt

    def _busy_message(self, text: str) -> str:
        pid = _PID.search(text)
        who = f"process {pid.group(1)}" if pid else "another process"
        return (
            f"store {self.path} is in use by {who} (a sync holds it while it runs); waited "
            f"{self.busy_timeout:g} s (busy_timeout). Try again when it has finished"
        )

    @contextlib.contextmanager
    def _connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The process's shared connection to the file (opened on first use, closed after
        the last user): each caller gets its own cursor."""
        if self.memory:
            if self._memory is None:
                self._memory = _configure(duckdb.connect(MEMORY))
            yield self._memory.cursor()
            return
        state = self._shared
        with state.guard:
            if state.handle is None:
                state.handle = _Handle(self._open())
            handle = state.handle
            handle.users += 1
        try:
            cursor = handle.connection.cursor()
            try:
                yield _configure(cursor)
            finally:
                cursor.close()
        finally:
            with state.guard:
                handle.users -= 1
                if handle.users == 0:
                    state.handle = None
                    handle.connection.close()

    @contextlib.contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one read: the file is opened for it and closed after. A store
        file that does not exist yet reads as empty, and is not created by reading."""
        if self.path is not None and not self.path.exists() and self._shared.handle is None:
            empty = _configure(duckdb.connect(MEMORY))
            try:
                yield empty
            finally:
                empty.close()
            return
        with self._connection() as connection:
            yield connection

    @contextlib.contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The store for one writer (a sync), for as long as it runs: the sync lock, then
        the file read-write. Another writer waits ``busy_timeout`` seconds at most."""
        writer = self._memory_writer if self.memory else self._shared.writer
        if not writer.acquire(timeout=self.busy_timeout):
            raise StoreBusyError(
                f"store {self.path or MEMORY} is being written by another sync in this "
                f"process; waited {self.busy_timeout:g} s (busy_timeout)"
            )
        try:
            with self._connection() as connection:
                yield connection
        finally:
            writer.release()

    def close(self) -> None:
        """Release an in-memory database (a file holds nothing between operations)."""
        if self._memory is not None:
            self._memory.close()
            self._memory = None
