"""What every audit rule reads, computed once per call: :class:`AuditContext`.

The context holds the audited rows (one per tracking number, a row read twice kept once)
and their columns as plain arrays: text as ``string[pyarrow]`` Series over one Arrow array
(so string work runs in Arrow kernels), flags as numpy masks, timestamps as UTC Series.
Rules (:mod:`.checks`) only read it; the few columns that only some rules need (the
cleaned numbers' codes, the check-digit variants, the shipment status) are worked out on
first use and kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fulfillkit.carriers import CARRIER_NAMES, DEFAULT_CARRIERS, CarrierTable, detect_carrier_codes
from fulfillkit.frames import STRING, first_positions, fulfillment_keys
from fulfillkit.reports.carriers import fulfillment_labels, stated_labels
from fulfillkit.reports.text import (
    arrow_text,
    as_text,
    clean_text,
    factorize,
    take_text,
    text_series,
    utc_times,
)

__all__ = ["SEPARATORS", "AuditContext", "Hits", "Settings", "without_separators"]

SEPARATORS: Final = r"[ \t\n\r\f\v-]+"
"""What :mod:`fulfillkit.carriers` strips from a tracking number before detecting it."""


@dataclass(frozen=True)
class Hits:
    """What a rule found: a mask over the audited rows and one detail sentence per hit
    (a string for all of them, or an array aligned with ``mask.nonzero()``)."""

    mask: npt.NDArray[np.bool_]
    detail: str | npt.NDArray[Any] | pd.Series[Any]


@dataclass(frozen=True)
class Settings:
    """The audit's parameters, as the rules read them (see :func:`~fulfillkit.audit`)."""

    now: pd.Timestamp
    max_lag: pd.Timedelta | None
    untracked_days: float
    table: CarrierTable | None


def without_separators(text: pa.Array) -> pa.Array:
    """``text`` without :data:`SEPARATORS` (the kernel ``str.replace`` runs)."""
    return pc.replace_substring_regex(text, SEPARATORS, "")


