"""The embedder's batch logic against an in-memory data-access layer: what it writes, encodes and announces."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from careerrank.encoding import HashingEncoder, embedding_text, text_hash
from careerrank.errors import InvalidMessage, ModelMismatch
from careerrank.observability import PipelineMetrics
from careerrank.settings import Settings
from schemas import IndexUpdate, ResumeClosed, ResumeUpserted, Upsert, VacancyUpserted
from tests.unit.fakes import FakeDatabase, FakeExchange, FakeMessage
from workers.embedder import Embedder, EventsMessage

T0 = datetime(2026, 1, 1, tzinfo=UTC)
MODEL = "hashing-32"


class CountingEncoder(HashingEncoder):
    """The hashing encoder, counting the texts it was asked to encode."""

    def __init__(self) -> None:
        super().__init__(32)
        self.encoded: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.encoded.extend(texts)
        return super().encode(texts)


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool


@pytest.fixture
def parts(executor: ThreadPoolExecutor) -> tuple[Embedder, FakeDatabase, FakeExchange, CountingEncoder]:
    database, internal, encoder = FakeDatabase(), FakeExchange(), CountingEncoder()
    metrics = PipelineMetrics(CollectorRegistry())
    embedder = Embedder(Settings(), database, encoder, internal, metrics, executor)  # type: ignore[arg-type]
    return embedder, database, internal, encoder


def vacancy(n: int, version: int = 0, text: str = "") -> VacancyUpserted:
    return VacancyUpserted(
        event_id=f"v{n}@{version}",
        occurred_at=T0 + timedelta(seconds=version),
        id=f"v{n}",
        title=f"vacancy {n}",
        text=text or f"python sql docker number {n}",
    )


def resume(n: int, version: int = 0) -> ResumeUpserted:
    return ResumeUpserted(
        event_id=f"r{n}@{version}",
        occurred_at=T0 + timedelta(seconds=version),
        id=f"r{n}",
        title=f"resume {n}",
        text=f"кассир продажи склад {n}",
    )


async def run(embedder: Embedder, *events: Upsert | ResumeClosed) -> None:
    prepared = await embedder.prepare([EventsMessage(list(events), None)])
    await embedder.commit(prepared)


def announced(internal: FakeExchange) -> list[IndexUpdate]:
    return [IndexUpdate.model_validate_json(m.body) for m in internal.take()]


async def test_new_items_are_written_with_their_own_vectors_and_announced(
    parts: tuple[Embedder, FakeDatabase, FakeExchange, CountingEncoder],
) -> None:
    embedder, database, internal, encoder = parts
    events = [vacancy(i) for i in range(5)] + [resume(i) for i in range(3)]
    await run(embedder, *events)

    state = database.state
    assert sorted(state.items["vacancy"]) == [f"v{i}" for i in range(5)]
    # Every item's stored vector is the encoding of its own text (not a neighbour's in the batch).
    reference = HashingEncoder(32)
    for event in events:
        kind = "vacancy" if event.type.startswith("vacancy") else "resume"
        stored = state.embeddings[(kind, event.id, MODEL)]
        expected = reference.encode([embedding_text(event, 2000)[0]])[0]
        np.testing.assert_allclose(stored.vector, expected, atol=1e-6, err_msg=event.id)
        assert stored.version == event.occurred_at
    assert len(encoder.encoded) == 8
    assert {(u.kind, u.id, u.op) for u in announced(internal)} == {
        *(("vacancy", f"v{i}", "upsert") for i in range(5)),
        *(("resume", f"r{i}", "upsert") for i in range(3)),
    }
    assert {outcome for _, _, outcome in state.processed.values()} == {"applied"}


async def test_a_redelivered_event_is_announced_again_but_not_written_or_encoded_again(
    parts: tuple[Embedder, FakeDatabase, FakeExchange, CountingEncoder],
) -> None:
    embedder, database, internal, encoder = parts
    await run(embedder, vacancy(1))
    announced(internal)
    commits, encoded = database.commits, len(encoder.encoded)
    before = database.state.items["vacancy"]["v1"]

    await run(embedder, vacancy(1))  # the same event id: a redelivery after a crash before the ack

    assert len(encoder.encoded) == encoded
    assert database.state.items["vacancy"]["v1"] is before
    assert [(u.id, u.op, u.version) for u in announced(internal)] == [("v1", "upsert", T0)]
    assert database.commits == commits + 1  # the commit only logged the announcement's source state


async def test_an_older_event_is_stale_and_a_newer_one_in_the_same_batch_supersedes(
    parts: tuple[Embedder, FakeDatabase, FakeExchange, CountingEncoder],
) -> None:
    embedder, database, internal, _ = parts
    await run(embedder, vacancy(1, version=5))
    announced(internal)
    await run(embedder, vacancy(1, version=3), vacancy(2, version=1), vacancy(2, version=2))

    processed = database.state.processed
    assert processed["v1@3"][2] == "stale"
    assert processed["v2@1"][2] == "superseded"
    assert processed["v2@2"][2] == "applied"
    assert database.state.items["vacancy"]["v1"].version == T0 + timedelta(seconds=5)
    assert [(u.id, u.version) for u in announced(internal)] == [("v2", T0 + timedelta(seconds=2))]


async def test_an_update_that_keeps_the_text_keeps_the_vector_and_moves_its_version(
    parts: tuple[Embedder, FakeDatabase, FakeExchange, CountingEncoder],
) -> None:
    embedder, database, _, encoder = parts
    await run(embedder, vacancy(1, version=0, text="same text"))
    vector = database.state.embeddings[("vacancy", "v1", MODEL)].vector
    await run(embedder, vacancy(1, version=1, text="same text"))
    assert len(encoder.encoded) == 1
    stored = database.state.embeddings[("vacancy", "v1", MODEL)]
    assert stored.version == T0 + timedelta(seconds=1)
    np.testing.assert_array_equal(stored.vector, vector)

    await run(embedder, vacancy(1, version=2, text="another text"))
    assert encoder.encoded[-1].endswith("another text")
    assert database.state.embeddings[("vacancy", "v1", MODEL)].text_hash == text_hash(encoder.encoded[-1])


async def test_a_close_drops_the_vector_and_announces_a_removal(
    parts: tuple[Embedder, FakeDatabase, FakeExchange, CountingEncoder],
) -> None:
    embedder, database, internal, _ = parts
    await run(embedder, resume(1))
    announced(internal)
    close = ResumeClosed(event_id="close-r1", occurred_at=T0 + timedelta(seconds=1), id="r1")
    await run(embedder, close)
    assert database.state.items["resume"]["r1"].status == "closed"
    assert ("resume", "r1", MODEL) not in database.state.embeddings
    assert [(u.id, u.op) for u in announced(internal)] == [("r1", "remove")]


async def test_a_batch_for_another_active_model_is_held_with_nothing_written(
    parts: tuple[Embedder, FakeDatabase, FakeExchange, CountingEncoder],
) -> None:
    embedder, database, internal, _ = parts
    database.state.active_model = "use-multilingual"  # a reindex switched models
    prepared = await embedder.prepare([EventsMessage([vacancy(1)], None)])
    with pytest.raises(ModelMismatch):
        await embedder.commit(prepared)
    assert database.state.items["vacancy"] == {} and database.state.processed == {}
    assert internal.published == []


async def test_a_commit_retried_after_it_went_through_announces_instead_of_skipping(
    parts: tuple[Embedder, FakeDatabase, FakeExchange, CountingEncoder],
) -> None:
    embedder, _, internal, _ = parts
    prepared = await embedder.prepare([EventsMessage([vacancy(1), vacancy(2)], None)])
    await embedder.commit(prepared)
    internal.take()  # the confirms were lost: the consumer retries the same commit
    await embedder.commit(prepared)
    assert sorted(u.id for u in announced(internal)) == ["v1", "v2"]


def test_decode_rejects_a_malformed_body_and_each_bad_element_of_a_batch_alone(
    parts: tuple[Embedder, FakeDatabase, FakeExchange, CountingEncoder],
) -> None:
    embedder = parts[0]
    with pytest.raises(InvalidMessage) as info:
        embedder.decode(FakeMessage(b"{not json"))  # type: ignore[arg-type]
    assert info.value.code == "malformed_json"

    good = json.loads(vacancy(1).model_dump_json())
    bad = {**good, "event_id": "bad", "title": "", "text": ""}
    decoded = embedder.decode(FakeMessage(json.dumps([good, bad, good]).encode(), {"x-published-at": 1.5}))  # type: ignore[arg-type]
    assert [e.id for e in decoded.value.events] == ["v1", "v1"]
    assert decoded.value.published_at == 1.5
    (part,) = decoded.rejected
    assert part.index == 1 and part.error.code == "empty_text"
    assert json.loads(part.body) == bad  # the element alone, so that a replay sends just that event


def test_decode_applies_every_good_element_whatever_its_neighbours_hold(
    parts: tuple[Embedder, FakeDatabase, FakeExchange, CountingEncoder],
) -> None:
    embedder = parts[0]
    good = json.loads(vacancy(1).model_dump_json())
    surrogate = {**good, "event_id": "bad", "title": "x\ud800"}
    future = {**good, "event_id": "late", "occurred_at": "9999-12-31T23:59:59Z"}
    raw = b"\xef\xbb\xbf" + json.dumps([good, surrogate, future, {**good, "event_id": "v1@9"}]).encode()
    decoded = embedder.decode(FakeMessage(raw))  # type: ignore[arg-type]
    assert [e.event_id for e in decoded.value.events] == ["v1@0", "v1@9"]
    assert [(p.index, p.error.code) for p in decoded.rejected] == [(1, "schema_invalid"), (2, "clock_skew")]
    for part in decoded.rejected:
        part.body.decode("ascii")  # storable and publishable as it is
        assert json.loads(part.body) == (surrogate if part.index == 1 else future)


def test_decode_checks_the_routing_key_of_what_came_from_the_producers(
    parts: tuple[Embedder, FakeDatabase, FakeExchange, CountingEncoder],
) -> None:
    embedder = parts[0]
    body = vacancy(1).model_dump_json().encode()
    events = "careerrank.events"
    ok = embedder.decode(FakeMessage(body, exchange=events, routing_key="vacancy.upserted"))  # type: ignore[arg-type]
    assert [e.id for e in ok.value.events] == ["v1"]
    with pytest.raises(InvalidMessage) as info:
        embedder.decode(FakeMessage(body, exchange=events, routing_key="resume.upserted"))  # type: ignore[arg-type]
    assert info.value.code == "routing_mismatch"
    # Back from a retry queue or replayed by an operator: under the queue's name, admitted by the body.
    again = embedder.decode(FakeMessage(body, exchange="", routing_key="careerrank.embedder"))  # type: ignore[arg-type]
    assert [e.id for e in again.value.events] == ["v1"]
