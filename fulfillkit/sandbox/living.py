"""How sandbox records change after the default now: parcels move, orders get fulfilled.

A fulfillment is *open* while it has no tracking number or its Shopify ``shipment_status``
is not final (``delivered``, ``failure``), unless its Shopify ``status`` ended it
(``cancelled``, ``error``, ``failure``). Each open fulfillment gets a timeline of events,
a pure function of the seed, the record and its state at the default now (or at its
creation, for records created later):

* a tracking number (and most often its URL) added, when it had none;
* then scans: ``label_printed`` -> ``confirmed`` -> ``in_transit`` -> ``out_for_delivery``
  -> ``delivered``, sometimes ``attempted_delivery`` or ``failure``, hours to a few days
  apart (``in_transit`` lasts longest, and longer for slow carriers);
* a parcel may be lost at any scan (3%): it stays open for good.

Most open records created within 30 days of the default now progress; older open ones
mostly stay stuck (lost parcels), a few move again within the next 60 days. Panora only
sees a change at its next sync (:meth:`~fulfillkit.sandbox.generator.Shop.next_sync`):
that is the record's new ``modified_at``; Shopify's ``updated_at`` is the event's own time.

A record's *version* at a time is the number of its events Panora has synced by then;
version 0 is the record as generated, served byte-identical for as long as it lasts.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable
from typing import Any, NamedTuple

from fulfillkit.sandbox.draws import Draws, Weighted
from fulfillkit.sandbox.generator import Shop
from fulfillkit.sandbox.shopify import with_parcel
from fulfillkit.sandbox.timestamps import DAY_MS, HOUR_MS, iso_ms
from fulfillkit.sandbox.vocabulary import (
    FAMILY_OF_CARRIER,
    FINAL_SHIPMENT_STATUSES,
    FINAL_STATUSES,
    Record,
    tracking_for,
)

__all__ = ["Event", "FulfillmentLife", "OrderLife", "Parcel", "is_open", "parcel_events"]

_TIMELINE_STREAM = 7
_NEXT_SCAN: dict[str | None, Weighted[str]] = {
    None: Weighted((("label_printed", 35), ("confirmed", 45), ("in_transit", 20))),
    "label_printed": Weighted((("confirmed", 70), ("in_transit", 30))),
    "confirmed": Weighted((("in_transit", 100),)),
    "in_transit": Weighted((("out_for_delivery", 85), ("delivered", 12), ("failure", 3))),
    "out_for_delivery": Weighted((("delivered", 88), ("attempted_delivery", 10), ("failure", 2))),
    "attempted_delivery": Weighted((("out_for_delivery", 55), ("delivered", 35), ("failure", 10))),
}
# Hours a parcel stays in a state before its next scan (fewest, most).
_DWELL_HOURS: dict[str | None, tuple[int, int]] = {
    None: (2, 30),
    "label_printed": (2, 24),
    "confirmed": (3, 36),
    "in_transit": (20, 110),
    "out_for_delivery": (1, 10),
    "attempted_delivery": (18, 50),
}
_TRACKING_HOURS = (1, 48)  # until the merchant adds a missing tracking number
# Time in transit relative to UPS's, by carrier family (unknown couriers are slowest).
_TRANSIT_SPEED = {
    "ups": 1.0,
    "fedex": 0.85,
    "dhl": 0.9,
    "usps": 1.25,
    "dhl_ecommerce": 1.5,
    "royal_mail": 1.2,
    "canada_post": 1.4,
    "la_poste": 1.3,
    "colissimo": 1.2,
    "australia_post": 1.5,
}
_LOST = 0.03  # chance, before each scan, that the parcel is never scanned again
_MOST_EVENTS = 12
_YOUNG_MS = 30 * DAY_MS  # open and at most this old at the default now: most progress
_OLD_MS = 120 * DAY_MS
_REVIVAL_MS = 60 * DAY_MS  # an older one that moves again does so within this


class Parcel(NamedTuple):
    """What changes over a fulfillment's life (the rest of the record never does)."""

    numbers: Any  # tracking_numbers as served: a list, [] or None
    urls: Any  # tracking_urls as served
    shipment_status: str | None
    status: str


class Event(NamedTuple):
    """One change: Panora's sync time (the new ``modified_at``), Shopify's own time of it
    (``updated_at``), and the parcel after it."""

    synced_ms: int
    shopify_ms: int
    parcel: Parcel


def is_open(numbers: Any, shipment_status: str | None, status: str | None) -> bool:
    """True when a fulfillment can still change: no tracking number yet, or a parcel that
    is not delivered or failed, and a fulfillment not cancelled or failed.

    Example:
        >>> is_open(["1Z..."], "in_transit", "success"), is_open([], "delivered", "success")
        (True, True)
        >>> is_open(["1Z..."], "delivered", "success"), is_open(None, None, "cancelled")
        (False, False)
    """
    if status in FINAL_STATUSES:
        return False
    return not numbers or shipment_status not in FINAL_SHIPMENT_STATUSES


def _pause(draws: Draws, hours: tuple[int, int], factor: float = 1.0) -> int:
    low, high = hours
    return int((low + (high - low) * draws.random()) * factor * HOUR_MS)


