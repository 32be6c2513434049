"""The rows the web page's tables show, read from PostgreSQL: a source's ranked list (a vacancy's recommended
resumes, a resume's recommended vacancies) and a vacancy's suitable or unsuitable applications. Each row holds
the other posting's title, the score, the suitable flag, the fit of the pair and the model's reasons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from careerrank.api import responses as r
from careerrank.storage import Session
from schemas import Kind, opposite

PAGE_SIZE: Final = 20
Tab = Literal["recommended", "suitable", "unsuitable"]
TABS: Final[tuple[Tab, ...]] = ("recommended", "suitable", "unsuitable")


@dataclass(frozen=True, slots=True)
class Row:
    target_id: str
    title: str | None  # None: the posting has not arrived (an application may come before its resume)
    score: float | None
    suitable: bool | None
    fit: r.Fit | None
    reasons: list[r.Reason]


@dataclass(frozen=True, slots=True)
class Rows:
    """One page of a table: ``ready`` is False while the source's ranked list is not computed yet."""

    ready: bool
    total: int
    page: int
    rows: list[Row]
    model_version: str | None = None
    ranked_at: datetime | None = None
    suitable: int | None = None  # of a ranked list: rows flagged suitable (None while no model flags them)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def _pair_fit(kind: Kind, source: dict[str, Any] | None, target: dict[str, Any] | None) -> r.Fit | None:
    if source is None or target is None:
        return None
    return r.fit(source, target) if kind == "vacancy" else r.fit(target, source)


async def recommended(session: Session, kind: Kind, source_id: str, page: int) -> Rows:
    """One page of the source's ranked list, best first."""
    ranked = await session.views.ranked(kind, source_id)
    if ranked is None:
        return Rows(ready=False, total=0, page=1, rows=[])
    total = len(ranked.target_ids)
    page = min(max(page, 1), max(1, -(-total // PAGE_SIZE)))
    window = range((page - 1) * PAGE_SIZE, min(page * PAGE_SIZE, total))
    targets = await session.views.summaries(opposite(kind), [ranked.target_ids[i] for i in window])
    source = (await session.views.summaries(kind, [source_id])).get(source_id)
    rows = []
    for i in window:
        target = targets.get(ranked.target_ids[i])
        rows.append(
            Row(
                target_id=ranked.target_ids[i],
                title=target["title"] if target is not None else None,
                score=ranked.scores[i],
                suitable=ranked.suitable[i],
                fit=_pair_fit(kind, source, target),
                reasons=r.reasons(ranked.explanations[i]),
            )
        )
    return Rows(True, total, page, rows, ranked.model_version, ranked.ranked_at, r.suitable_count(ranked.suitable))


async def applications(session: Session, vacancy_id: str, suitable: bool, page: int) -> Rows:
    """One page of the vacancy's open applications the model found suitable (or not), best first."""
    flag: Literal["suitable", "unsuitable"] = "suitable" if suitable else "unsuitable"
    total, found = await session.views.applications(
        vacancy_id, flag, "-score", PAGE_SIZE, (max(page, 1) - 1) * PAGE_SIZE
    )
    resumes = await session.views.summaries("resume", [a.resume_id for a in found])
    vacancy = (await session.views.summaries("vacancy", [vacancy_id])).get(vacancy_id)
    rows = [
        Row(
            target_id=a.resume_id,
            title=resumes[a.resume_id]["title"] if a.resume_id in resumes else None,
            score=a.score,
            suitable=a.suitable,
            fit=_pair_fit("vacancy", vacancy, resumes.get(a.resume_id)),
            reasons=r.reasons(a.explanation),
        )
        for a in found
    ]
    return Rows(True, total, max(page, 1), rows)


async def tab_rows(session: Session, vacancy_id: str, tab: Tab, page: int) -> Rows:
    if tab == "recommended":
        return await recommended(session, "vacancy", vacancy_id, page)
    return await applications(session, vacancy_id, tab == "suitable", page)
