"""Reading a store with zero requests: frames, SQL, one record's history, status changes.

Frames are built from the stored typed columns in Arrow: DuckDB hands the current
versions' typed columns over as an Arrow table, and the same layout that
:func:`fulfillkit.to_frame` runs on freshly fetched records
(:func:`fulfillkit.frames.frame_from_record_table`) turns it into rows, so a store's frame
has the same columns, dtypes and values as ``to_frame`` of the same records (plus a leading
``connection`` column when the store holds more than one connection). No Python object is
made per record.

Example:
    >>> from fulfillkit.store.database import Database
    >>> from fulfillkit.store.schema import ensure
    >>> db = Database(":memory:")
    >>> with db.write() as con:
    ...     ensure(con)
    >>> with_current(db, "orders", Filters(), lambda data, several: typed_current(
    ...     data, "orders", several)).num_rows
    0
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVar

import duckdb
import pandas as pd
import pyarrow as pa

from fulfillkit.errors import ConfigurationError, StoreError
from fulfillkit.frames import to_pandas
from fulfillkit.frames.records import CHUNK
from fulfillkit.store.database import Database
from fulfillkit.store.schema import holds_store, typed_schema

__all__ = [
    "Filters",
    "connection_labels",
    "history_table",
    "query",
    "status_changes_table",
    "typed_current",
    "with_current",
]

T = TypeVar("T")
_READ_ONLY: Final = {"SELECT"}


@dataclass(frozen=True, slots=True)
class Filters:
    """Which records a reader reads: one or more connections (labels), and a window on
    ``created_at`` (``since`` inclusive, ``until`` exclusive; naive times are UTC)."""

    connection: str | Sequence[str] | None = None
    since: datetime | str | None = None
    until: datetime | str | None = None

    def where(self, prefix: str = "") -> tuple[str, dict[str, Any]]:
        """A SQL condition and its parameters."""
        parts: list[str] = ["TRUE"]
        params: dict[str, Any] = {}
        if self.connection is not None:
            labels = (
                [self.connection] if isinstance(self.connection, str) else list(self.connection)
            )
            if not all(isinstance(label, str) for label in labels):
                raise ConfigurationError(
                    f"connection must be a label or labels: {self.connection!r}"
                )
            parts.append(f"{prefix}connection IN (SELECT unnest($labels))")
            params["labels"] = labels
        for name, op in (("since", ">="), ("until", "<")):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{prefix}created_at {op} ${name}")
                params[name] = _utc(value, name)
        return " AND ".join(parts), params


def _utc(value: datetime | str, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{name} must be a date or time, got {value!r}: {exc}") from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def connection_labels(db: Database) -> list[str]:
    """Every connection the store holds, in the order they were added."""
    with db.read() as con:
        if not holds_store(con):
            return []
        rows = con.sql("SELECT connection FROM fk_connections ORDER BY created_at").fetchall()
    return [label for (label,) in rows]


def with_current(
    db: Database,
    resource: str,
    filters: Filters,
    build: Callable[[Any, bool], T],
) -> T:
    """``build(data, several)`` on the current typed columns of ``resource``, read in one
    open of the file: ``data`` is an Arrow stream of record batches (never the whole result
    at once) in order of connection, ``created_at`` and id, with a leading ``connection``
    column exactly when the store holds several connections (``several``)."""
    names = ", ".join(f'"{name}"' for name in typed_schema(resource).names)
    where, params = filters.where()
    with db.read() as con:
        if not holds_store(con):
            return build(pa.RecordBatchReader.from_batches(typed_schema(resource), []), False)
        several = len(con.sql("SELECT connection FROM fk_connections").fetchall()) > 1
        columns = f"connection, {names}" if several else names
        relation = con.sql(
            f"SELECT {columns} FROM {resource} WHERE {where} "
            "ORDER BY connection, created_at NULLS LAST, id",
            params=params,
        )
        return build(relation.to_arrow_reader(CHUNK), several)


def typed_current(data: Any, resource: str, several: bool) -> pa.Table:
    """:func:`with_current`'s stream read whole, in the typed schema (DuckDB names list
    children differently and may widen text); ``connection`` first when ``several``."""
    fields = typed_schema(resource)
    schema = pa.schema([pa.field("connection", pa.string()), *fields]) if several else fields
    return data.read_all().select(schema.names).cast(schema)


def history_table(db: Database, record_id: str, connection: str | None) -> pa.Table:
    """Every version of one fulfillment, oldest first, with its version metadata."""
    names = ", ".join(f'"{name}"' for name in typed_schema("fulfillments").names)
    where, params = Filters(connection).where()
    params["id"] = record_id
    with db.read() as con:
        if not holds_store(con):
            rows = None
        else:
            rows = con.sql(
                f"""SELECT connection, version, observed_at, content_hash, sync_id, raw_json,
       {names}
