"""Ingest endpoints for the job board (and a recruiter's own vacancies and feedback): events validated by the
same ``schemas`` the workers use, published to RabbitMQ with publisher confirms, answered ``202`` with their
event ids once the broker has them. Invalid input is a ``422`` naming the field paths (never the values).
Posting the same event again is harmless: the workers apply an event id once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from careerrank.api.access import Principal, allow, not_found
from careerrank.api.responses import Accepted
from careerrank.messaging.producer import AnyEvent, batch_key, batch_message, event_message
from careerrank.messaging.publishing import publish_windowed
from schemas import (
    ApplicationSubmitted,
    ApplicationWithdrawn,
    FeedbackRecorded,
    ResumeClosed,
    ResumeUpserted,
    VacancyClosed,
    VacancyUpserted,
)
from schemas.envelope import MAX_BATCH_EVENTS

router = APIRouter(prefix="/v1", tags=["ingest"])
Poster = Annotated[Principal, allow("job_board", "recruiter")]
AnyEventBody = Annotated[
    VacancyUpserted | ResumeUpserted | VacancyClosed | ResumeClosed | ApplicationSubmitted | ApplicationWithdrawn
    | FeedbackRecorded,
    Field(discriminator="type"),
]  # fmt: skip
_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "A recruiter's key, for an event it may not post"},
    404: {"description": "A recruiter's key, for another employer's vacancy"},
    503: {"description": "RabbitMQ is unreachable: nothing was accepted, post again"},
}


class EventBatch(BaseModel):
    events: list[AnyEventBody] = Field(min_length=1, max_length=MAX_BATCH_EVENTS)


@router.post("/events", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted, responses=_RESPONSES)
async def post_event(request: Request, principal: Poster, event: AnyEventBody) -> Accepted:
    """One event of any type, published with a confirm."""
    return await accept(request, principal, [event], ("body",))


@router.post("/events/batch", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted, responses=_RESPONSES)
async def post_events(request: Request, principal: Poster, batch: EventBatch) -> Accepted:
    """Up to 1000 events in one request: all are accepted, or none (any invalid one is a 422)."""
    return await accept(request, principal, batch.events, ("body", "events"))


async def accept(request: Request, principal: Principal, events: Sequence[AnyEvent], path: tuple[Any, ...]) -> Accepted:
    """Check, publish with confirms, answer with the event ids (what the web page's forms use too)."""
    skew = timedelta(seconds=request.app.state.settings.embedder.max_clock_skew_s)
    latest = datetime.now(UTC) + skew
    late = [
        {"loc": [*path, *([i] if len(path) > 1 else []), "occurred_at"], "msg": "more than the accepted clock "
         "skew in the future: a producer clock is wrong", "type": "clock_skew"}
        for i, e in enumerate(events) if e.occurred_at > latest
    ]  # fmt: skip
    if late:
        raise RequestValidationError(late)
    if principal.role == "recruiter":
        await _check_recruiter(request, principal, events)
    await publish(request, events)
    for event in events:
        request.app.state.metrics.events.labels(event.type).inc()
    return Accepted(event_ids=[e.event_id for e in events], accepted=len(events))


async def publish(request: Request, events: Sequence[AnyEvent]) -> None:
    """Every event confirmed by the broker when this returns: each family's events go as batch messages."""
    families: dict[str, list[AnyEvent]] = {}
    for event in events:
        families.setdefault(batch_key(event), []).append(event)
    messages = [
        event_message(group[0]) if len(group) == 1 else batch_message(group[start : start + MAX_BATCH_EVENTS])
        for group in families.values()
        for start in range(0, len(group), MAX_BATCH_EVENTS)
    ]
    broker = request.app.state.broker
    await publish_windowed(broker.topology.events, messages, window=len(messages))


async def _check_recruiter(request: Request, principal: Principal, events: Sequence[AnyEvent]) -> None:
    """A recruiter posts its employer's vacancies, their closes, and feedback on them; nothing else."""
    vacancies: set[str] = set()
    for event in events:
        if isinstance(event, VacancyUpserted | FeedbackRecorded):
            if event.employer_id != principal.employer_id:
                raise HTTPException(status.HTTP_403_FORBIDDEN, "a recruiter's key posts for its own employer only")
        elif not isinstance(event, VacancyClosed):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"a recruiter's key may not post {event.type}")
        vacancies.add(event.vacancy_id if isinstance(event, FeedbackRecorded) else event.id)
    async with request.app.state.database.session() as session:
        for vacancy_id in sorted(vacancies):
            exists, employer = await session.views.employer_of(vacancy_id)
            new_here = not exists and any(isinstance(e, VacancyUpserted) and e.id == vacancy_id for e in events)
            if not new_here and employer != principal.employer_id:
                raise not_found("vacancy")
