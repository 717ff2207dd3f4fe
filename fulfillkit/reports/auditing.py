"""Data-quality audit of fulfillments: one row per finding, for an operations team to fix.

:func:`audit` runs a table of rules (:data:`RULES`, one :class:`AuditRule` each: name,
severity, description, function) over a :func:`~fulfillkit.to_frame` frame, or over
records (then unparseable timestamps can be told apart from missing ones). Every rule is a
few column operations over the whole frame (Arrow kernels, numpy), never Python code per
row; the one exception is ``url_missing_number``'s "is this row's number in that row's
URL", which Arrow has no kernel for: ``operator.contains`` mapped over the two columns.
The findings frame is built once, one Arrow ``take`` per column. 100,000 fulfillments are
audited in about half a second (``benchmarks/bench_audit.py``). The input is never
modified.

Carrier validation is not written again here: the detected carrier, the mismatch and the
check digits come from :mod:`fulfillkit.carriers` (``carrier_detected``,
:func:`~fulfillkit.carriers.detect_carrier_codes`), tracking pages from
:func:`~fulfillkit.carriers.tracking_url`.

=========================== ======== ==============================================================
rule                        severity what it finds
=========================== ======== ==============================================================
``no_tracking``             warning  a fulfillment without any tracking number
``no_tracking_url``         info     a number without a URL from the record and none derivable
``bad_check_digit``         error    a number in its stated carrier's format, wrong check digit
``unknown_format``          warning  stated UPS/USPS/FedEx, the number matches none of its formats
``unrecognised_number``     info     a number no known format matches (carrier not checkable)
``carrier_mismatch``        warning  the stated carrier differs from the number's carrier
``reused_label``            error    one tracking number on fulfillments of different orders
``duplicate_number``        warning  one tracking number twice in one fulfillment
``url_missing_number``      warning  a tracking URL that does not contain its number
``url_other_carrier``       warning  a tracking URL on another carrier's domain
``modified_before_created`` error    ``modified_at`` earlier than ``created_at``
``future_timestamp``        error    ``created_at`` / ``modified_at`` in the future
``unparseable_timestamp``   error    timestamp text that could not be parsed (records only)
``missing_timestamp``       info     no ``created_at`` / ``modified_at``
``no_order``                warning  a fulfillment without ``order_id``
``created_before_order``    error    created before its order (orders joined)
``slow_fulfillment``        warning  order-to-fulfillment lag above ``max_lag`` (orders joined)
``shipment_failed``         warning  ``shipment_status`` ``failure`` / ``attempted_delivery``
``untracked_too_long``      error    still no tracking ``untracked_days`` after creation
=========================== ======== ==============================================================

The last two need ``shipment_status`` (``to_frame(..., remote_data=True)``); the order rules
need :func:`~fulfillkit.join_orders` columns; rules whose columns are absent find nothing.

Example:
    >>> from fulfillkit.frames import to_frame
    >>> df = to_frame([
    ...     {"id": "a", "order_id": "o1", "carrier": "UPS",
    ...      "tracking_numbers": ["1Z999AA10123456785"]},
    ...     {"id": "b", "order_id": None, "carrier": "UPS", "tracking_numbers": []},
    ... ])
    >>> found = audit(df, exclude=["missing_timestamp"])
    >>> for finding in found[["id", "rule", "severity"]].values.tolist():
    ...     print(*finding)
    a bad_check_digit error
    b no_tracking warning
    b no_order warning
"""

from __future__ import annotations

import operator
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal, cast
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fulfillkit.carriers import (
    CARRIER_NAMES,
    COMPATIBLE,
    DEFAULT_CARRIERS,
    OTHER,
    TRACKING_URL_TEMPLATES,
    CarrierTable,
    detect_carrier_codes,
    tracking_url,
)
from fulfillkit.frames import (
    STRING,
    UnparsedTimestampWarning,
    first_positions,
    fulfillment_keys,
    to_frame,
)
from fulfillkit.models import Fulfillment
from fulfillkit.reports.carriers import _stated, _text_chunks, fulfillment_labels

__all__ = [
    "FINDINGS_SCHEMA",
    "FULLY_CHECKED",
    "RULES",
    "SEVERITIES",
    "AuditRule",
    "audit",
    "audit_summary",
    "rule_names",
]

Severity = Literal["error", "warning", "info"]
SEVERITIES: Final[tuple[Severity, ...]] = ("error", "warning", "info")
"""Severities, worst first (the order findings are sorted in)."""

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

FULLY_CHECKED: Final = frozenset({"UPS", "USPS", "FedEx"})
"""Carriers every one of whose tracking number formats :mod:`fulfillkit.carriers` knows: a
number stated as theirs that matches none is ``unknown_format``. Other carriers' numbers
that match nothing (DHL eCommerce, a domestic PostNL number, ...) are only
``unrecognised_number`` (info)."""

