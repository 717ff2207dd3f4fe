"""The audit's rule functions: each takes the :class:`~.context.AuditContext` and returns
the :class:`~.context.Hits` of one rule of :data:`~.rules.RULES`.

Every rule is a few column operations over the whole frame (Arrow kernels, numpy), never
Python code per row; the one exception is ``url_missing_number``'s "is this row's number in
that row's URL", which Arrow has no kernel for: ``operator.contains`` mapped over the two
columns. Carrier validation is not written again here: the detected carrier, the mismatch
and the check digits come from :mod:`fulfillkit.carriers`, tracking pages from
:func:`~fulfillkit.carriers.tracking_url`. A rule runs only when what it needs is there
(:attr:`~.rules.AuditRule.needs`), so none of them checks for its columns.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, cast
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fulfillkit.carriers import (
    CARRIER_NAMES,
    COMPATIBLE,
    OTHER,
    TRACKING_URL_TEMPLATES,
    detect_carrier_codes,
    tracking_url,
)
from fulfillkit.frames import STRING
from fulfillkit.reports.auditing.context import AuditContext, Hits, without_separators
from fulfillkit.reports.text import arrow_text, texts, utc_times

__all__ = [
    "CLOSED_SHIPMENT_STATUSES",
    "FAILED_SHIPMENT_STATUSES",
    "FULLY_CHECKED",
    "FUTURE_TOLERANCE",
    "NOT_SHIPPED_STATUSES",
    "bad_check_digit",
    "carrier_mismatch",
    "created_before_order",
    "duplicate_number",
    "future_timestamp",
    "hours_text",
    "missing_timestamp",
    "modified_before_created",
    "no_order",
    "no_tracking",
    "no_tracking_url",
    "reused_label",
    "shipment_failed",
    "slow_fulfillment",
    "unknown_format",
    "unparseable_timestamp",
    "unrecognised_number",
    "untracked_too_long",
    "url_missing_number",
    "url_other_carrier",
]

FULLY_CHECKED: Final = frozenset({"UPS", "USPS", "FedEx"})
"""Carriers every one of whose tracking number formats :mod:`fulfillkit.carriers` knows: a
number stated as theirs that matches none is ``unknown_format``. Other carriers' numbers
that match nothing (DHL eCommerce, a domestic PostNL number, ...) are only
``unrecognised_number`` (info)."""

FUTURE_TOLERANCE: Final = pd.Timedelta(minutes=5)
"""Clock skew allowed before a timestamp counts as in the future."""

FAILED_SHIPMENT_STATUSES: Final = ("failure", "attempted_delivery")
"""``shipment_status`` values ``shipment_failed`` reports."""

CLOSED_SHIPMENT_STATUSES: Final = frozenset({"delivered", "cancelled", "error"})
"""``shipment_status`` values after which no tracking number is due: delivered, or nothing
will ship (``to_frame`` puts the fulfillment's own ``cancelled`` / ``error`` status here when
Shopify sent no shipment status)."""

NOT_SHIPPED_STATUSES: Final = frozenset({"cancelled", "error", "failure"})
"""The fulfillment's own Shopify ``status`` (in ``remote_data``) saying nothing will ship:
such a fulfillment never gets a tracking number, whatever its ``shipment_status``."""

_HOST: Final = r"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^/?#:]+)"
_DOMAIN: Final = r"([^.]+\.(?:(?:com?|org|net|gov|ac)\.[a-z]{2}|[^.]+))\.?$"


def no_tracking(ctx: AuditContext) -> Hits:
    return Hits(ctx.once(~ctx.any_number), "no tracking number")


def no_tracking_url(ctx: AuditContext) -> Hits:
    derivable = _derivable(ctx.stated) | _derivable(ctx.detected)
    mask = ctx.has_number & ~ctx.has_url & ~derivable
    return Hits(mask, "no tracking URL, and none can be derived for " + ctx.carrier[mask])


def _derivable(carriers: pd.Series[Any]) -> npt.NDArray[np.bool_]:
    """Whether :func:`~fulfillkit.carriers.tracking_url` gives a page for each carrier:
    asked once per distinct name."""
    text = arrow_text(carriers)
    names = pc.unique(text).drop_null().to_pylist()
    pages = texts([name for name in names if tracking_url(name, "0") is not None])
    return np.asarray(pc.is_in(text, value_set=pages).to_numpy(zero_copy_only=False), bool)


def _check_digits(ctx: AuditContext) -> tuple[npt.NDArray[np.bool_], npt.NDArray[Any]]:
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
    variants = pa.concat_arrays([arrow_text(head + str(d) + tail) for d in range(10)])
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


def bad_check_digit(ctx: AuditContext) -> Hits:
    hit, expected = _check_digits(ctx)
    detail = (
        ("the check digit is wrong for a " + ctx.stated[hit] + " number (it would be ")
        + pd.Series(expected[hit], dtype=STRING).to_numpy()
        + ")"
    )
    return Hits(hit, detail)


def unknown_format(ctx: AuditContext) -> Hits:
    hit, _ = _check_digits(ctx)
    checkable = ctx.stated.isin(FULLY_CHECKED).to_numpy(dtype=bool)
    mask = ctx.has_number & ctx.detected.isna().to_numpy() & checkable & ~hit
    return Hits(mask, "matches none of " + ctx.stated[mask] + "'s tracking number formats")


def unrecognised_number(ctx: AuditContext) -> Hits:
    hit, _ = _check_digits(ctx)
    checkable = ctx.stated.isin(FULLY_CHECKED).to_numpy(dtype=bool)
    mask = ctx.has_number & ctx.detected.isna().to_numpy() & ~checkable & ~hit
    return Hits(mask, "no known carrier format matches (stated carrier: " + ctx.stated[mask] + ")")


def carrier_mismatch(ctx: AuditContext) -> Hits:
    flags = ctx.rows["carrier_mismatch"].fillna(False).to_numpy(dtype=bool)
    mask = flags & ctx.has_number & ctx.detected.notna().to_numpy()
    detail = "stated " + ctx.stated[mask] + ", but the number is a " + ctx.detected[mask]
    return Hits(mask, detail + " number")


def reused_label(ctx: AuditContext) -> Hits:
    usable = ctx.has_number & ctx.order.notna().to_numpy()
    number = ctx.number_codes()
    order, orders = pd.factorize(ctx.order[usable])  # only the usable rows: fewer to hash
    pairs = pd.unique(number[usable].astype(np.int64) * (len(orders) + 1) + order)
    per_number = np.bincount(pairs // (len(orders) + 1), minlength=int(number.max(initial=0)) + 1)
    count = np.where(usable, per_number[number], 0)
    mask = usable & (count > 1)
    return Hits(mask, "the same number is on " + count[mask].astype(str) + " different orders")


def duplicate_number(ctx: AuditContext) -> Hits:
    number = ctx.number_codes()
    pair = ctx.key.astype(np.int64) * (int(number.max(initial=0)) + 2) + number + 1
    mask = ctx.has_number & pd.Series(pair).duplicated().to_numpy()
    return Hits(mask, "listed more than once in this fulfillment")


def url_missing_number(ctx: AuditContext) -> Hits:
    both = np.flatnonzero(ctx.has_number & ctx.has_url)
    url = arrow_text(ctx.source_url).take(pa.array(both))
    number = arrow_text(ctx.clean).take(pa.array(both))
    # A clean number (it has no separators) found in the upper-cased URL as given stays
    # there once the URL's separators are dropped. Only the URLs where it was not found,
    # or with a "%20" (dropping it could cut into the number), are normalised and read again.
    found = _contained(number, pc.utf8_upper(url))
    found &= ~pc.match_substring(url, "%20").to_numpy(zero_copy_only=False)
    again = np.flatnonzero(~found)
    text = pc.replace_substring(url.take(pa.array(again)), "%20", "")
    found[again] = _contained(number.take(pa.array(again)), pc.utf8_upper(without_separators(text)))
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


def url_other_carrier(ctx: AuditContext) -> Hits:
    domains = _carrier_domains()
    # Few distinct hosts: parse the text before the path once per distinct prefix.
    prefix = ctx.source_url.str.replace(r"^([^/]*//[^/?#]*).*$", r"\1", regex=True)
    codes, uniques = pd.factorize(prefix)
    owners = [_owner(str(u), domains) for u in uniques] + [None]
    owner = pd.Series(np.array(owners, dtype=object)[codes], dtype=STRING)
    carrier = ctx.carrier
    mask = (owner.notna() & ~carrier.isin([ctx.unknown, OTHER])).to_numpy(dtype=bool)
    mask = mask & (owner != carrier).fillna(False).to_numpy(dtype=bool)
    for name, friends in COMPATIBLE.items():  # a postal network's own partners
        pair = ((owner == name) & carrier.isin(friends)) | ((carrier == name) & owner.isin(friends))
        mask = mask & ~pair.fillna(False).to_numpy(dtype=bool)
    return Hits(mask, "the tracking URL is " + owner[mask] + "'s, the carrier is " + carrier[mask])


def modified_before_created(ctx: AuditContext) -> Hits:
    mask = ctx.once((ctx.modified < ctx.created).fillna(False).to_numpy(dtype=bool))
    return Hits(mask, "modified_at is before created_at")


def future_timestamp(ctx: AuditContext) -> Hits:
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


def unparseable_timestamp(ctx: AuditContext) -> Hits:
    return Hits(ctx.once(ctx.unparsed), "created_at or modified_at could not be parsed")


def missing_timestamp(ctx: AuditContext) -> Hits:
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


def no_order(ctx: AuditContext) -> Hits:
    return Hits(ctx.once(ctx.order.isna().to_numpy()), "no order_id")


def created_before_order(ctx: AuditContext) -> Hits:
    order_created = utc_times(ctx.rows, "order_created_at")
    mask = ctx.once((ctx.created < order_created).fillna(False).to_numpy(dtype=bool))
    return Hits(mask, "created before its order")


def slow_fulfillment(ctx: AuditContext) -> Hits:
    limit = cast(pd.Timedelta, ctx.settings.max_lag)  # the rule needs max_lag: never None here
    lag = ctx.created - utc_times(ctx.rows, "order_created_at")
    mask = ctx.once((lag > limit).fillna(False).to_numpy(dtype=bool))
    hours = (lag[mask].dt.total_seconds() / 3600).round(1).astype(str).to_numpy(dtype=object)
    return Hits(mask, "created " + hours + f" h after its order (limit {hours_text(limit)} h)")


def hours_text(span: pd.Timedelta) -> str:
    """A duration in hours, one decimal, as the findings print it.

    Example:
        >>> hours_text(pd.Timedelta("3D")), hours_text(pd.Timedelta("90min"))
        ('72.0', '1.5')
    """
    return f"{span.total_seconds() / 3600:.1f}"


def shipment_failed(ctx: AuditContext) -> Hits:
    status = ctx.status()
    mask = ctx.once(status.isin(FAILED_SHIPMENT_STATUSES).to_numpy(dtype=bool))
    return Hits(mask, "shipment_status is " + status[mask])


def untracked_too_long(ctx: AuditContext) -> Hits:
    """No number ``untracked_days`` after creation, unless the shipment is closed: its
    ``shipment_status`` is one of :data:`CLOSED_SHIPMENT_STATUSES`, or its own Shopify
    ``status`` is one of :data:`NOT_SHIPPED_STATUSES` (read from ``remote_data`` for the
    few candidates only)."""
    age = ctx.now - ctx.created
    days = pd.Timedelta(days=ctx.settings.untracked_days)
    late = (age > days).fillna(False).to_numpy(dtype=bool)
    closed = ctx.status().isin(CLOSED_SHIPMENT_STATUSES).to_numpy(dtype=bool)
    mask = ctx.once(late & ~ctx.any_number & ~closed)
    candidates = np.flatnonzero(mask)
    mask[candidates[ctx.remote_status(candidates, NOT_SHIPPED_STATUSES)]] = False
    whole = (age[mask].dt.total_seconds() // 86400).astype(int).astype(str).to_numpy(dtype=object)
    return Hits(mask, "still no tracking number " + whole + " days after it was created")