FROM fk_fulfillments_versions WHERE id = $id AND {where}
ORDER BY connection, version""",
                params=params,
            ).to_arrow_table()
    if rows is None:
        meta = {
            "connection": pa.string(),
            "version": pa.int32(),
            "observed_at": pa.timestamp("us", tz="UTC"),
            "content_hash": pa.string(),
            "sync_id": pa.int64(),
            "raw_json": pa.string(),
        }
        schema = pa.schema([*meta.items(), *typed_schema("fulfillments")])
        return schema.empty_table()
    return rows


def status_changes_table(db: Database, filters: Filters) -> pa.Table:
    """One row per observed change of ``shipment_status`` (a record's first version is
    its first observed status, ``from_status`` null)."""
    where, params = filters.where()
    with db.read() as con:
        if not holds_store(con):
            return pa.table(
                {
                    name: pa.array([], kind)
                    for name, kind in {
                        "connection": pa.string(),
                        "id": pa.string(),
                        "carrier": pa.string(),
                        "from_status": pa.string(),
                        "to_status": pa.string(),
                        "changed_at": pa.timestamp("us", tz="UTC"),
                        "observed_at": pa.timestamp("us", tz="UTC"),
                        "version": pa.int32(),
                    }.items()
                }
            )
        return con.sql(
            f"""SELECT connection, id, carrier,
       lag(shipment_status) OVER w AS from_status, shipment_status AS to_status,
       modified_at AS changed_at, observed_at, version
FROM fk_fulfillments_versions
WHERE {where}
WINDOW w AS (PARTITION BY connection, id ORDER BY version)
QUALIFY version = 1 OR shipment_status IS DISTINCT FROM lag(shipment_status) OVER w
ORDER BY connection, id, version""",
            params=params,
        ).to_arrow_table()


def query(db: Database, sql: str, params: Sequence[Any] | Mapping[str, Any] | None) -> pd.DataFrame:
    """Run one read-only SQL query over the store's views; the result as a DataFrame.

    Raises:
        StoreError: the text is not a single query (a statement that would change the store
            is refused before it runs).
    """
    if not isinstance(sql, str):
        raise ConfigurationError(f"sql must be a string, got {type(sql).__name__}")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise StoreError(f"cannot parse the query: {str(exc).splitlines()[0][:300]}") from None
    kinds = [statement.type.name for statement in statements]
    if len(statements) != 1 or kinds[0] not in _READ_ONLY:
        raise StoreError(
            "store.sql runs one read-only query (SELECT / WITH ...), got "
            f"{', '.join(kinds) or 'nothing'}"
        )
    with db.read() as con:
        if not holds_store(con):
            raise StoreError("the store is empty: sync it first (store.sync(client))")
        try:
            table = con.sql(sql, params=params).to_arrow_table()
        except duckdb.Error as exc:
            raise StoreError(f"the query failed: {str(exc).splitlines()[0][:300]}") from None
    return to_pandas(table)
