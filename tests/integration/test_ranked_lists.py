"""The recruiter's lists against the real services: each is the top of the matcher's candidates by the active
model (checked by brute force), by cosine with no flag before any model is active, and it follows the
candidates as items arrive, change and close."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import numpy as np
import pytest

from careerrank.encoding import model_id
from careerrank.jobs.reindex import reindex
from careerrank.jobs.scoring_models import activate_scoring_model as activate_command
from careerrank.jobs.scoring_models import train_scoring_model as train_command
from careerrank.messaging import publish_events
from careerrank.scoring.model import ScoringModel
from careerrank.scoring.pair_scorer import PairScorer, pair_cosine
from careerrank.scoring.postings import Posting
from careerrank.settings import Settings
from careerrank.storage import TABLES, connected
from careerrank.synthetic import simulate
from schemas import KINDS, Kind, ResumeClosed, ResumeUpserted, opposite
from tests.integration.pipeline import running_workers, wait_matched
from workers.bootstrap import build

pytestmark = [pytest.mark.integration, pytest.mark.slow]
K = 30


@pytest.fixture(params=[1_000_000, 5], ids=["remembered", "forgotten"])
def deep(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    # Every list remembered between rounds (a change scores its new pairs, keeps the shown rows' reasons, skips
    # writing an unchanged top); or far fewer than a round ranks: lists are forgotten and scored whole again all
    # the time, and a round must keep every list it recalled until its tops are taken.
    return settings.model_copy(
        update={
            "matcher": settings.matcher.model_copy(update={"top_k": K}),
            "scorer": settings.scorer.model_copy(update={"remembered_lists": request.param}),
        }
    )


@pytest.fixture
async def services(deep: Settings) -> AsyncIterator[None]:
    scorer = build("scorer", deep)
    async with running_workers(deep):
        await scorer.start()
        try:
            yield
        finally:
            await scorer.stop()


async def settled(db: asyncpg.Connection, model_version: str, timeout_s: float = 120) -> None:
    """Every item matched at its version, no list change waiting, every list ranked under ``model_version``."""
    deadline = time.monotonic() + timeout_s
    while True:
        unmatched = await db.fetchval(
            """SELECT (SELECT count(*) FROM vacancies WHERE status = 'open'
                                                      AND matched_version IS DISTINCT FROM version)
                    + (SELECT count(*) FROM resumes WHERE status = 'open'
                                                    AND matched_version IS DISTINCT FROM version)"""
        )
        waiting = await db.fetchval("SELECT count(*) FROM list_changes")
        off = await db.fetchval(
            """SELECT count(*) FROM match_lists m LEFT JOIN ranked_lists r USING (direction, source_id)
                WHERE r.source_id IS NULL OR r.model_version <> $1""",
            model_version,
        )
        orphans = await db.fetchval(
            "SELECT count(*) FROM ranked_lists r LEFT JOIN match_lists m USING (direction, source_id) "
            "WHERE m.source_id IS NULL"
        )
        if unmatched == waiting == off == orphans == 0:
            return
        assert time.monotonic() < deadline, f"unmatched {unmatched}, waiting {waiting}, off {off}, orphans {orphans}"
        await asyncio.sleep(0.2)


async def brute_force(settings: Settings, version: str, embedding_model: str | None = None) -> int:
    """Rank every candidate list from scratch with the registered model; compare with what is stored."""
    async with connected(settings.postgres.dsn.get_secret_value()) as session:
        model = ScoringModel.from_bytes(await session.scoring_models.artifact(version))
        scorer = PairScorer(model)
        candidates = await session.connection.fetch("SELECT direction, source_id, target_ids FROM match_lists")
        postings: dict[tuple[Kind, str], Posting] = {}
        vectors: dict[tuple[Kind, str], np.ndarray] = {}
        for kind in KINDS:
            ids = [
                r["id"] for r in await session.connection.fetch(f"SELECT id FROM {TABLES[kind]} WHERE status = 'open'")
            ]
            postings |= {
                (kind, row["id"]): Posting.from_row(kind, row) for row in await session.items.postings(kind, ids)
            }
            stored = await session.embeddings.fetch(kind, embedding_model or model_id(settings.model.name), ids)
            vectors |= {(kind, item_id): e.vector for item_id, e in stored.items()}
        checked = 0
        for c in candidates:
            source_kind: Kind = "vacancy" if c["direction"] == "vacancy_to_resume" else "resume"
            source = postings[(source_kind, c["source_id"])]
            targets = [postings[(opposite(source_kind), t)] for t in c["target_ids"]]
            pairs = [(source, t) if source_kind == "vacancy" else (t, source) for t in targets]
            # The cosine from the two stored vectors, as the scorer computes it (not the list's copy of it).
            cosines = [pair_cosine(vectors[("vacancy", v.id)], vectors[("resume", r.id)]) for v, r in pairs]
            scores = scorer.score([v for v, _ in pairs], [r for _, r in pairs], np.array(cosines, np.float32)).scores
            order = sorted(range(len(targets)), key=lambda i: (-scores[i], -cosines[i], targets[i].id))[:10]
            stored_list = await session.ranked_lists.read(c["direction"], c["source_id"])
            assert stored_list is not None and stored_list.model_version == version
            assert stored_list.target_ids == [targets[i].id for i in order], c["source_id"]
            assert stored_list.scores == [float(scores[i]) for i in order]  # the same bits: exact, not close
            assert stored_list.suitable == [bool(scores[i] >= model.threshold) for i in order]
            # The reasons as worded from scratch: those kept from earlier rounds are still the pair's own.
            shown = [pairs[i] for i in order]
            features = scorer.builder.features(
                [v for v, _ in shown], [r for _, r in shown], np.array([cosines[i] for i in order], np.float32)
            )
            assert stored_list.explanations == scorer.explain(features, [v for v, _ in shown], [r for _, r in shown])
            checked += 1
        return checked


async def test_lists_are_ranked_by_cosine_then_by_the_active_model_exactly(
    deep: Settings, db: asyncpg.Connection, services: None
) -> None:
    sim = simulate(3, 100, 140, candidates_per_vacancy=24)
    await publish_events(deep.amqp, sim.postings, per_message=100)
    await publish_events(deep.amqp, sim.scoring_events, per_message=100)
    await wait_matched(db, {"vacancy": 100, "resume": 140}, timeout_s=120)
    await settled(db, "cosine")
    # No model yet: the first ten candidates by cosine, with no flag.
    row = await db.fetchrow(
        """SELECT m.target_ids AS candidates, r.target_ids, r.scores, m.scores AS cosines, r.suitable
             FROM match_lists m JOIN ranked_lists r USING (direction, source_id) LIMIT 1"""
    )
    assert row["target_ids"] == row["candidates"][:10] and len(row["candidates"]) == K
    assert row["scores"] == row["cosines"][:10] and row["suitable"] is None

    await train_command(deep, "m1", recall=0.9, use_filter=True, activate=False)
    await activate_command(deep, "m1")
    await settled(db, "m1")
    lists = await brute_force(deep, "m1")
    assert lists == await db.fetchval("SELECT count(*) FROM match_lists") > 200
    # The model reorders: some list's top-10 is not its cosine top-10.
    reordered = await db.fetchval(
        """SELECT count(*) FROM match_lists m JOIN ranked_lists r USING (direction, source_id)
            WHERE r.target_ids <> m.target_ids[1:10]"""
    )
    assert reordered > lists // 4

    # A ranking written since by someone else (another scorer process) is not taken for this one's: lists whose
    # shown rows this scorer would rank as it remembers them are still written when the stored rows differ.
    await db.execute(
        """WITH picked AS (SELECT direction, source_id FROM ranked_lists ORDER BY source_id LIMIT 8)
           UPDATE ranked_lists r SET scores = array_fill(0::real, ARRAY[cardinality(r.scores)])
             FROM picked WHERE r.direction = picked.direction AND r.source_id = picked.source_id"""
    )
    await db.execute(
        """INSERT INTO list_changes (direction, source_id)
           SELECT direction, source_id FROM ranked_lists ORDER BY source_id LIMIT 8"""
    )
    await settled(db, "m1")
    assert await brute_force(deep, "m1") == lists

    # Items change and close: the ranked lists follow their candidates.
    later = sim.postings[-1].occurred_at + timedelta(days=1)
    resumes = [e for e in sim.postings if isinstance(e, ResumeUpserted)]
    changed = [
        e.model_copy(update={"event_id": f"{e.event_id}-b", "occurred_at": later, "title": resumes[-1 - i].title})
        for i, e in enumerate(resumes[:15])
    ]
    closed = [ResumeClosed(event_id=f"close-{e.id}", occurred_at=later, id=e.id) for e in resumes[20:30]]
    await publish_events(deep.amqp, [*changed, *closed], per_message=50)
    await wait_matched(db, {"vacancy": 100, "resume": 130}, timeout_s=120)
    await settled(db, "m1")
    assert await brute_force(deep, "m1") == await db.fetchval("SELECT count(*) FROM match_lists")
    gone = {e.id for e in closed}
    targets = await db.fetch("SELECT unnest(target_ids) AS t FROM ranked_lists WHERE direction = 'vacancy_to_resume'")
    assert not gone & {r["t"] for r in targets}

    # A reindex that switches embedding models: every list is ranked again, with cosines of the new vectors.
    await reindex(deep, "hashing-128", progress=False)
    await settled(db, "m1")
    assert await brute_force(deep, "m1", "hashing-128") == await db.fetchval("SELECT count(*) FROM match_lists")
