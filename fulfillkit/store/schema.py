"""The store's schema: tables, documented views, the format version, and the file check.

A store is a DuckDB file. Its tables are the store's own (``fk_*``); what users query are
the views (see the docs page "Keeping a store" (docs/store.md)):

* ``fulfillments`` / ``orders``: the current state, one row per ``(connection, id)``: the
  record verbatim (``raw_json``, byte for byte what Panora sent), its typed columns (the
  columns :func:`fulfillkit.frames.record_table` / :func:`fulfillkit.frames.orders_table`
  give), ``version``, ``content_hash``, ``first_seen_at`` and ``last_seen_at``;
* ``tracking``: one row per fulfillment and tracking position, as ``to_frame`` explodes it;
* ``versions``: every distinct content each record has had (``resource``, ``connection``,
  ``id``, ``version``, ``content_hash``, ``observed_at``, ``modified_at``,
  ``shipment_status``, ``sync_id``, ``raw_json``): a record that did not change adds none;
* ``syncs``: one row per sync (start, end, connection, requests, new, changed, unchanged,
  errors, how it ended) and ``sync_errors``: every id a sync could not fetch.

Content lives once, in the versions tables; the current state is the latest version of each
record joined with when it was first and last seen. ``fk_meta`` holds the format name and
version: a store written by an older fulfillkit is upgraded when it is next written
(:data:`MIGRATIONS`); one written by a newer fulfillkit is refused with what to install; a
DuckDB database that is not a store is refused and never modified.

Example:
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> create(con)
    >>> check(con)
    >>> sorted(v for (v,) in con.sql(
    ...     "select view_name from duckdb_views() where not internal").fetchall())
    ['fulfillments', 'orders', 'sync_errors', 'syncs', 'tracking', 'versions']
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Final

import duckdb
import pyarrow as pa

from fulfillkit.errors import NotAStoreError, StoreVersionError
from fulfillkit.frames import RECORD_SCHEMA, orders_table
from fulfillkit.version import __version__

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MIGRATIONS",
    "RESOURCES",
    "check",
    "create",
    "ensure",
    "holds_store",
    "sql_type",
    "typed_schema",
]

FORMAT: Final = "fulfillkit-store"
FORMAT_VERSION: Final = 1
"""The store format this fulfillkit writes. Raise it with a migration in
:data:`MIGRATIONS` whenever a table changes."""

MIGRATIONS: Final[Mapping[int, Callable[[duckdb.DuckDBPyConnection], None]]] = {}
"""``{version: step}``: the step that upgrades a store of ``version`` to ``version + 1``."""

RESOURCES: Final = ("fulfillments", "orders")

_META: Final = "fk_meta"
_SCALARS: Final = {
    pa.string(): "VARCHAR",
    pa.large_string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.int32(): "INTEGER",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
}


@functools.cache
def typed_schema(resource: str) -> pa.Schema:
    """The typed columns stored for each record of ``resource`` (Arrow types; built once)."""
    if resource == "fulfillments":
        return RECORD_SCHEMA
    return orders_table([]).schema


def sql_type(kind: pa.DataType) -> str:
    """The DuckDB type of an Arrow type the typed columns use.

    Example:
        >>> sql_type(pa.map_(pa.string(), pa.string())), sql_type(pa.list_(pa.string()))
        ('MAP(VARCHAR, VARCHAR)', 'VARCHAR[]')
    """
    if kind in _SCALARS:
        return _SCALARS[kind]
    if pa.types.is_timestamp(kind):
        return "TIMESTAMPTZ" if kind.tz is not None else "TIMESTAMP"
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return f"{sql_type(kind.value_type)}[]"
    if pa.types.is_map(kind):
        return f"MAP({sql_type(kind.key_type)}, {sql_type(kind.item_type)})"
    raise TypeError(f"no DuckDB type for the Arrow type {kind}")  # a schema bug, not input


def _columns(schema: pa.Schema) -> str:
    return ",\n    ".join(f'"{f.name}" {sql_type(f.type)}' for f in schema)


def create(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table and view of an empty store, and record the format."""
    con.execute(f"CREATE TABLE {_META} (key VARCHAR, value VARCHAR)")
    con.execute(
        f"INSERT INTO {_META} VALUES ('format', ?), ('version', ?), ('created_by', ?)",
        [FORMAT, str(FORMAT_VERSION), f"fulfillkit {__version__}"],
    )
    con.execute(
        """CREATE TABLE fk_connections (
    connection VARCHAR, label VARCHAR, base_url VARCHAR, token_hmac VARCHAR,
    salt VARCHAR, remote_data BOOLEAN, created_at TIMESTAMPTZ)"""
    )
    for resource in RESOURCES:
        typed = typed_schema(resource)
        con.execute(
            f"""CREATE TABLE fk_{resource}_versions (
    connection VARCHAR, version INTEGER, content_hash VARCHAR, observed_at TIMESTAMPTZ,
    sync_id BIGINT, raw_json VARCHAR,
    {_columns(typed)})"""
        )
        con.execute(
            f"""CREATE TABLE fk_{resource}_seen (
    connection VARCHAR, id VARCHAR, version INTEGER, content_hash VARCHAR,
    first_seen_at TIMESTAMPTZ, last_seen_at TIMESTAMPTZ, last_sync_id BIGINT)"""
        )
    con.execute(
        """CREATE TABLE fk_syncs (
    sync_id BIGINT, connection VARCHAR, started_at TIMESTAMPTZ, ended_at TIMESTAMPTZ,
    outcome VARCHAR, refresh VARCHAR, requests BIGINT, new BIGINT, changed BIGINT,
    unchanged BIGINT, errors BIGINT, deleted_cursor_fallbacks BIGINT, left_for_next BIGINT,
    message VARCHAR)"""
    )
    con.execute(
        """CREATE TABLE fk_sync_errors (
    sync_id BIGINT, connection VARCHAR, resource VARCHAR, id VARCHAR, kind VARCHAR,
    status INTEGER, message VARCHAR, attempts INTEGER)"""
    )
    _views(con)


