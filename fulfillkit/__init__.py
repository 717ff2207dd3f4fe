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

from .client import AsyncClient, Client
from .errors import (
    APIStatusError,
    AuthenticationError,
    BatchInterrupted,
    CheckpointError,
    ClientClosedError,
    ConfigurationError,
    EndpointNotFoundError,
    FailedId,
    FetchFailed,
    FulfillkitError,
    InvalidIdError,
    InvalidResponseError,
    NetworkError,
    NotFoundError,
    RateLimitError,
    ServerError,
    SinkError,
    TimeoutError,
    UnknownCursorError,
    UnreachableError,
)
from .fetch.results import BatchResult, OrdersResult
from .fetch.retry import RetryPolicy
from .models import Fulfillment, Order
from .version import __version__

if TYPE_CHECKING:
    from .carriers import (
        canonical_carrier,
        canonical_carriers,
        detect_carrier,
        detect_carriers,
        tracking_url,
    )
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
    from .notebook.display import display_report
    from .notebook.widgets import explorer
    from .reports import (
        audit,
        audit_summary,
        carrier_report,
        plot_carriers,
        plot_timeline,
        report_html,
    )


__all__ = [
    "APIStatusError",
    "AsyncClient",
    "AuthenticationError",
    "BatchInterrupted",
    "BatchResult",
    "CheckpointError",
    "Client",
    "ClientClosedError",
    "ConfigurationError",
    "EndpointNotFoundError",
    "ExportFormatError",
    "FailedId",
    "FetchFailed",
    "FieldMappingCollisionError",
    "FulfillkitError",
    "Fulfillment",
    "InvalidIdError",
    "InvalidResponseError",
    "NetworkError",
    "NotFoundError",
    "Order",
    "OrdersResult",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "SinkError",
    "TimeoutError",
    "UnknownCursorError",
    "UnparsedTimestampWarning",
    "UnreachableError",
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
    "audit": "reports",
    "audit_summary": "reports",
    "carrier_report": "reports",
    "report_html": "reports",
    "detect_carrier": "carriers",
    "detect_carriers": "carriers",
    "display_report": "notebook.display",
    "explorer": "notebook.widgets",
    "plot_carriers": "reports",
    "plot_timeline": "reports",
    "join_orders": "frames",
    "orders_frame": "frames",
    "tracking_url": "carriers",
    "export": "frames",
    "items_frame": "frames",
    "read_frame": "frames",
    "to_arrow": "frames",
    "to_frame": "frames",
    "to_polars": "frames",
}


def __getattr__(name: str) -> Any:
    if name == "FetchError":  # renamed FailedId; the deprecated alias warns
        from . import errors

        return errors.FetchError
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fulfillkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
