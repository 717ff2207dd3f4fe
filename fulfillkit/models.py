"""Typed records for what Panora returns, validated straight from response bytes.

Panora documents eleven fields on a fulfillment and marks every one optional and nullable.
Real (Shopify) payloads are messier than the documented example, so the model is lenient
exactly where the data is:

* ``items`` is documented as an object, is ``{}`` in practice, and was meant to be a list of
  line items: ``None``, a dict or a list are all accepted and kept as they came.
* ``tracking_numbers`` / ``tracking_urls`` may be ``null``; numbers sent as JSON numbers are
  kept as strings.
* Unknown extra fields are kept (``model_extra``), never dropped.
* ``created_at`` / ``modified_at`` become timezone-aware datetimes (a naive value is read as
  UTC, which is what Panora stores). A value that cannot be parsed does not lose the
  record: the field becomes ``None`` and the raw text is kept in
  :attr:`Fulfillment.unparsed_timestamps`.

Validation runs once per response through prebuilt :class:`pydantic.TypeAdapter` objects
(:data:`FULFILLMENT_ADAPTER`), never through per-request model construction.

Example:
    >>> f = Fulfillment.model_validate({"id": "f1", "carrier": "UPS", "tracking_numbers": None})
    >>> f.carrier, f.tracking_numbers
    ('UPS', None)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)

__all__ = [
    "FULFILLMENT_ADAPTER",
    "FULFILLMENT_PAGE_ADAPTER",
    "ORDER_ADAPTER",
    "Fulfillment",
    "FulfillmentPage",
    "Order",
]

_TIMESTAMP_FIELDS = ("created_at", "modified_at")


def _as_aware(value: datetime | None) -> datetime | None:
    """Read a naive datetime as UTC: Panora stores and serves UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


AwareTimestamp = Annotated[datetime | None, AfterValidator(_as_aware)]


class _Record(BaseModel):
    """Shared config and timestamp leniency for Panora's unified records."""

    model_config = ConfigDict(
        extra="allow",
        coerce_numbers_to_str=True,
        frozen=False,
        populate_by_name=True,
    )

    id: str | None = None
    remote_id: str | None = None
    field_mappings: dict[str, Any] | None = None
    remote_data: dict[str, Any] | None = None
    created_at: AwareTimestamp = None
    modified_at: AwareTimestamp = None

    _unparsed_timestamps: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _tolerate_bad_timestamps(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        # Zero cost on the happy path: only a failed validation takes the slow road.
        try:
            return handler(data)
        except ValidationError as exc:
            if not isinstance(data, dict):
                raise
            bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
            if not bad or not bad <= set(_TIMESTAMP_FIELDS):
                raise
            cleaned = dict(data)
            raw = {name: cleaned.pop(name) for name in sorted(bad)}
            record = handler(cleaned)
            record._unparsed_timestamps = raw
            return record

    @property
    def unparsed_timestamps(self) -> dict[str, Any]:
        """Raw values of timestamp fields that could not be parsed (usually empty)."""
        return dict(self._unparsed_timestamps)


class Fulfillment(_Record):
    """One Panora e-commerce fulfillment (``UnifiedEcommerceFulfillmentOutput``).

    Every field is optional, as in Panora's spec. Extra fields are kept.

    Example:
        >>> Fulfillment.model_validate_json(b'{"id": "f1", "items": {}}').items
        {}
    """

    order_id: str | None = None
    carrier: str | None = None
    tracking_numbers: list[str | None] | None = None
    tracking_urls: list[str | None] | None = None
    items: dict[str, Any] | list[Any] | None = None

    def _repr_html_(self) -> str:
        from .display import fulfillment_html

        return fulfillment_html(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        from .display import fulfillment_text

        p.text(repr(self) if cycle else fulfillment_text(self))


class Order(_Record):
    """One Panora e-commerce order (``UnifiedEcommerceOrderOutput``), as far as joins need it.

    Example:
        >>> Order.model_validate({"id": "o1", "total_price": 12.5}).total_price
        12.5
    """

    order_status: str | None = None
    order_number: str | None = None
    payment_status: str | None = None
    currency: str | None = None
    total_price: float | None = None
    total_discount: float | None = None
    total_shipping: float | None = None
    total_tax: float | None = None
    fulfillment_status: str | None = None
    customer_id: str | None = None
    items: list[Any] | dict[str, Any] | None = None


class FulfillmentPage(BaseModel):
    """One page of ``GET /ecommerce/fulfillments``: cursors and records."""

    model_config = ConfigDict(extra="allow")

    prev_cursor: str | None = None
    next_cursor: str | None = None
    data: list[Fulfillment]


FULFILLMENT_ADAPTER: TypeAdapter[Fulfillment] = TypeAdapter(Fulfillment)
ORDER_ADAPTER: TypeAdapter[Order] = TypeAdapter(Order)
FULFILLMENT_PAGE_ADAPTER: TypeAdapter[FulfillmentPage] = TypeAdapter(FulfillmentPage)