FUTURE_TOLERANCE: Final = pd.Timedelta(minutes=5)
"""Clock skew allowed before a timestamp counts as in the future."""

_ARROW: Final = pd.StringDtype("pyarrow")  # working text: string ops run in Arrow, not Python
_SEPARATORS: Final = r"[ \t\n\r\f\v-]+"  # what fulfillkit.carriers strips before detecting
_HOST: Final = r"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^/?#:]+)"
_DOMAIN: Final = r"([^.]+\.(?:(?:com?|org|net|gov|ac)\.[a-z]{2}|[^.]+))\.?$"
_FAILED: Final = ("failure", "attempted_delivery")


@dataclass(frozen=True)
class Hits:
    """What a rule found: a mask over the audited rows and one detail sentence per hit
    (a string for all of them, or an array aligned with ``mask.nonzero()``)."""

    mask: npt.NDArray[np.bool_]
    detail: str | npt.NDArray[Any] | pd.Series[Any]


@dataclass(frozen=True)
class AuditRule:
    """One row of the rule table: ``check(ctx)`` returns the :class:`Hits`.

    ``about_number``: the finding names the row's tracking number (else it is about the
    fulfillment and fires once per fulfillment).
    """

    name: str
    severity: Severity
    description: str
    check: Callable[[_Context], Hits]
    about_number: bool = True


class _Context:
    """Everything the rules share, computed once: the deduplicated exploded rows and
    their derived columns as plain arrays (text as ``string[pyarrow]`` Series over one
    Arrow array, flags as numpy masks)."""

    def __init__(
        self,
        rows: pd.DataFrame,
        *,
        now: pd.Timestamp,
        max_lag: pd.Timedelta | None,
        untracked_days: float,
        table: CarrierTable | None,
        unparsed: npt.NDArray[np.bool_] | None,
        id_codes: npt.NDArray[np.intp] | None = None,
    ) -> None:
        n = len(rows)
        self.rows = rows
        self.n = n
        self.now = now
        self.max_lag = max_lag
        self.untracked_days = untracked_days
        self.unknown = (table or DEFAULT_CARRIERS).unknown
        self.first_row = first_positions(rows)
        raw_ids = rows.get("id")
        if id_codes is None:
            id_codes = _factorize(raw_ids) if raw_ids is not None else np.full(n, -1, np.intp)
        self.ids = _text(rows, "id")
        # The ids as given when stripping changed none (the usual case): no second pass.
        codes = id_codes if _unchanged(raw_ids, self.ids) else _factorize(self.ids)
        self.key = fulfillment_keys(codes, self.first_row)
        # factorize numbers keys in order of appearance: a row is its fulfillment's first
        # when its key is above every key before it.
        before = np.maximum.accumulate(np.concatenate([[-1], self.key[:-1]]))
        self.first = self.key > before
        number = _text(rows, "tracking_number")
        self.number = number
        self.has_number = number.notna().to_numpy(dtype=bool)
        self.clean = _series(pc.utf8_upper(_without_separators(_arrow(number))))
        self.any_number = np.bincount(self.key, weights=self.has_number)[self.key] > 0
        self.source_url = _source_urls(rows)
        self.has_url = self.source_url.notna().to_numpy(dtype=bool)
        self.stated = _as_text(_stated(rows, table))
        # The fulfillment's carrier, as carrier_report counts it.
        self.carrier = _as_text(fulfillment_labels(rows, "effective", table=table))
        detected = _text(rows, "carrier_detected")
        if "carrier_detected" not in rows:
            detected = _names(detect_carrier_codes(number.tolist()))
        self.detected = detected
        self.order = _text(rows, "order_id")
        self.created = _time(rows, "created_at")
        self.modified = _time(rows, "modified_at")
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
            self._number_codes = _factorize(self.clean)
        return self._number_codes

    def status(self) -> pd.Series[Any]:
        """``shipment_status`` stripped and lower-cased (``NA``: blank or absent)."""
        if self._status is None:
            self._status = _text(self.rows, "shipment_status").str.lower()
        return self._status


def _factorize(values: pd.Series[Any]) -> npt.NDArray[np.intp]:
    codes, _ = pd.factorize(values)
    return np.asarray(codes, dtype=np.intp)


def _unchanged(raw: pd.Series[Any] | None, text: pd.Series[Any]) -> bool:
    """Whether :func:`_text` left every value of ``raw`` as it was (so that the factorize
    codes of one stand for the other)."""
    if raw is None:
        return True
    if raw.dtype != _ARROW:
        return False
    before, after = _arrow(raw), _arrow(text)
    if before.null_count != after.null_count:
        return False
    same = pc.all(pc.equal(before, after)).as_py()
    return same is None or bool(same)


