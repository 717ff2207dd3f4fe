"""Derived columns: canonical and detected carrier, mismatch, tracking page, shipment status;
and the one "one row per fulfillment" rule for frames.

Everything here is *derived*: it sits in its own column named as such, never in a source
column. The carrier columns are computed on small integer codes: the canonical name once
per distinct ``carrier`` spelling, the detected carrier once per number (vectorised in
:func:`fulfillkit.carriers.detect_carrier_codes`), the mismatch and URL template from
(canonical, detected) lookup tables; URLs are joined by Arrow.

Example:
    >>> import pandas as pd
    >>> df = pd.DataFrame({"id": ["a", "a", "b", "a"], "tracking_index": [0, 1, 0, 0]})
    >>> per_fulfillment(df)["id"].tolist()
    ['a', 'b']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fulfillkit.carriers import (
    CARRIER_NAMES,
    COMPATIBLE,
    OTHER,
    CarrierTable,
    detect_carrier_codes,
    format_tracking_url,
)
from fulfillkit.frames.schema import ARROW_STRING

__all__ = [
    "SHIPMENT_STATUS_GROUPS",
    "Derived",
    "derive_carriers",
    "first_positions",
    "first_rows",
    "fulfillment_keys",
    "per_fulfillment",
    "shipment_statuses",
]

SHIPMENT_STATUS_GROUPS: Final[Mapping[str, frozenset[str]]] = {
    "delivered": frozenset({"delivered"}),
    "in_transit": frozenset(
        {"confirmed", "in_transit", "out_for_delivery", "ready_for_pickup", "picked_up"}
    ),
    "failure": frozenset({"failure", "attempted_delivery", "error"}),
}
"""How :func:`fulfillkit.reports.carrier_report` groups ``shipment_status`` values; the rest
(``label_printed``, ``label_purchased``, ``cancelled``, unknown) is in no group."""
_STATUS_FALLBACK: Final = ("cancelled", "error", "failure")
_STATUS_FIELDS: Final = pa.struct([("shipment_status", pa.string()), ("status", pa.string())])
_DETECTED_LABELS: Final = pa.array(CARRIER_NAMES, type=ARROW_STRING)


@dataclass(frozen=True)
class Derived:
    """The derived carrier columns of every exploded row (tracking position).

    ``row_record`` maps a row to its record; ``detected`` is an index into
    :data:`~fulfillkit.carriers.CARRIER_NAMES` (``-1``: none); ``urls`` is the derived
    tracking page per row (null where none is derived).
    """

    canonical_labels: pa.Array
    canonical_of_record: npt.NDArray[np.intp]
    row_record: npt.NDArray[np.intp]
    detected: npt.NDArray[np.int16]
    mismatch: npt.NDArray[np.bool_]
    urls: pa.Array

    def row_columns(self) -> dict[str, pa.Array]:
        """The four columns, one value per exploded row."""
        return {
            "carrier_canonical": self.canonical_labels.take(
                pa.array(self.canonical_of_record[self.row_record])
            ),
            "carrier_detected": _labels(self.detected),
            "carrier_mismatch": pa.array(self.mismatch, type=pa.bool_()),
            "tracking_url_derived": self.urls,
        }

    def record_columns(self, n: int) -> dict[str, pa.Array]:
        """The four columns per record: first detected carrier, mismatch on any number, first
        derived tracking page."""
        return {
            "carrier_canonical": self.canonical_labels.take(pa.array(self.canonical_of_record)),
            "carrier_detected": _labels(self._first(self.detected >= 0, self.detected, n)),
            "carrier_mismatch": pa.array(
                np.bincount(self.row_record[self.mismatch], minlength=n)[:n] > 0, type=pa.bool_()
            ),
            "tracking_url_derived": self.urls.take(
                pa.array(self._first(self.urls.is_valid(), np.arange(len(self.urls)), n))
            ),
        }

    def _first(
        self, found: pa.Array | npt.NDArray[np.bool_], values: npt.NDArray[Any], n: int
    ) -> pa.Array:
        """Per record, ``values`` at its first row where ``found``; null when there is none."""
        found = np.asarray(found, dtype=np.bool_)
        out = np.full(n, -1, dtype=np.int64)
        records, first = np.unique(self.row_record[found], return_index=True)
        out[records] = values[found][first]
        return pa.array(out, mask=out < 0)


def _labels(codes: npt.NDArray[np.integer[Any]] | pa.Array) -> pa.Array:
    indices = codes if isinstance(codes, pa.Array) else pa.array(codes, mask=codes < 0)
    return _DETECTED_LABELS.take(indices.cast(pa.int64()))


def derive_carriers(
    carriers: pa.Array,
    numbers: pa.Array,
    urls: pa.Array,
    number_pos: npt.NDArray[np.intp],
    url_pos: npt.NDArray[np.intp],
    row_record: npt.NDArray[np.intp],
    table: CarrierTable,
    templates: Mapping[str, str],
) -> Derived:
    """Canonical and detected carrier, mismatch and derived URLs for every exploded row.

    ``numbers`` / ``urls`` are the flattened tracking lists; ``number_pos`` / ``url_pos``
    give each row's position in them (``-1``: none); ``row_record`` each row's record.
    """
    encoded = pc.dictionary_encode(carriers)
    names = [table.canonical(u) for u in encoded.dictionary.to_pylist()] + [table.unknown]
    codes = encoded.indices.fill_null(len(names) - 1).to_numpy()
    canonical_of_record = np.asarray(codes, dtype=np.intp)
    canonical_rows = canonical_of_record[row_record]
    flat_codes = np.append(_detect_once_per_number(numbers), np.int16(-1))
    detected = flat_codes[number_pos]  # position -1 (no number) picks the appended -1

    mismatch_table, template_table, template_list = _lookup_tables(names, table, templates)
    mismatch = mismatch_table[canonical_rows, detected]
    chosen = template_table[canonical_rows, detected]
    # A position lacks a URL when its list is shorter, or holds null or blank text there.
    has_url = np.append(_non_blank(urls), False)[url_pos]
    candidates = np.flatnonzero((number_pos >= 0) & ~has_url & (chosen >= 0))
    derived = _format_urls(
        template_list, chosen[candidates], numbers.take(pa.array(number_pos[candidates]))
    )
    layout = np.full(len(row_record), -1, dtype=np.intp)
    layout[candidates] = np.arange(len(candidates))
    return Derived(
        pa.array(names, type=ARROW_STRING),
        canonical_of_record,
        row_record,
        detected,
        mismatch,
        derived.take(pa.array(layout, mask=layout < 0)),
    )


def _detect_once_per_number(numbers: pa.Array) -> npt.NDArray[np.int16]:
    """:func:`~fulfillkit.carriers.detect_carrier_codes` run once per distinct number (a
    number repeats when fulfillments share a shipment, or pages overlap)."""
    encoded = pc.dictionary_encode(numbers)
    if len(encoded.dictionary) == len(numbers):
        return detect_carrier_codes(numbers)
    codes = np.append(detect_carrier_codes(encoded.dictionary), np.int16(-1))
    indices = np.asarray(encoded.indices.fill_null(-1).to_numpy(), dtype=np.intp)
    return codes[indices]


def _lookup_tables(
    names: list[str], table: CarrierTable, templates: Mapping[str, str]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.intp], list[str]]:
    """(canonical, detected) -> mismatch, and -> index of the URL template to use (``-1``:
    none). The last detected column is "nothing detected"."""
    unknown = {table.unknown, OTHER}
    mismatch_table = np.zeros((len(names), len(CARRIER_NAMES) + 1), dtype=np.bool_)
    template_table = np.full((len(names), len(CARRIER_NAMES) + 1), -1, dtype=np.intp)
    template_index: dict[str, int] = {}
    for k, name in enumerate(names):
        for d, found in enumerate((*CARRIER_NAMES, None)):
            if found is not None and name not in unknown and name != found:
                mismatch_table[k, d] = name not in COMPATIBLE.get(found, ())
            template = templates.get(name) or (templates.get(found) if found else None)
            if template is not None:
                template_table[k, d] = template_index.setdefault(template, len(template_index))
    return mismatch_table, template_table, list(template_index)


def _format_urls(templates: list[str], chosen: npt.NDArray[np.intp], numbers: pa.Array) -> pa.Array:
    """``templates[chosen[i]]`` filled with ``numbers[i]`` (null for a blank number). Plain
    letters-and-digits numbers (nearly all) are joined in Arrow; the rest go through
    :func:`~fulfillkit.carriers.format_tracking_url`."""
    if len(numbers) == 0:
        return pa.array([], type=ARROW_STRING)
    plain = pc.fill_null(pc.match_substring_regex(numbers, "^[0-9A-Za-z]+$"), False)
    heads = pa.array([template.partition("{}")[0] for template in templates], type=ARROW_STRING)
    tails = pa.array([template.partition("{}")[2] for template in templates], type=ARROW_STRING)
    which = pa.array(chosen)
    joined = pc.binary_join_element_wise(heads.take(which), numbers, tails.take(which), "")
    urls = pc.if_else(plain, joined, pa.scalar(None, ARROW_STRING))
    others = np.flatnonzero(~np.asarray(plain.to_numpy(zero_copy_only=False), dtype=np.bool_))
    if not len(others):
        return urls
    listed: list[Any] = urls.to_pylist()
    for i in others.tolist():
        listed[i] = format_tracking_url(templates[chosen[i]], numbers[i].as_py())
    return pa.array(listed, type=ARROW_STRING)


def _non_blank(values: pa.Array) -> npt.NDArray[np.bool_]:
    """Which values are text with something besides whitespace."""
    blank = pc.or_(pc.equal(pc.binary_length(values), 0), pc.utf8_is_space(values))
    present = pc.fill_null(pc.invert(blank), False)
    return np.asarray(present.to_numpy(zero_copy_only=False), dtype=np.bool_)


def shipment_statuses(raws: Sequence[Any]) -> pa.Array:
    """Shopify's ``shipment_status`` from each ``remote_data``, lower-case with ``_`` for
    spaces and hyphens (``"In Transit"`` -> ``in_transit``). When it is null or blank, the
    fulfillment's own ``status`` is used if it says the shipment will not happen
    (``cancelled``, ``error``, ``failure``); otherwise null.

    Example:
        >>> shipment_statuses([{"shipment_status": "In Transit"}, {"status": "cancelled"},
        ...                    {"status": "success"}, None]).to_pylist()
        ['in_transit', 'cancelled', None, None]
    """
    try:
        fields = pa.array(raws, type=_STATUS_FIELDS, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # not dicts, or not text inside
        fields = pa.array(
            [_status_fields(raw) for raw in raws], type=_STATUS_FIELDS, from_pandas=True
        )
    shipment = _normalise(fields.field("shipment_status"))
    fallback = _normalise(fields.field("status"))
    fallback = pc.if_else(
        pc.is_in(fallback, value_set=pa.array(_STATUS_FALLBACK)),
        fallback,
        pa.scalar(None, ARROW_STRING),
    )
    return pc.coalesce(shipment, fallback)


def _status_fields(raw: Any) -> dict[str, str | None] | None:
    """The two text fields of a ``remote_data`` that is not a plain dict of text; a value
    that is present but not text gives no status at all (no fallback)."""
    if not isinstance(raw, Mapping):
        return None
    value, status = raw.get("shipment_status"), raw.get("status")
    if value is not None and not isinstance(value, str):
        return {"shipment_status": None, "status": None}
    return {"shipment_status": value, "status": status if isinstance(status, str) else None}


def _normalise(values: pa.Array) -> pa.Array:
    """Lower case, hyphens and runs of whitespace as one ``_``, trimmed; empty -> null."""
    text = pc.utf8_lower(pc.replace_substring(values, "-", " "))
    text = pc.replace_substring_regex(pc.utf8_trim_whitespace(text), r"\s+", "_")
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, ARROW_STRING), text)


def first_positions(df: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Mask of the rows that start a record in an exploded frame: ``tracking_index`` 0, or
    ``NA`` (a fulfillment without tracking numbers). Every row of a wide frame starts one.
    Unlike :func:`first_rows`, a record read twice starts twice."""
    if "tracking_index" not in df:
        return np.ones(len(df), dtype=np.bool_)
    index = df["tracking_index"]
    return (index.isna() | (index == 0)).fillna(True).to_numpy(dtype=np.bool_, copy=True)


