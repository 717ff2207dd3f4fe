"""Summaries of fulfillment frames: the carrier report.

:func:`carrier_report` works on what :func:`fulfillkit.frames.to_frame` returns, exploded (one
row per tracking position) or not (``explode=False``), on what
:func:`fulfillkit.frames.read_frame` reads back, and on a ``BatchResult``, a store or a list
of records (:mod:`fulfillkit.reports.data`). Each fulfillment counts once, however many rows
it has.

Example:
    >>> from fulfillkit.frames import to_frame
    >>> df = to_frame([
    ...     {"id": "a", "carrier": "UPS", "tracking_numbers": ["1Z1", "1Z2"], "tracking_urls": []},
    ...     {"id": "b", "carrier": " ups", "tracking_numbers": None},
    ...     {"id": "c", "carrier": None, "tracking_numbers": ["X"], "tracking_urls": ["https://x"]},
    ... ])
    >>> report = carrier_report(df)
    >>> report.index.tolist(), report["fulfillments"].tolist()
    (['UPS', 'Unknown'], [2, 1])
    >>> report["tracking_number_count"].tolist(), report["share_with_tracking"].tolist()
    ([2, 1], [0.5, 1.0])
"""

from __future__ import annotations

import json
from typing import Any, Final, Literal, NamedTuple, get_args

import numpy as np
import pandas as pd
import pyarrow as pa

from fulfillkit.carriers import DEFAULT_CARRIERS, OTHER, CarrierTable, detect_carriers
from fulfillkit.errors import InvalidDataError
from fulfillkit.formatting import minute, percent
from fulfillkit.frames import (
    INT,
    SHIPMENT_STATUS_GROUPS,
    STRING,
    TIMESTAMP,
    first_positions,
    fulfillment_keys,
)
from fulfillkit.reports.data import Fulfillments, carrier_frame
from fulfillkit.reports.text import text_chunks

__all__ = [
    "CARRIER_CHOICES",
    "REPORT_SCHEMA",
    "STATUS_REPORT_SCHEMA",
    "CarrierChoice",
    "carrier_labels",
    "carrier_report",
    "check_carrier_choice",
    "format_carrier_report",
    "fulfillment_labels",
    "fulfillment_rows",
    "stated_labels",
]

CarrierChoice = Literal["stated", "detected", "effective"]
"""Which carrier a report groups by: ``"stated"`` (the record's ``carrier`` folded to its
canonical name), ``"detected"`` (the carrier the tracking number's format and check digit
name) or ``"effective"`` (the stated canonical carrier, else the detected one)."""
CARRIER_CHOICES: Final[dict[str, str]] = {
    "stated": "the carrier the record states, folded to its canonical name",
    "detected": "the carrier detected from the tracking number",
    "effective": "the stated carrier, else the one detected from the tracking number",
}
"""Every :data:`CarrierChoice` and the sentence reports print to say which one they used."""

REPORT_SCHEMA: Final = {
    "fulfillments": INT,
    "tracking_number_count": INT,
    "share_with_tracking": pd.Float64Dtype(),
    "share_with_url": pd.Float64Dtype(),
    "first_created_at": TIMESTAMP,
    "last_created_at": TIMESTAMP,
}
"""Columns of :func:`carrier_report` and their dtypes; the index is ``carrier`` (string)."""

STATUS_REPORT_SCHEMA: Final = {
    "share_delivered": pd.Float64Dtype(),
    "share_in_transit": pd.Float64Dtype(),
    "share_failure": pd.Float64Dtype(),
}
"""Columns :func:`carrier_report` adds when the frame has ``shipment_status`` (from
``to_frame(..., remote_data=True)``); groups in :data:`fulfillkit.frames.SHIPMENT_STATUS_GROUPS`."""
_STATUS_SHARES: Final = {
    "share_delivered": "delivered",
    "share_in_transit": "in_transit",
    "share_failure": "failure",
}


def check_carrier_choice(carrier: str) -> CarrierChoice:
    """``carrier`` if it is one of :data:`CARRIER_CHOICES`, else a ``ValueError``."""
    if carrier not in get_args(CarrierChoice):
        raise ValueError(f"carrier must be 'stated', 'detected' or 'effective', got {carrier!r}")
    choice: CarrierChoice = carrier  # type: ignore[assignment]
    return choice