class AuditContext:
    """Everything the rules share, computed once for one call of the audit.

    Args:
        rows: the audited rows, one per tracking number, a fresh RangeIndex.
        settings: the audit's parameters.
        unparsed: per row, whether its record had timestamp text that did not parse
            (``None``: unknown, the audit was given a frame).
        id_codes: ``pd.factorize`` codes of ``rows["id"]`` as given, when already known.
    """

    def __init__(
        self,
        rows: pd.DataFrame,
        settings: Settings,
        *,
        unparsed: npt.NDArray[np.bool_] | None = None,
        id_codes: npt.NDArray[np.intp] | None = None,
    ) -> None:
        n = len(rows)
        table = settings.table
        self.rows = rows
        self.n = n
        self.settings = settings
        self.now = settings.now
        self.unknown = (table or DEFAULT_CARRIERS).unknown
        self.first_row = first_positions(rows)
        raw_ids = rows.get("id")
        if id_codes is None:
            id_codes = factorize(raw_ids) if raw_ids is not None else np.full(n, -1, np.intp)
        self.ids = clean_text(rows, "id")
        # The ids as given when stripping changed none (the usual case): no second pass.
        codes = id_codes if _unchanged(raw_ids, self.ids) else factorize(self.ids)
        self.key = fulfillment_keys(codes, self.first_row)
        # factorize numbers keys in order of appearance: a row is its fulfillment's first
        # when its key is above every key before it.
        before = np.maximum.accumulate(np.concatenate([[-1], self.key[:-1]]))
        self.first = self.key > before
        number = clean_text(rows, "tracking_number")
        self.number = number
        self.has_number = number.notna().to_numpy(dtype=bool)
        self.clean = text_series(pc.utf8_upper(without_separators(arrow_text(number))))
        self.any_number = np.bincount(self.key, weights=self.has_number)[self.key] > 0
        self.source_url = _source_urls(rows)
        self.has_url = self.source_url.notna().to_numpy(dtype=bool)
        self.stated = as_text(stated_labels(rows, table))
        # The fulfillment's carrier, as carrier_report counts it.
        self.carrier = as_text(fulfillment_labels(rows, "effective", table=table))
        detected = clean_text(rows, "carrier_detected")
        if "carrier_detected" not in rows:
            detected = _names(detect_carrier_codes(number.tolist()))
        self.detected = detected
        self.order = clean_text(rows, "order_id")
        self.created = utc_times(rows, "created_at")
        self.modified = utc_times(rows, "modified_at")
        self.unparsed = unparsed if unparsed is not None else np.zeros(n, dtype=bool)
        self.check_digits: tuple[npt.NDArray[np.bool_], npt.NDArray[Any]] | None = None
        self._number_codes: npt.NDArray[np.intp] | None = None
        self._status: pd.Series[Any] | None = None

    def once(self, mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        """``mask`` on the first row of each fulfillment only."""
        return mask & self.first

    def number_codes(self) -> npt.NDArray[np.intp]:
        """``pd.factorize`` codes of the cleaned numbers (``-1``: no number), shared by
        the rules that compare numbers."""
        if self._number_codes is None:
            self._number_codes = factorize(self.clean)
        return self._number_codes

    def status(self) -> pd.Series[Any]:
        """``shipment_status`` stripped and lower-cased (``NA``: blank or absent)."""
        if self._status is None:
            self._status = clean_text(self.rows, "shipment_status").str.lower()
        return self._status

    def remote_status(
        self, where: npt.NDArray[np.intp], wanted: Iterable[str]
    ) -> npt.NDArray[np.bool_]:
        """Which of the rows ``where`` have a ``remote_data`` whose top-level ``status`` is
        one of ``wanted`` (lower case; compared without case). For the few candidates a
        rule asks about, never every row: an Arrow regex keeps the texts that may say so,
        and only those are parsed as JSON (a nested ``status`` does not count)."""
        out = np.zeros(len(where), dtype=bool)
        if "remote_data" not in self.rows or not len(where):
            return out
        text = take_text(self.rows["remote_data"], where)
        words = "|".join(re.escape(w) for w in wanted)
        maybe = pc.match_substring_regex(text, rf'"status"\s*:\s*"\s*(?i:{words})\s*"')
        hits = np.flatnonzero(pc.fill_null(maybe, False).to_numpy(zero_copy_only=False))
        chosen = set(wanted)
        for i, raw in zip(hits, text.take(pa.array(hits)).to_pylist(), strict=True):
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            status = record.get("status") if isinstance(record, dict) else None
            out[i] = isinstance(status, str) and status.strip().lower() in chosen
        return out


def _unchanged(raw: pd.Series[Any] | None, text: pd.Series[Any]) -> bool:
    """Whether :func:`~fulfillkit.reports.text.clean_text` left every value of ``raw`` as
    it was (so that the factorize codes of one stand for the other)."""
    if raw is None:
        return True
    if raw.dtype != STRING:
        return False
    before, after = arrow_text(raw), arrow_text(text)
    if before.null_count != after.null_count:
        return False
    same = pc.all(pc.equal(before, after)).as_py()
    return same is None or bool(same)


def _names(codes: npt.NDArray[np.int16]) -> pd.Series[Any]:
    labels = np.array([*CARRIER_NAMES, None], dtype=object)
    return pd.Series(labels[codes], dtype=STRING)


def _source_urls(rows: pd.DataFrame) -> pd.Series[Any]:
    """``tracking_url`` as the record gave it. Older frames put a derived URL into
    ``tracking_url`` and flag it with a boolean ``tracking_url_derived``; newer ones keep
    the derived link in ``tracking_url_derived`` (text). Both read right here."""
    url = clean_text(rows, "tracking_url")
    flag = rows.get("tracking_url_derived")
    if flag is not None and pd.api.types.is_bool_dtype(flag.dtype):
        url = url.mask(flag.fillna(False).to_numpy(dtype=bool))
    return url
