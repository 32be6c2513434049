"""The matcher's batch logic against an in-memory data-access layer, fed by the embedder's announcements.

Every list is checked against a brute force that encodes each open item's current text itself, so a vector
stored under the wrong item, or a list left stale, cannot pass.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from careerrank.encoding import HashingEncoder, embedding_text
from careerrank.errors import InvalidMessage
from careerrank.observability import PipelineMetrics
from careerrank.settings import Settings
from schemas import KINDS, IndexUpdate, Kind, ResumeClosed, ResumeUpserted, Upsert, VacancyClosed, VacancyUpserted
from tests.unit import fakes
from tests.unit.fakes import FakeDatabase, FakeExchange, FakeMessage
from workers.embedder import Embedder, EventsMessage
from workers.matcher import Matcher

pytestmark = pytest.mark.usefixtures("single_threaded_faiss")

T0 = datetime(2026, 1, 1, tzinfo=UTC)
MODEL = "hashing-32"
K = 3
WORDS = ["python", "sql", "docker", "повар", "склад", "кассир", "врач", "excel", "react", "1с", "логистика"]


class Pipeline:
    """An embedder and a matcher over one fake database; the embedder's announcements go to the matcher."""

    def __init__(self, executor: ThreadPoolExecutor) -> None:
        self.database = FakeDatabase()
        self.internal = FakeExchange()
        self.metrics = PipelineMetrics(CollectorRegistry())
        self.embedder = Embedder(
            Settings(),
            self.database,
            HashingEncoder(32),
            self.internal,
            self.metrics,
            executor,  # type: ignore[arg-type]
        )
        self.matcher = Matcher(self.database, MODEL, K, self.metrics, executor)  # type: ignore[arg-type]

    async def feed(self, *events: Upsert | VacancyClosed | ResumeClosed) -> None:
        await self.embedder.commit(await self.embedder.prepare([EventsMessage(list(events), None)]))
        await self.match(self.internal.take())

    async def match(self, messages: list[FakeMessage]) -> None:
        decoded = [self.matcher.decode(m).value for m in messages]  # type: ignore[arg-type]
        await self.matcher.commit(await self.matcher.prepare(decoded))

    def counted(self, outcome: str) -> float:
        return (
            self.metrics.registry.get_sample_value("careerrank_events_total", {"worker": "matcher", "outcome": outcome})
            or 0.0
        )

    def check(self) -> int:
        """Every open item's list is the exact top-K over the other kind's open items, from their texts."""
        encoder, state = HashingEncoder(32), self.database.state
        vectors: dict[Kind, dict[str, np.ndarray]] = {}
        for kind in KINDS:
            live = {i: r for i, r in state.items[kind].items() if r.status == "open"}
            assert all(r.matched_version == r.version for r in live.values()), f"{kind}: not matched at version"
            texts = [embedding_text(r.event, 2000)[0] for r in live.values() if r.event is not None]
            vectors[kind] = dict(zip(live, encoder.encode(texts), strict=True)) if live else {}
        checked = 0
        for kind, other in (("vacancy", "resume"), ("resume", "vacancy")):
            assert set(state.lists[kind]) <= set(vectors[kind]), f"lists of closed {kind}s"
            for source, vector in vectors[kind].items():
                scores = {t: float(vector @ v) for t, v in vectors[other].items()}
                stored = state.lists[kind].get(source, ([], ""))[0]
                best = sorted(scores.values(), reverse=True)[:K]
                assert [round(s, 4) for _, s in stored] == [round(s, 4) for s in best], f"{kind} {source}"
                for target, score in stored:
                    assert abs(scores[target] - score) < 1e-4, f"{kind} {source} -> {target}: stale score"
                checked += 1
        return checked


@pytest.fixture
def pipeline() -> Iterator[Pipeline]:
    with ThreadPoolExecutor(max_workers=1) as executor:
        yield Pipeline(executor)


def posting(kind: Kind, n: int, version: int, rng: random.Random) -> Upsert:
    cls = VacancyUpserted if kind == "vacancy" else ResumeUpserted
    text = " ".join(rng.choices(WORDS, k=5))
    return cls(event_id=f"{kind}-{n}-{version}", occurred_at=T0 + timedelta(seconds=version), id=f"{kind[0]}{n}",
               title=rng.choice(WORDS), text=text)  # fmt: skip


