"""The recruiters' web page, rendered on the server, htmx for partial updates (it works as plain links too):

- ``/ui/vacancies``: the recruiter's employer's vacancies (the job board's: all), a page at a time;
- ``/ui/vacancies/{id}``: a vacancy with three tabs (recommended resumes, suitable and unsuitable applications),
  each row with its score, flag, fit and reasons, and invite / reject buttons that post feedback;
- ``/ui/resumes/{id}``: a resume's recommended vacancies (the job board only);
- ``/ui/new/vacancy`` and ``/ui/new/resume``: a new posting, published like the ingest API's events; its page
  then waits for the posting and its matches, polling every 2 s.

Another employer's vacancy and an unknown one are the same 404 page, as in the JSON API. Sign-in and CSRF:
:mod:`careerrank.api.web_session`; texts: :mod:`careerrank.api.page_texts`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Query, Request, Response, status
from pydantic import ValidationError

from careerrank.api import page_rows
from careerrank.api.access import Principal, not_found, vacancy_visible
from careerrank.api.ingest import accept
from careerrank.api.page_forms import FIELDS, read_form
from careerrank.api.page_render import HOME_PATH, PageRoute, redirect, render
from careerrank.api.page_rows import PAGE_SIZE, TABS, Tab
from careerrank.api.web_session import Poster, User, pending_mark, posted_here
from careerrank.api.web_session import router as session_router
from careerrank.storage import Session
from schemas import FeedbackRecorded, Kind

router = APIRouter(route_class=PageRoute, include_in_schema=False)
router.include_router(session_router)
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
Pending = Annotated[str | None, Query(max_length=64)]
MAX_ID_CHARS = 128


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _here(request: Request) -> str:
    return f"{request.url.path}?{request.url.query}"


def _tab(raw: str | None) -> Tab:
    for tab in TABS:
        if raw == tab:
            return tab
    return "recommended"


@router.get("/")
@router.get("/ui")
@router.get("/ui/")
async def home() -> Response:
    return redirect(HOME_PATH)


@router.get("/favicon.ico")
async def favicon() -> Response:
    return Response(status_code=status.HTTP_204_NO_CONTENT)  # none: browsers ask for it on every page


@router.get("/ui/vacancies")
async def vacancies(request: Request, user: User, page: PageNumber = 1) -> Response:
    async with request.app.state.database.session() as session:
        total, rows = await session.views.employer_vacancies(user.employer_id, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    return render(request, "vacancies.html", user, vacancies=rows, total=total, page=page, pages=pages)


async def _posting(
    session: Session, user: Principal, kind: Kind, item_id: str, pending: str | None
) -> dict[str, Any] | None:
    """The posting if this visitor may see it; None while one it posted itself is still on its way; else 404."""
    if len(item_id) > MAX_ID_CHARS:
        raise not_found(kind)
    if kind == "resume" and user.role != "job_board":
        raise not_found(kind)
    item = await session.views.item(kind, item_id)
    if item is None and posted_here(user, kind, item_id, pending):
        return None
    if item is None or (user.role == "recruiter" and item["employer_id"] != user.employer_id):
        raise not_found(kind)
    return item


async def _vacancy_view(
    request: Request, user: Principal, vacancy_id: str, tab: Tab, page: int, pending: str | None
) -> dict[str, Any]:
    async with request.app.state.database.session() as session:
        item = await _posting(session, user, "vacancy", vacancy_id, pending)
        rows = await page_rows.tab_rows(session, vacancy_id, tab, page) if item is not None else None
    return {"vacancy": item, "vacancy_id": vacancy_id, "tab": tab, "rows": rows, "tabs": TABS, "pending": pending}


@router.get("/ui/vacancies/{vacancy_id}")
async def vacancy_page(
    request: Request, user: User, vacancy_id: str, tab: str | None = None, page: PageNumber = 1,
    pending: Pending = None,
) -> Response:  # fmt: skip
    view = await _vacancy_view(request, user, vacancy_id, _tab(tab), page, pending)
    return render(request, "vacancy.html", user, **view)


@router.get("/ui/vacancies/{vacancy_id}/tab")
async def vacancy_tab(
    request: Request, user: User, vacancy_id: str, tab: str | None = None, page: PageNumber = 1,
    pending: Pending = None,
) -> Response:  # fmt: skip
    """A tab's fragment: what the tab links fetch, and what a page waiting for its posting or list polls."""
    view = await _vacancy_view(request, user, vacancy_id, _tab(tab), page, pending)
    if view["vacancy"] is None:
        return render(request, "_waiting.html", user, box="tabs", poll_url=_here(request))
    response = render(request, "_tabs.html", user, **view)
    if pending is not None:
        response.headers["HX-Refresh"] = "true"  # the posting has arrived: the whole page shows it now
    return response


