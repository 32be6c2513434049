"""PostgreSQL, the source of truth: migrations, sessions, and one data-access module per aggregate.

Aggregates: ``items`` (vacancies and resumes), ``embeddings`` (their vectors), ``event_log`` (processed
events), ``lists`` (top-K lists of both directions), ``model_state`` (active model, reindex pause and history),
``dead_letters``, ``delivery_trials`` (messages tried alone after repeated redeliveries). Every query is
parameterised; table names come from fixed mappings, never from input.
"""

from careerrank.storage.database import Database, Session, connected
from careerrank.storage.dead_letters import DeadLetter
from careerrank.storage.embeddings import OpenVectors, StoredEmbedding
from careerrank.storage.items import TABLES, ItemState, ItemVersion, SnapshotItem
from careerrank.storage.lists import MatchRow
from careerrank.storage.migrations import apply_migrations, drop_database, ensure_database, migrate

__all__ = [
    "TABLES",
    "Database",
    "DeadLetter",
    "ItemState",
    "ItemVersion",
    "MatchRow",
    "OpenVectors",
    "Session",
    "SnapshotItem",
    "StoredEmbedding",
    "apply_migrations",
    "connected",
    "drop_database",
    "ensure_database",
    "migrate",
]
