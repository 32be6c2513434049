"""The recruiter's top of each list: the matcher's candidates (top-K by cosine) ranked by the active model.

The matcher logs every list it writes in ``list_changes``; a round takes the oldest entries, ranks those lists
and deletes the entries in one transaction, so a list changed again meanwhile is logged again and ranked
again. A pair is scored once per version of its two postings and of the model (a bounded cache), not each time
a list holding it changes; reasons are computed for the rows that are shown only. Each list is written whole
under one model, and activating another model queues every list: no list is ever half rescored.
Until a model is active a list's top is its first candidates by cosine, with no flag.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from careerrank.scoring.active_model import COSINE, ActiveModel
from careerrank.scoring.pair_scorer import PairScorer, pair_cosines
from careerrank.scoring.postings import Posting
from careerrank.storage import Database, Session
from careerrank.storage.ranked_lists import CandidateList, RankedList
from schemas import Direction, Kind

PairKey = tuple[str, datetime, str, datetime]  # vacancy id and version, resume id and version
SOURCE_KIND: dict[Direction, Kind] = {"vacancy_to_resume": "vacancy", "resume_to_vacancy": "resume"}
# Items written within this long before a round began are looked at again in the next one: a transaction
# that stamped its rows before the round but committed after it is not missed.
UPDATE_MARGIN = timedelta(seconds=120)


class ListRanking:
    """Ranks the lists the matcher changed (see the module docstring)."""

    def __init__(
        self,
        database: Database,
        active: ActiveModel,
        top: int = 10,
        cache_pairs: int = 2_000_000,
    ) -> None:
        self._database = database
        self._active = active
        self._embedding_model = active.embedding_model
        self._vectors: dict[tuple[Kind, str], np.ndarray] = {}
        self._seen_from: datetime | None = None
        self._top = top
        self._postings: dict[tuple[Kind, str], Posting] = {}
        self._scores: OrderedDict[PairKey, tuple[float, float]] = OrderedDict()  # (score, cosine)
        self._reasons: dict[PairKey, list[dict[str, Any]]] = {}
        self._cache_pairs = cache_pairs
        self._scores_model: str | None = None
        # Seconds of the last round by stage (read, texts, cosines, score, explain, write): what operators see in
        # careerrank_stage_duration_seconds, and what a full rescore's report breaks down.
        self.last_round: defaultdict[str, float] = defaultdict(float)

    async def rank_changed(self, limit: int = 2000) -> int:
        """One round: rank up to ``limit`` logged list changes; return how many lists were written or dropped."""
        async with self._database.session() as session:
            version = await self._active.follow(session)
            scorer = self._active.scorer
            if await session.ranked_lists.ranked_under() != version:
                async with session.transaction():
                    await session.ranked_lists.rank_all_under(version)
            self.last_round = defaultdict(float)
            async with session.transaction():
                started = time.perf_counter()
                ids, lists = await session.ranked_lists.take_changes(limit)
                if not ids:
                    return 0
                candidates = await session.ranked_lists.candidates(lists)
                gone = sorted(set(lists) - {(c.direction, c.source_id) for c in candidates})
                self.last_round["read"] += time.perf_counter() - started
                ranked = await self._rank(session, candidates, scorer)
                started = time.perf_counter()
                await session.ranked_lists.write(ranked)
                await session.ranked_lists.delete(gone)
                await session.ranked_lists.forget_changes(ids)
            self.last_round["write"] += time.perf_counter() - started
            return len(ranked) + len(gone)

    async def _rank(
        self, session: Session, candidates: list[CandidateList], scorer: PairScorer | None
    ) -> list[RankedList]:
        if scorer is None:
            return [
                RankedList(c.direction, c.source_id, c.target_ids[: self._top], c.cosines[: self._top],
                           c.cosines[: self._top], None, [[] for _ in c.target_ids[: self._top]], COSINE,
                           c.computed_at)
                for c in candidates
            ]  # fmt: skip
        if self._scores_model != scorer.version or self._embedding_model != self._active.embedding_model:
            # Another model scores, or the cosines come from other vectors: nothing cached holds.
            self._scores.clear()
            self._reasons.clear()
            self._scores_model = scorer.version
            if self._embedding_model != self._active.embedding_model:
                self._embedding_model = self._active.embedding_model
                self._postings.clear()
                self._vectors.clear()
                self._seen_from = None
        started = time.perf_counter()
        await self._refresh_postings(session, candidates)
        self.last_round["read"] += time.perf_counter() - started
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._active.executor, self._rank_with, scorer, candidates)

    def _entries(self, c: CandidateList) -> list[tuple[str, Posting, Posting, PairKey]]:
        """The list's candidates as (target id, vacancy, resume, pair key), those with a posting and a vector."""
        source_kind = SOURCE_KIND[c.direction]
        target_kind: Kind = "resume" if source_kind == "vacancy" else "vacancy"
        source = self._postings.get((source_kind, c.source_id))
        if source is None or (source_kind, source.id) not in self._vectors:
            return []
        out = []
        for target in c.target_ids:
            other = self._postings.get((target_kind, target))
            if other is None or (target_kind, target) not in self._vectors:
                continue  # an item closed since the list was written: the next change drops it
            vacancy, resume = (source, other) if source_kind == "vacancy" else (other, source)
            out.append((target, vacancy, resume, (vacancy.id, vacancy.version, resume.id, resume.version)))
        return out

    def _rank_with(self, scorer: PairScorer, candidates: list[CandidateList]) -> list[RankedList]:
        entries = [self._entries(c) for c in candidates]
        # Score the pairs not seen at these versions, all at once. The cosine is recomputed from the stored
        # vectors: the two lists holding a pair carry it from two matrix products, which may differ in the last
        # bits, and a pair must score the same whichever list brought it.
        missing: dict[PairKey, tuple[Posting, Posting]] = {}
        for rows in entries:
            for _, vacancy, resume, key in rows:
                if key in self._scores:
                    self._scores.move_to_end(key)  # used again: the last to be forgotten
                else:
                    missing[key] = (vacancy, resume)
        if missing:
            pairs = list(missing.values())
            started = time.perf_counter()
            for posting in {(p.kind, p.id): p for pair in pairs for p in pair}.values():
                scorer.builder.prepared(posting)  # lemmas and TF-IDF rows, once per posting version (cached)
            self.last_round["texts"] += time.perf_counter() - started
            started = time.perf_counter()
            cosines = np.concatenate(
                [
                    pair_cosines(
                        np.stack([self._vectors[("vacancy", v.id)] for v, _ in pairs[start : start + 4096]]),
                        np.stack([self._vectors[("resume", r.id)] for _, r in pairs[start : start + 4096]]),
                    )
                    for start in range(0, len(pairs), 4096)
                ]
            )
            self.last_round["cosines"] += time.perf_counter() - started
            started = time.perf_counter()
            scored = scorer.score([v for v, _ in pairs], [r for _, r in pairs], cosines)
            for key, score, cosine in zip(missing, scored.scores.tolist(), cosines.tolist(), strict=True):
                self._scores[key] = (score, cosine)
            self.last_round["score"] += time.perf_counter() - started
        started = time.perf_counter()
        tops = self._tops(scorer, candidates, entries)
        self.last_round["explain"] += time.perf_counter() - started
        # Forgotten only now, least recently used first: a round needs every one of its pairs until its tops are
        # taken, however many it brought (a full rescore's round brings some two hundred thousand).
        while len(self._scores) > self._cache_pairs:
            old, _ = self._scores.popitem(last=False)
            self._reasons.pop(old, None)
        return tops

    def _tops(
        self,
        scorer: PairScorer,
        candidates: list[CandidateList],
        entries: list[list[tuple[str, Posting, Posting, PairKey]]],
    ) -> list[RankedList]:
        chosen = []
        unexplained: dict[PairKey, tuple[Posting, Posting, float]] = {}
        for c, rows in zip(candidates, entries, strict=True):
            ranked = sorted(
                ((target, *self._scores[key], key, vacancy, resume) for target, vacancy, resume, key in rows),
                key=lambda r: (-r[1], -r[2], r[0]),
            )[: self._top]
            chosen.append((c, ranked))
            for _, _, cosine, key, vacancy, resume in ranked:
                if key not in self._reasons:
                    unexplained[key] = (vacancy, resume, cosine)
        if unexplained:
            triples = list(unexplained.values())
            v_side, r_side = [t[0] for t in triples], [t[1] for t in triples]
            # Their features again (only the scores were kept), but no second pass through the trees' scores.
            features = scorer.builder.features(v_side, r_side, np.array([t[2] for t in triples], np.float32))
            for key, reasons in zip(unexplained, scorer.explain(features, v_side, r_side), strict=True):
                self._reasons[key] = reasons
        threshold = scorer.model.threshold
        return [
            RankedList(
                c.direction,
                c.source_id,
                [r[0] for r in ranked],
                [r[1] for r in ranked],
                [r[2] for r in ranked],
                [r[1] >= threshold for r in ranked],
                [self._reasons[r[3]] for r in ranked],
                scorer.version,
                c.computed_at,
            )
            for c, ranked in chosen
        ]

    async def _refresh_postings(self, session: Session, candidates: Sequence[CandidateList]) -> None:
        """Bring the posting cache to the current versions of every source and candidate.

        The items written since the last round (by ``updated_at``, with a margin for transactions that were
        still open then) leave the cache if they moved on or closed; then whatever a list needs and the cache
        lacks is read. A round thus reads what changed, not every candidate of every list it ranks.
        """
        round_started: datetime = await session.connection.fetchval("SELECT clock_timestamp()")
        if self._seen_from is not None:
            for kind in ("vacancy", "resume"):
                for item_id, version, is_open in await session.items.updated_since(kind, self._seen_from):
                    cached = self._postings.get((kind, item_id))
                    if cached is not None and (cached.version != version or not is_open):
                        self._postings.pop((kind, item_id), None)
                        self._vectors.pop((kind, item_id), None)
        self._seen_from = round_started - UPDATE_MARGIN
        wanted: dict[Kind, set[str]] = {"vacancy": set(), "resume": set()}
        for c in candidates:
            source_kind = SOURCE_KIND[c.direction]
            wanted[source_kind].add(c.source_id)
            wanted["resume" if source_kind == "vacancy" else "vacancy"].update(c.target_ids)
        for kind, ids in wanted.items():
            stale = sorted(i for i in ids if (kind, i) not in self._postings or (kind, i) not in self._vectors)
            for start in range(0, len(stale), 5000):
                chunk = stale[start : start + 5000]
                for row in await session.items.postings(kind, chunk):
                    self._postings[(kind, row["id"])] = Posting.from_row(kind, row)
                stored = await session.embeddings.fetch(kind, self._embedding_model, chunk)
                for item_id in chunk:
                    posting = self._postings.get((kind, item_id))
                    embedding = stored.get(item_id)
                    if posting is not None and embedding is not None and embedding.version == posting.version:
                        self._vectors[(kind, item_id)] = embedding.vector
                    else:
                        self._vectors.pop((kind, item_id), None)
