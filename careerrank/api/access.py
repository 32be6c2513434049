"""Who is calling: API keys (header) and web sessions (cookie), roles, and what each role may see.

- ``job_board``: ingests every event and reads everything.
- ``recruiter``: bound to one employer; reads that employer's vacancies, their lists and applications, and the
  resumes that appear in them; posts that employer's vacancies and the feedback on them.
- ``admin``: manages keys, reads nothing else.

Refusals: no key or an unknown or revoked one is 401; a role that may not do it is 403; another employer's
vacancy, or a resume not in the employer's lists, is 404, worded as for an id that does not exist.
A found key is remembered for ``api.key_cache_s`` seconds (a revocation takes effect within that time).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from careerrank.storage import Database, Session
from careerrank.storage.api_keys import ApiKey, Role, digest

SESSION_COOKIE = "careerrank_session"
_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer crk_...`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key, as a header of its own.")


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: its key's id and role, a recruiter's employer, and for a web session its CSRF token."""

    key_id: str
    role: Role
    employer_id: str | None
    csrf_token: str | None = None

    @classmethod
    def of(cls, key: ApiKey, csrf_token: str | None = None) -> Principal:
        return cls(key.id, key.role, key.employer_id, csrf_token)


class KeyCache:
    """Keys found recently, by the hash of their secret form; absent keys are not remembered."""

    def __init__(self, database: Database, ttl_s: float) -> None:
        self._database = database
        self._ttl_s = ttl_s
        self._found: dict[bytes, tuple[float, ApiKey]] = {}
        self._lookups: dict[bytes, asyncio.Future[ApiKey | None]] = {}

    async def find(self, secret: str) -> ApiKey | None:
        token = digest(secret)
        hit = self._found.get(token)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        # One lookup of a key at a time: when a remembered key expires under load, the requests carrying it
        # meanwhile wait for that one query instead of each sending its own.
        lookup = self._lookups.get(token)
        if lookup is None:
            lookup = self._lookups[token] = asyncio.ensure_future(self._look_up(secret, token))
            lookup.add_done_callback(lambda done: self._settled(token, done))
        return await asyncio.shield(lookup)

    def _settled(self, token: bytes, lookup: asyncio.Future[ApiKey | None]) -> None:
        self._lookups.pop(token, None)
        if not lookup.cancelled():
            lookup.exception()  # seen here, so that an outage met after every waiter left is not reported unseen

    async def _look_up(self, secret: str, token: bytes) -> ApiKey | None:
        now = time.monotonic()
        async with self._database.session() as session:
            key = await session.api_keys.find(secret)
        if key is None:
            self._found.pop(token, None)
            return None
        if self._ttl_s > 0:
            if len(self._found) > 10_000:
                self._found.clear()
            self._found[token] = (now + self._ttl_s, key)
        return key

    def forget(self) -> None:
        """Drop every remembered key (this process's; others follow within the cache time)."""
        self._found.clear()


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


async def caller(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> Principal:
    """The API caller, from its key."""
    secret = bearer.credentials if bearer is not None else header
    if not secret:
        raise _unauthorized("an API key is required")
    key = await request.app.state.keys.find(secret)
    if key is None:
        raise _unauthorized("unknown or revoked API key")
    return Principal.of(key)


def allow(*roles: Role) -> Any:
    """A dependency: the caller, if its role is one of ``roles`` (else 403)."""

    async def check(principal: Annotated[Principal, Depends(caller)]) -> Principal:
        if principal.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "this key's role may not do that")
        return principal

    return Depends(check)


def not_found(kind: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{kind} not found")


async def check_vacancy(session: Session, principal: Principal, vacancy_id: str) -> None:
    """404 unless the vacancy exists and, for a recruiter, is its employer's."""
    vacancy_visible(principal, *await session.views.employer_of(vacancy_id))


def vacancy_visible(principal: Principal, exists: bool, employer: str | None) -> None:
    """:func:`check_vacancy` on what the caller read already: whether it exists, and its employer."""
    if not exists or (principal.role == "recruiter" and employer != principal.employer_id):
        raise not_found("vacancy")


async def check_resume(session: Session, principal: Principal, resume_id: str) -> None:
    """404 unless a recruiter's employer has the resume in a list or an application (the caller checks that
    it exists)."""
    if principal.role == "recruiter":
        assert principal.employer_id is not None
        if not await session.views.resume_visible_to(principal.employer_id, resume_id):
            raise not_found("resume")


Reader = Annotated[Principal, allow("job_board", "recruiter")]
JobBoard = Annotated[Principal, allow("job_board")]
Admin = Annotated[Principal, allow("admin")]