def fulfillment_keys(
    id_codes: npt.NDArray[np.intp], first_row: npt.NDArray[np.bool_]
) -> npt.NDArray[np.intp]:
    """One key per fulfillment for each row of an exploded frame, numbered from 0 in order
    of appearance. ``id_codes`` are the rows' ``pd.factorize`` codes of ``id`` (``-1``: no
    id), ``first_row`` is :func:`first_positions`. Rows with an id share its key; rows
    without one: each run starting at a first row is one fulfillment.

    Example:
        >>> codes = np.array([0, 0, -1, -1, -1])
        >>> fulfillment_keys(codes, np.array([True, False, True, False, True])).tolist()
        [0, 0, 1, 1, 2]
    """
    if not len(id_codes) or np.min(id_codes) >= 0:
        return id_codes  # factorize codes: already numbered in order of appearance
    raw = np.where(id_codes >= 0, id_codes, -np.cumsum(first_row, dtype=np.int64))
    return np.asarray(pd.factorize(raw)[0], dtype=np.intp)


def first_rows(df: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Mask of one row per fulfillment: the first tracking position of each
    (:func:`first_positions`), and the first time each ``id`` occurs (frames concatenated
    twice, pages that overlap). Rows without an ``id`` are all kept."""
    keep = first_positions(df)
    if "id" in df:
        ids = df["id"]
        again = pd.Series(ids.to_numpy()[keep]).duplicated().to_numpy(dtype=np.bool_)
        again = again & ids.notna().to_numpy(dtype=np.bool_)[keep]
        keep[np.flatnonzero(keep)[again]] = False
    return keep


def per_fulfillment(df: pd.DataFrame) -> pd.DataFrame:
    """One row per fulfillment of a :func:`~fulfillkit.to_frame` frame, exploded or not: the
    rows :func:`first_rows` keeps, with their index. The one implementation of this rule for
    reports, plots and the explorer."""
    return df[first_rows(df)]