def carrier_labels(
    data: Fulfillments,
    carrier: CarrierChoice = "effective",
    *,
    table: CarrierTable | None = None,
) -> pd.Series[Any]:
    """The carrier of every row of ``data``'s frame as a report groups it (a ``string``
    Series, never ``NA``; same index as the frame). ``data`` is what
    :func:`carrier_report` takes.

    ``"stated"``: ``carrier_canonical`` (or ``carrier`` folded by ``table``);
    ``"detected"``: ``carrier_detected`` (detected again from ``tracking_number`` when the
    frame lacks it), ``Unknown`` when nothing is detected; ``"effective"``: the stated one
    unless it is ``Unknown`` or ``Other``, then the detected one when there is one. Rows of
    one fulfillment can differ (one per tracking number): reports take the fulfillment's
    first non-missing value.

    Example:
        >>> from fulfillkit.frames import to_frame
        >>> df = to_frame([{"id": "a", "tracking_numbers": ["1Z999AA10123456784"]}])
        >>> [carrier_labels(df, c).iloc[0] for c in ("stated", "detected", "effective")]
        ['Unknown', 'UPS', 'UPS']
    """
    choice = check_carrier_choice(carrier)
    df = carrier_frame(data, what="carrier_labels", table=table)
    unknown = (table or DEFAULT_CARRIERS).unknown
    stated = stated_labels(df, table)
    if choice == "stated":
        return stated
    detected = _detected(df)
    if choice == "detected":
        return detected.fillna(unknown).rename("carrier")
    vague = stated.isin([unknown, OTHER]).to_numpy(dtype=bool) & detected.notna().to_numpy()
    return stated.mask(vague, detected).astype(STRING).rename("carrier")


def fulfillment_labels(
    data: Fulfillments,
    carrier: CarrierChoice = "effective",
    *,
    table: CarrierTable | None = None,
) -> pd.Series[Any]:
    """Like :func:`carrier_labels`, but every row carries its *fulfillment's* carrier, the
    one :func:`carrier_report` counts it under (the first of its rows that names one), so
    that filtering rows by carrier keeps fulfillments whole.

    Example:
        >>> from fulfillkit.frames import to_frame
        >>> df = to_frame([{"id": "a", "tracking_numbers": ["X1", "1Z999AA10123456784"]}])
        >>> fulfillment_labels(df).tolist(), carrier_labels(df).tolist()
        (['UPS', 'UPS'], ['Unknown', 'UPS'])
    """
    choice = check_carrier_choice(carrier)
    df = carrier_frame(data, what="fulfillment_labels", table=table)
    n = len(df)
    ids = df["id"] if "id" in df else pd.Series(pd.NA, index=df.index, dtype=STRING)
    first_row = first_positions(df)
    key = fulfillment_keys(np.asarray(pd.factorize(ids)[0], dtype=np.intp), first_row)
    labels, fallback = _labels_and_fallback(df, choice, table)
    # Per fulfillment, its first labelled row (np.unique gives first occurrences); a row
    # takes that row's label, else its own fallback (stored after the labels).
    labelled = np.flatnonzero(labels.notna().to_numpy(dtype=bool))
    keys, first = np.unique(key[labelled], return_index=True)
    per_key = np.full(int(np.max(key, initial=-1)) + 1, -1, dtype=np.int64)
    per_key[keys] = labelled[first]
    picked = per_key[key] if n else np.array([], dtype=np.int64)
    chosen = np.where(picked >= 0, picked, n + np.arange(n, dtype=np.int64))
    both = pa.chunked_array(text_chunks(labels) + text_chunks(fallback), type=pa.large_string())
    array = pd.arrays.ArrowStringArray(both.take(pa.array(chosen)))
    return pd.Series(array, index=df.index, name="carrier", dtype=STRING)


def stated_labels(df: pd.DataFrame, table: CarrierTable | None = None) -> pd.Series[Any]:
    """The stated carrier of every row of a frame, folded: ``carrier_canonical``, or
    ``carrier`` folded by ``table`` (the default table when the frame has no
    ``carrier_canonical``). Never ``NA``; same index as ``df``."""
    if table is None and "carrier_canonical" in df:
        labels = df["carrier_canonical"].astype(STRING).fillna(DEFAULT_CARRIERS.unknown)
    else:
        source = df["carrier"] if "carrier" in df else pd.Series(pd.NA, index=df.index)
        labels = (table or DEFAULT_CARRIERS).canonical_series(source)
    return labels.rename("carrier")


