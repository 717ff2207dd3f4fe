"""The audit's rule table: :data:`RULES`, one :class:`AuditRule` per rule, and what each
rule needs to run (:class:`Requirement`).

A rule runs only when what it needs is there: columns beyond the rows every audit reads
(``join_orders``' ``order_created_at``, ``remote_data=True``'s ``shipment_status``, ...), the
records themselves, or a parameter (``max_lag``). Otherwise it is *not run*, with the
reason, never a silent zero: :func:`unmet` gives the reasons, the audit puts them in
``findings.attrs["not_run"]``, and the summary, the HTML report and the command line show
them.

Example:
    >>> given = Given(columns=frozenset({"created_at"}), records=False, parameters=frozenset())
    >>> for reason in unmet(RULES_BY_NAME["slow_fulfillment"], given):
    ...     print(reason.split(": ")[0])
    needs orders joined
    needs max_lag
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import pandas as pd

from fulfillkit.reports.auditing import checks
from fulfillkit.reports.auditing.context import AuditContext, Hits
from fulfillkit.reports.data import missing_columns

__all__ = [
    "MAX_LAG",
    "ORDERS",
    "RECORDS",
    "REMOTE_DATA",
    "RULES",
    "RULES_BY_NAME",
    "SEVERITIES",
    "AuditRule",
    "Given",
    "Requirement",
    "Severity",
    "columns",
    "duration_text",
    "rule_names",
    "select_rules",
    "unmet",
]

Severity = Literal["error", "warning", "info"]
SEVERITIES: Final[tuple[Severity, ...]] = ("error", "warning", "info")
"""Severities, worst first (the order findings are sorted in)."""


@dataclass(frozen=True)
class Given:
    """What one call of the audit has: the frame's columns, whether it was given records
    (then timestamp text that did not parse is known), and which optional parameters were
    passed (not ``None``)."""

    columns: frozenset[str]
    records: bool
    parameters: frozenset[str]


@dataclass(frozen=True)
class Requirement:
    """Something a rule needs beyond the rows every audit reads, and how to get it.

    ``columns``: each a column name or a tuple of alternatives; ``records``: the audit must
    be given the records (not a frame); ``parameter``: an argument of the audit that must
    be given.
    """

    what: str
    how: str
    columns: tuple[str | tuple[str, ...], ...] = ()
    records: bool = False
    parameter: str | None = None

    @property
    def reason(self) -> str:
        """``needs <what>: <how>``, as the audit reports a rule not run."""
        return f"needs {self.what}: {self.how}"

    def met(self, given: Given) -> bool:
        """Whether ``given`` has what this requirement asks for."""
        if missing_columns(given.columns, self.columns):
            return False
        if self.records and not given.records:
            return False
        return self.parameter is None or self.parameter in given.parameters


ORDERS: Final = Requirement(
    "orders joined",
    "fk.join_orders(df, orders) adds order_created_at (command line: --orders FILE)",
    columns=("order_created_at",),
)
REMOTE_DATA: Final = Requirement(
    "remote data",
    "fetch with remote_data=True, which adds shipment_status "
    "(command line: fulfillkit fetch --remote-data)",
    columns=("shipment_status",),
)
RECORDS: Final = Requirement(
    "the records, not a frame",
    "a frame keeps no timestamp text (missing_timestamp counts it as missing); "
    "audit the batch or its records",
    records=True,
)
MAX_LAG: Final = Requirement(
    "max_lag", "pass max_lag, e.g. max_lag='3D' (command line: --max-lag 3D)", parameter="max_lag"
)


def columns(*names: str | tuple[str, ...]) -> Requirement:
    """A requirement for columns every ``to_frame`` frame has (an old or hand-made frame
    may not).

    Example:
        >>> columns("created_at", "modified_at").reason
        'needs the columns created_at, modified_at: every to_frame() frame has them'
    """
    shown = [n if isinstance(n, str) else " or ".join(n) for n in names]
    plural = len(names) > 1
    what = f"the column{'s' if plural else ''} {', '.join(shown)}"
    how = f"every to_frame() frame has {'them' if plural else 'it'}"
    return Requirement(what, how, columns=names)


@dataclass(frozen=True)
class AuditRule:
    """One row of the rule table: ``check(ctx)`` returns the :class:`Hits`.

    ``description`` may name the audit's parameters as ``{untracked_days}``, ``{max_lag}``
    or ``{future_tolerance}``: :meth:`describe` fills them in. ``about_number``: the
    finding names the row's tracking number (else it is about the fulfillment and fires
    once per fulfillment). ``needs``: what the rule needs to run.
    """

    name: str
    severity: Severity
    description: str
    check: Callable[[AuditContext], Hits]
    about_number: bool = True
    needs: tuple[Requirement, ...] = ()

    def describe(self, parameters: Mapping[str, Any] | None = None) -> str:
        """The description with the parameters' values (from ``findings.attrs
        ["parameters"]``); a parameter not known is named instead.

        Example:
            >>> RULES_BY_NAME["untracked_too_long"].describe({"untracked_days": 10})[:26]
            'No tracking number 10 days'
        """
        values = {
            "untracked_days": "untracked_days (default 7)",
            "max_lag": "max_lag",
            "future_tolerance": duration_text(checks.FUTURE_TOLERANCE),
        }
        for name, value in (parameters or {}).items():
            if value is None or name not in values:
                continue
            if name == "max_lag":
                values[name] = duration_text(pd.Timedelta(value))
            elif name == "untracked_days":
                values[name] = f"{float(value):g}"
        return self.description.format_map(values)


def duration_text(span: pd.Timedelta) -> str:
    """A duration as a sentence says it: whole days, else hours, else minutes.

    Example:
        >>> [duration_text(pd.Timedelta(t)) for t in ("3D", "1D", "36h", "5min")]
        ['3 days', '1 day', '36 hours', '5 minutes']
    """
    seconds = span.total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0 or unit == "minute":
            count = seconds / size
            return f"{count:g} {unit}{'' if count == 1 else 's'}"
    raise AssertionError("unreachable")  # pragma: no cover


_TIMES: Final = columns("created_at", "modified_at")
_URL: Final = columns("tracking_url")
_ORDER_ID: Final = columns("order_id")
_CREATED: Final = columns("created_at")

RULES: Final[tuple[AuditRule, ...]] = (
    AuditRule(
        "no_tracking",
        "warning",
        "The fulfillment has no tracking number.",
        checks.no_tracking,
        about_number=False,
    ),
    AuditRule(
        "no_tracking_url",
        "info",
        "A number with no URL from the record, and no tracking page derivable for its carrier.",
        checks.no_tracking_url,
        needs=(_URL,),
    ),
    AuditRule(
        "bad_check_digit",
        "error",
        "A number in its stated carrier's format with a wrong check digit: a typo.",
        checks.bad_check_digit,
    ),
    AuditRule(
        "unknown_format",
        "warning",
        "Stated UPS, USPS or FedEx (all formats known), and the number matches none of them.",
        checks.unknown_format,
    ),
    AuditRule(
        "unrecognised_number",
        "info",
        "No known format matches the number, and the stated carrier's are not all known.",
        checks.unrecognised_number,
    ),
    AuditRule(
        "carrier_mismatch",
        "warning",
        "The stated carrier differs from the carrier the number belongs to.",
        checks.carrier_mismatch,
        needs=(columns("carrier_mismatch"),),
    ),
    AuditRule(
        "reused_label",
        "error",
        "The same tracking number is on fulfillments of different orders.",
        checks.reused_label,
        needs=(_ORDER_ID,),
    ),
    AuditRule(
        "duplicate_number",
        "warning",
        "The same tracking number is listed twice in one fulfillment.",
        checks.duplicate_number,
    ),
    AuditRule(
        "url_missing_number",
        "warning",
        "The record's tracking URL does not contain its tracking number.",
        checks.url_missing_number,
        needs=(_URL,),
    ),
    AuditRule(
        "url_other_carrier",
        "warning",
        "The record's tracking URL is on another carrier's domain.",
        checks.url_other_carrier,
        needs=(_URL,),
    ),
    AuditRule(
        "modified_before_created",
        "error",
        "modified_at is earlier than created_at.",
        checks.modified_before_created,
        about_number=False,
        needs=(_TIMES,),
    ),
    AuditRule(
        "future_timestamp",
        "error",
        "created_at or modified_at is more than {future_tolerance} after now.",
        checks.future_timestamp,
        about_number=False,
        needs=(_TIMES,),
    ),
    AuditRule(
        "unparseable_timestamp",
        "error",
        "created_at or modified_at is text that could not be parsed (auditing records).",
        checks.unparseable_timestamp,
        about_number=False,
        needs=(RECORDS,),
    ),
    AuditRule(
        "missing_timestamp",
        "info",
        "created_at or modified_at is missing.",
        checks.missing_timestamp,
        about_number=False,
        needs=(_TIMES,),
    ),
    AuditRule(
        "no_order",
        "warning",
        "The fulfillment has no order_id.",
        checks.no_order,
        about_number=False,
        needs=(_ORDER_ID,),
    ),
    AuditRule(
        "created_before_order",
        "error",
        "The fulfillment was created before its order (orders joined).",
        checks.created_before_order,
        about_number=False,
        needs=(ORDERS, _CREATED),
    ),
    AuditRule(
        "slow_fulfillment",
        "warning",
        "Created more than {max_lag} after its order (orders joined).",
        checks.slow_fulfillment,
        about_number=False,
        needs=(ORDERS, MAX_LAG, _CREATED),
    ),
    AuditRule(
        "shipment_failed",
        "warning",
        "shipment_status is failure or attempted_delivery (remote data).",
        checks.shipment_failed,
        about_number=False,
        needs=(REMOTE_DATA,),
    ),
    AuditRule(
        "untracked_too_long",
        "error",
        "No tracking number {untracked_days} days after creation, and the shipment is "
        "neither delivered nor cancelled (remote data).",
        checks.untracked_too_long,
        about_number=False,
        needs=(REMOTE_DATA, _CREATED),
    ),
)
"""The rule table, in the order findings of equal severity are listed."""

RULES_BY_NAME: Final[Mapping[str, AuditRule]] = {rule.name: rule for rule in RULES}
""":data:`RULES` by name."""


def rule_names() -> list[str]:
    """Every rule name, in table order.

    Example:
        >>> rule_names()[:3]
        ['no_tracking', 'no_tracking_url', 'bad_check_digit']
    """
    return list(RULES_BY_NAME)


def select_rules(rules: Iterable[str] | None, exclude: Iterable[str]) -> list[AuditRule]:
    """The rules named in ``rules`` (default: all), minus ``exclude``, in the order given.

    Raises:
        ValueError: an unknown rule name, or ``rules`` / ``exclude`` given as one string.
    """
    chosen = list(RULES_BY_NAME) if rules is None else list(dict.fromkeys(_names(rules, "rules")))
    dropped = set(_names(exclude, "exclude"))
    unknown = sorted(map(str, (set(chosen) | dropped) - set(RULES_BY_NAME)))
    if unknown:
        raise ValueError(f"unknown audit rule(s) {unknown}; known: {', '.join(RULES_BY_NAME)}")
    return [RULES_BY_NAME[name] for name in chosen if name not in dropped]


def _names(given: object, label: str) -> list[str]:
    """``given`` as a list of rule names, or a ``ValueError`` saying what to pass."""
    if isinstance(given, str):
        raise ValueError(f"{label} takes a list of rule names, e.g. [{given!r}]")
    if not isinstance(given, Iterable):
        raise ValueError(f"{label} takes a list of rule names, got {type(given).__name__}")
    names = list(given)
    for name in names:
        if not isinstance(name, str):
            raise ValueError(f"{label} takes rule names (text), got {name!r}")
    return names


def unmet(rule: AuditRule, given: Given) -> list[str]:
    """Why ``rule`` cannot run on ``given`` (one reason per unmet requirement); empty when
    it can."""
    return [need.reason for need in rule.needs if not need.met(given)]