def _arrow(text: pd.Series[Any]) -> pa.Array:
    """The Arrow ``large_string`` array behind a ``string[pyarrow]`` Series (chunks, if
    any, combined)."""
    return pa.chunked_array(_text_chunks(text), type=pa.large_string()).combine_chunks()


def _series(array: pa.Array) -> pd.Series[Any]:
    """A ``string[pyarrow]`` Series (fresh RangeIndex) over an Arrow text array."""
    return pd.Series(pd.arrays.ArrowStringArray(array))


def _as_text(values: pd.Series[Any]) -> pd.Series[Any]:
    """``values`` as a ``string[pyarrow]`` Series with a fresh RangeIndex."""
    text = values if values.dtype == _ARROW else values.astype(_ARROW)
    return text.reset_index(drop=True)


def _without_separators(text: pa.Array) -> pa.Array:
    """``text`` without :data:`_SEPARATORS` (the kernel ``str.replace`` runs)."""
    return pc.replace_substring_regex(text, _SEPARATORS, "")


def _na(n: int, dtype: Any) -> pd.Series[Any]:
    series: pd.Series[Any] = pd.Series(pd.NA, index=pd.RangeIndex(n), dtype=dtype)
    return series


def _text(rows: pd.DataFrame, column: str) -> pd.Series[Any]:
    """A text column stripped, blank as ``NA`` (all ``NA`` when the frame lacks it)."""
    if column not in rows:
        return _na(len(rows), _ARROW)
    text = pc.utf8_trim_whitespace(_arrow(rows[column].astype(_ARROW)))
    return _series(pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text))


def _time(rows: pd.DataFrame, column: str) -> pd.Series[Any]:
    if column not in rows:
        return pd.Series(pd.NaT, index=pd.RangeIndex(len(rows)), dtype="datetime64[us, UTC]")
    return pd.to_datetime(rows[column], utc=True).reset_index(drop=True)


def _names(codes: npt.NDArray[np.int16]) -> pd.Series[Any]:
    labels = np.array([*CARRIER_NAMES, None], dtype=object)
    return pd.Series(labels[codes], dtype=_ARROW)


def _source_urls(rows: pd.DataFrame) -> pd.Series[Any]:
    """``tracking_url`` as the record gave it. Older frames put a derived URL into
    ``tracking_url`` and flag it with a boolean ``tracking_url_derived``; newer ones keep
    the derived link in ``tracking_url_derived`` (text). Both read right here."""
    url = _text(rows, "tracking_url")
    flag = rows.get("tracking_url_derived")
    if flag is not None and pd.api.types.is_bool_dtype(flag.dtype):
        url = url.mask(flag.fillna(False).to_numpy(dtype=bool))
    return url


# --- the rules ------------------------------------------------------------------------------


def _no_tracking(ctx: _Context) -> Hits:
    return Hits(ctx.once(~ctx.any_number), "no tracking number")


def _no_tracking_url(ctx: _Context) -> Hits:
    derivable = _derivable(ctx.stated) | _derivable(ctx.detected)
    mask = ctx.has_number & ~ctx.has_url & ~derivable
    return Hits(mask, "no tracking URL, and none can be derived for " + ctx.carrier[mask])


def _derivable(carriers: pd.Series[Any]) -> npt.NDArray[np.bool_]:
    """Whether :func:`~fulfillkit.carriers.tracking_url` gives a page for each carrier:
    asked once per distinct name."""
    text = _arrow(carriers)
    names = pc.unique(text).drop_null().to_pylist()
    pages = _texts([name for name in names if tracking_url(name, "0") is not None])
    return np.asarray(pc.is_in(text, value_set=pages).to_numpy(zero_copy_only=False), bool)


