"""The pacer's arithmetic, on a fake clock: no sleeping, no timing assertions."""

from __future__ import annotations

import asyncio

from fulfillkit._pacer import Pacer


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_client_budget_is_a_sliding_window() -> None:
    clock = FakeClock()
    pacer = Pacer((3, 10.0), clock=clock)

    async def send(n: int) -> None:
        for _ in range(n):
            assert pacer.wait_time() == 0
            await pacer.acquire()
            pacer.release()

    asyncio.run(send(3))
    assert pacer.wait_time() == 10.0
    clock.now += 4
    assert pacer.wait_time() == 6.0
    clock.now += 6
    assert pacer.wait_time() == 0


def test_server_headers_hold_requests_until_the_window_resets() -> None:
    clock = FakeClock()
    pacer = Pacer(None, clock=clock)
    pacer.observe(
        {"x-ratelimit-limit": "20", "x-ratelimit-remaining": "2", "x-ratelimit-reset": "5"}
    )
    assert pacer.wait_time() == 0

    async def two() -> None:
        await pacer.acquire()
        await pacer.acquire()

    asyncio.run(two())
    assert pacer.wait_time() == 5.0  # both remaining slots used by requests in flight
    clock.now += 5
    assert pacer.wait_time() == 0


def test_in_flight_requests_count_against_what_the_server_reports() -> None:
    clock = FakeClock()
    pacer = Pacer(None, clock=clock)

    async def three_in_flight() -> None:
        for _ in range(3):
            await pacer.acquire()

    asyncio.run(three_in_flight())
    pacer.release()
    # This response was counted by the server, the two others still in flight may not be.
    pacer.observe({"x-ratelimit-remaining": "2", "x-ratelimit-reset": "30"})
    assert pacer.wait_time() == 30.0


def test_429_holds_everyone_for_retry_after() -> None:
    clock = FakeClock()
    pacer = Pacer(None, clock=clock)
    pacer.hold(2.5)
    assert pacer.wait_time() == 2.5
    pacer.hold(1.0)  # a shorter hold never shortens a longer one
    assert pacer.wait_time() == 2.5
    clock.now += 3
    assert pacer.wait_time() == 0


def test_garbage_headers_are_ignored() -> None:
    pacer = Pacer(None, clock=FakeClock())
    pacer.observe({"x-ratelimit-remaining": "lots", "x-ratelimit-reset": "soon"})
    pacer.observe({"x-ratelimit-remaining": "0"})
    assert pacer.wait_time() == 0
