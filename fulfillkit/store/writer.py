"""Writing records into the store: one transaction per page or batch, versions by content.

:func:`commit` takes records fetched with their bytes kept (``raw_json``) and, in one
transaction: adds a version for each record that is new or whose content (the SHA-256 of
its bytes) differs from its current version, and points the record's current state at it.
An unchanged record adds no version. The sync's own row in ``fk_syncs`` is updated in the
same transaction, so a store killed at any moment holds consistent counts for everything
it committed.

What the store holds is looked up once per sync and resource (a :class:`Ledger`: id ->
version and content hash, about 100 bytes a record), not once per page: the sync holds the
only write lock, so the ledger stays true, and a page costs no scan of what is stored.
That an unchanged record was seen again (``last_seen_at``) is recorded in bulk
(:meth:`Ledger.touch`), every few pages and at the end: a kill loses at most those
timestamps, never a record or a version.

The typed columns are built once per batch, in Arrow (:func:`fulfillkit.frames.record_table`
for fulfillments, :func:`fulfillkit.frames.orders_table` for orders), and handed to DuckDB
without a copy through Python objects.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from fulfillkit.frames import orders_table, record_table
from fulfillkit.store.schema import typed_schema

__all__ = ["Counts", "Ledger", "commit", "content_hash", "typed_table"]


@dataclass(slots=True)
class Counts:
    """Records by what they were to the store: ``new``, ``changed``, ``unchanged``."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0

    def add(self, other: Counts) -> None:
        """Add ``other``'s counts to these."""
        self.new += other.new
        self.changed += other.changed
        self.unchanged += other.unchanged


def content_hash(raw: bytes) -> str:
    """The content hash of a record's bytes (SHA-256, hex).

    Example:
        >>> content_hash(b'{"id":"a"}')[:12]
        '8489a5deb454'
    """
    return hashlib.sha256(raw).hexdigest()


def typed_table(resource: str, records: Sequence[Any], *, remote_data: bool) -> pa.Table:
    """The typed columns of ``records`` (of ``typed_schema(resource)``), one row each."""
    if resource == "fulfillments":
        table = record_table(list(records), remote_data=remote_data)
    else:
        table = orders_table(records)
    schema = typed_schema(resource)
    return table.select(schema.names).cast(schema)


@dataclass(slots=True)
class Ledger:
    """What the store holds of one resource of one connection, during one sync.

    Attributes:
        resource: ``"fulfillments"`` or ``"orders"``.
        connection: the connection's label.
        known: id -> (current version, content hash).
        seen: ids found unchanged, whose ``last_seen_at`` is not written yet.
    """

    resource: str
    connection: str
    known: dict[str, tuple[int, str]] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection, resource: str, connection: str) -> Ledger:
        """Read what the store holds (one query)."""
        rows = con.sql(
            f"SELECT id, version, content_hash FROM fk_{resource}_seen "
            "WHERE connection = $connection",
            params={"connection": connection},
        ).fetchall()
        return cls(resource, connection, {i: (int(v), str(h)) for i, v, h in rows})

    def touch(self, con: duckdb.DuckDBPyConnection, *, at: datetime, sync_id: int) -> None:
        """Record ``last_seen_at`` for the unchanged records found so far (one statement)."""
        if not self.seen:
            return
        ids = pa.table({"id": pa.array(self.seen, pa.string())})
        con.register("fk_touched", ids)
        try:
            con.execute(
                f"""UPDATE fk_{self.resource}_seen AS s
SET last_seen_at = $at, last_sync_id = $sync
FROM fk_touched t WHERE s.connection = $connection AND s.id = t.id""",
                {"at": at, "sync": sync_id, "connection": self.connection},
            )
        finally:
            con.unregister("fk_touched")
        self.seen.clear()


def commit(
    con: duckdb.DuckDBPyConnection,
    ledger: Ledger,
    records: Sequence[Any],
    *,
    sync_id: int,
    observed_at: datetime,
    remote_data: bool,
) -> Counts:
    """Store one page or batch of ``records`` (each with ``raw_json``) in one transaction.

    Records without an id cannot be keyed and are skipped by the caller (the sync counts
    them as errors); a record listed twice in one batch is stored once (the last).
    """
    latest: dict[str, int] = {}
    for position, record in enumerate(records):
        latest[str(record.id)] = position
    batch = [records[i] for i in sorted(latest.values())]
    counts = Counts()
    fresh: list[int] = []
    versions: list[int] = []
    hashes: list[str] = []
    ids = [str(record.id) for record in batch]
    for position, record in enumerate(batch):
        digest = content_hash(record.raw_json or b"")
        hashes.append(digest)
        known = ledger.known.get(ids[position])
        if known is None:
            counts.new += 1
            fresh.append(position)
            versions.append(1)
        elif known[1] == digest:
            counts.unchanged += 1
            ledger.seen.append(ids[position])
        else:
            counts.changed += 1
            fresh.append(position)
            versions.append(known[0] + 1)
    resource, connection = ledger.resource, ledger.connection
    con.execute("BEGIN TRANSACTION")
    try:
        if fresh:
            typed = typed_table(resource, [batch[i] for i in fresh], remote_data=remote_data)
            n = len(fresh)
            page = pa.table(
                {
                    "connection": pa.array([connection] * n, pa.string()),
                    "version": pa.array(versions, pa.int32()),
                    "content_hash": pa.array([hashes[i] for i in fresh], pa.string()),
                    "observed_at": pa.array([observed_at] * n, pa.timestamp("us", tz="UTC")),
                    "sync_id": pa.array([sync_id] * n, pa.int64()),
                    "raw_json": pa.array(
                        [bytes(batch[i].raw_json or b"").decode("utf-8") for i in fresh],
                        pa.string(),
                    ),
                    **{name: typed.column(name) for name in typed.column_names},
                }
            )
            con.register("fk_page", page)
            try:
                con.execute(f"INSERT INTO fk_{resource}_versions SELECT * FROM fk_page")
                if counts.changed:
                    con.execute(
                        f"""UPDATE fk_{resource}_seen AS s
SET version = p.version, content_hash = p.content_hash, last_seen_at = $at,
    last_sync_id = $sync
FROM fk_page p WHERE s.connection = $connection AND s.id = p.id AND p.version > 1""",
                        {"at": observed_at, "sync": sync_id, "connection": connection},
                    )
                if counts.new:
                    con.execute(
                        f"""INSERT INTO fk_{resource}_seen
SELECT $connection, id, version, content_hash, $at, $at, $sync FROM fk_page
WHERE version = 1""",
                        {"at": observed_at, "sync": sync_id, "connection": connection},
                    )
            finally:
                con.unregister("fk_page")
        con.execute(
            """UPDATE fk_syncs SET new = new + $new, changed = changed + $changed,
unchanged = unchanged + $unchanged, ended_at = $at WHERE sync_id = $sync""",
            {
                "new": counts.new,
                "changed": counts.changed,
                "unchanged": counts.unchanged,
                "at": observed_at,
                "sync": sync_id,
            },
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        del ledger.seen[len(ledger.seen) - counts.unchanged :]
        raise
    for position, version in zip(fresh, versions, strict=True):
        ledger.known[ids[position]] = (version, hashes[position])
    return counts
