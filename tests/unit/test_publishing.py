"""publish_windowed: at most ``window`` unconfirmed publishes, all confirmed on return, first failure raised."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aio_pika
import pytest

from careerrank.errors import ServiceUnavailable
from careerrank.messaging.publishing import PUBLISHED_AT_HEADER, persistent_message, publish_windowed


class FakeExchange:
    """Records publishes; each one takes ``delay`` seconds to be 'confirmed' and may fail."""

    def __init__(self, delay: float = 0.0, fail_on: dict[bytes, BaseException] | None = None) -> None:
        self.delay = delay
        self.fail_on = fail_on or {}
        self.started: list[tuple[str, bytes]] = []
        self.confirmed: list[bytes] = []
        self.cancelled: list[bytes] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def publish(self, message: aio_pika.Message, routing_key: str) -> None:
        self.started.append((routing_key, message.body))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            if message.body in self.fail_on:
                raise self.fail_on[message.body]
            self.confirmed.append(message.body)
        except asyncio.CancelledError:
            self.cancelled.append(message.body)
            raise
        finally:
            self.in_flight -= 1


def messages(n: int, key: str = "rk") -> Iterator[tuple[str, aio_pika.Message]]:
    for i in range(n):
        yield key, persistent_message(str(i).encode())


def bodies(n: int) -> list[bytes]:
    return [str(i).encode() for i in range(n)]


async def test_publishes_everything_in_order_and_counts() -> None:
    exchange = FakeExchange()
    confirmed = 0

    def on_confirmed() -> None:
        nonlocal confirmed
        confirmed += 1

    count = await publish_windowed(exchange, messages(25, "index.update"), window=4, on_confirmed=on_confirmed)  # type: ignore[arg-type]
    assert count == 25
    assert exchange.started == [("index.update", b) for b in bodies(25)]
    assert sorted(exchange.confirmed) == sorted(bodies(25))
    assert confirmed == 25
    assert exchange.in_flight == 0


async def test_nothing_to_publish() -> None:
    exchange = FakeExchange()
    assert await publish_windowed(exchange, [], window=3) == 0  # type: ignore[arg-type]
    assert exchange.started == []


@pytest.mark.parametrize("window", [1, 3, 8])
async def test_window_bounds_in_flight_publishes(window: int) -> None:
    exchange = FakeExchange(delay=0.005)
    assert await publish_windowed(exchange, messages(20), window=window) == 20  # type: ignore[arg-type]
    # The bound holds and is reached: publishes overlap up to the window, not beyond.
    assert exchange.max_in_flight == window
    assert len(exchange.confirmed) == 20


async def test_window_larger_than_input() -> None:
    exchange = FakeExchange(delay=0.005)
    assert await publish_windowed(exchange, messages(3), window=100) == 3  # type: ignore[arg-type]
    assert exchange.max_in_flight == 3


async def test_returns_only_when_all_are_confirmed() -> None:
    exchange = FakeExchange(delay=0.02)
    started = time.monotonic()
    await publish_windowed(exchange, messages(6), window=6)  # type: ignore[arg-type]
    assert time.monotonic() - started >= 0.015
    assert len(exchange.confirmed) == 6
    assert exchange.in_flight == 0


async def test_windowed_is_faster_than_one_by_one() -> None:
    exchange = FakeExchange(delay=0.01)
    started = time.monotonic()
    await publish_windowed(exchange, messages(40), window=20)  # type: ignore[arg-type]
    # One by one this is 0.4 s; two rounds of 20 take about 0.02 s.
    assert time.monotonic() - started < 0.2


async def test_accepts_an_async_iterable() -> None:
    async def produce() -> AsyncIterator[tuple[str, aio_pika.Message]]:
        for key, message in messages(7):
            await asyncio.sleep(0)
            yield key, message

    exchange = FakeExchange(delay=0.001)
    assert await publish_windowed(exchange, produce(), window=2) == 7  # type: ignore[arg-type]
    assert [b for _, b in exchange.started] == bodies(7)
    assert exchange.max_in_flight <= 2


async def test_first_failure_is_raised_and_publishing_stops() -> None:
    first, second = RuntimeError("nack 5"), RuntimeError("nack 7")
    exchange = FakeExchange(delay=0.005, fail_on={b"5": first, b"7": second})
    confirmed = 0

    def on_confirmed() -> None:
        nonlocal confirmed
        confirmed += 1

    with pytest.raises(RuntimeError) as info:
        await publish_windowed(exchange, messages(100), window=3, on_confirmed=on_confirmed)  # type: ignore[arg-type]
    assert info.value is first
    # It stopped soon after the failure instead of pushing the remaining ~90 messages.
    assert len(exchange.started) <= 5 + 3 + 1
    assert b"99" not in [b for _, b in exchange.started]
    assert confirmed == len(exchange.confirmed)
    assert exchange.max_in_flight <= 3
    # Publishes still in flight when it raised are cancelled, not left running unobserved.
    await asyncio.sleep(0.02)
    assert exchange.in_flight == 0
    failed = [b for _, b in exchange.started if b in (b"5", b"7")]
    assert len(exchange.confirmed) + len(exchange.cancelled) + len(failed) == len(exchange.started)


async def test_failure_of_the_last_message_is_raised() -> None:
    error = ConnectionError("channel closed")
    exchange = FakeExchange(delay=0.002, fail_on={b"9": error})
    # A lost connection is an outage: raised as one, with the driver's error as its cause.
    with pytest.raises(ServiceUnavailable) as info:
        await publish_windowed(exchange, messages(10), window=4)  # type: ignore[arg-type]
    assert info.value.__cause__ is error
    assert len(exchange.confirmed) == 9


async def test_failure_with_a_window_wider_than_the_input() -> None:
    error = RuntimeError("returned")
    exchange = FakeExchange(delay=0.002, fail_on={b"0": error})
    with pytest.raises(RuntimeError) as info:
        await publish_windowed(exchange, messages(5), window=50)  # type: ignore[arg-type]
    assert info.value is error
    assert sorted(exchange.confirmed) == bodies(5)[1:]


async def test_an_error_in_the_source_cancels_in_flight_publishes() -> None:
    async def broken() -> AsyncIterator[tuple[str, aio_pika.Message]]:
        for item in messages(3):
            yield item
            await asyncio.sleep(0.001)  # lets the publishes start
        raise ValueError("bad source")

    exchange = FakeExchange(delay=1.0)
    with pytest.raises(ValueError, match="bad source"):
        await publish_windowed(exchange, broken(), window=10)  # type: ignore[arg-type]
    await asyncio.sleep(0.01)
    assert exchange.in_flight == 0
    assert sorted(exchange.cancelled) == bodies(3)


async def test_caller_cancellation_cancels_in_flight_publishes() -> None:
    exchange = FakeExchange(delay=10.0)
    task = asyncio.create_task(publish_windowed(exchange, messages(4), window=2))  # type: ignore[arg-type]
    await asyncio.sleep(0.01)
    assert exchange.in_flight == 2
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.01)
    assert exchange.in_flight == 0
    assert len(exchange.started) == 2


def test_persistent_message() -> None:
    before = time.time()
    message = persistent_message(b'{"a": 1}', headers={"x-trace": "t1"}, message_id="m-1")
    assert message.body == b'{"a": 1}'
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert message.content_type == "application/json"
    assert message.message_id == "m-1"
    headers: dict[str, Any] = dict(message.headers)
    assert headers["x-trace"] == "t1"
    assert before <= headers[PUBLISHED_AT_HEADER] <= time.time()


def test_persistent_message_headers_can_override_the_stamp() -> None:
    # A republished message keeps its original publish time, so latency is measured from the first publish.
    message = persistent_message(b"{}", headers={PUBLISHED_AT_HEADER: 12.5})
    assert message.headers[PUBLISHED_AT_HEADER] == 12.5
