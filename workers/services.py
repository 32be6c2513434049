"""The two deployables, each with one place for its lifecycle.

Start: database pool → model load and warm-up (embedder) or index rebuild (matcher) → topology → consume.
Stop: stop consuming → drain the in-flight batch (bounded by ``drain_timeout_s``) → close channel →
stop the compute thread → close the pool.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Protocol, Self

import asyncpg
from prometheus_client import CollectorRegistry

from careerrank import metrics as metrics_module
from careerrank.encoders import load_encoder, model_id
from careerrank.metrics import PipelineMetrics
from careerrank.settings import Settings
from careerrank.vector_index import gpu_available
from workers.connections import Broker, connect_broker, connect_postgres
from workers.consumer import BatchConsumer, BatchLimits
from workers.dead_letters import DeadLetterSink
from workers.embedder import WORKER as EMBEDDER
from workers.embedder import Embedder
from workers.matcher import WORKER as MATCHER
from workers.matcher import Matcher
from workers.retries import DelayedRetry

log = logging.getLogger(__name__)


class Service(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> float: ...

    async def wait(self) -> None: ...


class _ServiceBase:
    name = "service"

    def __init__(self, settings: Settings, metrics: PipelineMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.pool: asyncpg.Pool | None = None
        self.broker: Broker | None = None
        self.consumer: BatchConsumer[object] | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{self.name}-compute")

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        raise NotImplementedError

    async def _connect_broker(self, prefetch: int) -> Broker:
        broker = await connect_broker(self.settings, prefetch=prefetch)
        reconnects = self.metrics.reconnects.labels(self.name, "rabbitmq")
        broker.connection.reconnect_callbacks.add(lambda _: reconnects.inc())
        return broker

    async def wait(self) -> None:
        """Return when the consume loop ends by itself (it should not: that is a failure)."""
        assert self.consumer is not None
        await self.consumer.wait()

    async def stop(self) -> float:
        drained = 0.0
        if self.consumer is not None:
            drained = await self.consumer.stop(self.settings.worker.drain_timeout_s)
        if self.broker is not None:
            await self.broker.channel.close()
            await self.broker.connection.close()
        self.executor.shutdown(wait=True, cancel_futures=True)
        if self.pool is not None:
            await self.pool.close()
        log.info("stopped", extra={"worker": self.name, "drain_s": round(drained, 3)})
        return drained


class EmbedderService(_ServiceBase):
    name = EMBEDDER

    async def start(self) -> None:
        s = self.settings
        self.pool = await connect_postgres(s)
        loop = asyncio.get_running_loop()
        encoder = await loop.run_in_executor(self.executor, load_encoder, s.model)
        self.broker = await self._connect_broker(s.embedder.prefetch)
        t = self.broker.topology
        sink = DeadLetterSink(self.name, self.broker.names.embedder_queue, t.dead, self.pool, self.metrics)
        handler = Embedder(s, self.pool, encoder, t.internal, sink, self.metrics, self.executor)
        limits = BatchLimits(s.embedder.max_batch, s.embedder.max_wait_ms / 1000)
        retry = DelayedRetry(
            self.name, t.embedder_queue.name, self.broker.names, self.broker.channel.default_exchange, self.metrics
        )
        self.consumer = BatchConsumer(self.name, t.embedder_queue, handler, limits, self.metrics, retry)  # type: ignore[arg-type]
        await self.consumer.start()
        log.info("started", extra={"worker": self.name, "model": encoder.name, "device": encoder.device})


class MatcherService(_ServiceBase):
    name = MATCHER

    async def start(self) -> None:
        s = self.settings
        self.pool = await connect_postgres(s)
        use_gpu = s.matcher.index_device != "cpu" and gpu_available()
        self.broker = await self._connect_broker(s.matcher.prefetch)
        t = self.broker.topology
        sink = DeadLetterSink(self.name, self.broker.names.matcher_queue, t.dead, self.pool, self.metrics)
        self.handler = Matcher(
            self.pool, model_id(s.model), s.matcher.top_k, sink, self.metrics, self.executor, use_gpu=use_gpu
        )
        await self.handler.load()
        limits = BatchLimits(s.matcher.max_batch, s.matcher.max_wait_ms / 1000)
        retry = DelayedRetry(
            self.name, t.matcher_queue.name, self.broker.names, self.broker.channel.default_exchange, self.metrics
        )
        self.consumer = BatchConsumer(self.name, t.matcher_queue, self.handler, limits, self.metrics, retry)  # type: ignore[arg-type]
        await self.consumer.start()
        log.info("started", extra={"worker": self.name, "index": "gpu" if use_gpu else "cpu"})


def build(role: str, settings: Settings, registry: CollectorRegistry | None = None) -> _ServiceBase:
    metrics = PipelineMetrics(registry or CollectorRegistry())
    if role == EMBEDDER:
        return EmbedderService(settings, metrics)
    if role == MATCHER:
        return MatcherService(settings, metrics)
    raise ValueError(f"unknown worker {role!r}; expected {EMBEDDER} or {MATCHER}")


async def run(role: str, settings: Settings) -> None:
    """Run one worker until SIGTERM/SIGINT, then drain and stop."""
    registry = CollectorRegistry()
    service = build(role, settings, registry)
    metrics_module.serve(registry, settings.worker.metrics_port)
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
    if waiter.done() and not waiter.cancelled() and waiter.exception() is not None:
        raise RuntimeError(f"{role} consume loop failed") from waiter.exception()
