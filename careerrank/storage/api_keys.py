"""Data access for API keys and the web page's sessions.

A key is shown once, when it is made; only its SHA-256 is stored. A key carries 256 random bits, so a plain
hash is as good as a slow one and lets a request find its key by an index lookup. Sessions are stored the same
way: the cookie's token never reaches the database.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import asyncpg

Role = Literal["admin", "job_board", "recruiter"]
ROLES: tuple[Role, ...] = ("admin", "job_board", "recruiter")
KEY_PREFIX = "crk_"


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    role: Role
    employer_id: str | None
    name: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class WebSession:
    key: ApiKey
    csrf_token: str


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def new_key() -> tuple[str, str]:
    """``(id, key)``: the key is ``crk_<id>_<secret>``; the id alone names it in listings and revocations."""
    key_id = secrets.token_hex(6)
    return key_id, f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"


def _key(row: asyncpg.Record) -> ApiKey:
    return ApiKey(row["id"], row["role"], row["employer_id"], row["name"], row["created_at"], row["revoked_at"])


class ApiKeys:
    """Queries on ``api_keys`` and ``web_sessions`` over one connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def create(self, role: Role, employer_id: str | None, name: str = "") -> tuple[ApiKey, str]:
        """Make a key; return it with its secret form (the only time that is seen)."""
        if role not in ROLES:
            raise ValueError(f"unknown role; expected one of {', '.join(ROLES)}")
        if (role == "recruiter") != (employer_id is not None):
            raise ValueError("a recruiter's key names its employer, and only a recruiter's key does")
        key_id, secret = new_key()
        row = await self._conn.fetchrow(
            """INSERT INTO api_keys AS k (id, key_hash, role, employer_id, name) VALUES ($1, $2, $3, $4, $5)
               RETURNING k.id, k.role, k.employer_id, k.name, k.created_at, k.revoked_at""",
            key_id,
            digest(secret),
            role,
            employer_id,
            name,
        )
        return _key(row), secret

    async def find(self, secret: str) -> ApiKey | None:
        """The key whose secret form this is, if it exists and is not revoked."""
        row = await self._conn.fetchrow(
            """SELECT k.id, k.role, k.employer_id, k.name, k.created_at, k.revoked_at
                 FROM api_keys k WHERE k.key_hash = $1 AND k.revoked_at IS NULL""",
            digest(secret),
        )
        return _key(row) if row is not None else None

    async def all(self) -> list[ApiKey]:
        rows = await self._conn.fetch(
            """SELECT k.id, k.role, k.employer_id, k.name, k.created_at, k.revoked_at
                 FROM api_keys k ORDER BY k.created_at"""
        )
        return [_key(r) for r in rows]

    async def revoke(self, key_id: str) -> bool:
        """Revoke a key and end its sessions; False if no such key is live."""
        async with self._conn.transaction():
            done = await self._conn.fetchval(
                "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING true", key_id
            )
            await self._conn.execute("DELETE FROM web_sessions WHERE key_id = $1", key_id)
        return bool(done)

    async def open_session(self, key: ApiKey, lifetime: timedelta) -> tuple[str, str]:
        """A sign-in: ``(cookie token, CSRF token)``. Expired sessions are dropped on the way."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        await self._conn.execute("DELETE FROM web_sessions WHERE expires_at < now()")
        await self._conn.execute(
            "INSERT INTO web_sessions (token_hash, key_id, csrf_token, expires_at) VALUES ($1, $2, $3, now() + $4)",
            digest(token),
            key.id,
            csrf,
            lifetime,
        )
        return token, csrf

    async def session(self, token: str) -> WebSession | None:
        """The live session of a cookie token, with its key (None once it expired or the key was revoked)."""
        row = await self._conn.fetchrow(
            """SELECT k.id, k.role, k.employer_id, k.name, k.created_at, k.revoked_at, s.csrf_token
                 FROM web_sessions s JOIN api_keys k ON k.id = s.key_id
                 WHERE s.token_hash = $1 AND s.expires_at > now() AND k.revoked_at IS NULL""",
            digest(token),
        )
        return WebSession(_key(row), row["csrf_token"]) if row is not None else None

    async def close_session(self, token: str) -> None:
        await self._conn.execute("DELETE FROM web_sessions WHERE token_hash = $1", digest(token))
