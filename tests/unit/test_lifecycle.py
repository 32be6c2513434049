"""A worker's lifecycle: resources close in reverse order of opening, after the drain, and a failed start
closes what it had opened."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from careerrank.errors import ModelUnavailable
from careerrank.observability import PipelineMetrics
from careerrank.settings import Settings
from workers.lifecycle import Service


class Consumer:
    def __init__(self, events: list[str]) -> None:
        self.events = events

    async def start(self) -> None:
        self.events.append("consume")

    async def stop(self, timeout_s: float) -> float:
        self.events.append("drain")
        return 0.25

    async def wait(self) -> None:
        return None


class Recorded(Service):
    """Opens a pool, a thread and a broker (recording each), then the consumer, or fails where told."""

    name = "recorded"

    def __init__(self, fail_at: str | None = None) -> None:
        super().__init__(Settings(), PipelineMetrics(CollectorRegistry()))
        self.events: list[str] = []
        self.fail_at = fail_at

    async def _open(self, resources: AsyncExitStack) -> Any:
        for resource in ("pool", "thread", "broker"):
            if resource == self.fail_at:
                raise ModelUnavailable(f"{resource} failed")
            self.events.append(f"open {resource}")
            resources.push_async_callback(self._close, resource)
        return Consumer(self.events)

    async def _close(self, resource: str) -> None:
        self.events.append(f"close {resource}")


async def test_stop_drains_first_then_closes_in_reverse_order() -> None:
    service = Recorded()
    async with service:
        assert service.events == ["open pool", "open thread", "open broker", "consume"]
    assert service.events[4:] == ["drain", "close broker", "close thread", "close pool"]
    assert await service.stop() == 0.25  # a second stop closes nothing twice
    assert service.events.count("close pool") == 1


@pytest.mark.parametrize(("fail_at", "closed"), [("pool", []), ("broker", ["close thread", "close pool"])])
async def test_a_failed_start_closes_what_it_had_opened(fail_at: str, closed: list[str]) -> None:
    service = Recorded(fail_at)
    with pytest.raises(ModelUnavailable):
        await service.start()
    assert [e for e in service.events if e.startswith("close")] == closed
    assert "consume" not in service.events and service.consumer is None
