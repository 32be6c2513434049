"""The postings and vectors the ranking works from, kept at their current versions between rounds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np

from careerrank.scoring.postings import Posting
from careerrank.storage import Session
from careerrank.storage.ranked_lists import CandidateList
from schemas import KINDS, Direction, Kind

SOURCE_KIND: dict[Direction, Kind] = {"vacancy_to_resume": "vacancy", "resume_to_vacancy": "resume"}
# Items written within this long before a round began are looked at again in the next one: a transaction
# that stamped its rows before the round but committed after it is not missed.
UPDATE_MARGIN = timedelta(seconds=120)


class RankingPostings:
    """Postings and their vectors (of ``embedding_model``) by kind and id. One owner: the ranking."""

    def __init__(self, embedding_model: str) -> None:
        self.embedding_model = embedding_model
        self.postings: dict[Kind, dict[str, Posting]] = {"vacancy": {}, "resume": {}}
        self.vectors: dict[Kind, dict[str, np.ndarray]] = {"vacancy": {}, "resume": {}}
        self._seen_from: datetime | None = None

    def usable(self, kind: Kind, item_id: str) -> Posting | None:
        """The posting, if it has a vector too."""
        posting = self.postings[kind].get(item_id)
        return posting if posting is not None and item_id in self.vectors[kind] else None

    def follow(self, embedding_model: str) -> None:
        """Vectors of another model from now on: nothing held stays."""
        if embedding_model != self.embedding_model:
            self.embedding_model = embedding_model
            for kind in KINDS:
                self.postings[kind].clear()
                self.vectors[kind].clear()
            self._seen_from = None

    async def refresh(self, session: Session, candidates: Sequence[CandidateList]) -> None:
        """Bring the posting cache to the current versions of every source and candidate.

        The items written since the last round (by ``updated_at``, with a margin for transactions that were
        still open then) leave the cache if they moved on or closed; then whatever a list needs and the cache
        lacks is read. A round thus reads what changed, not every candidate of every list it ranks.
        """
        round_started: datetime = await session.connection.fetchval("SELECT clock_timestamp()")
        if self._seen_from is not None:
            for kind in KINDS:
                for item_id, version, is_open in await session.items.updated_since(kind, self._seen_from):
                    cached = self.postings[kind].get(item_id)
                    if cached is not None and (cached.version != version or not is_open):
                        self.postings[kind].pop(item_id, None)
                        self.vectors[kind].pop(item_id, None)
        self._seen_from = round_started - UPDATE_MARGIN
        wanted: dict[Kind, set[str]] = {"vacancy": set(), "resume": set()}
        for c in candidates:
            source_kind = SOURCE_KIND[c.direction]
            wanted[source_kind].add(c.source_id)
            wanted["resume" if source_kind == "vacancy" else "vacancy"].update(c.target_ids)
        for kind, ids in wanted.items():
            postings, vectors = self.postings[kind], self.vectors[kind]
            stale = sorted(i for i in ids if i not in postings or i not in vectors)
            for start in range(0, len(stale), 5000):
                chunk = stale[start : start + 5000]
                for row in await session.items.postings(kind, chunk):
                    postings[row["id"]] = Posting.from_row(kind, row)
                stored = await session.embeddings.fetch(kind, self.embedding_model, chunk)
                for item_id in chunk:
                    posting = postings.get(item_id)
                    embedding = stored.get(item_id)
                    if posting is not None and embedding is not None and embedding.version == posting.version:
                        vectors[item_id] = embedding.vector
                    else:
                        vectors.pop(item_id, None)