def _detected(df: pd.DataFrame) -> pd.Series[Any]:
    if "carrier_detected" in df:
        return df["carrier_detected"].astype(STRING)
    if "tracking_number" in df:
        return detect_carriers(df["tracking_number"])
    return pd.Series(pd.NA, index=df.index, dtype=STRING)


def carrier_report(
    data: Fulfillments,
    *,
    table: CarrierTable | None = None,
    carrier: CarrierChoice = "effective",
) -> pd.DataFrame:
    """One row per canonical carrier: volumes, tracking coverage, time span, and delivery
    outcomes when the frame has them.

    ``data`` is a :func:`~fulfillkit.to_frame` frame (exploded or not, or read back with
    :func:`~fulfillkit.read_frame`), a ``BatchResult``, a store or a list of records
    (``Fulfillment`` objects or API dicts); anything else, or a frame without ``id``, the
    tracking numbers and the carrier, raises :class:`~fulfillkit.errors.InvalidDataError` saying
    what to pass.

    ``carrier=`` picks the carrier a fulfillment counts under (see :func:`carrier_labels`):
    ``"effective"`` (default) is the stated canonical carrier, else the one its tracking
    number names, so a fulfillment whose merchant left the carrier blank but whose number is
    a valid UPS number counts as UPS, not ``Unknown``; ``"stated"`` uses only the record's
    ``carrier``, ``"detected"`` only the number. The choice is in ``report.attrs["carrier"]``.
    Stated carriers are the frame's ``carrier_canonical`` column (what
    :func:`~fulfillkit.to_frame` derives); pass ``table=`` to fold ``carrier`` again with
    another :class:`~fulfillkit.carriers.CarrierTable`. Frames without ``carrier_canonical``
    (older exports) are folded with the default table: ``"ups"`` and ``" UPS "`` are
    ``UPS``, every DHL service is ``DHL``, null and unrecognised names are ``Unknown``.

    Columns:
        ``fulfillments``: distinct fulfillments (``Int64``);
        ``tracking_number_count``: non-blank tracking numbers of those fulfillments
        (``Int64``);
        ``share_with_tracking``: share of fulfillments with at least one tracking number;
        ``share_with_url``: share with at least one tracking URL *as the record gave it*
        (URLs that ``to_frame`` derived do not count; both ``Float64``, 0..1);
        ``first_created_at`` / ``last_created_at``: earliest and latest ``created_at``;
        with a ``shipment_status`` column, ``share_delivered`` (``delivered``),
        ``share_in_transit`` (``confirmed``, ``in_transit``, ``out_for_delivery``,
        ``ready_for_pickup``, ``picked_up``) and ``share_failure`` (``failure``,
        ``attempted_delivery``, ``error``): shares of *all* the carrier's fulfillments, so
        a status that is missing or in no group (``label_printed``, ``cancelled``) counts in
        none of them and the three need not add up to 1.

    Rows are sorted by ``fulfillments``, largest first (ties by name). A fulfillment is its
    ``id``; repeated rows of one id (pages that overlap, frames concatenated twice) count
    once. Rows without an id count as one fulfillment per ``tracking_index`` 0 / ``NA`` row.

    Example:
        >>> from fulfillkit.frames import to_frame
        >>> carrier_report(to_frame([{"id": "a", "carrier": "DHL Express"}])).index.tolist()
        ['DHL']
        >>> df = to_frame([{"id": "a", "carrier": "UPS", "remote_data": {"shipment_status":
        ...     "delivered"}}, {"id": "b", "carrier": "ups", "remote_data": {}}], remote_data=True)
        >>> carrier_report(df)[["share_delivered", "share_failure"]].to_dict("records")
        [{'share_delivered': 0.5, 'share_failure': 0.0}]
    """
    choice = check_carrier_choice(carrier)
    df = carrier_frame(data, what="carrier_report", table=table)
    per = fulfillment_rows(df, carrier=choice, table=table)
    labels = per["label"]
    has_number = per["numbers"] > 0
    values = {
        "numbers": per["numbers"],
        "has_number": has_number.astype(np.float64),
        "has_url": per["has_url"].astype(np.float64),
        "created_at": per["created_at"],
    }
    with_status = "status" in per
    if with_status:
        status = per["status"].astype(object).to_numpy()
        for column, group in _STATUS_SHARES.items():
            members = SHIPMENT_STATUS_GROUPS[group]
            values[column] = pd.Series(
                [s in members for s in status], index=per.index, dtype=np.float64
            )
    grouped = pd.DataFrame(values).groupby(labels.to_numpy(dtype=object), sort=False)
    report = pd.DataFrame(
        {
            "fulfillments": grouped.size().astype(INT),
            "tracking_number_count": grouped["numbers"].sum().astype(INT),
            "share_with_tracking": grouped["has_number"].mean().astype("Float64"),
            "share_with_url": grouped["has_url"].mean().astype("Float64"),
            "first_created_at": grouped["created_at"].min().astype(TIMESTAMP),
            "last_created_at": grouped["created_at"].max().astype(TIMESTAMP),
        }
    )
    if with_status:
        for column in _STATUS_SHARES:
            report[column] = grouped[column].mean().astype("Float64")
    if report.empty:
        schema = {**REPORT_SCHEMA, **(STATUS_REPORT_SCHEMA if with_status else {})}
        report = pd.DataFrame({name: pd.Series(dtype=t) for name, t in schema.items()})
    report.index = pd.Index(report.index.astype(object), dtype=STRING, name="carrier")
    order = np.lexsort((report.index.to_numpy(dtype=object), -report["fulfillments"].to_numpy()))
    report = report.iloc[order]
    report.attrs["carrier"] = choice
    return report


