"""Read endpoints: a vacancy's recommended resumes and its applications, a resume's recommended vacancies,
one item, an employer's vacancies. Served from PostgreSQL; conditional requests answer 304 when nothing
changed (``ETag`` and ``Last-Modified`` on every page), so a polling reader pays little.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status

from careerrank.api import responses as r
from careerrank.api.access import Reader, check_resume, check_vacancy, not_found, vacancy_visible
from careerrank.storage import Session
from careerrank.storage.match_views import Flag, Order, PageView
from schemas import DIRECTIONS, Kind

router = APIRouter(prefix="/v1", tags=["read"])
ItemIdPath = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-/]+$")]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=100_000)]


def revalidate(request: Request, response: Response, changed: datetime | None, *parts: object) -> Response | None:
    """Set ``ETag`` (of ``changed`` and ``parts``) and ``Last-Modified``; return a 304 answer if the request's
    validators say the client has this version."""
    etag = '"' + hashlib.blake2b(repr((changed, parts)).encode(), digest_size=12).hexdigest() + '"'
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "private, no-cache"
    if changed is not None:
        response.headers["Last-Modified"] = format_datetime(changed.replace(microsecond=0), usegmt=True)
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        if etag in (t.strip() for t in if_none_match.split(",")) or if_none_match.strip() == "*":
            return _not_modified(response)
        return None
    since = request.headers.get("if-modified-since")
    if since and changed is not None:
        try:
            client = parsedate_to_datetime(since)
        except (TypeError, ValueError, OverflowError):  # a date no clock gives (an offset of millions of hours)
            return None
        if client.tzinfo is not None and changed.replace(microsecond=0) <= client:
            return _not_modified(response)
    return None


def _not_modified(response: Response) -> Response:
    return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=dict(response.headers))


@router.get("/vacancies", response_model=r.VacancyPage)
async def vacancies(
    request: Request, response: Response, principal: Reader, limit: Limit = 20, offset: Offset = 0
) -> r.VacancyPage:
    """The caller's employer's vacancies (every vacancy for the job board), open first, newest first."""
    async with request.app.state.database.session() as session:
        total, rows = await session.views.employer_vacancies(principal.employer_id, limit, offset)
    return r.VacancyPage(total=total, vacancies=[r.summary(row) for row in rows])


@router.get("/vacancies/{vacancy_id}", response_model=r.Item, responses={404: {"description": "Not found"}})
async def vacancy(request: Request, response: Response, principal: Reader, vacancy_id: ItemIdPath) -> r.Item | Response:
    async with request.app.state.database.session() as session:
        await check_vacancy(session, principal, vacancy_id)
        return await _item(request, response, session, "vacancy", vacancy_id)


@router.get("/resumes/{resume_id}", response_model=r.Item, responses={404: {"description": "Not found"}})
async def resume(request: Request, response: Response, principal: Reader, resume_id: ItemIdPath) -> r.Item | Response:
    async with request.app.state.database.session() as session:
        await check_resume(session, principal, resume_id)
        return await _item(request, response, session, "resume", resume_id)


async def _item(request: Request, response: Response, session: Session, kind: Kind, item_id: str) -> r.Item | Response:
    row = await session.views.item(kind, item_id)
    if row is None:
        raise not_found(kind)
    if (cached := revalidate(request, response, row["updated_at"], row["version"])) is not None:
        return cached
    return r.Item(kind=kind, text=row["body"], **{k: v for k, v in row.items() if k in r.Item.model_fields})


@router.get(
    "/vacancies/{vacancy_id}/matches", response_model=r.MatchPage, responses={404: {"description": "Not found"}}
)
async def vacancy_matches(
    request: Request, response: Response, principal: Reader, vacancy_id: ItemIdPath,
    limit: Limit = 10, offset: Offset = 0,
) -> r.MatchPage | Response:  # fmt: skip
    """The vacancy's recommended resumes: the best by the active model among its candidates."""
    async with request.app.state.database.session() as session:
        page = await session.views.page("vacancy", vacancy_id, offset, limit)
    vacancy_visible(principal, page.found, page.employer_id)
    return _matches(request, response, "vacancy", vacancy_id, page, limit, offset)


