"""What changed between the versions of one stored fulfillment (the History tab's data).

:meth:`fulfillkit.Store.history` gives every version of a record, oldest first;
:func:`version_changes` lists, for each version after the first, the columns whose value
differs from the version before (missing equals missing), with both values as text. The
store's own bookkeeping (``version``, ``observed_at``, ``content_hash``, ``sync_id``) and
the raw JSON (``raw_json``, ``remote_data``: they change whenever anything does) are left
out; ``shipment_status``, read from the raw record, is in.

Example:
    >>> import pandas as pd
    >>> history = pd.DataFrame({"version": [1, 2], "observed_at": ["d1", "d2"],
    ...     "shipment_status": ["in_transit", "delivered"], "carrier": ["UPS", "UPS"]})
    >>> version_changes(history).to_dict("records")
    [{'version': 2, 'observed_at': 'd2', 'column': 'shipment_status', 'before': 'in_transit', 'after': 'delivered'}]
"""  # noqa: E501

from __future__ import annotations

from typing import Final

import pandas as pd

__all__ = ["BOOKKEEPING", "version_changes"]

BOOKKEEPING: Final = frozenset(
    {"connection", "version", "observed_at", "content_hash", "sync_id", "raw_json", "remote_data"}
)
"""Columns of a history that are not the record's own values (or are all of them at once)."""


def version_changes(history: pd.DataFrame) -> pd.DataFrame:
    """``version``, ``observed_at``, ``column``, ``before``, ``after`` for every value that
    changed from one version to the next (``before``/``after`` as text, empty for missing)."""
    columns = ["version", "observed_at", "column", "before", "after"]
    if len(history) < 2:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    rows = history.reset_index(drop=True)
    parts = []
    for name in (c for c in rows.columns if c not in BOOKKEEPING):
        now = rows[name].astype(object)
        before = now.shift(1)
        missing_now, missing_before = now.isna(), before.isna()
        same = (missing_now & missing_before) | (now == before).fillna(False).astype(bool)
        changed = ~same
        changed.iloc[0] = False
        if changed.any():
            parts.append(
                pd.DataFrame(
                    {
                        "version": rows.loc[changed, "version"] if "version" in rows else None,
                        "observed_at": rows.loc[changed, "observed_at"]
                        if "observed_at" in rows
                        else None,
                        "column": name,
                        "before": before[changed].where(~missing_before[changed], "").astype(str),
                        "after": now[changed].where(~missing_now[changed], "").astype(str),
                    }
                )
            )
    if not parts:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    out = pd.concat(parts).sort_index(kind="stable")
    return out[columns].reset_index(drop=True)