def format_carrier_report(report: pd.DataFrame) -> str:
    """The report as a plain-text table for a terminal: shares in %, dates to the minute.

    Example:
        >>> from fulfillkit.frames import to_frame
        >>> report = carrier_report(to_frame([{"id": "a", "carrier": "UPS"}]))
        >>> format_carrier_report(report).splitlines()[1].split()
        ['UPS', '1', '0', '0.0%', '0.0%', '-', '-']
    """
    if not isinstance(report, pd.DataFrame) or set(REPORT_SCHEMA) - set(report.columns):
        raise InvalidDataError(
            "format_carrier_report takes the frame carrier_report(...) returns; got "
            + (
                f"a frame with columns {list(report.columns)[:8]}"
                if isinstance(report, pd.DataFrame)
                else type(report).__name__
            )
        )
    shown = pd.DataFrame(
        {
            "fulfillments": report["fulfillments"],
            "tracking_numbers": report["tracking_number_count"],
            "with_tracking": report["share_with_tracking"].map(percent),
            "with_url": report["share_with_url"].map(percent),
            "first_created_at": report["first_created_at"].map(minute),
            "last_created_at": report["last_created_at"].map(minute),
        },
        index=report.index,
    )
    for column in STATUS_REPORT_SCHEMA:
        if column in report:
            shown[column.removeprefix("share_")] = report[column].map(percent)
    return shown.reset_index().to_string(index=False)


def fulfillment_rows(
    df: pd.DataFrame,
    *,
    carrier: CarrierChoice = "effective",
    table: CarrierTable | None = None,
) -> pd.DataFrame:
    """One row per fulfillment of a frame that has
    :data:`~fulfillkit.reports.data.CARRIER_COLUMNS`, as :func:`carrier_report` and the
    plots count them: ``label`` (its carrier, as :func:`carrier_labels` with ``carrier``
    gives it: the first non-missing value of its rows), ``created_at``,
    ``numbers`` (count of non-blank tracking numbers) and ``has_url`` (a URL the record
    gave), plus ``status`` when the frame has ``shipment_status``; from an exploded or a
    wide frame."""
    ids = df["id"] if "id" in df else pd.Series(pd.NA, index=df.index, dtype=STRING)
    created = (
        df["created_at"]
        if "created_at" in df
        else pd.Series(pd.NaT, index=df.index, dtype=TIMESTAMP)
    )
    extra = {"label": _row_labels(df, carrier, table).to_numpy(dtype=object)}
    if carrier == "effective":  # no number names a carrier: the stated Unknown / Other
        extra["fallback"] = stated_labels(df, table).to_numpy(dtype=object)
    if "shipment_status" in df:
        extra["status"] = df["shipment_status"].to_numpy(dtype=object)
    rows = _RowColumns(ids, created, extra)
    if "tracking_index" in df or "tracking_number" in df:
        per = _per_fulfillment_exploded(df, rows)
    else:
        per = _per_fulfillment_wide(df, rows)
    fallback = per.pop("fallback") if "fallback" in per else (table or DEFAULT_CARRIERS).unknown
    per["label"] = per["label"].fillna(fallback).astype(STRING)
    return per