@router.post("/ui/vacancies/{vacancy_id}/feedback")
async def feedback(
    request: Request, user: Poster, vacancy_id: str, resume_id: Annotated[str, Form(max_length=128)],
    decision: Annotated[Literal["invited", "rejected"], Form()], tab: Annotated[str, Form(max_length=20)] = "",
) -> Response:  # fmt: skip
    """Invite or reject: a ``feedback.recorded`` event, published through the ingest API's path."""
    async with request.app.state.database.session() as session:
        exists, employer = await session.views.employer_of(vacancy_id)
    vacancy_visible(user, exists, employer)
    employer_id = user.employer_id if user.role == "recruiter" else employer
    if employer_id is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "the vacancy names no employer")
    try:
        event = FeedbackRecorded(
            event_id=f"web-{uuid.uuid4().hex}", occurred_at=datetime.now(UTC), vacancy_id=vacancy_id,
            resume_id=resume_id, recruiter_id=user.key_id, employer_id=employer_id, decision=decision,
        )  # fmt: skip
    except ValidationError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "invalid feedback") from exc
    await accept(request, user, [event], ("form",))
    if _is_htmx(request):
        return render(request, "_recorded.html", user, decision=decision)
    return redirect(f"/ui/vacancies/{quote(vacancy_id, safe='')}?tab={_tab(tab)}")


async def _resume_view(request: Request, user: Principal, resume_id: str, page: int, pending: str | None) -> Any:
    async with request.app.state.database.session() as session:
        item = await _posting(session, user, "resume", resume_id, pending)
        rows = await page_rows.recommended(session, "resume", resume_id, page) if item is not None else None
    return {"resume": item, "resume_id": resume_id, "rows": rows, "pending": pending}


@router.get("/ui/resumes/{resume_id}")
async def resume_page(
    request: Request, user: User, resume_id: str, page: PageNumber = 1, pending: Pending = None
) -> Response:
    return render(request, "resume.html", user, **await _resume_view(request, user, resume_id, page, pending))


@router.get("/ui/resumes/{resume_id}/matches")
async def resume_matches(
    request: Request, user: User, resume_id: str, page: PageNumber = 1, pending: Pending = None
) -> Response:
    view = await _resume_view(request, user, resume_id, page, pending)
    if view["resume"] is None:
        return render(request, "_waiting.html", user, box="matches", poll_url=_here(request))
    response = render(request, "_resume_matches.html", user, **view)
    if pending is not None:
        response.headers["HX-Refresh"] = "true"
    return response


def _kind(user: Principal, raw: str) -> Kind:
    if raw == "vacancy":
        return "vacancy"
    if raw == "resume" and user.role == "job_board":
        return "resume"
    raise not_found("page")


@router.get("/ui/new/{kind}")
async def new_posting_form(request: Request, user: User, kind: str) -> Response:
    posting_kind = _kind(user, kind)
    return render(request, "new_posting.html", user, kind=posting_kind, values={}, errors=[], fields=FIELDS)


@router.post("/ui/new/{kind}")
async def new_posting(request: Request, user: Poster, kind: str) -> Response:
    """Publish the posting; go to its page, which waits for it and then for its matches."""
    posting_kind = _kind(user, kind)
    form = read_form(posting_kind, await request.form(), user)
    if form.event is None:
        return render(
            request, "new_posting.html", user, status.HTTP_422_UNPROCESSABLE_CONTENT,
            kind=posting_kind, values=form.values, errors=form.errors, fields=FIELDS,
        )  # fmt: skip
    await accept(request, user, [form.event], ("form",))
    item_id = form.event.id
    mark = pending_mark(user, posting_kind, item_id)
    section = "vacancies" if posting_kind == "vacancy" else "resumes"
    return redirect(f"/ui/{section}/{quote(item_id, safe='')}?pending={mark}")