def _check_digits(ctx: _Context) -> tuple[npt.NDArray[np.bool_], npt.NDArray[Any]]:
    """Numbers not detected whose stated carrier is one the detector knows: which of them
    a different check digit would make valid for that carrier (and that digit).

    Each candidate is tried with the ten digits in its check position (the last character;
    the 11th of a 13-character UPU S10 number) through the one detector of
    :mod:`fulfillkit.carriers`: no carrier rule is written twice."""
    if ctx.check_digits is not None:
        return ctx.check_digits
    checkable = ctx.stated.isin(CARRIER_NAMES).to_numpy(dtype=bool)
    candidates = np.flatnonzero(ctx.has_number & ctx.detected.isna().to_numpy() & checkable)
    hit = np.zeros(ctx.n, dtype=bool)
    expected = np.full(ctx.n, "", dtype=object)
    if not len(candidates):
        ctx.check_digits = hit, expected
        return hit, expected
    clean = ctx.clean.iloc[candidates]
    s10 = (clean.str.len() == 13) & clean.str[-2:].str.isalpha()
    head = clean.str[:-1].where(~s10, clean.str[:10])
    tail = pd.Series("", index=clean.index, dtype=STRING).where(~s10, clean.str[11:])
    # The ten variants of every candidate, digit by digit, as one Arrow column: no list.
    variants = pa.concat_arrays([_arrow(head + str(d) + tail) for d in range(10)])
    codes = detect_carrier_codes(cast(Sequence[Any], pd.arrays.ArrowStringArray(variants)))
    found = codes.reshape(10, len(candidates))
    wanted = ctx.stated.iloc[candidates]
    ok = np.zeros(found.shape, dtype=bool)
    for code in np.unique(found[found >= 0]).tolist():
        name = CARRIER_NAMES[code]
        friends = [name, *COMPATIBLE.get(name, ())]
        ok |= (found == code) & wanted.isin(friends).to_numpy(dtype=bool)
    good = ok.any(axis=0)
    hit[candidates[good]] = True
    expected[candidates[good]] = ok.argmax(axis=0)[good].astype(str)
    ctx.check_digits = hit, expected
    return hit, expected


def _bad_check_digit(ctx: _Context) -> Hits:
    hit, expected = _check_digits(ctx)
    detail = (
        ("the check digit is wrong for a " + ctx.stated[hit] + " number (it would be ")
        + pd.Series(expected[hit], dtype=STRING).to_numpy()
        + ")"
    )
    return Hits(hit, detail)


def _unknown_format(ctx: _Context) -> Hits:
    hit, _ = _check_digits(ctx)
    checkable = ctx.stated.isin(FULLY_CHECKED).to_numpy(dtype=bool)
    mask = ctx.has_number & ctx.detected.isna().to_numpy() & checkable & ~hit
    return Hits(mask, "matches none of " + ctx.stated[mask] + "'s tracking number formats")


def _unrecognised_number(ctx: _Context) -> Hits:
    hit, _ = _check_digits(ctx)
    checkable = ctx.stated.isin(FULLY_CHECKED).to_numpy(dtype=bool)
    mask = ctx.has_number & ctx.detected.isna().to_numpy() & ~checkable & ~hit
    return Hits(mask, "no known carrier format matches (stated carrier: " + ctx.stated[mask] + ")")


def _carrier_mismatch(ctx: _Context) -> Hits:
    if "carrier_mismatch" in ctx.rows:
        flags = ctx.rows["carrier_mismatch"].fillna(False).to_numpy(dtype=bool)
    else:
        flags = np.zeros(ctx.n, dtype=bool)
    mask = flags & ctx.has_number & ctx.detected.notna().to_numpy()
    detail = "stated " + ctx.stated[mask] + ", but the number is a " + ctx.detected[mask]
    return Hits(mask, detail + " number")


