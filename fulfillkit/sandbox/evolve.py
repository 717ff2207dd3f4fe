"""The sandbox's connection some hours later: shipments move on, records change.

A :class:`~fulfillkit.sandbox.Dataset` is a snapshot; a real connection is not. To show
what a store keeps (versions, status changes, time in status) without Panora,
:func:`advance` returns the same connection later: each fulfillment whose Shopify
``shipment_status`` is not final may move one step along (``label_printed`` →
``confirmed`` → ``in_transit`` → ``out_for_delivery`` → ``delivered``, with the odd
``attempted_delivery`` or ``failure``), and a record that moved gets a later
``modified_at`` (and ``updated_at`` in its raw record). Ids, creation times, orders and
everything else stay as they were. Serve it by swapping an app's dataset::

    app.dataset = advance(app.dataset, hours=24, seed=1)   # then store.sync(client, ...)

The moves are drawn from ``seed``, the record's id and its current status, so the same
call gives the same snapshot, and a chain of calls with different seeds gives a history.

Example:
    >>> from fulfillkit.sandbox import make_dataset
    >>> day1 = make_dataset(200)
    >>> day2 = advance(day1, hours=24, seed=1)
    >>> moved = [i for i in day1.fulfillment_ids
    ...          if day1.get_fulfillment(i, True) != day2.get_fulfillment(i, True)]
    >>> 0 < len(moved) < 200, day2.fulfillment_ids == day1.fulfillment_ids
    (True, True)
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from fulfillkit.sandbox.data import Dataset, RecordTable

__all__ = ["NEXT_STATUS", "advance"]

NEXT_STATUS: Final[Mapping[str | None, tuple[tuple[str | None, float], ...]]] = {
    None: (("confirmed", 0.3),),
    "label_printed": (("confirmed", 0.5), ("in_transit", 0.3)),
    "confirmed": (("in_transit", 0.7),),
    "in_transit": (("out_for_delivery", 0.35), ("delivered", 0.35), ("failure", 0.02)),
    "out_for_delivery": (("delivered", 0.8), ("attempted_delivery", 0.12)),
    "attempted_delivery": (("delivered", 0.55), ("out_for_delivery", 0.25), ("failure", 0.1)),
}
"""Where a ``shipment_status`` may go in one step, with each move's probability (the rest
of the time it stays). ``delivered``, ``failure`` and ``cancelled`` are final."""


def advance(dataset: Dataset, *, hours: float = 24.0, seed: int = 0) -> Dataset:
    """``dataset`` some ``hours`` later: open shipments may move one status along (see
    :data:`NEXT_STATUS`); a record that moved is modified between a quarter of ``hours``
    and ``hours`` after its last ``modified_at``. Returns a new dataset; ``dataset`` is
    not changed.
    """
    if not hours > 0:
        raise ValueError(f"hours must be a positive number, got {hours!r}")
    table = dataset.fulfillment_table
    bodies: list[dict[str, Any]] = []
    remotes: list[dict[str, Any]] = []
    for index, record_id in enumerate(table.ids):
        body, remote = dict(table.body(index)), dict(table.remote_data(index))
        status = remote.get("shipment_status")
        rng = random.Random(f"{dataset.seed}:{seed}:{record_id}:{status}")
        moved = _next(status, rng.random())
        if moved != status:
            when = _parse(str(body.get("modified_at") or body["created_at"])) + timedelta(
                hours=hours * (0.25 + 0.75 * rng.random())
            )
            body["modified_at"] = remote["updated_at"] = _iso(when)
            remote["shipment_status"] = moved
        bodies.append(body)
        remotes.append(remote)
    later = RecordTable(
        list(table.ids),
        [table.created_at(i) for i in range(len(table))],
        bodies,
        remotes.__getitem__,
    )
    return Dataset(dataset.n, dataset.seed, later, dataset.order_table)


def _next(status: str | None, draw: float) -> str | None:
    for target, chance in NEXT_STATUS.get(status, ()):
        if draw < chance:
            return target
        draw -= chance
    return status


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _iso(when: datetime) -> str:
    """Panora's form: UTC, milliseconds, ``Z``."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
