"""Resumable batches: an append-only JSON Lines file of the records fetched so far.

``get_many(ids, checkpoint="run.jsonl")`` appends one line per fetched record as it
arrives, ``{"id": <requested id>, "record": {...}}``, flushed to the OS at once (so a
SIGKILL loses nothing written) and fsynced in small groups (so a power cut loses at most a
second). A rerun with the same file loads it, fetches only the ids not in it, and returns
a :class:`~fulfillkit.BatchResult` holding both. Failed ids are not written: a rerun tries
them again.

A process killed mid-write leaves a torn last line; :meth:`Checkpoint.load` skips it and
cuts it off, so the next append starts on a clean line.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.jsonl"
    >>> with Checkpoint(path) as ckpt:
    ...     ckpt.load()
    ...     ckpt.write("a", Fulfillment(id="a", carrier="UPS"))
    {}
    >>> Checkpoint(path).load()["a"].carrier
    'UPS'
"""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from .models import FULFILLMENT_ADAPTER, Fulfillment

__all__ = ["Checkpoint"]


class Checkpoint:
    """One checkpoint file. Use :meth:`load` first, then :meth:`write` per record."""

    def __init__(
        self, path: str | os.PathLike[str], *, fsync_every: int = 256, fsync_seconds: float = 1.0
    ) -> None:
        self.path = Path(path)
        self._fsync_every = fsync_every
        self._fsync_seconds = fsync_seconds
        self._file: IO[bytes] | None = None
        self._unsynced = 0
        self._last_sync = time.monotonic()

    def load(self) -> dict[str, Fulfillment]:
        """Records already in the file, by requested id; a torn last line is dropped."""
        if not self.path.exists():
            return {}
        data = self.path.read_bytes()
        end = len(data)
        if data and not data.endswith(b"\n"):
            end = data.rfind(b"\n") + 1  # the torn tail starts after the last newline
            with self.path.open("r+b") as handle:
                handle.truncate(end)
        records: dict[str, Fulfillment] = {}
        bad = 0
        for line in data[:end].splitlines():
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                records[str(entry["id"])] = FULFILLMENT_ADAPTER.validate_python(entry["record"])
            except (ValueError, KeyError, TypeError):
                bad += 1
        if bad:
            warnings.warn(
                f"checkpoint {self.path}: skipped {bad} unreadable line(s); "
                "those ids will be fetched again",
                stacklevel=2,
            )
        return records

    def write(self, record_id: str, record: Fulfillment) -> None:
        """Append one record and flush it to the operating system."""
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("ab")
        payload = record.model_dump(mode="json")
        payload.update(record.unparsed_timestamps)  # keep the server's text, not None
        line = json.dumps({"id": record_id, "record": payload}, ensure_ascii=False)
        self._file.write(line.encode("utf-8") + b"\n")
        self._file.flush()
        self._unsynced += 1
        now = time.monotonic()
        if self._unsynced >= self._fsync_every or now - self._last_sync >= self._fsync_seconds:
            os.fsync(self._file.fileno())
            self._unsynced = 0
            self._last_sync = now

    def close(self) -> None:
        """fsync and close. Idempotent."""
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