def closure(kind: Kind, n: int, version: int) -> VacancyClosed | ResumeClosed:
    cls = VacancyClosed if kind == "vacancy" else ResumeClosed
    return cls(event_id=f"close-{kind}-{n}-{version}", occurred_at=T0 + timedelta(seconds=version), id=f"{kind[0]}{n}")


async def test_new_items_updates_and_closes_keep_every_list_exact(pipeline: Pipeline) -> None:
    rng = random.Random(3)
    await pipeline.feed(*(posting(k, n, 0, rng) for k in KINDS for n in range(8)))
    assert pipeline.check() == 16
    await pipeline.feed(posting("vacancy", 2, 1, rng), posting("resume", 5, 1, rng), posting("vacancy", 9, 1, rng))
    assert pipeline.check() == 17
    await pipeline.feed(closure("resume", 1, 2), closure("vacancy", 4, 2))
    assert pipeline.check() == 15
    await pipeline.feed(posting("resume", 1, 3, rng))  # re-opened after its close
    assert pipeline.check() == 16


async def test_a_long_random_stream_equals_brute_force_after_every_batch(pipeline: Pipeline) -> None:
    rng = random.Random(11)
    versions = {(k, n): 0 for k in KINDS for n in range(12)}
    for step in range(1, 30):
        batch: list[Upsert | VacancyClosed | ResumeClosed] = []
        for key in rng.sample(sorted(versions), 5):
            versions[key] = step
            kind, n = key
            batch.append(closure(kind, n, step) if rng.random() < 0.25 else posting(kind, n, step, rng))
        await pipeline.feed(*batch)
        pipeline.check()


async def test_an_update_already_matched_is_a_duplicate_and_writes_nothing(pipeline: Pipeline) -> None:
    rng = random.Random(5)
    await pipeline.feed(*(posting(k, n, 0, rng) for k in KINDS for n in range(4)))
    generation = pipeline.database.state.generation
    update = IndexUpdate(kind="vacancy", id="v1", op="upsert", version=T0)
    await pipeline.match([FakeMessage(update.model_dump_json().encode())])
    assert pipeline.counted("duplicate") == 1
    assert pipeline.database.state.generation == generation


async def test_an_update_the_item_moved_past_is_superseded(pipeline: Pipeline) -> None:
    rng = random.Random(6)
    await pipeline.feed(*(posting(k, n, 0, rng) for k in KINDS for n in range(4)))
    await pipeline.embedder.commit(
        await pipeline.embedder.prepare([EventsMessage([posting("resume", 2, 5, rng)], None)])
    )
    newer = pipeline.internal.take()
    stale = IndexUpdate(kind="resume", id="r2", op="upsert", version=T0 + timedelta(seconds=1))
    await pipeline.match([FakeMessage(stale.model_dump_json().encode())])
    assert pipeline.counted("superseded") == 1
    await pipeline.match(newer)
    assert pipeline.check() == 8


async def test_lists_written_by_another_matcher_make_this_one_rebuild_first(pipeline: Pipeline) -> None:
    rng = random.Random(8)
    await pipeline.feed(*(posting(k, n, 0, rng) for k in KINDS for n in range(5)))
    # A standby takes over for a while and handles a close; this matcher's index still holds the resume.
    standby = Matcher(pipeline.database, MODEL, K, pipeline.metrics, pipeline.matcher._executor)  # type: ignore[arg-type]
    await standby.load()
    await pipeline.embedder.commit(await pipeline.embedder.prepare([EventsMessage([closure("resume", 3, 1)], None)]))
    close = pipeline.internal.take()
    decoded = [standby.decode(m).value for m in close]  # type: ignore[arg-type]
    await standby.commit(await standby.prepare(decoded))
    # Back to this one: it must see the lists' generation moved on and rebuild before placing a new item.
    await pipeline.feed(posting("vacancy", 7, 2, rng))
    assert pipeline.check() == 10


