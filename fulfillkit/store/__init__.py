"""The local store: a Panora connection kept current in a DuckDB file.

One module per job, in the data's path: :mod:`~fulfillkit.store.database` (opening the
file briefly, one writer at a time), :mod:`~fulfillkit.store.schema` (tables, views,
format version), :mod:`~fulfillkit.store.identity` (which connection a client is),
:mod:`~fulfillkit.store.writer` (versions by content, one transaction per page),
:mod:`~fulfillkit.store.sync` (incremental listing and refresh),
:mod:`~fulfillkit.store.report` (``SyncReport``), :mod:`~fulfillkit.store.readers` (frames,
SQL, history, status changes), :mod:`~fulfillkit.store.lake` (the Parquet lake) and
:mod:`~fulfillkit.store.store` (``Store``, the face).

It sits above the clients and the frames; the reports and widgets take a store through the
data rule (anything with ``to_frame()``), so nothing below imports it.
"""

from fulfillkit.store.report import SyncReport
from fulfillkit.store.store import Store, status_changes

__all__ = ["Store", "SyncReport", "status_changes"]
