""":func:`audit_summary`: one row per rule asked for, whether it ran, and its counts by
carrier."""

from __future__ import annotations

from typing import Any, Final, TypedDict, Unpack

import numpy as np
import pandas as pd

from fulfillkit.carriers import CarrierTable
from fulfillkit.errors import InvalidDataError
from fulfillkit.frames import INT, STRING, records_of
from fulfillkit.reports.auditing.entry import FINDINGS_SCHEMA, audit
from fulfillkit.reports.auditing.rules import RULES, SEVERITIES
from fulfillkit.reports.data import Fulfillments, missing_columns

__all__ = ["NOT_RUN", "RAN", "SUMMARY_COLUMNS", "AuditOptions", "audit_summary", "is_findings"]

RAN: Final = "ran"
NOT_RUN: Final = "not run"
SUMMARY_COLUMNS: Final = ("status", "findings", "fulfillments")
"""The first columns of :func:`audit_summary`, in this order; one count column per carrier
follows them, then ``reason``."""


class AuditOptions(TypedDict, total=False):
    """:func:`~fulfillkit.audit`'s keyword options, for :func:`audit_summary` on data."""

    rules: list[str] | None
    exclude: list[str]
    now: Any
    max_lag: Any
    untracked_days: float
    table: CarrierTable | None


def is_findings(data: object) -> bool:
    """Whether ``data`` is a findings frame (:func:`~fulfillkit.audit`'s columns)."""
    return isinstance(data, pd.DataFrame) and not missing_columns(data, list(FINDINGS_SCHEMA))


def audit_summary(
    data: pd.DataFrame | Fulfillments, **options: Unpack[AuditOptions]
) -> pd.DataFrame:
    """One row per rule of an audit: whether it ran, its findings, by carrier.

    Args:
        data: the findings of :func:`~fulfillkit.audit`; or fulfillments, anything
            :func:`~fulfillkit.audit` takes (a frame, a ``BatchResult``, records), which are
            audited first.
        options: :func:`~fulfillkit.audit`'s options (``rules``, ``max_lag``, ...), when
            ``data`` is fulfillments.

    Returns:
        A frame indexed by ``(severity, rule)``: the rules that ran, worst severity first
        and then most findings first, followed by the rules that were asked for but could
        not run. Columns, in this order: ``status`` (``"ran"`` or ``"not run"``),
        ``findings`` (rows) and ``fulfillments`` (distinct ids) as ``Int64``
        (:data:`SUMMARY_COLUMNS`), then one ``Int64`` count column per carrier, largest
        first, then ``reason`` (what a rule not run needs; ``NA`` for the rules that
        ran). A rule that ran and found
        nothing has zeros; a rule that did not run has ``NA`` counts, never a zero. Which
        rules ran is read from ``findings.attrs`` (set by the audit; a findings frame read
        back from a file has none, and then the rules found in it are the ones shown). By
        severity alone: ``audit_summary(f).groupby(level="severity", sort=False).sum()``.

    Raises:
        InvalidDataError: ``data`` is neither findings nor fulfillments.

    Example:
        >>> from fulfillkit.frames import to_frame
        >>> summary = audit_summary(to_frame([{"id": "a", "carrier": "UPS"}]))
        >>> shown = summary.loc["warning", ["status", "findings"]].head(3)
        >>> for rule, (status, found) in shown.iterrows():
        ...     print(rule, status, found)
        no_tracking ran 1
        no_order ran 1
        unknown_format ran 0
        >>> print(summary.loc[("warning", "shipment_failed"), "status"])
        not run
        >>> summary.loc[("warning", "shipment_failed"), "findings"]
        <NA>
    """
    if is_findings(data):
        if options:
            raise ValueError(
                f"audit_summary: {sorted(options)} are audit options, for fulfillments; "
                "these are findings already"
            )
        assert isinstance(data, pd.DataFrame)
        findings = data
    else:
        records = records_of(data, what="audit_summary")  # wrong data: said under this name
        if isinstance(data, pd.DataFrame) and {"rule", "severity"} <= set(data.columns):
            lacking = ", ".join(missing_columns(data, list(FINDINGS_SCHEMA)))
            raise InvalidDataError(f"audit_summary: these findings lack the columns {lacking}")
        findings = audit(data if records is None else records, **options)
    return _summary(findings)


def _summary(findings: pd.DataFrame) -> pd.DataFrame:
    ran_names = findings.attrs.get("rules") or list(dict.fromkeys(findings["rule"].tolist()))
    not_run: dict[str, str] = dict(findings.attrs.get("not_run") or {})
    ran = [rule for rule in RULES if rule.name in set(ran_names)]
    skipped = [rule for rule in RULES if rule.name in not_run]
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    rule_col = findings["rule"].astype(object)
    carrier_col = findings["carrier"].astype(STRING).fillna("Unknown").astype(object)
    carriers = carrier_col.value_counts().index.tolist()
    names = [rule.name for rule in ran]
    counts = rule_col.value_counts().reindex(names, fill_value=0).to_numpy(dtype=np.int64)
    # Ran: worst severity first, then most findings first; then the rules not run.
    order = sorted(range(len(ran)), key=lambda i: (rank[ran[i].severity], -counts[i]))
    ran = [ran[i] for i in order]
    skipped.sort(key=lambda rule: rank[rule.severity])
    names = [rule.name for rule in ran]
    distinct = findings.assign(_r=rule_col).groupby("_r")["id"].nunique()
    table = pd.crosstab(rule_col, carrier_col) if len(findings) else pd.DataFrame()

    def counted(values: pd.Series[Any]) -> pd.Series[Any]:
        ran_part = values.reindex(names, fill_value=0).to_numpy(dtype=np.int64)
        column = pd.array([*ran_part.tolist(), *[pd.NA] * len(skipped)], dtype=INT)
        return pd.Series(column, index=index)

    index = pd.MultiIndex.from_tuples(
        [(rule.severity, rule.name) for rule in (*ran, *skipped)], names=["severity", "rule"]
    )
    summary = pd.DataFrame(
        {
            "status": pd.array([RAN] * len(ran) + [NOT_RUN] * len(skipped), dtype=STRING),
            "findings": counted(rule_col.value_counts()),
            "fulfillments": counted(distinct),
            **{c: counted(table[c]) for c in carriers},
            "reason": pd.array([pd.NA] * len(ran) + [not_run[r.name] for r in skipped], STRING),
        },
        index=index,
    )
    summary.attrs["not_run"] = {rule.name: not_run[rule.name] for rule in skipped}
    return summary