class _RowColumns(NamedTuple):
    """What :func:`fulfillment_rows` takes from every row, whatever the frame's shape:
    the id, ``created_at``, and further columns (``label``, ...) to keep per fulfillment."""

    ids: pd.Series[Any]
    created: pd.Series[Any]
    extra: dict[str, np.ndarray[Any, Any]]


def _per_fulfillment_wide(df: pd.DataFrame, rows: _RowColumns) -> pd.DataFrame:
    ids, created, extra = rows
    numbers = np.array([_count_json(v) for v in df["tracking_numbers"]], dtype=np.int64)
    urls = df["tracking_urls"] if "tracking_urls" in df else pd.Series(pd.NA, index=df.index)
    has_url = np.array([_count_json(v) > 0 for v in urls], dtype=bool)
    per = pd.DataFrame(
        {
            "created_at": created.reset_index(drop=True),
            "numbers": numbers,
            "has_url": has_url,
            **extra,
        }
    )
    duplicate = ids.duplicated().to_numpy() & ids.notna().to_numpy()
    return per[~duplicate].reset_index(drop=True)


def _row_labels(
    df: pd.DataFrame, carrier: CarrierChoice, table: CarrierTable | None
) -> pd.Series[Any]:
    """:func:`carrier_labels` with ``NA`` on the rows whose number names no carrier, so
    that taking a fulfillment's first non-missing label picks a number that does."""
    return _labels_and_fallback(df, carrier, table)[0]


def _labels_and_fallback(
    df: pd.DataFrame, carrier: CarrierChoice, table: CarrierTable | None
) -> tuple[pd.Series[Any], pd.Series[Any]]:
    """:func:`_row_labels`, and per row the label a fulfillment with no labelled row gets
    (its stated carrier for ``"effective"``, ``Unknown`` for ``"detected"``); the stated
    and detected carriers are worked out once."""
    unknown = (table or DEFAULT_CARRIERS).unknown
    stated = stated_labels(df, table)
    if carrier == "stated":
        return stated, stated
    detected = _detected(df)
    if carrier == "detected":
        constant = pd.Series(unknown, index=df.index, dtype=STRING)
        return detected.rename("carrier"), constant
    vague = stated.isin([unknown, OTHER]).to_numpy(dtype=bool)
    return stated.where(~vague, detected).astype(STRING).rename("carrier"), stated


def _per_fulfillment_exploded(df: pd.DataFrame, rows: _RowColumns) -> pd.DataFrame:
    ids, created, extra = rows
    index = (
        df["tracking_index"]
        if "tracking_index" in df
        else pd.Series(pd.NA, index=df.index, dtype=INT)
    )
    # The same (id, position) twice is the same fulfillment read twice: keep it once.
    keep = ~(pd.DataFrame({"id": ids, "i": index}).duplicated().to_numpy() & ids.notna().to_numpy())
    first_row = first_positions(df)
    codes = np.asarray(pd.factorize(ids)[0], dtype=np.intp)  # -1 for a missing id
    key = fulfillment_keys(codes, first_row)[keep]
    numbers = _present(df.get("tracking_number"), df.index)[keep]
    urls = _present(df.get("tracking_url"), df.index)  # Panora's own (derived ones are apart)
    grouped = pd.DataFrame(
        {
            "created_at": created[keep].reset_index(drop=True),
            "numbers": numbers.astype(np.int64),
            "has_url": urls[keep],
            **{name: values[keep] for name, values in extra.items()},
        }
    ).groupby(key, sort=False)
    return pd.DataFrame(
        {
            "created_at": grouped["created_at"].min(),
            "numbers": grouped["numbers"].sum(),
            "has_url": grouped["has_url"].any(),
            **{name: grouped[name].first() for name in extra},
        }
    ).reset_index(drop=True)


def _present(column: pd.Series[Any] | None, index: pd.Index) -> np.ndarray[Any, Any]:
    """Which cells hold a non-blank value."""
    if column is None:
        return np.zeros(len(index), dtype=bool)
    text = column.astype(STRING)
    return (text.notna() & (text.str.strip() != "")).fillna(False).to_numpy(dtype=bool)


def _count_json(value: Any) -> int:
    """Non-blank entries of a JSON list kept as text by ``to_frame(explode=False)``."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return 0
    items = json.loads(value) if isinstance(value, str) else value
    if not isinstance(items, list):
        items = [items]
    return sum(1 for v in items if v is not None and str(v).strip())