def _reused_label(ctx: _Context) -> Hits:
    usable = ctx.has_number & ctx.order.notna().to_numpy()
    number = ctx.number_codes()
    order, orders = pd.factorize(ctx.order[usable])  # only the usable rows: fewer to hash
    pairs = pd.unique(number[usable].astype(np.int64) * (len(orders) + 1) + order)
    per_number = np.bincount(pairs // (len(orders) + 1), minlength=int(number.max(initial=0)) + 1)
    count = np.where(usable, per_number[number], 0)
    mask = usable & (count > 1)
    return Hits(mask, "the same number is on " + count[mask].astype(str) + " different orders")


def _duplicate_number(ctx: _Context) -> Hits:
    number = ctx.number_codes()
    pair = ctx.key.astype(np.int64) * (int(number.max(initial=0)) + 2) + number + 1
    mask = ctx.has_number & pd.Series(pair).duplicated().to_numpy()
    return Hits(mask, "listed more than once in this fulfillment")


def _url_missing_number(ctx: _Context) -> Hits:
    both = np.flatnonzero(ctx.has_number & ctx.has_url)
    url = _arrow(ctx.source_url).take(pa.array(both))
    number = _arrow(ctx.clean).take(pa.array(both))
    # A clean number (it has no separators) found in the upper-cased URL as given stays
    # there once the URL's separators are dropped. Only the URLs where it was not found,
    # or with a "%20" (dropping it could cut into the number), are normalised and read again.
    found = _contained(number, pc.utf8_upper(url))
    found &= ~pc.match_substring(url, "%20").to_numpy(zero_copy_only=False)
    again = np.flatnonzero(~found)
    text = pc.replace_substring(url.take(pa.array(again)), "%20", "")
    found[again] = _contained(
        number.take(pa.array(again)), pc.utf8_upper(_without_separators(text))
    )
    missing = np.zeros(ctx.n, dtype=bool)
    missing[both[~found]] = True
    return Hits(missing, "the tracking URL does not contain the number")


def _contained(needle: pa.Array, haystack: pa.Array) -> npt.NDArray[np.bool_]:
    """Whether each ``needle`` is in the ``haystack`` of its row (no nulls). Arrow has no
    kernel for a pattern per row: Python's own substring search over the two lists."""
    found = map(operator.contains, haystack.to_pylist(), needle.to_pylist())
    return np.fromiter(found, dtype=bool, count=len(needle))


def _carrier_domains(templates: Mapping[str, str] = TRACKING_URL_TEMPLATES) -> dict[str, str]:
    """Registered domain of each carrier's tracking page -> carrier."""
    out: dict[str, str] = {}
    for name, template in templates.items():
        host = urlsplit(template).hostname or ""
        found = re.search(_DOMAIN, host)
        if found:
            out.setdefault(found.group(1), name)
    return out


def _owner(prefix: str, domains: Mapping[str, str]) -> str | None:
    host = re.search(_HOST, prefix)
    domain = re.search(_DOMAIN, host.group(1).lower()) if host else None
    return domains.get(domain.group(1)) if domain else None


def _url_other_carrier(ctx: _Context) -> Hits:
    domains = _carrier_domains()
    # Few distinct hosts: parse the text before the path once per distinct prefix.
    prefix = ctx.source_url.str.replace(r"^([^/]*//[^/?#]*).*$", r"\1", regex=True)
    codes, uniques = pd.factorize(prefix)
    owners = [_owner(str(u), domains) for u in uniques] + [None]
    owner = pd.Series(np.array(owners, dtype=object)[codes], dtype=_ARROW)
    carrier = ctx.carrier
    mask = (owner.notna() & ~carrier.isin([ctx.unknown, OTHER])).to_numpy(dtype=bool)
    mask = mask & (owner != carrier).fillna(False).to_numpy(dtype=bool)
    for name, friends in COMPATIBLE.items():  # a postal network's own partners
        pair = ((owner == name) & carrier.isin(friends)) | ((carrier == name) & owner.isin(friends))
        mask = mask & ~pair.fillna(False).to_numpy(dtype=bool)
    return Hits(mask, "the tracking URL is " + owner[mask] + "'s, the carrier is " + carrier[mask])


def _modified_before_created(ctx: _Context) -> Hits:
    mask = ctx.once((ctx.modified < ctx.created).fillna(False).to_numpy(dtype=bool))
    return Hits(mask, "modified_at is before created_at")


def _future_timestamp(ctx: _Context) -> Hits:
    limit = ctx.now + FUTURE_TOLERANCE
    created = (ctx.created > limit).fillna(False).to_numpy(dtype=bool)
    modified = (ctx.modified > limit).fillna(False).to_numpy(dtype=bool)
    return _which_timestamp(
        ctx.once(created | modified),
        created,
        modified,
        both="created_at and modified_at are in the future",
        created_only="created_at is in the future",
        modified_only="modified_at is in the future",
    )


def _unparseable_timestamp(ctx: _Context) -> Hits:
    return Hits(ctx.once(ctx.unparsed), "created_at or modified_at could not be parsed")


def _missing_timestamp(ctx: _Context) -> Hits:
    created = ctx.created.isna().to_numpy()
    modified = ctx.modified.isna().to_numpy()
    return _which_timestamp(
        ctx.once((created | modified) & ~ctx.unparsed),
        created,
        modified,
        both="no created_at and no modified_at",
        created_only="no created_at",
        modified_only="no modified_at",
    )


def _which_timestamp(
    mask: npt.NDArray[np.bool_],
    created: npt.NDArray[np.bool_],
    modified: npt.NDArray[np.bool_],
    *,
    both: str,
    created_only: str,
    modified_only: str,
) -> Hits:
    """Hits on ``mask`` whose detail says which timestamp is at fault (``created`` /
    ``modified``: where each one is)."""
    found_created, found_modified = created[mask], modified[mask]
    detail = np.where(
        found_created & found_modified,
        both,
        np.where(found_created, created_only, modified_only),
    )
    return Hits(mask, detail)


def _no_order(ctx: _Context) -> Hits:
    return Hits(ctx.once(ctx.order.isna().to_numpy()), "no order_id")


def _created_before_order(ctx: _Context) -> Hits:
    order_created = _time(ctx.rows, "order_created_at")
    mask = ctx.once((ctx.created < order_created).fillna(False).to_numpy(dtype=bool))
    return Hits(mask, "created before its order")


def _slow_fulfillment(ctx: _Context) -> Hits:
    if ctx.max_lag is None or "order_created_at" not in ctx.rows:
        return Hits(np.zeros(ctx.n, dtype=bool), "")
    lag = ctx.created - _time(ctx.rows, "order_created_at")
    mask = ctx.once((lag > ctx.max_lag).fillna(False).to_numpy(dtype=bool))
    hours = (lag[mask].dt.total_seconds() / 3600).round(1).astype(str).to_numpy(dtype=object)
    return Hits(mask, "created " + hours + f" h after its order (limit {ctx.max_lag})")


def _shipment_failed(ctx: _Context) -> Hits:
    status = ctx.status()
    mask = ctx.once(status.isin(_FAILED).to_numpy(dtype=bool))
    return Hits(mask, "shipment_status is " + status[mask])


def _untracked_too_long(ctx: _Context) -> Hits:
    if "shipment_status" not in ctx.rows:
        return Hits(np.zeros(ctx.n, dtype=bool), "")
    age = ctx.now - ctx.created
    late = (age > pd.Timedelta(days=ctx.untracked_days)).fillna(False).to_numpy(dtype=bool)
    delivered = (ctx.status() == "delivered").fillna(False).to_numpy(dtype=bool)
    mask = ctx.once(late & ~ctx.any_number & ~delivered)
    days = (age[mask].dt.total_seconds() // 86400).astype(int).astype(str).to_numpy(dtype=object)
    return Hits(mask, "still no tracking number " + days + " days after it was created")


RULES: Final[tuple[AuditRule, ...]] = (
    AuditRule(
        "no_tracking", "warning", "The fulfillment has no tracking number.", _no_tracking, False
    ),
    AuditRule(
        "no_tracking_url",
        "info",
        "A tracking number with no URL from the record, and no tracking page fulfillkit can "
        "derive for its stated or detected carrier.",
        _no_tracking_url,
    ),
    AuditRule(
        "bad_check_digit",
        "error",
        "The number has its stated carrier's format but a wrong check digit: a typo.",
        _bad_check_digit,
    ),
    AuditRule(
        "unknown_format",
        "warning",
        "The stated carrier is UPS, USPS or FedEx (whose every format fulfillkit knows), and "
        "the number matches none of its formats.",
        _unknown_format,
    ),
    AuditRule(
        "unrecognised_number",
        "info",
        "No known carrier format matches the number (any stated carrier but UPS, USPS and "
        "FedEx: a format fulfillkit does not know, such as DHL eCommerce's).",
        _unrecognised_number,
    ),
    AuditRule(
        "carrier_mismatch",
        "warning",
        "The stated carrier differs from the carrier the number belongs to.",
        _carrier_mismatch,
    ),
    AuditRule(
        "reused_label",
        "error",
        "The same tracking number is on fulfillments of different orders.",
        _reused_label,
    ),
    AuditRule(
        "duplicate_number",
        "warning",
        "The same tracking number is listed twice in one fulfillment.",
        _duplicate_number,
    ),
    AuditRule(
        "url_missing_number",
        "warning",
        "The record's tracking URL does not contain its tracking number.",
        _url_missing_number,
    ),
    AuditRule(
        "url_other_carrier",
        "warning",
        "The record's tracking URL is on another carrier's domain.",
        _url_other_carrier,
    ),
    AuditRule(
        "modified_before_created",
        "error",
        "modified_at is earlier than created_at.",
        _modified_before_created,
        False,
    ),
    AuditRule(
        "future_timestamp",
        "error",
        "created_at or modified_at is in the future.",
        _future_timestamp,
        False,
    ),
    AuditRule(
        "unparseable_timestamp",
        "error",
        "created_at or modified_at is text that could not be parsed (found when auditing "
        "records; in a frame it is already missing).",
        _unparseable_timestamp,
        False,
    ),
    AuditRule(
        "missing_timestamp",
        "info",
        "created_at or modified_at is missing.",
        _missing_timestamp,
        False,
    ),
    AuditRule("no_order", "warning", "The fulfillment has no order_id.", _no_order, False),
    AuditRule(
        "created_before_order",
        "error",
        "The fulfillment was created before its order (orders joined).",
        _created_before_order,
        False,
    ),
    AuditRule(
        "slow_fulfillment",
        "warning",
        "The lag from order to fulfillment is above max_lag (orders joined, max_lag given).",
        _slow_fulfillment,
        False,
    ),
    AuditRule(
        "shipment_failed",
        "warning",
        "shipment_status is failure or attempted_delivery (remote data).",
        _shipment_failed,
        False,
    ),
    AuditRule(
        "untracked_too_long",
        "error",
        "Still no tracking number untracked_days after creation (remote data).",
        _untracked_too_long,
        False,
    ),
)
"""The rule table, in the order findings of equal severity are listed."""

_BY_NAME: Final = {rule.name: rule for rule in RULES}


def rule_names() -> list[str]:
    """Every rule name, in table order.

    Example:
        >>> rule_names()[:3]
        ['no_tracking', 'no_tracking_url', 'bad_check_digit']
    """
    return list(_BY_NAME)


def _select(rules: Iterable[str] | None, exclude: Iterable[str]) -> list[AuditRule]:
    chosen = list(_BY_NAME) if rules is None else list(dict.fromkeys(rules))
    dropped = set(exclude)
    unknown = sorted((set(chosen) | dropped) - set(_BY_NAME))
    if unknown:
        raise ValueError(f"unknown audit rule(s) {unknown}; known: {', '.join(_BY_NAME)}")
    return [_BY_NAME[name] for name in chosen if name not in dropped]


def audit(
    data: pd.DataFrame | Iterable[Fulfillment | Mapping[str, Any]],
    *,
    rules: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    now: datetime | str | None = None,
    max_lag: timedelta | str | None = None,
    untracked_days: float = 7,
    table: CarrierTable | None = None,
) -> pd.DataFrame:
    """Data-quality findings on fulfillments: one row per finding (see :data:`RULES`).

    Args:
        data: a frame from :func:`~fulfillkit.to_frame` (exploded, the default; optionally
            with :func:`~fulfillkit.join_orders` columns and ``remote_data=True``'s
            ``shipment_status``), or the records themselves (``Fulfillment`` objects or API
            dicts), which also lets timestamps that failed to parse be told from missing
            ones. Never modified.
        rules: the rule names to run (default: all of :data:`RULES`).
        exclude: rule names not to run.
        now: the reference time for future timestamps and ``untracked_days`` (default:
            now, UTC).
        max_lag: order-to-fulfillment lag above which ``slow_fulfillment`` fires (a
            ``timedelta`` or a pandas string such as ``"3D"``); ``None`` turns it off.
        untracked_days: days without tracking before ``untracked_too_long`` fires.
        table: a :class:`~fulfillkit.carriers.CarrierTable` to fold ``carrier`` again.

    Returns:
        A frame with the columns of :data:`FINDINGS_SCHEMA`, sorted by severity (errors
        first), rule order and input order; ``attrs["rules"]`` lists the rules that ran.

    Raises:
        ValueError: an unknown rule name, or a frame with ``explode=False``.

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
    """
    selected = _select(rules, exclude)
    rows, unparsed, id_codes = _rows(data)
    ctx = _Context(
        rows,
        now=_utc(now),
        max_lag=None if max_lag is None else pd.Timedelta(max_lag),
        untracked_days=untracked_days,
        table=table,
        unparsed=unparsed,
        id_codes=id_codes,
    )
    findings = _findings(ctx, selected)
    findings.attrs["rules"] = [rule.name for rule in selected]
    return findings


def _rows(
    data: pd.DataFrame | Iterable[Fulfillment | Mapping[str, Any]],
) -> tuple[pd.DataFrame, npt.NDArray[np.bool_] | None, npt.NDArray[np.intp] | None]:
    """The rows to audit (one per tracking number, a row read twice kept once, a fresh
    index), from records which rows had a timestamp that failed to parse, and the
    factorize codes of their ``id`` as given (``None`` without one)."""
    unparsed: npt.NDArray[np.bool_] | None = None
    if isinstance(data, pd.DataFrame):
        if "tracking_numbers" in data and "tracking_number" not in data:
            raise ValueError(
                "audit needs one row per tracking number: pass to_frame(...) without "
                "explode=False, or the records"
            )
        rows = data
    else:
        rows, unparsed = _frame_of_records(data)
    codes = _factorize(rows["id"]) if "id" in rows else None
    if codes is not None and "tracking_index" in rows:  # a row read twice counts once
        position = _factorize(rows["tracking_index"]) + 1
        pair = codes.astype(np.int64) * (int(position.max(initial=0)) + 1) + position
        again = pd.Series(pair).duplicated().to_numpy(dtype=bool) & (codes >= 0)
        if again.any():
            # Each id's first row is never a repeat: the codes keep their numbering.
            rows, codes = rows[~again], codes[~again]
            unparsed = None if unparsed is None else unparsed[~again]
    return rows.reset_index(drop=True), unparsed, codes


def _findings(ctx: _Context, selected: list[AuditRule]) -> pd.DataFrame:
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
        "id": _arrow(ctx.ids).take(rows),
        "order_id": _arrow(ctx.order).take(rows),
        "rule": _texts([rule.name for rule in selected]).take(pa.array(which)),
        "severity": _texts([rule.severity for rule in selected]).take(pa.array(which)),
        "carrier": _arrow(ctx.carrier).take(rows),
        "tracking_number": _arrow(ctx.number).take(pa.array(where, mask=~about)),
        "detail": pa.concat_arrays([part[3] for part in found]),
    }
    return pd.DataFrame({name: _series(values) for name, values in columns.items()})


def _texts(values: list[str]) -> pa.Array:
    return pa.array(values, type=pa.large_string())


def _details(hits: Hits, where: npt.NDArray[np.intp]) -> pa.Array:
    """The ``detail`` of each hit as Arrow text: one sentence repeated, or the rule's
    array (converted as ``astype(string)`` would)."""
    detail = hits.detail
    if isinstance(detail, str):
        return _texts([detail]).take(pa.array(np.zeros(len(where), dtype=np.intp)))
    if isinstance(detail, pd.Series) and detail.dtype == _ARROW:
        return _arrow(detail)
    values = pd.array(np.asarray(detail, dtype=object), dtype=_ARROW)
    return _arrow(pd.Series(values))


def _utc(when: datetime | str | None) -> pd.Timestamp:
    """``when`` as a UTC timestamp (naive read as UTC); now when ``None``."""
    if when is None:
        return pd.Timestamp.now(tz="UTC")
    stamp = pd.Timestamp(when)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _empty() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=t) for name, t in FINDINGS_SCHEMA.items()})


