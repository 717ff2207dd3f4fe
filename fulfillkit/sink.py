"""Stream fulfillments to a Parquet file in row groups as they arrive: bounded memory.

:class:`ParquetSink` is what ``get_many(ids, sink="out.parquet")`` writes through: each
fetched record is handed to :meth:`ParquetSink.write`, at most ``row_group_size`` records
are buffered, and each full buffer becomes one Parquet row group (built with
:func:`fulfillkit.frame.to_frame`, so the rows and base dtypes are exactly the frame's).
A million ids never hold more than ``row_group_size`` records in memory.

**The schema problem, and the design.** A Parquet file has one schema, fixed when the
first row group is written, but ``to_frame``'s ``field_mappings.<key>`` columns are
discovered from the data: a key may first appear in the last row group, and a column's
narrowest dtype can change (``Int64`` in one chunk, ``Float64`` or JSON text in the next).
The options were:

* collect the union of keys and rewrite the file at close: a second full pass over the
  data, and the rewrite needs the whole file again (memory or disk twice);
* cast every field-mapping column to text: the set of columns would still be unknown
  when the first row group is written;
* **keep the base columns typed and write the field mappings as one JSON text column,
  ``field_mappings``** (the record's ``field_mappings`` object, ``NA`` when null).

The sink does the last: the schema is known before the first record arrives (the base
columns of :func:`~fulfillkit.frame.to_frame`, then ``field_mappings``, then
``remote_data`` with ``remote_data=True``), nothing is lost (``json.loads`` gives back what
the API sent), and a key's type is never guessed from a sample. :func:`expand_field_mappings`
turns that column into ``to_frame``'s flattened ``field_mappings.<key>`` columns, with the
same narrowest-dtype rules, once the whole file is read.
:func:`fulfillkit.read_frame` reads the file back with the base dtypes.

**Atomic**, like :func:`fulfillkit.export`: rows go to a hidden temporary file in the
target's folder, renamed over the target by :meth:`ParquetSink.close`; on an error (or
:meth:`ParquetSink.abort`) the temporary file is removed and an existing target is left
untouched.

Example:
    >>> import tempfile, pathlib
    >>> from fulfillkit.models import Fulfillment
    >>> from fulfillkit.frames import read_frame
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp) / "out.parquet"
    ...     with ParquetSink(path, row_group_size=2) as sink:
    ...         for i in range(5):
    ...             sink.write(f"f{i}", Fulfillment(id=f"f{i}", field_mappings={"n": i}))
    ...     df = read_frame(path)
    ...     (sink.written, len(df), str(df["tracking_index"].dtype), df["field_mappings"][4])
    (5, 5, 'Int64', '{"n":4}')
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self

from .models import Fulfillment

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "DEFAULT_ROW_GROUP_SIZE",
    "FIELD_MAPPINGS_COLUMN",
    "ParquetSink",
    "expand_field_mappings",
]

DEFAULT_ROW_GROUP_SIZE: Final = 10_000
"""Records buffered before a row group is written (rows may be more: one per tracking
position)."""
FIELD_MAPPINGS_COLUMN: Final = "field_mappings"
"""The sink's JSON text column holding each record's ``field_mappings`` object."""

_to_json: Callable[[Any], str] = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), default=str
).encode


class ParquetSink:
    """Write fulfillments to ``path`` as Parquet, ``row_group_size`` records at a time.

    Args:
        path: the target ``.parquet`` file; its folder must exist. Written atomically on
            :meth:`close`.
        remote_data: add the ``remote_data`` JSON text column (as ``to_frame`` does).
        row_group_size: records buffered before a row group is written; this bounds the
            memory the sink holds.
        compression: Parquet codec (pyarrow's names).

    Use it as a context manager: a clean exit closes (publishes) the file, an exception
    aborts it. Not thread-safe: call it from one thread (the batch engine calls
    :meth:`write` on its event loop).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        remote_data: bool = False,
        row_group_size: int = DEFAULT_ROW_GROUP_SIZE,
        compression: str = "snappy",
    ) -> None:
        if not isinstance(row_group_size, int) or row_group_size < 1:
            raise ValueError(f"row_group_size must be an int >= 1, got {row_group_size!r}")
        import pyarrow.parquet as pq

        self.path = Path(path)
        self.remote_data = remote_data
        self.row_group_size = row_group_size
        self.written = 0
        """Records written to row groups so far."""
        self.rows = 0
        """Rows written so far (one per tracking position, as in ``to_frame``)."""
        self.row_groups = 0
        """Row groups written so far."""
        self._buffer: list[dict[str, Any]] = []
        self._closed = False
        self._schema, self._columns = _sink_schema(remote_data)
        self._temp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(6)}.tmp")
        self._writer: Any = pq.ParquetWriter(self._temp, self._schema, compression=compression)

    @property
    def buffered(self) -> int:
        """Records waiting for the next row group."""
        return len(self._buffer)

    @property
    def closed(self) -> bool:
        """True once closed or aborted."""
        return self._closed

    def write(self, record_id: str, record: Fulfillment) -> None:
        """Add one record; a full buffer is written out as a row group.

        ``record_id`` is the id it was fetched by (kept in the signature so that ``write`` is
        a batch ``on_result`` callback; the row's ``id`` is the record's own).
        """
        if self._closed:
            raise ValueError("write to a closed ParquetSink")
        row = dict(record.__dict__)  # the fields, without validation or a model copy
        if record.model_extra:
            row.update((k, v) for k, v in record.model_extra.items() if k not in row)
        self._buffer.append(row)
        if len(self._buffer) >= self.row_group_size:
            self.flush()

    def flush(self) -> None:
        """Write the buffered records as one row group (nothing when the buffer is empty)."""
        if not self._buffer:
            return
        records, self._buffer = self._buffer, []
        table = self._table(records)
        self._writer.write_table(table, row_group_size=max(1, table.num_rows))
        self.written += len(records)
        self.rows += table.num_rows
        self.row_groups += 1

    def _table(self, records: list[dict[str, Any]]) -> pa.Table:
        import numpy as np
        import pyarrow as pa

        from fulfillkit.frames import to_frame

        mappings = []
        rows = []
        for row in records:
            value = row.get("field_mappings")
            mappings.append(None if value is None else _to_json(value))
            row["field_mappings"] = None  # the sink keeps them as JSON, not as columns
            rows.append(_row_count(row))
        df = to_frame(records, remote_data=self.remote_data)
        counts = np.asarray(rows, dtype=np.intp)
        if int(counts.sum()) != len(df):  # to_frame's rule changed: fail loudly, not skew
            raise RuntimeError("ParquetSink: row count does not match to_frame's")
        column = pa.array(np.repeat(np.asarray(mappings, dtype=object), counts), pa.string())
        arrays = [
            column
            if name == FIELD_MAPPINGS_COLUMN
            else pa.Array.from_pandas(df[name], type=self._schema.field(name).type)
            for name in self._columns
        ]
        return pa.Table.from_arrays(arrays, schema=self._schema)

    def close(self) -> Path:
        """Write what is buffered, finish the file and move it to ``path``; return ``path``.

        Idempotent. On an error the temporary file is removed and the error raised.
        """
        if self._closed:
            return self.path
        try:
            self.flush()
            self._writer.close()
            os.replace(self._temp, self.path)
        except BaseException:
            self.abort()
            raise
        self._closed = True
        return self.path

    def abort(self) -> None:
        """Drop everything: remove the temporary file; ``path`` is left as it was."""
        self._closed = True
        self._buffer = []
        with contextlib.suppress(Exception):
            self._writer.close()
        with contextlib.suppress(FileNotFoundError):
            self._temp.unlink()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"buffered={self.buffered}"
        return f"ParquetSink({str(self.path)!r}, written={self.written}, {state})"


