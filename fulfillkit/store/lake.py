"""A store as a Parquet lake: one dataset partitioned by connection and month.

``store.export("lake/")`` writes ``lake/connection=<label>/month=YYYY-MM/part-*.parquet``
(Hive-style partitions, labels percent-encoded), the rows and columns of
``store.to_arrow(field_mappings="json")``: one schema for every partition (the field
mappings as one JSON text column, as the Dask readers and the Parquet sink keep them),
so ``dask.dataframe.read_parquet``, DuckDB (``read_parquet('lake/**/*.parquet',
hive_partitioning = true)``), Polars and Spark read it as one table;
:func:`fulfillkit.dask.read_lake` reads it back with the field mappings expanded.

The folder is replaced whole: the new lake is written beside it, then swapped in, so a
reader never sees half of one.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

__all__ = ["MONTH_COLUMN", "export_lake"]

MONTH_COLUMN = "month"
"""The partition column: ``created_at`` as ``YYYY-MM`` (UTC), ``unknown`` when missing."""


def _with_partitions(table: pa.Table, label: str) -> pa.Table:
    months = pc.fill_null(pc.strftime(table.column("created_at"), format="%Y-%m"), "unknown")
    if "connection" not in table.column_names:
        table = table.add_column(0, "connection", pa.array([label] * len(table), pa.string()))
    return table.append_column(MONTH_COLUMN, months)


def export_lake(tables: Iterable[tuple[str, pa.Table]], folder: Path) -> Path:
    """Write each connection's ``(label, table)`` (``store.to_arrow(field_mappings="json")``
    of it) to ``folder``, replaced whole; return it."""
    staging = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        for label, table in tables:
            ds.write_dataset(
                _with_partitions(table, label),
                staging,
                format="parquet",
                partitioning=["connection", MONTH_COLUMN],
                partitioning_flavor="hive",
                basename_template=f"part-{uuid.uuid4().hex[:8]}-{{i}}.parquet",
                existing_data_behavior="overwrite_or_ignore",
            )
        staging.mkdir(parents=True, exist_ok=True)
        old = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.old")
        if folder.exists():
            folder.rename(old)
        staging.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
