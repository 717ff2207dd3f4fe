""":func:`audit`: the rows to audit, the rules that can run on them, the findings frame.

The findings frame is built once at the end, one Arrow ``take`` per column. Which rules ran,
which could not and why, and the parameters used are in its ``attrs``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from fulfillkit.carriers import CarrierTable
from fulfillkit.errors import InvalidDataError
from fulfillkit.frames import (
    RECORD_SCHEMA,
    STRING,
    UnparsedTimestampWarning,
    first_positions,
    frame_from_record_table,
    frame_of,
    records_of,
)
from fulfillkit.frames.records import record_batches
from fulfillkit.models import Fulfillment
from fulfillkit.reports.auditing.context import AuditContext, Hits, Settings
from fulfillkit.reports.auditing.rules import SEVERITIES, AuditRule, Given, select_rules, unmet
from fulfillkit.reports.data import Fulfillments, carrier_needs, check_table, require_columns
from fulfillkit.reports.text import arrow_text, factorize, text_series, texts

__all__ = [
    "AUDIT_COLUMNS",
    "FINDINGS_SCHEMA",
    "AuditSource",
    "RuleNotRunWarning",
    "audit",
    "audit_source",
    "records_source",
]

FINDINGS_SCHEMA: Final[Mapping[str, Any]] = {
    "id": STRING,
    "order_id": STRING,
    "rule": STRING,
    "severity": STRING,
    "carrier": STRING,
    "tracking_number": STRING,
    "detail": STRING,
}
"""Columns of :func:`audit` and their dtypes. ``carrier`` is the fulfillment's effective
carrier (as :func:`~fulfillkit.carrier_report` groups it); ``tracking_number`` is set only
for rules about one number."""

AUDIT_COLUMNS: Final[tuple[str | tuple[str, ...], ...]] = (
    "id",
    "tracking_number",
    ("carrier_canonical", "carrier"),
)
"""What every audit reads: one row per tracking number (``to_frame``'s default) with its
``id`` and stated carrier. Each rule may need more (:attr:`AuditRule.needs`)."""


class RuleNotRunWarning(UserWarning):
    """A rule asked for by name (``rules=[...]``), or whose parameter was given
    (``max_lag``), could not run; the warning says what it needs."""


def audit(
    data: Fulfillments,
    *,
    rules: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    now: datetime | str | None = None,
    max_lag: timedelta | str | None = None,
    untracked_days: float = 7,
    table: CarrierTable | None = None,
) -> pd.DataFrame:
    """Data-quality findings on fulfillments: one row per finding (see
    :data:`~fulfillkit.reports.auditing.RULES`).

    Args:
        data: a :func:`~fulfillkit.to_frame` frame (exploded, the default; optionally with
            :func:`~fulfillkit.join_orders` columns and ``remote_data=True``'s
            ``shipment_status``), a ``BatchResult`` or a list of records (``Fulfillment``
            objects or API dicts), or a store. Records (and a batch, whose records are
            read) also let timestamps that failed to parse be told from missing ones.
            Never modified.
        rules: the rule names to run (default: all).
        exclude: rule names not to run.
        now: the reference time for future timestamps and ``untracked_days`` (default:
            now, UTC).
        max_lag: order-to-fulfillment lag above which ``slow_fulfillment`` fires (a
            ``timedelta`` or a pandas string such as ``"3D"``); without it that rule is not
            run.
        untracked_days: days without tracking before ``untracked_too_long`` fires.
        table: a :class:`~fulfillkit.carriers.CarrierTable` to fold ``carrier`` again.

    Returns:
        A frame with the columns of :data:`FINDINGS_SCHEMA`, sorted by severity (errors
        first), rule order and input order. ``attrs["rules"]``: the rules that ran;
        ``attrs["not_run"]``: ``{rule: reason}`` for the rules asked for that could not
        run (orders not joined, no remote data, a frame instead of records, no
        ``max_lag``, a column missing), which found nothing because they did not look;
        ``attrs["parameters"]``: ``now``, ``max_lag`` and ``untracked_days`` as used.
        A rule named in ``rules`` (or ``slow_fulfillment`` with ``max_lag`` given) that
        cannot run also raises a :class:`RuleNotRunWarning`.

    Raises:
        InvalidDataError: ``data`` is not fulfillments, or a frame without ``id``,
            ``tracking_number`` and the carrier (an ``explode=False`` frame, say).
        ValueError: an unknown rule name or a bad parameter.

    Example:
        >>> from fulfillkit.frames import to_frame
        >>> label = ["1Z999AA10123456784"]
        >>> df = to_frame([
        ...     {"id": "a", "order_id": "o1", "carrier": "UPS", "tracking_numbers": label},
        ...     {"id": "b", "order_id": "o2", "carrier": "UPS", "tracking_numbers": label},
        ... ])
        >>> found = audit(df, rules=["reused_label"])
        >>> found["id"].tolist(), found["detail"][0]
        (['a', 'b'], 'the same number is on 2 different orders')
        >>> audit(df, exclude=["slow_fulfillment"]).attrs["not_run"]["shipment_failed"][:18]
        'needs remote data:'
    """
    selected = select_rules(rules, exclude)
    settings = Settings(
        now=_utc(now),
        max_lag=_lag(max_lag),
        untracked_days=_days(untracked_days),
        table=check_table(table, what="audit"),
    )
    rows, unparsed, id_codes = audit_rows(data, table)
    given = Given(
        columns=frozenset(str(c) for c in rows.columns),
        records=unparsed is not None,
        parameters=frozenset({"max_lag"} if max_lag is not None else ()),
    )
    ran: list[AuditRule] = []
    not_run: dict[str, str] = {}
    for rule in selected:
        reasons = unmet(rule, given)
        if reasons:
            not_run[rule.name] = "; ".join(reasons)
        else:
            ran.append(rule)
    findings = _findings(AuditContext(rows, settings, unparsed=unparsed, id_codes=id_codes), ran)
    findings.attrs["rules"] = [rule.name for rule in ran]
    findings.attrs["not_run"] = not_run
    findings.attrs["parameters"] = {
        "now": settings.now.isoformat(),
        "max_lag": None if settings.max_lag is None else str(settings.max_lag),
        "untracked_days": settings.untracked_days,
    }
    asked = set(rules or ()) | ({"slow_fulfillment"} if max_lag is not None else set())
    for name, reason in not_run.items():
        if name in asked:
            warnings.warn(f"audit rule {name} not run: {reason}", RuleNotRunWarning, stacklevel=2)
    return findings


@dataclass(frozen=True, eq=False)
class AuditSource:
    """Fulfillments built once into the rows :func:`audit` reads, to be read again without
    a second build: the frame (its ``to_frame()``, so every report takes it too) and, when
    it was built from records, per row whether the record's timestamp text could not be
    parsed (``None`` for a frame or a store: not known)."""

    frame: pd.DataFrame
    unparsed: npt.NDArray[np.bool_] | None = None

    def to_frame(self) -> pd.DataFrame:
        """The frame, as it is (not copied)."""
        return self.frame


def audit_source(data: object, *, what: str = "audit", warn: bool = False) -> AuditSource:
    """``data`` built into what :func:`audit` reads: records (and a batch's records) through
    the record table, with their unparsed-timestamp flags; anything else by the one data
    rule. ``warn``: emit the one :class:`~fulfillkit.frames.UnparsedTimestampWarning`
    ``to_frame`` would (the audit itself reports those records as findings)."""
    if isinstance(data, AuditSource):
        return data
    records = records_of(data, what=what)
    inner = getattr(data, "fulfillments", None)
    if records is None and isinstance(inner, list):  # a BatchResult: audit its records
        records = records_of(inner, what=what)
    if records is None:
        return AuditSource(frame_of(data, what=what))
    return records_source(records, warn=warn)


def audit_rows(
    data: object, table: CarrierTable | None = None
) -> tuple[pd.DataFrame, npt.NDArray[np.bool_] | None, npt.NDArray[np.intp] | None]:
    """The rows :func:`audit` reads (one per tracking number, a row read twice kept once, a
    fresh index), checked for :data:`AUDIT_COLUMNS`; for records, which rows had timestamp
    text that failed to parse (``None`` for a frame: not known); and the factorize codes of
    their ``id`` as given. ``data`` may be an :class:`AuditSource` built already."""
    source = audit_source(data)
    rows, unparsed = source.frame, source.unparsed
    if unparsed is None and "tracking_numbers" in rows and "tracking_number" not in rows:
        raise InvalidDataError(
            "audit needs one row per tracking number: pass to_frame(...) without "
            "explode=False, a BatchResult or the records"
        )
    require_columns(rows, carrier_needs(table, what="audit", needs=AUDIT_COLUMNS), what="audit")
    codes = factorize(rows["id"])
    if "tracking_index" in rows:  # a row read twice counts once
        position = factorize(rows["tracking_index"]) + 1
        pair = codes.astype(np.int64) * (int(np.max(position, initial=0)) + 1) + position
        again = pd.Series(pair).duplicated().to_numpy(dtype=bool) & (codes >= 0)
        if again.any():
            # Each id's first row is never a repeat: the codes keep their numbering.
            rows, codes = rows[~again], codes[~again]
            unparsed = None if unparsed is None else unparsed[~again]
    return rows.reset_index(drop=True), unparsed, codes


def _findings(ctx: AuditContext, selected: list[AuditRule]) -> pd.DataFrame:
    """Run the rules; one row per hit, sorted by severity, rule order and row.

    The frame is built once at the end: the hits of every rule (rows ascending) are laid
    end to end in output order, and each column is one Arrow ``take`` of its source."""
    found: list[tuple[int, int, npt.NDArray[np.intp], pa.Array]] = []
    for rank, rule in enumerate(selected):
        hits = rule.check(ctx)
        where = np.flatnonzero(hits.mask)
        if len(where):
            found.append((SEVERITIES.index(rule.severity), rank, where, _details(hits, where)))
    if not found:
        return _empty()
    found.sort(key=lambda part: part[:2])
    where = np.concatenate([part[2] for part in found])
    which = np.repeat([rank for _, rank, _, _ in found], [len(part[2]) for part in found])
    about = np.array([rule.about_number for rule in selected])[which]
    rows = pa.array(where)
    columns = {
        "id": arrow_text(ctx.ids).take(rows),
        "order_id": arrow_text(ctx.order).take(rows),
        "rule": texts([rule.name for rule in selected]).take(pa.array(which)),
        "severity": texts([rule.severity for rule in selected]).take(pa.array(which)),
        "carrier": arrow_text(ctx.carrier).take(rows),
        "tracking_number": arrow_text(ctx.number).take(pa.array(where, mask=~about)),
        "detail": pa.concat_arrays([part[3] for part in found]),
    }
    return pd.DataFrame({name: text_series(values) for name, values in columns.items()})


def _details(hits: Hits, where: npt.NDArray[np.intp]) -> pa.Array:
    """The ``detail`` of each hit as Arrow text: one sentence repeated, or the rule's
    array (converted as ``astype(string)`` would)."""
    detail = hits.detail
    if isinstance(detail, str):
        return texts([detail]).take(pa.array(np.zeros(len(where), dtype=np.intp)))
    if isinstance(detail, pd.Series) and detail.dtype == STRING:
        return arrow_text(detail)
    values = pd.array(np.asarray(detail, dtype=object), dtype=STRING)
    return arrow_text(pd.Series(values))


def _empty() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=t) for name, t in FINDINGS_SCHEMA.items()})


def _utc(when: datetime | str | None) -> pd.Timestamp:
    """``when`` as a UTC timestamp (naive read as UTC); now when ``None``."""
    if when is None:
        return pd.Timestamp.now(tz="UTC")
    try:
        stamp = pd.Timestamp(when)
    except (ValueError, TypeError):
        stamp = None
    if stamp is None or pd.isna(stamp):
        raise ValueError(f"now must be a datetime or ISO 8601 text, got {when!r}")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _lag(value: timedelta | str | None) -> pd.Timedelta | None:
    if value is None:
        return None
    try:
        lag = pd.Timedelta(value)
    except (ValueError, TypeError):
        lag = None
    if lag is None or pd.isna(lag):
        raise ValueError(
            f"max_lag must be a timedelta or text such as '3D' or '36h', got {value!r}"
        )
    return lag


def _days(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"untracked_days must be a number of days, 0 or more, got {value!r}")
    if math.isinf(value):
        raise ValueError("untracked_days must be finite")
    return float(value)


def records_source(
    records: list[Fulfillment | Mapping[str, Any]], *, warn: bool = False
) -> AuditSource:
    """What :func:`audit` reads of records checked already (``records_of``): their
    exploded frame, laid out from their record table, and per row its record's
    ``unparsed_timestamps``; the frame's
    :class:`~fulfillkit.frames.UnparsedTimestampWarning` only when ``warn``."""
    _, batches = record_batches(records, None)
    table = pa.Table.from_batches(batches, schema=RECORD_SCHEMA)
    if warn:
        frame = frame_from_record_table(table)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnparsedTimestampWarning)  # reported as findings
            frame = frame_from_record_table(table)
    bad = np.asarray(table.column("unparsed_timestamps").to_numpy(), dtype=np.bool_)
    return AuditSource(frame, bad[np.cumsum(first_positions(frame)) - 1])
