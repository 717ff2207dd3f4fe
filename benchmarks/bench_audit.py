"""How fast is ``fk.audit`` next to the same checks written as a Python loop over rows?

    python benchmarks/bench_audit.py [--n 100000] [--repeats 5] [--json]

Both run on the same exploded frame of ``make_dataset(n).fulfillments`` (remote data
included), built before the clock starts, with the rules the loop implements too (every
rule but the joined-order ones, which need orders):

* ``fulfillkit``: ``fk.audit(df, rules=...)``: column operations, Arrow string kernels and
  the vectorised detector of :mod:`fulfillkit.tracking`;
* ``loop``: one pass over ``df.itertuples()`` with the scalar helpers
  (:func:`fulfillkit.tracking.detect_carrier`, :func:`~fulfillkit.tracking.tracking_url`),
  dictionaries for the per-number and per-fulfillment rules: the way such a check is
  usually first written in a notebook.

The two must find the same number of findings per rule (checked every run, so the loop is
also an oracle). Runs alternate; the table shows medians and the ratio of medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from typing import Any

RULES = [
    "no_tracking",
    "no_tracking_url",
    "bad_check_digit",
    "unknown_format",
    "unrecognised_number",
    "carrier_mismatch",
    "reused_label",
    "duplicate_number",
    "url_missing_number",
    "modified_before_created",
    "future_timestamp",
    "missing_timestamp",
    "no_order",
    "shipment_failed",
    "untracked_too_long",
]
NOW = "2025-06-01T00:00:00Z"
FULLY_CHECKED = {"UPS", "USPS", "FedEx"}


def loop_audit(df: Any, now: Any) -> Counter[str]:
    """The same rules, row by row; returns the count of findings per rule."""
    import pandas as pd

    from fulfillkit.carriers import CARRIER_NAMES, COMPATIBLE, detect_carrier, tracking_url

    found: Counter[str] = Counter()
    has_number: dict[str, bool] = defaultdict(bool)
    orders_of: dict[str, set[str]] = defaultdict(set)
    first_rows: list[Any] = []
    number_rows: list[tuple[Any, str]] = []
    limit = now + pd.Timedelta(minutes=5)
    for row in df.itertuples(index=False):
        number = row.tracking_number.strip() if isinstance(row.tracking_number, str) else ""
        clean = number.replace(" ", "").replace("-", "").upper()
        if row.tracking_index is pd.NA or row.tracking_index == 0:
            first_rows.append(row)
        has_number[row.id] |= bool(number)
        if number:
            number_rows.append((row, clean))
            if isinstance(row.order_id, str) and row.order_id.strip():
                orders_of[clean].add(row.order_id)
    seen: set[tuple[str, str]] = set()
    for row, clean in number_rows:
        stated, detected = row.carrier_canonical, row.carrier_detected
        detected = None if detected is pd.NA else detected
        url = (
            row.tracking_url
            if isinstance(row.tracking_url, str) and row.tracking_url.strip()
            else None
        )
        if row.tracking_url_derived is True:  # older frames: a derived URL in tracking_url
            url = None
        if (
            url is None
            and tracking_url(stated, "0") is None
            and (detected is None or tracking_url(detected, "0") is None)
        ):
            found["no_tracking_url"] += 1
        typo = False
        if detected is None and stated in CARRIER_NAMES:
            s10 = len(clean) == 13 and clean[-2:].isalpha()
            for d in "0123456789":
                variant = clean[:10] + d + clean[11:] if s10 else clean[:-1] + d
                name = detect_carrier(variant)
                if name is not None and (name == stated or stated in COMPATIBLE.get(name, ())):
                    typo = True
                    break
        if typo:
            found["bad_check_digit"] += 1
        elif detected is None:
            found["unknown_format" if stated in FULLY_CHECKED else "unrecognised_number"] += 1
        if row.carrier_mismatch:
            found["carrier_mismatch"] += 1
        if len(orders_of[clean]) > 1 and isinstance(row.order_id, str):
            found["reused_label"] += 1
        if (row.id, clean) in seen:
            found["duplicate_number"] += 1
        seen.add((row.id, clean))
        if url is not None:
            text = url.replace("%20", "").replace(" ", "").replace("-", "").upper()
            if clean not in text:
                found["url_missing_number"] += 1
    for row in first_rows:
        created, modified = row.created_at, row.modified_at
        if created is not pd.NaT and modified is not pd.NaT and modified < created:
            found["modified_before_created"] += 1
        if (created is not pd.NaT and created > limit) or (
            modified is not pd.NaT and modified > limit
        ):
            found["future_timestamp"] += 1
        if created is pd.NaT or modified is pd.NaT:
            found["missing_timestamp"] += 1
        if not (isinstance(row.order_id, str) and row.order_id.strip()):
            found["no_order"] += 1
        if not has_number[row.id]:
            found["no_tracking"] += 1
        status = row.shipment_status.lower() if isinstance(row.shipment_status, str) else None
        if status in ("failure", "attempted_delivery"):
            found["shipment_failed"] += 1
        old = created is not pd.NaT and now - created > pd.Timedelta(days=7)
        closed = status in ("delivered", "cancelled", "error")
        if old and not has_number[row.id] and not closed:
            raw = json.loads(row.remote_data) if isinstance(row.remote_data, str) else None
            own = raw.get("status") if isinstance(raw, dict) else None
            if not (isinstance(own, str) and own.lower() in ("cancelled", "error", "failure")):
                found["untracked_too_long"] += 1
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="one JSON line (for run.py)")
    args = parser.parse_args(argv)

    import pandas as pd

    import fulfillkit as fk
    from fulfillkit.reports.auditing import audit
    from fulfillkit.sandbox import make_dataset

    df = fk.to_frame(make_dataset(args.n, seed=0).fulfillments, remote_data=True)
    now = pd.Timestamp(NOW)
    audit(df.head(100), rules=RULES, now=NOW)  # lazy imports and first-use setup
    times: dict[str, list[float]] = {"fulfillkit": [], "loop": []}
    for i in range(args.repeats):
        for approach in ("fulfillkit", "loop") if i % 2 == 0 else ("loop", "fulfillkit"):
            started = time.perf_counter()
            if approach == "fulfillkit":
                counts = Counter(audit(df, rules=RULES, now=NOW)["rule"].tolist())
            else:
                counts = loop_audit(df, now)
            times[approach].append(time.perf_counter() - started)
            if i == 0:
                times.setdefault(f"{approach}-counts", [])
                if approach == "fulfillkit":
                    expected = counts
                else:
                    loop_counts = counts
    if +expected != +loop_counts:
        print(f"the two disagree: {expected} vs {loop_counts}", file=sys.stderr)
        return 1
    fast = statistics.median(times["fulfillkit"])
    slow = statistics.median(times["loop"])
    result = {
        "n": args.n,
        "rows": len(df),
        "fulfillkit_s": fast,
        "loop_s": slow,
        "findings": sum(expected.values()),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.n:,} fulfillments ({len(df):,} rows), {sum(expected.values()):,} findings")
        print(f"  fk.audit   {fast:8.3f} s")
        print(f"  row loop   {slow:8.3f} s   ({slow / fast:.1f}x the time of fk.audit)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