@router.get(
    "/resumes/{resume_id}/matches",
    response_model=r.MatchPage,
    responses={404: {"description": "Not found"}, 403: {"description": "A recruiter's key"}},
)
async def resume_matches(
    request: Request, response: Response, principal: Reader, resume_id: ItemIdPath,
    limit: Limit = 10, offset: Offset = 0,
) -> r.MatchPage | Response:  # fmt: skip
    """The resume's recommended vacancies (the job board's role: they span every employer)."""
    if principal.role != "job_board":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this key's role may not do that")
    async with request.app.state.database.session() as session:
        page = await session.views.page("resume", resume_id, offset, limit)
    return _matches(request, response, "resume", resume_id, page, limit, offset)


def _matches(
    request: Request, response: Response, kind: Kind, source_id: str, page: PageView, limit: int, offset: int
) -> r.MatchPage | Response:
    """One page of the source's list, from what :meth:`MatchViews.page` read in one query."""
    ranked = page.ranked
    if ranked is None:
        if page.titled_at is None:
            raise not_found(kind)
        if (cached := revalidate(request, response, page.titled_at, "empty", limit, offset)) is not None:
            return cached
        return r.MatchPage(
            source_id=source_id,
            direction=DIRECTIONS[kind],
            model_version="none",
            ranked_at=None,
            total=0,
            suitable=None,
            matches=[],
        )
    if (cached := revalidate(request, response, ranked.ranked_at, ranked.model_version, limit, offset)) is not None:
        return cached
    window = range(offset, min(offset + limit, len(ranked.target_ids)))
    targets, source = page.targets, page.source
    matches = []
    for i in window:
        target = targets.get(ranked.target_ids[i])
        if target is None:
            continue  # gone since the list was ranked: the next ranking drops it
        pair = (source, target) if kind == "vacancy" else (target, source)
        matches.append(
            r.Match(
                rank=i + 1,
                target=r.summary(target),
                score=ranked.scores[i],
                cosine=ranked.cosines[i],
                suitable=ranked.suitable[i],
                model_version=ranked.model_version,
                explanation=r.reasons(ranked.explanations[i]),
                fit=r.fit(*pair) if source is not None else None,
            )
        )
    return r.MatchPage(
        source_id=source_id,
        direction=DIRECTIONS[kind],
        model_version=ranked.model_version,
        ranked_at=ranked.ranked_at,
        total=len(ranked.target_ids),
        suitable=r.suitable_count(ranked.suitable),
        matches=matches,
    )


@router.get(
    "/vacancies/{vacancy_id}/applications",
    response_model=r.ApplicationPage,
    responses={404: {"description": "Not found"}},
)
async def vacancy_applications(
    request: Request, response: Response, principal: Reader, vacancy_id: ItemIdPath,
    filter: Annotated[Flag, Query(description="suitable, unsuitable, unscored or all")] = "all",
    sort: Annotated[Order, Query(description="-score (best first), score, -submitted, submitted")] = "-score",
    limit: Limit = 20, offset: Offset = 0,
) -> r.ApplicationPage | Response:  # fmt: skip
    """The vacancy's open applications, scored by the active model, split by the suitable flag."""
    async with request.app.state.database.session() as session:
        await check_vacancy(session, principal, vacancy_id)
        changed = await session.views.applications_changed(vacancy_id)
        if (cached := revalidate(request, response, changed, filter, sort, limit, offset)) is not None:
            return cached
        total, rows = await session.views.applications(vacancy_id, filter, sort, limit, offset)
        resumes = await session.views.summaries("resume", [a.resume_id for a in rows])
        vacancy = (await session.views.summaries("vacancy", [vacancy_id])).get(vacancy_id)
    out = []
    for a in rows:
        resume = resumes.get(a.resume_id)
        out.append(
            r.Application(
                resume=r.summary(resume) if resume is not None else None,
                resume_id=a.resume_id,
                submitted_at=a.submitted_at,
                score=a.score,
                suitable=a.suitable,
                model_version=a.model_version,
                explanation=r.reasons(a.explanation),
                fit=r.fit(vacancy, resume) if vacancy is not None and resume is not None else None,
            )
        )
    return r.ApplicationPage(vacancy_id=vacancy_id, filter=filter, total=total, applications=out)
