"""PostgreSQL, the source of truth: migrations, sessions, and one data-access module per aggregate.

Aggregates: ``items`` (vacancies and resumes), ``embeddings`` (their vectors), ``event_log`` (processed
events), ``lists`` (top-K lists of both directions), ``model_state`` (active model, reindex pause and history),
``dead_letters``, ``delivery_trials`` (messages tried alone after repeated redeliveries), ``feedback``
(recruiters' decisions), ``applications`` (and their scores), ``scoring_models`` (the trained models' registry
and the scorer's event log). Every query is
parameterised; table names come from fixed mappings, never from input.
"""

from careerrank.storage.applications import ScoredApplication
from careerrank.storage.database import Database, Session, connected
from careerrank.storage.dead_letters import DeadLetter
from careerrank.storage.embeddings import OpenVectors, StoredEmbedding
from careerrank.storage.feedback import Decision
from careerrank.storage.items import TABLES, ItemState, ItemVersion, SnapshotItem
from careerrank.storage.lists import MatchRow
from careerrank.storage.migrations import apply_migrations, drop_database, ensure_database, migrate
from careerrank.storage.scoring_models import RegisteredModel

__all__ = [
    "TABLES",
    "Database",
    "DeadLetter",
    "Decision",
    "ItemState",
    "ItemVersion",
    "MatchRow",
    "OpenVectors",
    "RegisteredModel",
    "ScoredApplication",
    "Session",
    "SnapshotItem",
    "StoredEmbedding",
    "apply_migrations",
    "connected",
    "drop_database",
    "ensure_database",
    "migrate",
]