def _frame_of_records(
    records: Iterable[Fulfillment | Mapping[str, Any]],
) -> tuple[pd.DataFrame, npt.NDArray[np.bool_]]:
    """The exploded frame of ``records`` and, per row, whether its record's timestamp
    text could not be parsed."""
    items = list(records)
    bad = np.zeros(len(items), dtype=bool)
    remote = False
    for i, record in enumerate(items):
        if isinstance(record, Fulfillment):
            bad[i] = bool(record.unparsed_timestamps)
            remote = remote or record.remote_data is not None
        else:
            remote = remote or record.get("remote_data") is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnparsedTimestampWarning)  # reported as findings
        frame = to_frame(items, remote_data=remote)
    first = first_positions(frame)
    starts = np.flatnonzero(first)  # one first row per record, in record order
    plain = np.flatnonzero([not isinstance(r, Fulfillment) for r in items])
    for column in ("created_at", "modified_at"):  # text given, yet NaT in the frame
        given = np.array([_raw(items[i], column) is not None for i in plain], dtype=np.bool_)
        bad[plain] |= given & frame[column].isna().to_numpy(dtype=bool)[starts[plain]]
    return frame, bad[np.cumsum(first) - 1]


def _raw(record: Fulfillment | Mapping[str, Any], field: str) -> Any:
    return None if isinstance(record, Fulfillment) else record.get(field)