def _views(con: duckdb.DuckDBPyConnection) -> None:
    for resource in RESOURCES:
        names = ", ".join(f'v."{f.name}"' for f in typed_schema(resource))
        con.execute(
            f"""CREATE OR REPLACE VIEW {resource} AS
SELECT v.connection, {names}, v.raw_json, v.version, v.content_hash, v.observed_at,
       s.first_seen_at, s.last_seen_at
FROM fk_{resource}_seen s
JOIN fk_{resource}_versions v
  ON v.connection = s.connection AND v.id = s.id AND v.version = s.version"""
        )
    con.execute(
        """CREATE OR REPLACE VIEW tracking AS
SELECT f.connection, f.id, f.order_id, f.carrier, f.created_at,
       i AS tracking_index, f.tracking_numbers[i + 1] AS tracking_number,
       f.tracking_urls[i + 1] AS tracking_url
FROM fulfillments f,
     range(greatest(len(coalesce(f.tracking_numbers, [])),
                    len(coalesce(f.tracking_urls, [])), 1)) AS positions(i)"""
    )
    con.execute(
        """CREATE OR REPLACE VIEW versions AS
SELECT 'fulfillments' AS resource, connection, id, version, content_hash, observed_at,
       modified_at, shipment_status, sync_id, raw_json
FROM fk_fulfillments_versions
UNION ALL BY NAME
SELECT 'orders' AS resource, connection, id, version, content_hash, observed_at,
       modified_at, NULL AS shipment_status, sync_id, raw_json
FROM fk_orders_versions"""
    )
    con.execute("CREATE OR REPLACE VIEW syncs AS SELECT * FROM fk_syncs")
    con.execute("CREATE OR REPLACE VIEW sync_errors AS SELECT * FROM fk_sync_errors")


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {name for (name,) in con.sql("SELECT table_name FROM duckdb_tables()").fetchall()}


def holds_store(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the database is a store already (a brand-new one is empty)."""
    return _META in _tables(con)


def check(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse a database this fulfillkit cannot use (read-only: nothing is written).

    An empty database passes (the store is created on the first write); so does a store of
    this or an older format (upgraded on the next write).

    Raises:
        NotAStoreError: a DuckDB database with other tables, or a damaged store.
        StoreVersionError: a store written by a newer fulfillkit.
    """
    try:
        tables = _tables(con)
        if not tables:
            return
        if _META not in tables:
            raise NotAStoreError(
                "this DuckDB database is not a fulfillkit store (it has other tables and no "
                f"{_META}); it was not modified: give the store its own file"
            )
        meta = dict(con.sql(f"SELECT key, value FROM {_META}").fetchall())
    except duckdb.Error as exc:
        raise NotAStoreError(
            f"the store cannot be read (damaged?): {str(exc).splitlines()[0][:300]}; it was "
            "not modified"
        ) from None
    if meta.get("format") != FORMAT:
        raise NotAStoreError(f"{_META} names format {meta.get('format')!r}, not a fulfillkit store")
    version = int(meta.get("version", "0"))
    if version > FORMAT_VERSION:
        raise StoreVersionError(
            f"this store has format {version}, written by {meta.get('created_by')}; "
            f"this fulfillkit ({__version__}) reads formats up to {FORMAT_VERSION}: upgrade it "
            "with `pip install -U fulfillkit`"
        )


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    """Make the database a current store: create it if empty, upgrade an older one.
    Runs at the start of every write, in its own transaction."""
    check(con)
    if not holds_store(con):
        con.execute("BEGIN TRANSACTION")
        create(con)
        con.execute("COMMIT")
        return
    version = int(dict(con.sql(f"SELECT key, value FROM {_META}").fetchall())["version"])
    while version < FORMAT_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise StoreVersionError(
                f"no upgrade from store format {version} to {FORMAT_VERSION}: export the "
                "store with the fulfillkit that wrote it, or sync into a new file"
            )
        con.execute("BEGIN TRANSACTION")
        step(con)
        version += 1
        con.execute(f"UPDATE {_META} SET value = ? WHERE key = 'version'", [str(version)])
        _views(con)
        con.execute("COMMIT")
