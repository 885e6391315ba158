"""Rate limits, on a simulated clock: the limiter sleeps exactly as long as the limit needs."""

from __future__ import annotations

import asyncio

import pytest

from harness.backends import ratelimit
from harness.backends.ratelimit import RateLimits


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(ratelimit.time, "monotonic", fake.monotonic)
    monkeypatch.setattr(ratelimit.asyncio, "sleep", fake.sleep)
    return fake


def test_requests_per_minute_spaces_requests_out(clock: FakeClock) -> None:
    limits = RateLimits(requests_per_minute=60, tokens_per_minute=None)

    async def admit_many() -> list[float]:
        times = []
        for _ in range(5):
            await limits.admit(0)
            times.append(clock.now - 100.0)
        return times

    times = asyncio.run(admit_many())
    assert times == pytest.approx([0.0, 1.0, 2.0, 3.0, 4.0])


def test_tokens_per_minute_waits_for_the_bucket_to_refill(clock: FakeClock) -> None:
    limits = RateLimits(requests_per_minute=None, tokens_per_minute=6000)  # 100 tokens a second

    async def admit() -> float:
        await limits.admit(100)  # the first second's worth is there at once
        await limits.admit(50)
        return clock.now - 100.0

    assert asyncio.run(admit()) == pytest.approx(0.5)


def test_no_limits_never_wait(clock: FakeClock) -> None:
    asyncio.run(RateLimits(None, None).admit(10**6))
    assert clock.now == 100.0
