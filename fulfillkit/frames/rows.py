"""Where each row of an exploded frame comes from: its record and its tracking position.

A fulfillment with ``n = max(len(tracking_numbers), len(tracking_urls))`` tracking positions
gives ``n`` rows (one when ``n`` is 0). :class:`TrackingRows` works that out from the two
``list<string>`` columns of a record table, on their offsets alone, so that every other
column is laid out on the rows with one ``take``.

Example:
    >>> import pyarrow as pa
    >>> lists = pa.list_(pa.string())
    >>> rows = TrackingRows.of(pa.array([["A", "B"], None], lists), pa.array([["u"], []], lists))
    >>> rows.row_record.tolist(), rows.number_pos.tolist(), rows.url_pos.tolist()
    ([0, 0, 1], [0, 1, -1], [0, -1, -1])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["TrackingRows"]


@dataclass(frozen=True)
class TrackingRows:
    """Where every row comes from: its record, and its position in the flattened number
    and URL lists (``-1``: the list is shorter). One row per tracking position, one for a
    record without any; ``starts`` is each record's first row, ``counts`` each record's
    number of positions (``0`` without tracking)."""

    n_records: int
    counts: npt.NDArray[np.int64]
    starts: npt.NDArray[np.int64]
    row_record: npt.NDArray[np.intp]
    positions: npt.NDArray[np.int64]
    number_pos: npt.NDArray[np.intp]
    url_pos: npt.NDArray[np.intp]

    @classmethod
    def of(cls, numbers: pa.Array, urls: pa.Array) -> TrackingRows:
        """The rows of records with these tracking lists (null lists count as empty)."""
        number_lengths = _lengths(numbers)
        url_lengths = _lengths(urls)
        counts = np.maximum(number_lengths, url_lengths)
        rows = np.maximum(counts, 1)
        n_rows = int(rows.sum())
        starts = np.cumsum(rows) - rows
        return cls(
            n_records=len(counts),
            counts=counts,
            starts=starts,
            row_record=np.repeat(np.arange(len(counts), dtype=np.intp), rows),
            positions=np.arange(n_rows, dtype=np.int64) - np.repeat(starts, rows),
            number_pos=_spread_positions(number_lengths, starts, n_rows),
            url_pos=_spread_positions(url_lengths, starts, n_rows),
        )

    def rows(self, explode: bool) -> pa.Array | None:
        """The record of every row, for ``take``; ``None`` when rows are records."""
        if not explode or len(self.row_record) == self.n_records:
            return None
        return pa.array(self.row_record)

    def tracking_columns(self, numbers: pa.Array, urls: pa.Array) -> dict[str, pa.Array]:
        """``tracking_index``, ``tracking_number``, ``tracking_url`` from the flattened
        lists."""
        no_tracking = np.repeat(self.counts == 0, np.maximum(self.counts, 1))
        return {
            "tracking_index": pa.array(self.positions, mask=no_tracking),
            "tracking_number": numbers.take(_indices(self.number_pos)),
            "tracking_url": urls.take(_indices(self.url_pos)),
        }


def _lengths(lists: pa.Array) -> npt.NDArray[np.int64]:
    lengths = pc.fill_null(pc.list_value_length(lists), 0)
    return np.asarray(lengths.to_numpy(), dtype=np.int64)


def _indices(positions: npt.NDArray[np.intp]) -> pa.Array:
    return pa.array(positions, mask=positions < 0)


def _spread_positions(
    lengths: npt.NDArray[np.int64], starts: npt.NDArray[np.int64], n_rows: int
) -> npt.NDArray[np.intp]:
    """Per row, the index into the flattened values of its record (laid out from the
    record's first row, ``starts``), or ``-1`` past the end of the record's list."""
    offsets = np.cumsum(lengths) - lengths
    total = int(lengths.sum())
    positions = np.full(n_rows, -1, dtype=np.intp)
    positions[np.repeat(starts - offsets, lengths) + np.arange(total)] = np.arange(total)
    return positions