def parcel_events(
    parcel: Parcel, *, carrier: str | None, start_ms: int, draws: Draws
) -> list[tuple[int, Parcel]]:
    """The changes an open fulfillment goes through after ``start_ms``: ``(Shopify time,
    parcel after)`` pairs, in time order (empty for a closed one).

    Example:
        >>> parcel = Parcel(["1Z1"], [], "label_printed", "success")
        >>> draws = Draws(0, "0b6f1d7e-9a51-4c1f-8e0b-6a2b4b1f9c3d")
        >>> events = parcel_events(parcel, carrier="UPS", start_ms=0, draws=draws)
        >>> [(at // HOUR_MS, after.shipment_status) for at, after in events]
        [(6, 'confirmed'), (30, 'in_transit'), (69, 'out_for_delivery'), (79, 'delivered')]
    """
    numbers, urls, shipment, status = parcel
    if not is_open(numbers, shipment, status):
        return []
    at = start_ms
    events: list[tuple[int, Parcel]] = []
    if not numbers:
        at += _pause(draws, _TRACKING_HOURS)
        number, url = tracking_for(random.Random(draws.below(2**53)), carrier)
        numbers = [number]
        urls = [url] if url is not None else urls
        status = "success"
        events.append((at, Parcel(numbers, urls, shipment, status)))
    speed = _TRANSIT_SPEED.get(FAMILY_OF_CARRIER.get(carrier) or "", 1.6)
    while shipment not in FINAL_SHIPMENT_STATUSES and len(events) < _MOST_EVENTS:
        if draws.random() < _LOST:
            break
        at += _pause(draws, _DWELL_HOURS[shipment], speed if shipment == "in_transit" else 1.0)
        shipment = _NEXT_SCAN[shipment].draw(draws.random())
        status = "success"
        events.append((at, Parcel(numbers, urls, shipment, status)))
    return events


class FulfillmentLife:
    """The versions of every fulfillment of one shop after its default now.

    Args:
        shop: the shop (bodies, meta, sync schedule).
        payload: the record's Shopify payload at version 0 (built lazily, cached by the
            caller); read only for records that may change.
        static: slots that never change (records a test inserted).
    """

    def __init__(self, shop: Shop, payload: Callable[[int], Record], static: set[int]) -> None:
        self._shop = shop
        self._payload = payload
        self._static = static
        self._events: dict[int, tuple[Event, ...]] = {}
        self._syncs: dict[int, tuple[int, ...]] = {}

    def events(self, slot: int) -> tuple[Event, ...]:
        """Every change fulfillment ``slot`` will go through, in order (cached)."""
        events = self._events.get(slot)
        if events is None:
            events = self._events[slot] = self._draw(slot)
            self._syncs[slot] = tuple(event.synced_ms for event in events)
        return events

    def _draw(self, slot: int) -> tuple[Event, ...]:
        shop = self._shop
        if slot in self._static:
            return ()
        body = shop.fulfillment_bodies[slot]
        _, _, created_ms, modified_ms = shop.fulfillment_meta[slot]
        draws = Draws(shop.seed, body["id"], stream=_TIMELINE_STREAM)
        start = created_ms
        if slot < shop.n:  # an initial record: how old was it at the default now?
            age = shop.start_ms - created_ms
            chance = 0.92 if age <= _YOUNG_MS else 0.12 if age <= _OLD_MS else 0.01
            if draws.random() >= chance:
                return ()  # stuck (or never open): decided without building its payload
            start = max(shop.start_ms, modified_ms)
            if age > _YOUNG_MS:
                start += draws.below(_REVIVAL_MS)
        payload = self._payload(slot)
        parcel = Parcel(
            body["tracking_numbers"],
            body["tracking_urls"],
            payload["shipment_status"],
            payload["status"],
        )
        steps = parcel_events(parcel, carrier=body["carrier"], start_ms=start, draws=draws)
        return tuple(Event(shop.next_sync(at), at, after) for at, after in steps)

    def version_at(self, slot: int, at: int) -> int:
        """How many of the record's changes Panora has synced by ``at`` (ms)."""
        if at <= self._shop.start_ms:
            return 0  # nothing changes before the default now
        syncs = self._syncs.get(slot)
        if syncs is None:
            self.events(slot)
            syncs = self._syncs[slot]
        return bisect_right(syncs, at) if syncs else 0

    def evolve(
        self, slot: int, version: int, body: Record, payload: Record
    ) -> tuple[Record, Record]:
        """The record and its Shopify payload at ``version`` (>= 1), from version 0's."""
        event = self.events(slot)[version - 1]
        parcel = event.parcel
        moved = dict(body)
        moved["tracking_numbers"] = parcel.numbers
        moved["tracking_urls"] = parcel.urls
        moved["modified_at"] = iso_ms(event.synced_ms)
        remote = with_parcel(
            payload,
            numbers=parcel.numbers or [],
            urls=parcel.urls or [],
            shipment_status=parcel.shipment_status,
            status=parcel.status,
            updated_at=self._shop.local(event.shopify_ms),
        )
        return moved, remote


class OrderLife:
    """The versions of every order: an order placed after the default now is unfulfilled
    (version 0) until its fulfillment appears (version 1: ``fulfillment_status``
    ``"fulfilled"``, modified then). The initial orders never change."""

    def __init__(self, shop: Shop) -> None:
        self._shop = shop

    def version_at(self, slot: int, at: int) -> int:
        """1 once the order's fulfillment exists at ``at`` (ms), else 0."""
        fulfilled = self._shop.order_fulfilled_at.get(slot)
        return 1 if fulfilled is not None and fulfilled <= at else 0

    def evolve(
        self, slot: int, version: int, body: Record, payload: Record
    ) -> tuple[Record, Record]:
        """The order and its Shopify payload once fulfilled."""
        fulfilled = self._shop.order_fulfilled_at[slot]
        moved = dict(body)
        moved["fulfillment_status"] = "fulfilled"
        moved["modified_at"] = iso_ms(fulfilled)
        remote = dict(payload)
        remote["fulfillment_status"] = "fulfilled"
        remote["updated_at"] = self._shop.local(fulfilled)
        return moved, remote
