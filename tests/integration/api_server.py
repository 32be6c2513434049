"""The API served for real (uvicorn on a free port, in this process) over a test's database and broker, and a
small world of two employers' vacancies with ranked lists and applications, written straight to PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import uvicorn

from careerrank.api import create_app
from careerrank.settings import Settings
from careerrank.storage import connected


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[str]:
    """Serve the app; yield its base URL; stop it (finishing requests in flight)."""
    settings = settings.model_copy(update={"api": settings.api.model_copy(update={"key_cache_s": 0.0})})
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def make_key(settings: Settings, role: str, employer: str | None = None) -> str:
    async with connected(settings.postgres.dsn.get_secret_value()) as session:
        _, secret = await session.api_keys.create(role, employer, f"test {role}")  # type: ignore[arg-type]
    return secret


T0 = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    """``acme`` has v-acme-1 (ranked list r-1..r-3, applications of r-1 suitable, r-4 unsuitable) and
    v-acme-2; ``globex`` has v-globex-1 (list r-5); r-6 is in no list of anyone's."""

    acme_vacancies: tuple[str, ...] = ("v-acme-1", "v-acme-2")
    globex_vacancy: str = "v-globex-1"


async def seed_world(db: asyncpg.Connection) -> World:
    vacancies = [
        ("v-acme-1", "acme", "Python developer", ["Python", "Django", "Kubernetes"], 150000, 250000, 3.0),
        ("v-acme-2", "acme", "Data analyst", ["SQL", "Excel"], 90000, 130000, 1.0),
        ("v-globex-1", "globex", "Go engineer", ["Go"], 200000, 300000, 5.0),
    ]
    for i, (vid, employer, title, skills, lo, hi, years) in enumerate(vacancies):
        await db.execute(
            """INSERT INTO vacancies (id, version, status, title, body, skills, salary_from, salary_to, city,
                                      experience_years, employer_id)
               VALUES ($1, $2, 'open', $3, $4, $5, $6, $7, 'Москва', $8, $9)""",
            vid, T0 + timedelta(minutes=i), title, f"{title}: описание вакансии", skills, lo, hi, years, employer,
        )  # fmt: skip
    resumes = [
        ("r-1", "Python backend developer", ["Python", "Django"], 200000, 4.0),
        ("r-2", "Junior Python developer", ["Python"], 100000, 0.5),
        ("r-3", "Django developer", ["Django", "PostgreSQL"], 260000, 6.0),
        ("r-4", "Sales manager", ["CRM"], 80000, 2.0),
        ("r-5", "Go developer", ["Go", "Kubernetes"], 250000, 7.0),
        ("r-6", "Accountant", ["1C"], 70000, 10.0),
    ]
    for i, (rid, title, skills, salary, years) in enumerate(resumes):
        await db.execute(
            """INSERT INTO resumes (id, version, status, title, body, skills, salary_from, city, experience_years)
               VALUES ($1, $2, 'open', $3, $4, $5, $6, 'Москва', $7)""",
            rid, T0 + timedelta(minutes=i), title, f"{title}: опыт работы", skills, salary, years,
        )  # fmt: skip
    reason = [{"feature": "title_vs_desired", "effect": 0.8, "en": "title close to the desired position",
               "ru": "название близко к желаемой должности"}]  # fmt: skip
    lists = [
        ("vacancy_to_resume", "v-acme-1", ["r-1", "r-2", "r-3"], [0.91, 0.55, 0.31], [True, True, False]),
        ("vacancy_to_resume", "v-globex-1", ["r-5"], [0.88], [True]),
        ("resume_to_vacancy", "r-1", ["v-acme-1", "v-globex-1"], [0.91, 0.12], [True, False]),
    ]
    for direction, source, targets, scores, flags in lists:
        await db.execute(
            """INSERT INTO ranked_lists (direction, source_id, target_ids, scores, cosines, suitable, explanations,
                                         model_version, candidates_at)
               VALUES ($1, $2, $3, $4, $4, $5, $6, 'gbm-test', $7)""",
            direction, source, targets, scores, flags, json.dumps([reason] * len(targets)), T0,
        )  # fmt: skip
    for rid, score, flag in (("r-1", 0.9, True), ("r-4", 0.1, False)):
        await db.execute(
            """INSERT INTO applications (vacancy_id, resume_id, status, version, submitted_at, score, suitable,
                                         explanation, model_version, scored_at)
               VALUES ('v-acme-1', $1, 'open', $2, $2, $3, $4, $5, 'gbm-test', $2)""",
            rid, T0, score, flag, json.dumps(reason),
        )  # fmt: skip
    return World()
