"""The deployables wired: what each opens, in which order, and how it hands it to its handler."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from typing import Any

from aio_pika.abc import AbstractQueue
from prometheus_client import CollectorRegistry

from careerrank.encoding import load_encoder, model_id
from careerrank.messaging import Broker, connect_broker
from careerrank.observability import PipelineMetrics, serve
from careerrank.retrieval import gpu_available
from careerrank.scoring.active_model import ActiveModel
from careerrank.scoring.application_scoring import ApplicationScoring
from careerrank.scoring.list_ranking import ListRanking
from careerrank.settings import Settings
from careerrank.storage import Database
from workers.broker_dead_letters import BrokerDeadLetters
from workers.consumer import BatchConsumer
from workers.crash_guard import CrashGuard
from workers.dead_letters import DeadLetterSink
from workers.embedder import WORKER as EMBEDDER
from workers.embedder import Embedder
from workers.inbox import BatchLimits
from workers.lifecycle import Service, run_until_signalled
from workers.matcher import WORKER as MATCHER
from workers.matcher import Matcher
from workers.retries import DelayedRetry
from workers.scorer import WORKER as SCORER
from workers.scorer import Scorer, sweep

log = logging.getLogger(__name__)


class EmbedderService(Service):
    name = EMBEDDER

    async def _open(self, resources: AsyncExitStack) -> BatchConsumer[Any, Any]:
        s = self.settings
        database = await _database(self, resources)
        executor = self.compute_thread(resources)
        encoder = await asyncio.get_running_loop().run_in_executor(executor, load_encoder, s.model)
        broker = await _broker(self, resources, s.embedder.prefetch)
        t = broker.topology
        self.handler = Embedder(s, database, encoder, t.internal, self.metrics, executor)
        limits = BatchLimits(s.embedder.max_batch, s.embedder.max_wait_ms / 1000)
        await _record_broker_dead_letters(self, resources, broker, database)
        log.info("started", extra={"worker": self.name, "model": encoder.name, "device": encoder.device})
        return _consumer(self, broker, database, t.embedder_queue, self.handler, limits)


class MatcherService(Service):
    name = MATCHER

    async def _open(self, resources: AsyncExitStack) -> BatchConsumer[Any, Any]:
        s = self.settings
        database = await _database(self, resources)
        executor = self.compute_thread(resources)
        use_gpu = s.matcher.index_device != "cpu" and gpu_available()
        broker = await _broker(self, resources, s.matcher.prefetch)
        self.handler = Matcher(
            database, model_id(s.model.name), s.matcher.top_k, self.metrics, executor, use_gpu, s.matcher.snapshot_dir
        )
        await self.handler.load()
        # Runs after the drain (registered before it), while the compute thread and the pool are still open.
        resources.push_async_callback(self.handler.save_snapshot)
        limits = BatchLimits(s.matcher.max_batch, s.matcher.max_wait_ms / 1000)
        await _record_broker_dead_letters(self, resources, broker, database)
        log.info("started", extra={"worker": self.name, "index": "gpu" if use_gpu else "cpu"})
        return _consumer(self, broker, database, broker.topology.matcher_queue, self.handler, limits)


class ScorerService(Service):
    name = SCORER

    async def _open(self, resources: AsyncExitStack) -> BatchConsumer[Any, Any]:
        s = self.settings
        database = await _database(self, resources)
        executor = self.compute_thread(resources)
        # Follows the last reindex's embedding model (over the configured one), as the matcher does.
        active = ActiveModel(executor, model_id(s.model.name))
        scoring = ApplicationScoring(database, active)
        ranking = ListRanking(database, active, s.scorer.shown_top, s.scorer.remembered_lists)
        broker = await _broker(self, resources, s.scorer.prefetch)
        self.handler = Scorer(s, database, scoring, ranking, self.metrics)
        stop = asyncio.Event()
        task = asyncio.create_task(sweep(self.handler, s.scorer.sweep_interval_s, stop), name="scoring-sweep")

        async def stop_sweep() -> None:
            stop.set()
            await task

        # Registered before the drain, so it runs after it: the sweep stops while the pool is still open.
        resources.push_async_callback(stop_sweep)
        limits = BatchLimits(s.scorer.max_batch, s.scorer.max_wait_ms / 1000)
        await _record_broker_dead_letters(self, resources, broker, database)
        log.info("started", extra={"worker": self.name, "embedding_model": active.embedding_model})
        return _consumer(self, broker, database, broker.topology.scorer_queue, self.handler, limits)


async def _database(service: Service, resources: AsyncExitStack) -> Database:
    database = await Database.connect(service.settings.postgres)
    resources.push_async_callback(database.close)
    return database


async def _broker(service: Service, resources: AsyncExitStack, prefetch: int) -> Broker:
    broker = await connect_broker(service.settings.amqp, prefetch=prefetch)
    resources.push_async_callback(broker.close)
    reconnects = service.metrics.reconnects.labels(service.name, "rabbitmq")
    broker.connection.reconnect_callbacks.add(lambda _: reconnects.inc())
    return broker


def _consumer(
    service: Service, broker: Broker, database: Database, queue: AbstractQueue, handler: Any, limits: BatchLimits
) -> BatchConsumer[Any, Any]:
    """The consume loop of ``queue``, with dead letters, delayed retries and lone tries of its own."""
    sink = DeadLetterSink(service.name, queue.name, broker.topology.dead, database, service.metrics)
    retry = DelayedRetry(service.name, queue.name, broker.names, broker.channel.default_exchange, service.metrics)
    guard = CrashGuard(service.name, queue.name, service.settings.amqp, database, service.metrics)
    return BatchConsumer(service.name, queue, handler, limits, service.metrics, sink, retry, guard)


async def _record_broker_dead_letters(
    service: Service, resources: AsyncExitStack, broker: Broker, database: Database
) -> None:
    """Every worker records what the broker dead-lettered by itself (stopped before the broker closes)."""
    queue = broker.topology.unrecorded_queue
    sink = DeadLetterSink(service.name, queue.name, broker.topology.dead, database, service.metrics)
    recorder = BrokerDeadLetters(service.name, queue, broker.names, sink)
    await recorder.start()
    resources.push_async_callback(recorder.stop)


def build(role: str, settings: Settings, registry: CollectorRegistry | None = None) -> Service:
    metrics = PipelineMetrics(registry or CollectorRegistry())
    if role == EMBEDDER:
        return EmbedderService(settings, metrics)
    if role == MATCHER:
        return MatcherService(settings, metrics)
    if role == SCORER:
        return ScorerService(settings, metrics)
    raise ValueError(f"unknown worker {role!r}; expected {EMBEDDER}, {MATCHER} or {SCORER}")


async def run(role: str, settings: Settings) -> None:
    """Run one worker until SIGTERM/SIGINT, then drain and stop."""
    registry = CollectorRegistry()
    service = build(role, settings, registry)
    serve(registry, settings.worker.metrics_port)
    await run_until_signalled(service)