def _row_count(row: Mapping[str, Any]) -> int:
    """Rows ``to_frame`` gives a record: one per tracking position, at least one."""
    counts = [1]
    for key in ("tracking_numbers", "tracking_urls"):
        value = row.get(key)
        if value:
            counts.append(len(value) if isinstance(value, list | tuple) else 1)
    return max(counts)


def _sink_schema(remote_data: bool) -> tuple[pa.Schema, list[str]]:
    """The file's schema: ``to_frame``'s base columns, ``field_mappings``, ``remote_data``.

    Built from an empty ``to_frame`` (so it follows the frame's columns and dtypes) with
    pandas metadata, so that ``pd.read_parquet`` restores ``Int64`` and ``string``.
    """
    import pandas as pd
    import pyarrow as pa

    from fulfillkit.frames import REMOTE_DATA_COLUMN, STRING, to_frame

    empty = to_frame([], remote_data=remote_data)
    columns = {name: empty[name] for name in empty.columns if name != REMOTE_DATA_COLUMN}
    columns[FIELD_MAPPINGS_COLUMN] = pd.Series([], dtype=STRING)
    if remote_data:
        columns[REMOTE_DATA_COLUMN] = pd.Series([], dtype=STRING)
    frame = pd.DataFrame(columns)
    schema = pa.Schema.from_pandas(frame, preserve_index=False)
    return schema, list(frame.columns)


def expand_field_mappings(df: pd.DataFrame, *, sep: str = ".") -> pd.DataFrame:
    """Replace a sink file's ``field_mappings`` JSON column by ``to_frame``'s flattened
    ``field_mappings.<key>`` columns (narrowest dtype per column, same collision check).

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"id": ["a", "b"], "field_mappings": ['{"n": 1}', None]})
        >>> out = expand_field_mappings(df)
        >>> list(out.columns), str(out["field_mappings.n"].dtype)
        (['id', 'field_mappings.n'], 'Int64')
    """
    from fulfillkit.frames import FIELD_MAPPINGS_PREFIX, to_frame

    if FIELD_MAPPINGS_COLUMN not in df.columns:
        return df
    texts = df[FIELD_MAPPINGS_COLUMN].tolist()
    ids = df["id"].tolist() if "id" in df.columns else [None] * len(df)
    records = [
        {"id": i, "field_mappings": None if not isinstance(t, str) else json.loads(t)}
        for i, t in zip(ids, texts, strict=True)
    ]
    flat = to_frame(records, sep=sep)
    prefix = FIELD_MAPPINGS_PREFIX + sep
    mapped = flat[[c for c in flat.columns if c.startswith(prefix)]].set_axis(df.index)
    import pandas as pd

    rest = df.drop(columns=[FIELD_MAPPINGS_COLUMN])
    return pd.concat([rest, mapped], axis=1)
