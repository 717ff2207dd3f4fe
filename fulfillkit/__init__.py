"""fulfillkit: Panora e-commerce fulfillments, fetched fast and analysed in pandas.

Fetch one or thousands of fulfillments by id, concurrently, with retries that match how
Panora really fails; get typed records, a tidy DataFrame, a carrier report, CSV or
Parquet. An embedded Panora sandbox lets everything run with no credentials.

Example:
    >>> import fulfillkit as fk
    >>> with fk.Client.sandbox(n=50) as client:
    ...     batch = client.get_many(client.sandbox_ids, progress=False)
    >>> batch.ok, len(batch)
    (True, 50)

Importing the package has no side effects and does not import pandas: the DataFrame
functions (``to_frame``, ``export``, ``carrier_report``, ...) load it on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._batch import BatchResult, FetchError
from ._errors import (
    APIStatusError,
    AuthenticationError,
    BatchInterrupted,
    ConfigurationError,
    FetchFailed,
    FulfillkitError,
    InvalidIdError,
    InvalidResponseError,
    NetworkError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TimeoutError,
)
from ._retry import RetryPolicy
from .client import AsyncClient, Client
from .models import Fulfillment, Order

if TYPE_CHECKING:
    from .carriers import canonical_carrier, canonical_carriers
    from .display import display_report
    from .frames import (
        ExportFormatError,
        FieldMappingCollisionError,
        UnparsedTimestampWarning,
        export,
        items_frame,
        join_orders,
        orders_frame,
        read_frame,
        to_arrow,
        to_frame,
        to_polars,
    )
    from .reports.audit import audit, audit_summary
    from .reports.carriers import carrier_report
    from .reports.charts import plot_carriers, plot_timeline
    from .reports.html import report_html
    from .tracking import detect_carrier, detect_carriers, tracking_url
    from .widgets import explorer

__version__ = "0.1.0"

__all__ = [
    "APIStatusError",
    "AsyncClient",
    "AuthenticationError",
    "BatchInterrupted",
    "BatchResult",
    "Client",
    "ConfigurationError",
    "ExportFormatError",
    "FetchError",
    "FetchFailed",
    "FieldMappingCollisionError",
    "FulfillkitError",
    "Fulfillment",
    "InvalidIdError",
    "InvalidResponseError",
    "NetworkError",
    "NotFoundError",
    "Order",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "TimeoutError",
    "UnparsedTimestampWarning",
    "__version__",
    "audit",
    "audit_summary",
    "canonical_carrier",
    "canonical_carriers",
    "carrier_report",
    "detect_carrier",
    "detect_carriers",
    "display_report",
    "explorer",
    "export",
    "items_frame",
    "join_orders",
    "orders_frame",
    "plot_carriers",
    "plot_timeline",
    "read_frame",
    "report_html",
    "to_arrow",
    "to_frame",
    "to_polars",
    "tracking_url",
]

_LAZY = {
    "ExportFormatError": "frames",
    "FieldMappingCollisionError": "frames",
    "UnparsedTimestampWarning": "frames",
    "canonical_carrier": "carriers",
    "canonical_carriers": "carriers",
    "audit": "reports.audit",
    "audit_summary": "reports.audit",
    "carrier_report": "reports.carriers",
    "report_html": "reports.html",
    "detect_carrier": "tracking",
    "detect_carriers": "tracking",
    "display_report": "display",
    "explorer": "widgets",
    "plot_carriers": "reports.charts",
    "plot_timeline": "reports.charts",
    "join_orders": "frames",
    "orders_frame": "frames",
    "tracking_url": "tracking",
    "export": "frames",
    "items_frame": "frames",
    "read_frame": "frames",
    "to_arrow": "frames",
    "to_frame": "frames",
    "to_polars": "frames",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fulfillkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
