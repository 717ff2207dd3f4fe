"""Resumable batches: a JSON Lines file of the records fetched so far, that knows whose it is.

``get_many(ids, checkpoint="run.jsonl")`` writes one header line, then appends one line per
fetched record as it arrives, ``{"id": <requested id>, "record": {...}}``, flushed to the OS
at once (a SIGKILL loses nothing written) and fsynced in small groups (a power cut loses at
most a second). A rerun with the same file fetches only the ids not in it.

The header, ``{"fulfillkit_checkpoint": 1, "base_url": ..., "salt": ..., "token_hmac": ...}``,
ties the file to one connection: the base URL and an HMAC-SHA256 of the connection token
keyed with a random per-file salt (never the token itself). Opening it for another base
URL or token raises :class:`~fulfillkit.CheckpointError` before any request, unless
``on_mismatch="discard"`` (then it starts over). A file that is not a fulfillkit
checkpoint is never modified, with or without ``discard``.

Loading keeps only lines that are that id's fulfillment (the record's ``id`` equals the
requested one, UUIDs compared case-insensitively). A complete last line without a newline
is kept (the next append starts a new line); only a torn, unparseable tail is cut.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.jsonl"
    >>> with Checkpoint(path, base_url="https://x", token="t" * 12) as ckpt:
    ...     ckpt.open()
    ...     ckpt.write("a", Fulfillment(id="a", carrier="UPS"))
    {}
    >>> Checkpoint(path, base_url="https://x", token="t" * 12).open()["a"].carrier
    'UPS'
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import time
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, Final, Generic, Literal, TypeVar

from pydantic import SecretStr, TypeAdapter

from fulfillkit.closing import Closing
from fulfillkit.errors import CheckpointError
from fulfillkit.fetch.protocol import same_id
from fulfillkit.models import FULFILLMENT_ADAPTER, Fulfillment, Order
from fulfillkit.paths import output_path
from fulfillkit.redaction import token_hmac

__all__ = ["FORMAT_VERSION", "Checkpoint", "OnMismatch"]

FORMAT_VERSION: Final = 1
OnMismatch = Literal["raise", "discard"]
_MAGIC: Final = "fulfillkit_checkpoint"
R = TypeVar("R", bound=Fulfillment | Order)


class Checkpoint(Closing, Generic[R]):
    """One checkpoint file. :meth:`open` first (checks, loads), then :meth:`write`.

    Args:
        path: the JSON Lines file (created, with its missing folders, if missing).
        base_url: the client's base URL (recorded in, and checked against, the header).
        token: the connection token (only its keyed hash is written).
        on_mismatch: ``"raise"`` (default) refuses a checkpoint of another connection;
            ``"discard"`` empties it and starts over.
        adapter: validates a stored record (fulfillments by default).
        resource: what the file holds, recorded in the header (``"fulfillments"``,
            ``"orders"``): a checkpoint of orders is refused for fulfillments.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        base_url: str,
        token: SecretStr | str,
        on_mismatch: OnMismatch = "raise",
        fsync_every: int = 256,
        fsync_seconds: float = 1.0,
        adapter: TypeAdapter[R] = FULFILLMENT_ADAPTER,  # type: ignore[assignment]
        resource: str = "fulfillments",
    ) -> None:
        self._adapter: TypeAdapter[R] = adapter
        self._resource = resource
        if on_mismatch not in ("raise", "discard"):
            raise CheckpointError(f"on_mismatch must be 'raise' or 'discard': {on_mismatch!r}")
        self.path = Path(path)
        self._base_url = base_url
        self._token = token if isinstance(token, SecretStr) else SecretStr(token)
        self._on_mismatch = on_mismatch
        self._fsync_every = fsync_every
        self._fsync_seconds = fsync_seconds
        self._file: IO[bytes] | None = None
        self._unsynced = 0
        self._last_sync = time.monotonic()

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.path)!r})"

    # -- opening --------------------------------------------------------------------------

    def open(self) -> dict[str, R]:
        """Check the file is ours and writable, create it if missing, and return the
        records already in it by requested id. Raises :class:`~fulfillkit.OutputPathError`
        for a path that cannot be written (a folder, a parent that is a file, no
        permission: the one output-path rule, which creates missing folders) and
        :class:`CheckpointError` for a file that is not this connection's checkpoint."""
        # OutputPathError before any request; ``~`` expanded for the writes too
        self.path = output_path(self.path, what="checkpoint")
        try:
            data = self.path.read_bytes() if self.path.exists() else b""
        except OSError as exc:
            raise CheckpointError(f"checkpoint {self.path} cannot be read: {exc}") from exc
        records: dict[str, R] = {}
        if data.strip():
            header = self._header(data)
            held = header.get("resource", "fulfillments")
            if held != self._resource:
                raise CheckpointError(
                    f"checkpoint {self.path} holds {held}, not {self._resource}; it was left "
                    "untouched: pass another path"
                )
            if self._matches(header):
                records = self._load(_without_torn_tail(data))
            elif self._on_mismatch == "discard":
                data = b""
            else:
                raise CheckpointError(
                    f"checkpoint {self.path} was written for another connection (base URL or "
                    "connection token differ); pass checkpoint_mismatch='discard' to start "
                    "over, or use another file"
                )
        self._open_for_append(data)
        return records

    def _header(self, data: bytes) -> dict[str, Any]:
        first = data.split(b"\n", 1)[0]
        try:
            header = json.loads(first)
        except ValueError:
            header = None
        if not isinstance(header, dict) or header.get(_MAGIC) is None:
            raise CheckpointError(
                f"{self.path} is not a fulfillkit checkpoint (no header line); it was left "
                "untouched: pass another path"
            )
        if header.get(_MAGIC) != FORMAT_VERSION:
            raise CheckpointError(
                f"checkpoint {self.path} has format version {header.get(_MAGIC)!r}, this "
                f"fulfillkit reads version {FORMAT_VERSION}"
            )
        return header

    def _matches(self, header: dict[str, Any]) -> bool:
        salt, digest = header.get("salt"), header.get("token_hmac")
        if not isinstance(salt, str) or not isinstance(digest, str):
            return False
        try:
            mine = token_hmac(self._token, salt)
        except ValueError:
            return False
        return header.get("base_url") == self._base_url and hmac.compare_digest(mine, digest)

    def _open_for_append(self, data: bytes) -> None:
        """Open for appending; a new (or discarded) file gets its header, a complete last
        line without a newline gets one, a torn tail is cut."""
        try:
            if not data.strip():
                salt = secrets.token_hex(16)
                header = {
                    _MAGIC: FORMAT_VERSION,
                    "base_url": self._base_url,
                    "salt": salt,
                    "token_hmac": token_hmac(self._token, salt),
                    "resource": self._resource,
                }
                self._file = self.path.open("wb")
                self._file.write(json.dumps(header).encode() + b"\n")
                self._sync()
                return
            tail_start = data.rfind(b"\n") + 1
            tail = data[tail_start:]
            self._file = self.path.open("r+b")
            self._file.seek(0, os.SEEK_END)
            if tail.strip():
                if _parses(tail):
                    self._file.write(b"\n")
                else:
                    self._file.truncate(tail_start)
                    self._file.seek(tail_start)
                self._sync()
        except OSError as exc:
            self.close()
            raise CheckpointError(f"checkpoint {self.path} is not writable: {exc}") from exc

    def _load(self, data: bytes) -> dict[str, R]:
        records: dict[str, R] = {}
        bad = 0
        for line in data.splitlines()[1:]:
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                record = self._adapter.validate_python(entry["record"])
                requested = entry["id"]
            except (ValueError, KeyError, TypeError):
                bad += 1
                continue
            if not isinstance(requested, str) or not same_id(record.id, requested):
                bad += 1
                continue
            records[requested] = record
        if bad:
            warnings.warn(
                f"checkpoint {self.path}: skipped {bad} line(s) that are not the requested "
                f"id's record ({self._resource}); those ids will be fetched again",
                stacklevel=3,
            )
        return records

    # -- writing --------------------------------------------------------------------------

    def write(self, record_id: str, record: R) -> None:
        """Append one record and flush it to the operating system."""
        self.write_many([(record_id, record)])

    def write_many(self, items: Iterable[tuple[str, R]]) -> None:
        """Append records and flush them; raises :class:`CheckpointError` on a failed write
        (disk full, file gone read-only)."""
        if self._file is None:
            raise CheckpointError(f"checkpoint {self.path} is not open")
        try:
            lines = [_line(record_id, record) for record_id, record in items]
            self._file.write(b"".join(lines))
            self._file.flush()
            self._unsynced += len(lines)
            now = time.monotonic()
            if self._unsynced >= self._fsync_every or now - self._last_sync >= self._fsync_seconds:
                self._sync()
        except Exception as exc:  # disk full, read-only, a record that cannot be written
            raise CheckpointError(f"could not write checkpoint {self.path}: {exc}") from exc

    def _sync(self) -> None:
        assert self._file is not None
        self._file.flush()
        os.fsync(self._file.fileno())
        self._unsynced = 0
        self._last_sync = time.monotonic()

    def close(self) -> None:
        """fsync and close. Idempotent."""
        if self._file is not None:
            file, self._file = self._file, None
            try:
                file.flush()
                os.fsync(file.fileno())
            finally:
                file.close()


def _line(record_id: str, record: Fulfillment | Order) -> bytes:
    """One checkpoint line: the requested id and the record as JSON, UTF-8."""
    payload = record.model_dump(mode="json")
    payload.update(record.unparsed_timestamps)  # keep the server's text, not None
    line = {"id": record_id, "record": payload}
    return (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")


def _without_torn_tail(data: bytes) -> bytes:
    """``data`` without an unparseable last line (a write cut short by a kill)."""
    start = data.rfind(b"\n") + 1
    tail = data[start:]
    return data if not tail.strip() or _parses(tail) else data[:start]


def _parses(line: bytes) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True
