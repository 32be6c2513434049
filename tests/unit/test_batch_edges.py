"""Edges of the workers' batch logic that only show when writers race or updates queue up.

Two embedder replicas can move an item between one's prepare and its commit; the matcher can find several
updates of one item in a batch when the embedder ran ahead. What each must then do is checked here.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry

from careerrank.observability import PipelineMetrics
from careerrank.settings import Settings
from schemas import KINDS, ResumeClosed
from tests.unit.fakes import FakeDatabase, FakeExchange
from tests.unit.test_embedder import T0, CountingEncoder, announced, resume, run, vacancy
from tests.unit.test_matcher import Pipeline, posting
from workers.embedder import Embedder, EventsMessage


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool


def embedder(database: FakeDatabase, internal: FakeExchange, executor: ThreadPoolExecutor) -> Embedder:
    metrics = PipelineMetrics(CollectorRegistry())
    return Embedder(Settings(), database, CountingEncoder(), internal, metrics, executor)  # type: ignore[arg-type]


def encoded_texts(worker: Embedder) -> list[str]:
    encoder = worker._encoder
    assert isinstance(encoder, CountingEncoder)
    return encoder.encoded


async def test_an_event_at_or_below_the_stored_version_is_stale_and_never_encoded(
    executor: ThreadPoolExecutor,
) -> None:
    database, internal = FakeDatabase(), FakeExchange()
    worker = embedder(database, internal, executor)
    await run(worker, vacancy(1, version=5, text="the text at version five"))
    announced(internal)
    before = database.state.items["vacancy"]["v1"]
    # Another event id at the same instant, and an older one, both with texts never seen.
    same = vacancy(1, version=5, text="a rival text at the same version").model_copy(update={"event_id": "rival"})
    await run(worker, same, vacancy(2, version=0))
    await run(worker, vacancy(1, version=3, text="an older text"))

    texts = encoded_texts(worker)
    assert len(texts) == 2 and texts[1].startswith("vacancy 2")  # after v1@5, only the new item v2
    assert database.state.processed["rival"][2] == "stale"
    assert database.state.processed["v1@3"][2] == "stale"
    assert database.state.items["vacancy"]["v1"] is before
    assert [u.id for u in announced(internal)] == ["v2"]


async def test_a_close_overtaken_between_prepare_and_commit_is_stale_and_not_announced(
    executor: ThreadPoolExecutor,
) -> None:
    database, internal = FakeDatabase(), FakeExchange()
    first, second = embedder(database, internal, executor), embedder(database, internal, executor)
    await run(first, resume(1, version=0))
    announced(internal)
    close = ResumeClosed(event_id="close-r1", occurred_at=T0 + timedelta(seconds=2), id="r1")
    prepared = await first.prepare([EventsMessage([close], None)])
    await run(second, resume(1, version=3))  # the other replica moves the item past the close meanwhile
    assert [(u.id, u.op) for u in announced(internal)] == [("r1", "upsert")]

    await first.commit(prepared)

    assert database.state.processed["close-r1"][2] == "stale"
    assert database.state.items["resume"]["r1"].status == "open"
    assert announced(internal) == []  # a removal now would take an open item out of every list


@pytest.mark.usefixtures("single_threaded_faiss")
@pytest.mark.parametrize("newest_first", [False, True])
async def test_several_updates_of_one_item_in_a_matcher_batch_match_the_newest(
    executor: ThreadPoolExecutor, newest_first: bool
) -> None:
    pipeline = Pipeline(executor)
    rng = random.Random(4)
    await pipeline.feed(*(posting(k, n, 0, rng) for k in KINDS for n in range(5)))
    # The embedder runs ahead: two updates of r2 wait in the matcher's queue when it takes its next batch.
    for version in (1, 2):
        await pipeline.embedder.commit(
            await pipeline.embedder.prepare([EventsMessage([posting("resume", 2, version, rng)], None)])
        )
    queued = pipeline.internal.take()
    assert len(queued) == 2
    await pipeline.match(queued[::-1] if newest_first else queued)

    assert pipeline.database.state.items["resume"]["r2"].matched_version == T0 + timedelta(seconds=2)
    assert pipeline.check() == 10
