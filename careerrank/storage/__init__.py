"""PostgreSQL: migrations and one data-access module per aggregate (postings, matches, dead letters)."""

from careerrank.storage import dead_letters, matches, postings
from careerrank.storage.migrations import apply_migrations, drop_database, ensure_database

__all__ = ["apply_migrations", "dead_letters", "drop_database", "ensure_database", "matches", "postings"]
