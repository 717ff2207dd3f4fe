"""Stream fulfillments to a Parquet *dataset* as they arrive: bounded memory, crash-safe.

:class:`ParquetSink` is what ``get_many(ids, sink="out.parquet")`` writes through: each
fetched record is handed to :meth:`ParquetSink.write`, at most ``row_group_size`` records
are buffered, and each full buffer becomes one **part file** of the dataset folder
``out.parquet/`` (``part-00000-<random>.parquet``, ``part-00001-...``). A part is written
to a hidden temporary file in that folder, fsynced, then renamed into place (an atomic
commit) and the folder fsynced: a SIGKILL at any moment leaves every committed part
readable (``pyarrow.parquet.read_table("out.parquet")``, ``pd.read_parquet``,
:func:`fulfillkit.read_frame`) and at most one hidden temporary file, which the next run
removes. Readers ignore hidden files.

With ``checkpoint=`` as well, the checkpoint records a part's ids only once the part is
committed, and a rerun of the same call resumes: ids in the checkpoint or in committed
parts are not fetched again, new parts are added, and the folder ends as one complete
dataset. Without a checkpoint, a folder that already holds parts is refused before any
request (nothing is overwritten). The path follows the one output-path rule
(:func:`fulfillkit.paths.output_path`): missing folders are created, and an unusable path
(a file where the folder should be, a parent that is a file, a read-only folder) fails
before the first request with :class:`~fulfillkit.OutputPathError`; a part that cannot be
written mid-batch (disk full) raises :class:`SinkError`.

**The schema.** A dataset has one schema, but ``to_frame``'s ``field_mappings.<key>``
columns are discovered from the data. The sink writes
``to_arrow(records, field_mappings="json")``: the base columns typed, the field mappings
as one JSON text column, ``field_mappings`` (``NA`` when null), so the schema is known
before the first record; :func:`expand_field_mappings` turns it into ``to_frame``'s
flattened columns once the whole dataset is read. Each part's table is built by one
function, :func:`part_table`, straight from the Arrow builder (no pandas on the way).

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
    ...     (sink.written, sink.parts, len(df), df["field_mappings"][4])
    (5, 3, 5, '{"n":4}')
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from fulfillkit.closing import Closing
from fulfillkit.errors import SinkError
from fulfillkit.models import Fulfillment
from fulfillkit.paths import output_path

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "DEFAULT_ROW_GROUP_SIZE",
    "FIELD_MAPPINGS_COLUMN",
    "ParquetSink",
    "expand_field_mappings",
    "part_table",
]

DEFAULT_ROW_GROUP_SIZE: Final = 10_000
"""Records buffered before a part is committed (rows may be more: one per tracking
position)."""
FIELD_MAPPINGS_COLUMN: Final = "field_mappings"
"""The sink's JSON text column holding each record's ``field_mappings`` object."""

_PART_GLOB: Final = "part-*.parquet"
_TEMP_GLOB: Final = ".part-*.parquet.tmp"


class ParquetSink(Closing):
    """Write fulfillments to the dataset folder ``path``, ``row_group_size`` records a part.

    Args:
        path: the dataset folder (e.g. ``out.parquet``); it and its missing parents are
            created (:func:`fulfillkit.paths.output_path`, ``folder=True``).
        remote_data: add the ``remote_data`` JSON text column (as ``to_frame`` does).
        row_group_size: records buffered before a part is committed; this bounds the
            memory the sink holds and what a crash can lose (only the uncommitted buffer).
        compression: Parquet codec (pyarrow's names).

    Use it as a context manager: a clean exit commits what is buffered, an exception drops
    only the buffer (committed parts stay). Not thread-safe: the batch engine calls
    :meth:`write` on its event loop.
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
        self.path = Path(path)
        self.remote_data = remote_data
        self.row_group_size = row_group_size
        self.compression = compression
        self.written = 0
        """Records committed to parts by this sink."""
        self.rows = 0
        """Rows committed so far (one per tracking position, as in ``to_frame``)."""
        self.parts = 0
        """Parts committed by this sink."""
        self.on_commit: Callable[[list[tuple[str, Fulfillment]]], None] | None = None
        """Called with ``(requested id, record)`` pairs after each part is committed (the
        checkpoint, so that it never lists a record that is not in a part)."""
        self._buffer: list[tuple[str, Fulfillment]] = []
        self._opened = False
        self._closed = False
        self._next_index = 0
        self._temp: Path | None = None
        self._schema: Any = None
        self._columns: list[str] = []

    @property
    def row_groups(self) -> int:
        """Parts committed so far (each part is one row group)."""
        return self.parts

    @property
    def buffered(self) -> int:
        """Records waiting for the next part."""
        return len(self._buffer)

    @property
    def closed(self) -> bool:
        """True once closed or aborted."""
        return self._closed

    def open(self, *, resume: bool = False) -> list[str]:
        """Check the folder can be written (creating it and its missing parents, by the
        one output-path rule) and clean up after a killed run; return the ids already in
        committed parts (``resume=True``). Raises :class:`~fulfillkit.OutputPathError` for
        a path that cannot be a dataset folder (a file, a parent that is a file, no
        permission) and :class:`SinkError` for a folder holding another run's parts, both
        before anything is fetched; called by the first :meth:`write` when not called
        before."""
        if self._opened:
            return []
        # OutputPathError before any request; ``~`` expanded for the writes too
        self.path = output_path(self.path, what="sink", folder=True)
        try:
            for orphan in self.path.glob(_TEMP_GLOB):  # left by a killed run
                orphan.unlink()
        except OSError as exc:
            raise SinkError(f"sink {str(self.path)!r} is not writable: {exc}") from exc
        existing = sorted(self.path.glob(_PART_GLOB))
        if existing and not resume:
            raise SinkError(
                f"sink {self.path} already holds {len(existing)} part file(s); pass the same "
                "checkpoint= to resume that run, or use a new path"
            )
        self._schema, self._columns = _sink_schema(self.remote_data)
        self._next_index = len(existing)
        self._opened = True
        return _ids_in(existing)

    def write(self, record_id: str, record: Fulfillment) -> None:
        """Add one record; a full buffer is committed as a part."""
        if self._closed:
            raise ValueError("write to a closed ParquetSink")
        if not self._opened:
            self.open()
        self._buffer.append((record_id, record))
        if len(self._buffer) >= self.row_group_size:
            self.flush()

    def flush(self) -> None:
        """Commit the buffered records as one part (nothing when the buffer is empty)."""
        if self._buffer:
            items, self._buffer = self._buffer, []
            self._commit(items)

    def _commit(self, items: list[tuple[str, Fulfillment]]) -> None:
        import pyarrow.parquet as pq

        name = f"part-{self._next_index:05d}-{secrets.token_hex(4)}.parquet"
        try:
            table = part_table([r for _, r in items], self._schema, self._columns, self.remote_data)
            self._temp = self.path / f".{name}.tmp"
            pq.write_table(table, self._temp, compression=self.compression)
            with self._temp.open("rb") as handle:
                os.fsync(handle.fileno())
            os.replace(self._temp, self.path / name)
            self._temp = None
            _fsync_dir(self.path)
        except Exception as exc:  # disk full, read-only, a record Arrow cannot hold
            self._drop_temp()
            raise SinkError(f"could not write a part of sink {self.path}: {exc}") from exc
        self._next_index += 1
        self.parts += 1
        self.written += len(items)
        self.rows += table.num_rows
        if self.on_commit is not None:
            self.on_commit(items)

    def close(self) -> Path:
        """Commit what is buffered (an empty dataset gets one empty part, so it reads
        back with its columns) and return ``path``. Idempotent."""
        if self._closed:
            return self.path
        if not self._opened:
            self.open()
        try:
            self.flush()
            if not any(self.path.glob(_PART_GLOB)):
                self._commit([])
        except BaseException:
            self.abort()
            raise
        self._closed = True
        return self.path

    def abort(self) -> None:
        """Drop the buffer and any part being written; committed parts stay."""
        self._closed = True
        self._buffer = []
        self._drop_temp()

    def _drop_temp(self) -> None:
        if self._temp is not None:
            with contextlib.suppress(OSError):
                self._temp.unlink()
            self._temp = None

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"buffered={self.buffered}"
        return f"ParquetSink({str(self.path)!r}, written={self.written}, {state})"


def part_table(
    records: list[Fulfillment], schema: pa.Schema, columns: list[str], remote_data: bool
) -> pa.Table:
    """One part's Arrow table: :func:`~fulfillkit.frames.to_arrow` of the records with
    ``field_mappings="json"``, written as it is (no pandas on the way), in the sink's
    column order and schema (which carries the pandas metadata of ``to_frame``'s dtypes).

    The one place the sink calls the frames builder.
    """
    from fulfillkit.frames import to_arrow

    table = to_arrow(records, remote_data=remote_data, field_mappings="json").select(columns)
    if not table.schema.equals(schema, check_metadata=False):
        table = table.cast(schema)
    return table.replace_schema_metadata(schema.metadata)


def _ids_in(parts: list[Path]) -> list[str]:
    """The record ids in committed part files (a resumed run does not fetch them again)."""
    if not parts:
        return []
    import pyarrow.parquet as pq

    ids: dict[str, None] = {}
    for part in parts:
        column = pq.read_table(part, columns=["id"]).column("id")
        ids.update(dict.fromkeys(v for v in column.to_pylist() if v is not None))
    return list(ids)


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the OS allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _sink_schema(remote_data: bool) -> tuple[pa.Schema, list[str]]:
    """The file's schema: :func:`~fulfillkit.frames.to_arrow`'s with ``field_mappings``
    as one JSON text column, plus the pandas metadata of the matching ``to_frame``, so
    that ``pd.read_parquet`` restores ``Int64`` and ``string`` as well as ``read_frame``.
    """
    import pyarrow as pa

    from fulfillkit.frames import to_arrow, to_frame

    arrow = to_arrow([], remote_data=remote_data, field_mappings="json").schema
    frame = to_frame([], remote_data=remote_data, field_mappings="json")
    pandas = pa.Schema.from_pandas(frame, preserve_index=False).metadata
    return arrow.with_metadata(pandas), list(arrow.names)


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
