"""The recruiter's top of each list: the matcher's candidates (top-K by cosine) ranked by the active model.

The matcher logs every list it writes in ``list_changes``; a round takes the oldest entries, ranks those lists
and deletes the entries in one transaction, so a list changed again meanwhile is logged again and ranked
again. A list that changed costs its new pairs only: what each list scored at is remembered between rounds
(:mod:`careerrank.scoring.scored_lists`), a pair is scored once per version of its two postings and of the
model, reasons are computed for the shown rows only and kept while they stay shown, and a list whose shown rows
did not change is not written again. Each list is written whole under one model, and activating another model
queues every list: no list is ever half rescored.
Until a model is active a list's top is its first candidates by cosine, with no flag.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import defaultdict
from datetime import datetime
from typing import NamedTuple

import numpy as np

from careerrank.scoring.active_model import ActiveModel
from careerrank.scoring.explanations import word
from careerrank.scoring.list_tops import best_positions, cosine_top, pair_of
from careerrank.scoring.pair_scorer import PairScorer, pair_cosines
from careerrank.scoring.postings import Posting
from careerrank.scoring.ranking_postings import SOURCE_KIND, RankingPostings
from careerrank.scoring.scored_lists import ScoredList, ScoredLists
from careerrank.storage import Database, Session
from careerrank.storage.ranked_lists import CandidateList, RankedList
from schemas import Kind

PairKey = tuple[str, datetime, str, datetime]  # vacancy id and version, resume id and version
Value = tuple[float, float]  # a pair's score and cosine


class _Known(NamedTuple):
    """A list's candidates as far as known before scoring: the remembered list (if any), each candidate's score
    and cosine (NaN where new) and the positions of the new ones."""

    prior: ScoredList | None
    scores: list[float]
    cosines: list[float]
    new: list[int]


class ListRanking:
    """Ranks the lists the matcher changed (see the module docstring)."""

    def __init__(
        self,
        database: Database,
        active: ActiveModel,
        top: int = 10,
        remembered_lists: int = 1_000_000,
    ) -> None:
        self._database = database
        self._active = active
        self._held = RankingPostings(active.embedding_model)
        self._top = top
        self._remembered = ScoredLists(remembered_lists)
        self._scores_model: str | None = None
        # Lists of the last round ranked again whose shown rows stayed as they were (so not written).
        self.unchanged = 0
        # Seconds of the last round by stage (read, texts, cosines, score, tops, explain, write): what operators see in
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
            self.last_round, self.unchanged = defaultdict(float), 0
            async with session.transaction():
                started = time.perf_counter()
                ids, lists = await session.ranked_lists.take_changes(limit)
                if not ids:
                    return 0
                candidates = await session.ranked_lists.candidates(lists)
                gone = sorted(set(lists) - {(c.direction, c.source_id) for c in candidates})
                self.last_round["read"] += time.perf_counter() - started
                ranked, self.unchanged = await self._rank(session, candidates, scorer)
                started = time.perf_counter()
                await session.ranked_lists.write(ranked)
                await session.ranked_lists.delete(gone)
                await session.ranked_lists.forget_changes(ids)
                self._remembered.forget(gone)
            self.last_round["write"] += time.perf_counter() - started
            return len(ranked) + self.unchanged + len(gone)

    async def _rank(
        self, session: Session, candidates: list[CandidateList], scorer: PairScorer | None
    ) -> tuple[list[RankedList], int]:
        """The lists to write (those whose shown rows changed) and how many stayed as they were."""
        if scorer is None:
            return [cosine_top(c, self._top) for c in candidates], 0
        if self._scores_model != scorer.version or self._held.embedding_model != self._active.embedding_model:
            # Another model scores, or the cosines come from other vectors: nothing remembered holds.
            self._remembered.clear()
            self._scores_model = scorer.version
            self._held.follow(self._active.embedding_model)
        started = time.perf_counter()
        await self._held.refresh(session, candidates)
        self.last_round["read"] += time.perf_counter() - started
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._active.executor, self._rank_with, scorer, candidates)

    def _candidates_of(self, c: CandidateList) -> tuple[Posting | None, list[Posting]]:
        """The list's source and its candidates that have a posting and a vector (an item closed since the list
        was written is left out: the next change drops it)."""
        source_kind = SOURCE_KIND[c.direction]
        source = self._held.usable(source_kind, c.source_id)
        if source is None:
            return None, []
        target_kind: Kind = "resume" if source_kind == "vacancy" else "vacancy"
        postings, vectors = self._held.postings[target_kind], self._held.vectors[target_kind]
        return source, [p for t in c.target_ids if (p := postings.get(t)) is not None and t in vectors]

    def _rank_with(self, scorer: PairScorer, candidates: list[CandidateList]) -> tuple[list[RankedList], int]:
        started = time.perf_counter()
        lists = [self._candidates_of(c) for c in candidates]
        # Each candidate's score and cosine: remembered where its pair is as it was scored, else scored now, each
        # new pair once however many lists of the round bring it. Per list, not per candidate: a list that changed
        # by one target costs a few lookups per candidate, no object.
        known: list[_Known] = []
        missing: dict[PairKey, tuple[Posting, Posting]] = {}
        for c, (source, targets) in zip(candidates, lists, strict=True):
            prior = (
                self._remembered.recall((c.direction, c.source_id), scorer.version, source.version) if source else None
            )
            scores, cosines = [math.nan] * len(targets), [math.nan] * len(targets)
            new = list(range(len(targets)))
            if prior is not None:
                # The same posting object is the same version: the cache replaces a posting that moved on.
                at = prior.positions()
                held_scores, held_cosines = prior.scores.tolist(), prior.cosines.tolist()
                new = []
                for n, target in enumerate(targets):
                    i = at.get(id(target))
                    if i is None:
                        new.append(n)
                    else:
                        scores[n], cosines[n] = held_scores[i], held_cosines[i]
            if source is not None:
                for n in new:
                    vacancy, resume = pair_of(source, targets[n])
                    missing.setdefault((vacancy.id, vacancy.version, resume.id, resume.version), (vacancy, resume))
            known.append(_Known(prior, scores, cosines, new))
        self.last_round["tops"] += time.perf_counter() - started
        fresh = self._score(scorer, missing)
        out = self._tops(scorer, candidates, lists, known, fresh)
        # Forgotten only now, least recently ranked first: a round needs what it recalled until its tops are taken.
        self._remembered.trim()
        return out

    def _score(self, scorer: PairScorer, missing: dict[PairKey, tuple[Posting, Posting]]) -> dict[PairKey, Value]:
        """Score and cosine of new pairs. The cosine is recomputed from the stored vectors: the two lists holding
        a pair carry it from two matrix products, which may differ in the last bits, and a pair must score the
        same whichever list brought it."""
        if not missing:
            return {}
        pairs = list(missing.values())
        started = time.perf_counter()
        for posting in {(p.kind, p.id): p for pair in pairs for p in pair}.values():
            scorer.builder.prepared(posting)  # lemmas and TF-IDF rows, once per posting version (cached)
        self.last_round["texts"] += time.perf_counter() - started
        started = time.perf_counter()
        cosines = np.concatenate(
            [
                pair_cosines(
                    np.stack([self._held.vectors["vacancy"][v.id] for v, _ in pairs[start : start + 4096]]),
                    np.stack([self._held.vectors["resume"][r.id] for _, r in pairs[start : start + 4096]]),
                )
                for start in range(0, len(pairs), 4096)
            ]
        )
        self.last_round["cosines"] += time.perf_counter() - started
        started = time.perf_counter()
        scored = scorer.score([v for v, _ in pairs], [r for _, r in pairs], cosines)
        self.last_round["score"] += time.perf_counter() - started
        return dict(zip(missing, zip(scored.scores.tolist(), cosines.tolist(), strict=True), strict=True))

    def _tops(
        self,
        scorer: PairScorer,
        candidates: list[CandidateList],
        lists: list[tuple[Posting | None, list[Posting]]],
        known: list[_Known],
        fresh: dict[PairKey, Value],
    ) -> tuple[list[RankedList], int]:
        """The lists whose shown rows changed, to write, and how many stayed as they were; every list is
        remembered as ranked now."""
        started = time.perf_counter()
        chosen = []
        unexplained: dict[PairKey, tuple[Posting, Posting, float]] = {}
        for c, (source, targets), k in zip(candidates, lists, known, strict=True):
            for n in k.new:
                v, r = pair_of(source, targets[n])  # type: ignore[arg-type]  # a list with new pairs has a source
                k.scores[n], k.cosines[n] = fresh[(v.id, v.version, r.id, r.version)]
            scores, cosines = np.array(k.scores, np.float32), np.array(k.cosines, np.float32)
            shown = best_positions(scores, cosines, targets, self._top)
            # A shown row keeps its reasons while its pair is as it was (remembered) and it was shown before.
            kept = dict(zip(k.prior.shown, k.prior.strongest, strict=True)) if k.prior is not None else {}
            renewed = set(k.new)
            strongest = [None if n in renewed else kept.get(targets[n].id) for n in shown]
            for n, strong in zip(shown, strongest, strict=True):
                if strong is None:
                    v, r = pair_of(source, targets[n])  # type: ignore[arg-type]
                    unexplained.setdefault((v.id, v.version, r.id, r.version), (v, r, k.cosines[n]))
            same = (
                k.prior is not None
                and all(s is not None for s in strongest)
                # As stored now, not only as this process last wrote it: another scorer may have written since.
                and c.ranked == (scorer.version, [targets[n].id for n in shown], [k.scores[n] for n in shown])
            )
            chosen.append((source, targets, scores, cosines, shown, strongest, same))
        explained: dict[PairKey, np.ndarray] = {}
        self.last_round["tops"] += time.perf_counter() - started
        started = time.perf_counter()
        if unexplained:
            triples = list(unexplained.values())
            v_side, r_side = [t[0] for t in triples], [t[1] for t in triples]
            # Their features again (only the scores were kept), but no second pass through the trees' scores.
            features = scorer.builder.features(v_side, r_side, np.array([t[2] for t in triples], np.float32))
            explained = dict(zip(unexplained, scorer.strongest(features), strict=True))
        self.last_round["explain"] += time.perf_counter() - started
        started = time.perf_counter()
        threshold = scorer.model.threshold
        out, unchanged = [], 0
        for c, (source, targets, scores, cosines, shown, strongest, same) in zip(candidates, chosen, strict=True):
            if source is None:
                out.append(RankedList(c.direction, c.source_id, [], [], [], [], [], scorer.version, c.computed_at))
                continue
            pairs = [pair_of(source, targets[n]) for n in shown]
            worded_from = tuple(
                s if s is not None else explained[(v.id, v.version, r.id, r.version)]
                for s, (v, r) in zip(strongest, pairs, strict=True)
            )
            shown_ids = tuple(targets[n].id for n in shown)
            remembered = ScoredList(
                scorer.version, source.version, tuple(targets), scores, cosines, shown_ids, worded_from
            )
            self._remembered.keep((c.direction, c.source_id), remembered)
            if same:
                unchanged += 1  # the recruiter's rows as stored: nothing to write
                continue
            top_scores = scores[shown].tolist()
            out.append(
                RankedList(
                    c.direction,
                    c.source_id,
                    [targets[n].id for n in shown],
                    top_scores,
                    cosines[shown].tolist(),
                    [score >= threshold for score in top_scores],
                    [word(s, v, r) for s, (v, r) in zip(worded_from, pairs, strict=True)],
                    scorer.version,
                    c.computed_at,
                )
            )
        self.last_round["tops"] += time.perf_counter() - started
        return out, unchanged
