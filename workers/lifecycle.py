"""One lifecycle for every deployable: start in order, run until SIGTERM/SIGINT, stop in reverse order.

Start: database pool → model load and warm-up (embedder) or index rebuild (matcher) → topology → consume.
Every resource is pushed on an exit stack as it is opened, so stopping closes what was opened, in reverse:
stop consuming → drain the in-flight batch (bounded by ``drain_timeout_s``) → close the channel and the
connection → stop the compute thread → close the pool. A ``start()`` that fails half way closes what it had
opened before it raises.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any, Self

from careerrank.errors import CareerRankError
from careerrank.observability import PipelineMetrics
from careerrank.settings import Settings
from workers.consumer import BatchConsumer

log = logging.getLogger(__name__)


class Service:
    """A worker process: its settings, metrics, compute thread and consumer, and what it opened."""

    name = "service"

    def __init__(self, settings: Settings, metrics: PipelineMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.consumer: BatchConsumer[Any, Any] | None = None
        self._resources = AsyncExitStack()
        self._drained = 0.0

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Open everything and start consuming; on failure, close what was opened and raise."""
        try:
            consumer = await self._open(self._resources)
            # Registered last, so it runs first on stop: nothing is closed under a batch still in flight.
            self._resources.push_async_callback(self._drain, consumer)
            await consumer.start()
        except BaseException:
            log.warning("start failed; closing what was opened", extra={"worker": self.name})
            await self._resources.aclose()
            raise
        self.consumer = consumer

    async def _open(self, resources: AsyncExitStack) -> BatchConsumer[Any, Any]:
        """Open the resources in order (registering how to close each on ``resources``); return the consumer."""
        raise NotImplementedError

    def compute_thread(self, resources: AsyncExitStack) -> ThreadPoolExecutor:
        """The one thread that runs this worker's blocking work (the model, the indexes)."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{self.name}-compute")
        resources.callback(executor.shutdown, wait=True, cancel_futures=True)
        return executor

    async def wait(self) -> None:
        """Return when the consume loop ends by itself (it should not: that is a failure)."""
        assert self.consumer is not None
        await self.consumer.wait()

    async def stop(self) -> float:
        """Drain, then close everything in reverse order of opening; return the drain seconds."""
        await self._resources.aclose()
        log.info("stopped", extra={"worker": self.name, "drain_s": round(self._drained, 3)})
        return self._drained

    async def _drain(self, consumer: BatchConsumer[Any, Any]) -> None:
        self._drained = await consumer.stop(self.settings.worker.drain_timeout_s)


async def run_until_signalled(service: Service) -> None:
    """Run ``service`` until SIGTERM/SIGINT (or until its consume loop fails), then drain and stop it."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await service.start()
    waiter = asyncio.create_task(service.wait())
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        await service.stop()
        waiter.cancel()
    failure = waiter.exception() if waiter.done() and not waiter.cancelled() else None
    if isinstance(failure, CareerRankError):
        raise failure  # a setup error: the command logs its reason and exits non-zero
    if failure is not None:
        raise RuntimeError(f"{service.name} consume loop failed") from failure
