"""Schema migrations with yoyo-migrations over the SQL files in ``migrations/``."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from yoyo import get_backend, read_migrations

from careerrank.storage.database import outages_as_unavailable

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


async def ensure_database(dsn: str) -> bool:
    """Create the database named in ``dsn`` if it does not exist; return True if it was created."""
    parts = urlsplit(dsn)
    name = parts.path.lstrip("/")
    if not name:
        raise ValueError("the PostgreSQL DSN names no database")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with outages_as_unavailable():
        conn = await asyncpg.connect(admin)
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        # Identifiers cannot be bound as parameters; quote_ident keeps the name literal.
        quoted = await conn.fetchval("SELECT quote_ident($1)", name)
        try:
            await conn.execute(f"CREATE DATABASE {quoted}")
        except asyncpg.DuplicateDatabaseError:
            return False
        log.info("database created", extra={"database": name})
        return True
    finally:
        await conn.close()


async def drop_database(dsn: str) -> None:
    """Drop the database named in ``dsn`` (tests use this to clean up after themselves)."""
    parts = urlsplit(dsn)
    admin = urlunsplit(parts._replace(path="/postgres"))
    conn = await asyncpg.connect(admin)
    try:
        quoted = await conn.fetchval("SELECT quote_ident($1)", parts.path.lstrip("/"))
        await conn.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
    finally:
        await conn.close()


def apply_migrations(dsn: str, directory: Path = MIGRATIONS_DIR) -> int:
    """Apply pending migrations under a lock; return how many were applied. Blocking."""
    backend = get_backend(_yoyo_uri(dsn))
    try:
        migrations = read_migrations(str(directory))
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
    finally:
        backend.connection.close()
    log.info("migrations applied", extra={"applied": len(pending), "known": len(migrations)})
    return len(pending)


def _yoyo_uri(dsn: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(scheme="postgresql+psycopg"))


async def migrate(dsn: str) -> int:
    """Create the database if it is missing and apply pending migrations; return how many were applied.

    Starts nothing: PostgreSQL must be reachable (the local development scripts start it when it is not).
    """
    await ensure_database(dsn)
    return await asyncio.to_thread(apply_migrations, dsn)