def audit_summary(findings: pd.DataFrame) -> pd.DataFrame:
    """Counts of :func:`audit` findings by rule and carrier, with severity.

    The index is ``(severity, rule)``, worst severity first; the columns are ``findings``
    (rows), ``fulfillments`` (distinct ids) and one count column per carrier, largest
    first. Rules that ran and found nothing are rows of zeros. By severity alone:
    ``audit_summary(f).groupby(level="severity", sort=False).sum()``.

    Example:
        >>> from fulfillkit.frames import to_frame
        >>> summary = audit_summary(audit(to_frame([{"id": "a", "carrier": "UPS"}]),
        ...                               rules=["no_tracking", "no_order"]))
        >>> summary["findings"].to_dict()
        {('warning', 'no_tracking'): 1, ('warning', 'no_order'): 1}
    """
    ran = findings.attrs.get("rules") or list(dict.fromkeys(findings["rule"].tolist()))
    order = [rule for rule in RULES if rule.name in set(ran)]
    order.sort(key=lambda rule: SEVERITIES.index(rule.severity))
    index = pd.MultiIndex.from_tuples(
        [(rule.severity, rule.name) for rule in order], names=["severity", "rule"]
    )
    rule_col = findings["rule"].astype(object)
    carrier_col = findings["carrier"].astype(STRING).fillna("Unknown").astype(object)
    carriers = carrier_col.value_counts().index.tolist()
    by_rule = rule_col.value_counts()
    distinct = findings.assign(_r=rule_col).groupby("_r")["id"].nunique()
    table = pd.crosstab(rule_col, carrier_col) if len(findings) else pd.DataFrame()
    names = [rule.name for rule in order]
    summary = pd.DataFrame(
        {
            "findings": by_rule.reindex(names, fill_value=0).to_numpy(dtype=np.int64),
            "fulfillments": distinct.reindex(names, fill_value=0).to_numpy(dtype=np.int64),
            **{c: table[c].reindex(names, fill_value=0).to_numpy(dtype=np.int64) for c in carriers},
        },
        index=index,
    )
    return (
        summary.iloc[
            np.lexsort(
                (
                    -summary["findings"].to_numpy(),
                    np.array([SEVERITIES.index(s) for s, _ in index]),
                )
            )
        ]
        if len(summary)
        else summary
    )
