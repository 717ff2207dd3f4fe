"""Data-quality audit of fulfillments: one row per finding, for an operations team to fix.

:func:`audit` runs a table of rules (:data:`RULES`, one :class:`AuditRule` each: name,
severity, description, function, what it needs) over a :func:`~fulfillkit.to_frame` frame,
a ``BatchResult`` or records (then unparseable timestamps can be told apart from missing
ones); :func:`audit_summary` counts the findings by rule and carrier. A rule whose inputs
are absent is **not run**, with the reason (``findings.attrs["not_run"]``, a row of the
summary), never a silent zero. 100,000 fulfillments are audited in a fraction of a second
(``benchmarks/bench_audit.py``). The input is never modified.

One job per module: :mod:`.context` (what every rule reads, computed once per call),
:mod:`.checks` (the rule functions), :mod:`.rules` (the table and what each rule needs),
:mod:`.entry` (:func:`audit`) and :mod:`.summary` (:func:`audit_summary`).

=========================== ======== =====================================================
rule                        severity what it finds (and what it needs besides the rows)
=========================== ======== =====================================================
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
``future_timestamp``        error    ``created_at`` / ``modified_at`` over 5 minutes after ``now``
``unparseable_timestamp``   error    timestamp text that could not be parsed (needs records)
``missing_timestamp``       info     no ``created_at`` / ``modified_at``
``no_order``                warning  a fulfillment without ``order_id``
``created_before_order``    error    created before its order (needs orders joined)
``slow_fulfillment``        warning  order-to-fulfillment lag above ``max_lag`` (needs orders
                                     joined and ``max_lag``)
``shipment_failed``         warning  ``shipment_status`` ``failure`` / ``attempted_delivery``
                                     (needs remote data)
``untracked_too_long``      error    no tracking ``untracked_days`` after creation, neither
                                     delivered nor cancelled (needs remote data)
=========================== ======== =====================================================

Every audit reads ``id``, ``tracking_number`` and the stated carrier (:data:`AUDIT_COLUMNS`).
The rules about URLs, orders and timestamps also need their own columns (the URL, the order
id, the timestamps), which every ``to_frame`` frame has; a rule whose column is missing is
not run, saying which.

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
    >>> for rule, reason in found.attrs["not_run"].items():
    ...     print(rule, "-", reason.split(":")[0])
    unparseable_timestamp - needs the records, not a frame
    created_before_order - needs orders joined
    slow_fulfillment - needs orders joined
    shipment_failed - needs remote data
    untracked_too_long - needs remote data
"""

from __future__ import annotations

from fulfillkit.reports.auditing.checks import FULLY_CHECKED, FUTURE_TOLERANCE
from fulfillkit.reports.auditing.context import AuditContext, Hits
from fulfillkit.reports.auditing.entry import (
    AUDIT_COLUMNS,
    FINDINGS_SCHEMA,
    RuleNotRunWarning,
    audit,
)
from fulfillkit.reports.auditing.rules import (
    RULES,
    RULES_BY_NAME,
    SEVERITIES,
    AuditRule,
    Requirement,
    Severity,
    rule_names,
)
from fulfillkit.reports.auditing.summary import (
    NOT_RUN,
    RAN,
    SUMMARY_COLUMNS,
    audit_summary,
    is_findings,
)

__all__ = [
    "AUDIT_COLUMNS",
    "FINDINGS_SCHEMA",
    "FULLY_CHECKED",
    "FUTURE_TOLERANCE",
    "NOT_RUN",
    "RAN",
    "RULES",
    "RULES_BY_NAME",
    "SEVERITIES",
    "SUMMARY_COLUMNS",
    "AuditContext",
    "AuditRule",
    "Hits",
    "Requirement",
    "RuleNotRunWarning",
    "Severity",
    "audit",
    "audit_summary",
    "is_findings",
    "rule_names",
]
