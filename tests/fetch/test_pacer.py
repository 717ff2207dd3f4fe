"""The pacer's arithmetic, on a fake clock: no sleeping, no timing assertions."""

from __future__ import annotations

import asyncio

import pytest

from fulfillkit.fetch.pacer import Pacer


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


def test_rate_cap_from_budget_and_headers() -> None:
    assert Pacer(None, clock=FakeClock()).rate_cap() is None
    assert Pacer((100, 60.0), clock=FakeClock()).rate_cap() == 100 / 60
    pacer = Pacer(None, clock=FakeClock())
    pacer.observe(
        {"x-ratelimit-limit": "20", "x-ratelimit-remaining": "19", "x-ratelimit-reset": "2"}
    )
    pacer.observe(
        {"x-ratelimit-limit": "20", "x-ratelimit-remaining": "18", "x-ratelimit-reset": "1"}
    )
    assert pacer.rate_cap() == 10.0  # 20 per (longest reset seen: 2 s)


def test_progress_eta_is_capped_by_the_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from fulfillkit.fetch.progress import progress_bar

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    bar = progress_bar(total=1000, progress=True, rate_cap=lambda: 2.0)
    try:
        bar.update(100)  # a fast first burst, as the first rate-limit window allows
        values = bar.format_dict
        assert values["rate"] == 2.0
        # 900 records left at 2 per second: the ETA says 7:30, not a few seconds.
        assert "07:30" in bar.format_meter(**values)
    finally:
        bar.close()