def test_an_invalid_index_update_is_rejected_not_acked(pipeline: Pipeline) -> None:
    with pytest.raises(InvalidMessage) as info:
        pipeline.matcher.decode(FakeMessage(b'{"kind": "vacancy", "id": "v1", "op": "explode"}'))  # type: ignore[arg-type]
    assert info.value.code == "schema_invalid" and "op" in info.value.reason


def _same_state(a: Matcher, b: Matcher) -> None:
    assert a.state is not None and b.state is not None
    for kind in KINDS:
        x, y = a.state.indexes[kind], b.state.indexes[kind]
        assert x.ids == y.ids and x.versions == y.versions
        np.testing.assert_array_equal(x.vectors(), y.vectors())
        for name in ("pos", "score", "length", "bound"):
            np.testing.assert_array_equal(getattr(a.state.lists[kind], name), getattr(b.state.lists[kind], name))


async def test_a_snapshot_written_on_drain_replaces_reading_postgresql(
    pipeline: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(11)
    first = Matcher(pipeline.database, MODEL, K, pipeline.metrics, pipeline.matcher._executor, snapshot_dir=tmp_path)  # type: ignore[arg-type]
    pipeline.matcher = first
    await pipeline.feed(*(posting(k, n, 0, rng) for k in KINDS for n in range(12)))
    await pipeline.feed(closure("vacancy", 2, 1), posting("resume", 4, 2, rng), posting("vacancy", 20, 3, rng))
    await first.save_snapshot()

    second = Matcher(pipeline.database, MODEL, K, pipeline.metrics, pipeline.matcher._executor, snapshot_dir=tmp_path)  # type: ignore[arg-type]

    async def load_open(*args: object, **kwargs: object) -> object:
        raise AssertionError("read the vectors from PostgreSQL although the snapshot is current")

    monkeypatch.setattr(fakes.FakeEmbeddings, "load_open", load_open)
    await second.load()
    monkeypatch.undo()
    _same_state(first, second)
    # It goes on from there exactly.
    pipeline.matcher = second
    await pipeline.feed(closure("resume", 5, 4), posting("vacancy", 21, 5, rng), posting("resume", 30, 5, rng))
    assert pipeline.check() == 12 + 12 + 1


async def test_a_snapshot_of_another_generation_is_ignored(pipeline: Pipeline, tmp_path: Path) -> None:
    rng = random.Random(12)
    first = Matcher(pipeline.database, MODEL, K, pipeline.metrics, pipeline.matcher._executor, snapshot_dir=tmp_path)  # type: ignore[arg-type]
    pipeline.matcher = first
    await pipeline.feed(*(posting(k, n, 0, rng) for k in KINDS for n in range(6)))
    await first.save_snapshot()
    # Another matcher wrote lists since: the file no longer says what PostgreSQL holds.
    standby = Matcher(pipeline.database, MODEL, K, pipeline.metrics, pipeline.matcher._executor)  # type: ignore[arg-type]
    await standby.load()
    pipeline.matcher = standby
    await pipeline.feed(closure("vacancy", 1, 1), posting("resume", 9, 2, rng))
    again = Matcher(pipeline.database, MODEL, K, pipeline.metrics, pipeline.matcher._executor, snapshot_dir=tmp_path)  # type: ignore[arg-type]
    await again.load()
    assert again.state is not None and "v1" not in again.state.indexes["vacancy"]
    from_postgres = Matcher(pipeline.database, MODEL, K, pipeline.metrics, pipeline.matcher._executor)  # type: ignore[arg-type]
    await from_postgres.load()
    _same_state(from_postgres, again)
    # A file that is not a snapshot is no reason not to start.
    (tmp_path / "matcher-state.npz").write_bytes(b"not a snapshot")
    broken = Matcher(pipeline.database, MODEL, K, pipeline.metrics, pipeline.matcher._executor, snapshot_dir=tmp_path)  # type: ignore[arg-type]
    await broken.load()
    _same_state(from_postgres, broken)
    pipeline.matcher = broken
    await pipeline.feed(posting("vacancy", 30, 3, rng))
    assert pipeline.check() == 6 + 7  # one vacancy closed, one added; one resume added
