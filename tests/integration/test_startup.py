"""A worker that cannot start says why and leaves nothing open behind it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aio_pika
import asyncpg
import pytest

from careerrank.errors import ModelUnavailable, TopologyMismatch, VectorsMismatch
from careerrank.messaging import Names, connect_broker
from careerrank.settings import Settings
from workers import build

pytestmark = pytest.mark.integration


async def other_connections(db: asyncpg.Connection, settle_s: float = 5.0) -> int:
    """Connections to this test's database besides ``db``, once closing ones are gone (or after ``settle_s``)."""
    deadline = time.monotonic() + settle_s
    while True:
        count = int(
            await db.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        if count == 0 or time.monotonic() > deadline:
            return count
        await asyncio.sleep(0.1)


async def test_an_embedder_whose_model_cannot_load_closes_its_pool(settings: Settings, db: asyncpg.Connection) -> None:
    bad = settings.model_copy(update={"model": settings.model.model_copy(update={"name": "hashing-big"})})
    service = build("embedder", bad)
    with pytest.raises(ModelUnavailable, match="hashing-<dimension>"):
        await service.start()
    assert await other_connections(db) == 0


async def test_a_matcher_that_finds_inconsistent_vectors_closes_what_it_opened(
    settings: Settings, db: asyncpg.Connection
) -> None:
    # Two open, matched items whose stored vectors disagree in dimension: the index cannot be built.
    for kind, table, dim in (("vacancy", "vacancies", 4), ("resume", "resumes", 8)):
        await db.execute(
            f"""INSERT INTO {table} (id, version, status, title, body, matched_version)
                VALUES ('x', now(), 'open', 't', 'b', now())"""
        )
        await db.execute(
            """INSERT INTO embeddings (kind, item_id, model, version, text_hash, dim, vector)
               VALUES ($1, 'x', $2, now(), '\\x00', $3, $4)""",
            kind,
            settings.model.name,
            dim,
            bytes(4 * dim),
        )
    service = build("matcher", settings)
    with pytest.raises(VectorsMismatch, match="different dimensions"):
        await service.start()
    assert await other_connections(db) == 0


async def _old_topology(settings: Settings, with_message: bool) -> None:
    """The worker queues as an earlier version declared them: another delivery limit, no unrecorded key."""
    names = Names.of(settings.amqp)
    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        args = {"x-queue-type": "quorum", "x-dead-letter-exchange": names.dead, "x-delivery-limit": 5}
        queue = await channel.declare_queue(names.embedder_queue, durable=True, arguments=args)
        if with_message:
            await channel.default_exchange.publish(aio_pika.Message(b"{}"), routing_key=queue.name)


async def test_the_demo_replaces_an_empty_topology_of_an_earlier_version_and_keeps_a_full_one(
    settings: Settings,
) -> None:
    from careerrank.devtools.demo import declare_or_renew

    await _old_topology(settings, with_message=True)
    with pytest.raises(TopologyMismatch):
        await connect_broker(settings.amqp, prefetch=1)
    with pytest.raises(TopologyMismatch):  # a message is waiting in it: never deleted
        await declare_or_renew(settings)
    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    async with connection:
        queue = await (await connection.channel()).declare_queue(Names.of(settings.amqp).embedder_queue, passive=True)
        await queue.purge()
    await declare_or_renew(settings)
    broker = await connect_broker(settings.amqp, prefetch=1)  # the current topology now
    await broker.close()


async def test_a_matcher_restarted_after_a_drain_starts_from_its_snapshot_and_stays_exact(
    settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    from tests.integration.pipeline import brute_force_check, closure, posting, publish, running_workers, wait_matched

    matcher_settings = settings.matcher.model_copy(update={"snapshot_dir": tmp_path})
    settings = settings.model_copy(update={"matcher": matcher_settings})
    async with running_workers(settings):
        await publish(settings, [posting("vacancy", i) for i in range(30)] + [posting("resume", i) for i in range(20)])
        await wait_matched(db, {"vacancy": 30, "resume": 20})
    assert (tmp_path / "matcher-state.npz").exists()  # written on the drain
    async with running_workers(settings) as (_, matcher):
        state = matcher.handler.state
        assert state is not None and len(state.indexes["vacancy"]) == 30
        # Lists that searched past their top-10 kept their reserve: only the file can have given it back.
        assert int(state.lists["vacancy"].length.max()) > 10
        await publish(settings, [closure("resume", 3, 4), posting("vacancy", 40), posting("resume", 50)])
        await wait_matched(db, {"vacancy": 31, "resume": 20})
    assert await brute_force_check(db, settings.model.name) == 51
