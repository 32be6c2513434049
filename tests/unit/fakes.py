"""In-memory stand-ins for the data-access layer and the broker, for unit tests of the workers' batch logic.

:class:`FakeDatabase` keeps the state of every aggregate in plain dicts and gives the queries of
``careerrank.storage`` the same meaning: rows only move forward in version, a transaction is all or nothing.
The real queries are tested against PostgreSQL by the integration tests.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from careerrank.errors import ModelMismatch
from careerrank.storage import ItemState, ItemVersion, OpenVectors, StoredEmbedding
from careerrank.vectors import Vectors
from schemas import Closure, Kind, Ranked, Upsert


@dataclass
class Row:
    version: datetime
    status: str
    event: Upsert | None  # what the row was written from (None for a close of an unknown item)
    text_hash: bytes | None = None
    matched_version: datetime | None = None


@dataclass
class Vector:
    version: datetime
    text_hash: bytes
    vector: Vectors


@dataclass
class State:
    """Everything the database holds."""

    items: dict[Kind, dict[str, Row]] = field(default_factory=lambda: {"vacancy": {}, "resume": {}})
    embeddings: dict[tuple[Kind, str, str], Vector] = field(default_factory=dict)  # (kind, id, model)
    processed: dict[str, tuple[Kind, str, str]] = field(default_factory=dict)  # event id -> (kind, id, outcome)
    lists: dict[Kind, dict[str, tuple[Ranked, str]]] = field(default_factory=lambda: {"vacancy": {}, "resume": {}})
    generation: int = 0
    active_model: str | None = None
    dead_letters: list[tuple[str, str, bytes]] = field(default_factory=list)
    trials: dict[tuple[str, bytes], int] = field(default_factory=dict)  # (queue, key) -> tries started


class FakeDatabase:
    """What the workers hold instead of :class:`careerrank.storage.Database`."""

    def __init__(self) -> None:
        self.state = State()
        self.commits = 0

    @asynccontextmanager
    async def session(self) -> AsyncIterator[FakeSession]:
        yield FakeSession(self)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[FakeSession]:
        session = FakeSession(self)
        async with session.transaction():
            yield session


class FakeSession:
    def __init__(self, database: FakeDatabase) -> None:
        self.database = database
        self.items = FakeItems(database)
        self.embeddings = FakeEmbeddings(database)
        self.events = FakeEventLog(database)
        self.lists = FakeLists(database)
        self.models = FakeModelState(database)
        self.dead_letters = FakeDeadLetters(database)
        self.trials = FakeTrials(database)

    @asynccontextmanager
    async def transaction(self, **options: Any) -> AsyncIterator[None]:
        before = copy.deepcopy(self.database.state)
        try:
            yield
        except BaseException:
            self.database.state = before
            raise
        self.database.commits += 1


class _Aggregate:
    def __init__(self, database: FakeDatabase) -> None:
        self._database = database

    @property
    def _state(self) -> State:
        return self._database.state


class FakeItems(_Aggregate):
    async def states(self, kind: Kind, ids: Sequence[str], model: str) -> dict[str, ItemState]:
        out = {}
        for item_id in ids:
            if (row := self._state.items[kind].get(item_id)) is not None:
                stored = self._state.embeddings.get((kind, item_id, model))
                out[item_id] = ItemState(row.version, row.status, stored.text_hash if stored else None)
        return out

    async def upsert(self, kind: Kind, events: Sequence[Upsert], hashes: Sequence[bytes]) -> set[str]:
        written = set()
        for event, digest in zip(events, hashes, strict=True):
            row = self._state.items[kind].get(event.id)
            if row is None or row.version < event.occurred_at:
                matched = row.matched_version if row is not None else None
                self._state.items[kind][event.id] = Row(event.occurred_at, "open", event, digest, matched)
                written.add(event.id)
        return written

    async def close(self, kind: Kind, events: Sequence[Closure]) -> set[str]:
        closed = set()
        for event in events:
            row = self._state.items[kind].get(event.id)
            if row is None:
                self._state.items[kind][event.id] = Row(event.occurred_at, "closed", None)
            elif row.version < event.occurred_at:
                row.version, row.status = event.occurred_at, "closed"
            else:
                continue
            closed.add(event.id)
        return closed

    async def versions(self, kind: Kind, ids: Sequence[str]) -> dict[str, ItemVersion]:
        rows = self._state.items[kind]
        return {i: ItemVersion(rows[i].version, rows[i].status, rows[i].matched_version) for i in ids if i in rows}

    async def mark_matched(self, kind: Kind, ids: Sequence[str], versions: Sequence[datetime]) -> int:
        marked = 0
        for item_id, version in zip(ids, versions, strict=True):
            row = self._state.items[kind][item_id]
            if row.matched_version is None or row.matched_version < version:
                row.matched_version = version
                marked += 1
        return marked


class FakeEmbeddings(_Aggregate):
    async def copy(self, kind: Kind, model: str, items: Sequence[tuple[str, datetime, bytes]], matrix: Vectors) -> None:
        assert len(items) == len(matrix)
        for (item_id, version, digest), vector in zip(items, matrix, strict=True):
            stored = self._state.embeddings.get((kind, item_id, model))
            if stored is None or stored.version <= version:
                self._state.embeddings[(kind, item_id, model)] = Vector(version, digest, np.array(vector))

    async def bump_versions(self, kind: Kind, model: str, rows: Sequence[tuple[str, datetime]]) -> None:
        for item_id, version in rows:
            stored = self._state.embeddings.get((kind, item_id, model))
            if stored is not None and stored.version < version:
                stored.version = version

    async def drop_older(self, kind: Kind, ids: Sequence[str], versions: Sequence[datetime]) -> None:
        closed = dict(zip(ids, versions, strict=True))
        for key in [k for k, v in self._state.embeddings.items() if k[0] == kind and k[1] in closed]:
            if self._state.embeddings[key].version < closed[key[1]]:
                del self._state.embeddings[key]

    async def fetch(self, kind: Kind, model: str, ids: Sequence[str]) -> dict[str, StoredEmbedding]:
        found = {i: self._state.embeddings.get((kind, i, model)) for i in ids}
        return {i: StoredEmbedding(i, v.version, v.vector) for i, v in found.items() if v is not None}

    async def load_open(self, kind: Kind, model: str, matched_only: bool = False) -> OpenVectors:
        rows = self._state.items[kind]
        ids = sorted(
            i
            for (k, i, m) in self._state.embeddings
            if k == kind and m == model and i in rows and rows[i].status == "open"
            if not matched_only or rows[i].matched_version is not None
        )
        stored = [self._state.embeddings[(kind, i, model)] for i in ids]
        matrix = np.stack([s.vector for s in stored]) if stored else np.zeros((0, 0), np.float32)
        return OpenVectors(ids, [s.version for s in stored], matrix)


class FakeEventLog(_Aggregate):
    async def processed(self, event_ids: Sequence[str]) -> set[str]:
        return {e for e in event_ids if e in self._state.processed}

    async def record(self, records: Sequence[tuple[str, Kind, str, str]]) -> None:
        for event_id, kind, item_id, outcome in records:
            self._state.processed.setdefault(event_id, (kind, item_id, outcome))


class FakeLists(_Aggregate):
    async def replace(self, source_kind: Kind, lists: Mapping[str, Ranked], model_version: str) -> int:
        for source, ranked in lists.items():
            if ranked:
                self._state.lists[source_kind][source] = (list(ranked), model_version)
            else:
                self._state.lists[source_kind].pop(source, None)
        return sum(len(r) for r in lists.values())

    async def all(self, source_kind: Kind, *, with_reserve: bool = False) -> dict[str, Ranked]:
        assert not with_reserve, "no reindex here leaves reserves"
        return {s: list(ranked) for s, (ranked, _) in self._state.lists[source_kind].items()}

    async def reserves_current(self) -> bool:
        return False

    async def generation(self) -> int:
        return self._state.generation

    async def bump_generation(self) -> int:
        self._state.generation += 1
        return self._state.generation


class FakeModelState(_Aggregate):
    async def active(self) -> str | None:
        return self._state.active_model

    async def check_active(self, model: str) -> None:
        if self._state.active_model is not None and self._state.active_model != model:
            raise ModelMismatch(self._state.active_model, model)

    async def enter_list_writer(self) -> None:
        return None

    async def leave_list_writer(self) -> None:
        return None


class FakeDeadLetters(_Aggregate):
    async def record(self, queue: str, reason: str, body: bytes, headers: Mapping[str, Any]) -> int:
        self._state.dead_letters.append((queue, reason, body))
        return len(self._state.dead_letters)


class FakeTrials(_Aggregate):
    async def begin(self, queue: str, key: bytes) -> int:
        started = self._state.trials.get((queue, key), 0) + 1
        self._state.trials[(queue, key)] = started
        return started - 1

    async def end(self, queue: str, key: bytes) -> None:
        self._state.trials.pop((queue, key), None)


class FakeMessage:
    """An incoming message: a body and headers, and how it was settled (a second settle raises)."""

    def __init__(
        self, body: bytes, headers: dict[str, Any] | None = None, *, exchange: str = "", routing_key: str = ""
    ) -> None:
        self.body = body
        self.headers: dict[str, Any] = headers or {}
        self.content_type = "application/json"
        self.message_id: str | None = None
        self.exchange = exchange
        self.routing_key = routing_key
        self.redelivered = bool(self.headers.get("x-delivery-count"))
        self.outcome: tuple[str, bool] | None = None

    @property
    def processed(self) -> bool:
        return self.outcome is not None

    async def ack(self, multiple: bool = False) -> None:
        assert self.outcome is None, "settled twice"
        self.outcome = ("ack", False)

    async def nack(self, multiple: bool = False, requeue: bool = True) -> None:
        assert self.outcome is None, "settled twice"
        self.outcome = ("nack", requeue)


class FakeExchange:
    """Records what is published to it; every publish is confirmed at once."""

    def __init__(self) -> None:
        self.published: list[tuple[str, bytes, dict[str, Any]]] = []

    async def publish(self, message: Any, routing_key: str) -> None:
        self.published.append((routing_key, message.body, dict(message.headers or {})))

    def take(self) -> list[FakeMessage]:
        """What was published since the last call, as messages a consumer would receive."""
        taken = [FakeMessage(body, headers) for _, body, headers in self.published]
        self.published.clear()
        return taken
