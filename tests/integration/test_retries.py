"""Failures of one message, or of one step: delayed bounded retries, dead-lettering, replay, idempotent commits."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from careerrank.cli.commands import dead_letters_command
from careerrank.errors import ServiceUnavailable
from careerrank.settings import Settings
from careerrank.storage.embeddings import Embeddings
from careerrank.storage.items import Items
from tests.integration.pipeline import brute_force_check, posting, publish, running_workers, settle, wait_matched
from workers import embedder as embedder_module

pytestmark = pytest.mark.integration


class Flaky(Exception):
    """Stands for a failure of one message's processing (a deadlock, a timeout, a bug)."""


def failing(original: Callable[..., Any], item: str, times: int, calls: list[float]) -> Callable[..., Any]:
    """Wrap a storage call so that it raises while ``item`` is among its ids, ``times`` times."""

    async def wrapper(self: object, *args: Any) -> Any:
        ids = [getattr(x, "id", x) for arg in args if isinstance(arg, list) for x in arg]
        if item in ids and len(calls) < times:
            calls.append(time.monotonic())
            raise Flaky(item)
        return await original(self, *args)

    return wrapper


async def test_a_message_failing_twice_is_retried_after_each_delay_and_then_succeeds(
    settings: Settings, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[float] = []
    # The first delivery fails with its batch and then alone; the second fails (alone); the third succeeds.
    monkeypatch.setattr(Items, "upsert", failing(Items.upsert, "v3", 3, calls))
    events = [posting("vacancy", i) for i in range(6)] + [posting("resume", i) for i in range(4)]
    async with running_workers(settings) as (embedder, _):
        await publish(settings, events)
        await wait_matched(db, {"vacancy": 6, "resume": 4}, timeout_s=30)
        await settle(db, settings)
        retries = embedder.metrics.retries.labels("embedder")._value.get()
    assert len(calls) == 3
    assert retries == 2
    # The second delivery waited out the first delay (0.2 s).
    assert calls[2] - calls[1] >= 0.2
    assert await db.fetchval("SELECT matched_at FROM vacancies WHERE id = 'v3'") is not None
    assert await db.fetchval("SELECT count(*) FROM dead_letters") == 0
    assert await brute_force_check(db, settings.model.name) == 10


async def test_a_message_that_keeps_failing_is_dead_lettered_after_its_retries_and_can_be_replayed(
    settings: Settings, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[float] = []
    # The matcher cannot process the index update of r2 (3 deliveries: the first and 2 delayed retries).
    monkeypatch.setattr(Embeddings, "fetch", failing(Embeddings.fetch, "r2", 1_000, calls))
    events = [posting("vacancy", i) for i in range(5)] + [posting("resume", i) for i in range(5)]
    async with running_workers(settings):
        started = time.monotonic()
        await publish(settings, events)
        await wait_matched(db, {"vacancy": 5, "resume": 4}, timeout_s=30)
        await settle(db, settings)
        letters = await db.fetch("SELECT id, queue, reason FROM dead_letters")
        assert [(r["queue"], r["reason"]) for r in letters] == [
            (f"{settings.amqp.prefix}.matcher", "processing error: Flaky (attempt 3, no retries left)")
        ]
        # With its batch, then alone; then on each of 2 redeliveries, after 0.2 s and 0.5 s.
        assert len(calls) == 4
        assert calls[2] - calls[1] >= 0.2 and calls[3] - calls[2] >= 0.5
        assert calls[-1] - started >= 0.7
        assert await db.fetchval("SELECT matched_version FROM resumes WHERE id = 'r2'") is None

        # The cause is fixed; the operator replays the letter into the queue it failed in: the matcher's.
        monkeypatch.undo()
        assert await dead_letters_command(settings, "replay", [letters[0]["id"]], everything=False) == 0
        await wait_matched(db, {"vacancy": 5, "resume": 5}, timeout_s=30)
        await settle(db, settings)
    assert await db.fetchval("SELECT replayed_at IS NOT NULL FROM dead_letters") is True
    assert await brute_force_check(db, settings.model.name) == 10


async def test_a_commit_retried_after_its_transaction_committed_still_reaches_the_matcher(
    settings: Settings, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The broker goes away after the embedder's transaction committed but before its publish was confirmed:
    # the retried commit finds its events processed and must announce the items, not skip them as stale.
    original = embedder_module.publish_windowed
    failures: list[int] = []

    async def publish_once_failing(*args: Any, **kwargs: Any) -> int:
        if not failures:
            failures.append(1)
            raise ServiceUnavailable("rabbitmq")
        return await original(*args, **kwargs)

    monkeypatch.setattr(embedder_module, "publish_windowed", publish_once_failing)
    events = [posting("vacancy", i) for i in range(8)] + [posting("resume", i) for i in range(8)]
    async with running_workers(settings):
        await publish(settings, events)
        await wait_matched(db, {"vacancy": 8, "resume": 8}, timeout_s=30)
        await settle(db, settings)
    assert failures == [1]
    assert await db.fetchval("SELECT count(*) FROM processed_events WHERE outcome = 'applied'") == 16
    assert await brute_force_check(db, settings.model.name) == 16
