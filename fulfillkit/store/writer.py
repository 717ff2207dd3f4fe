"""Writing records into the store: one transaction per page or batch, versions by content.

:func:`commit` takes records fetched with their bytes kept (``raw_json``) and, in one
transaction: adds a version for each record that is new or whose content (the SHA-256 of
its bytes) differs from its current version, points the record's current state at it, and
marks every record of the batch as seen now. An unchanged record adds no version. The
sync's own row in ``fk_syncs`` is updated in the same transaction, so a store killed at any
moment holds consistent counts for everything it committed.

The typed columns are built once per batch, in Arrow (:func:`fulfillkit.frames.record_table`
for fulfillments, :func:`fulfillkit.frames.orders_table` for orders), and handed to DuckDB
without a copy through Python objects.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from fulfillkit.frames import orders_table, record_table
from fulfillkit.store.schema import typed_schema

__all__ = ["Counts", "commit", "content_hash", "typed_table"]


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

    @property
    def total(self) -> int:
        """Every record counted."""
        return self.new + self.changed + self.unchanged


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
    return table.select(typed_schema(resource).names).cast(typed_schema(resource))


def commit(
    con: duckdb.DuckDBPyConnection,
    resource: str,
    records: Sequence[Any],
    *,
    connection: str,
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
    if not batch:
        return counts
    raws = [record.raw_json for record in batch]
    ids = [str(record.id) for record in batch]
    hashes = [content_hash(raw) for raw in raws]
    con.execute("BEGIN TRANSACTION")
    try:
        current = dict(
            con.sql(
                f"""SELECT s.id, s.version || ':' || v.content_hash
FROM fk_{resource}_seen s
JOIN fk_{resource}_versions v
  ON v.connection = s.connection AND v.id = s.id AND v.version = s.version
WHERE s.connection = $connection AND s.id IN (SELECT unnest($ids))""",
                params={"connection": connection, "ids": ids},
            ).fetchall()
        )
        fresh: list[int] = []
        versions: list[int] = []
        for position, (record_id, digest) in enumerate(zip(ids, hashes, strict=True)):
            known = current.get(record_id)
            if known is None:
                counts.new += 1
                fresh.append(position)
                versions.append(1)
                continue
            version, _, stored = known.partition(":")
            if stored == digest:
                counts.unchanged += 1
            else:
                counts.changed += 1
                fresh.append(position)
                versions.append(int(version) + 1)
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
                        [bytes(raws[i] or b"").decode("utf-8") for i in fresh], pa.string()
                    ),
                    **{name: typed.column(name) for name in typed.column_names},
                }
            )
            con.register("fk_page", page)
            try:
                con.execute(f"INSERT INTO fk_{resource}_versions SELECT * FROM fk_page")
                con.execute(
                    f"""UPDATE fk_{resource}_seen AS s
SET version = p.version, last_seen_at = $at, last_sync_id = $sync
FROM fk_page p WHERE s.connection = $connection AND s.id = p.id AND p.version > 1""",
                    {"at": observed_at, "sync": sync_id, "connection": connection},
                )
                con.execute(
                    f"""INSERT INTO fk_{resource}_seen
SELECT $connection, id, version, $at, $at, $sync FROM fk_page WHERE version = 1""",
                    {"at": observed_at, "sync": sync_id, "connection": connection},
                )
            finally:
                con.unregister("fk_page")
        renewed = set(fresh)
        unchanged = [record_id for i, record_id in enumerate(ids) if i not in renewed]
        if unchanged:
            con.execute(
                f"""UPDATE fk_{resource}_seen SET last_seen_at = $at, last_sync_id = $sync
WHERE connection = $connection AND id IN (SELECT unnest($ids))""",
                {"at": observed_at, "sync": sync_id, "connection": connection, "ids": unchanged},
            )
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
        raise
    return counts
