"""Unit tests of the API's pieces that need no service: the fit summary, conditional requests, the body limit,
and that the app loads no model."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import Request, Response

from careerrank.api import create_app
from careerrank.api.access import KeyCache
from careerrank.api.app import BodyLimit
from careerrank.api.reads import revalidate
from careerrank.api.responses import fit, salary_fit
from careerrank.errors import ServiceUnavailable
from careerrank.settings import Settings


def _row(**fields: Any) -> dict[str, Any]:
    base = {"skills": [], "salary_from": None, "salary_to": None, "currency": "RUB", "experience_years": None}
    return {**base, **fields}


@pytest.mark.parametrize(
    ("vacancy", "resume", "expected"),
    [
        (_row(salary_from=100, salary_to=200), _row(salary_from=150), "inside"),
        (_row(salary_from=100, salary_to=200), _row(salary_from=201), "above"),
        (_row(salary_from=100, salary_to=200), _row(salary_from=99), "below"),
        (_row(salary_from=100), _row(salary_from=5000), "inside"),  # no upper bound
        (_row(salary_to=200), _row(salary_to=50), "inside"),  # a resume with only an upper figure
        (_row(), _row(salary_from=100), "unknown"),
        (_row(salary_from=100), _row(), "unknown"),
        (_row(salary_from=100_000, salary_to=200_000), _row(salary_from=2000, currency="USD"), "inside"),
        (_row(salary_from=100_000, salary_to=150_000), _row(salary_from=2000, currency="USD"), "above"),
        (_row(salary_from=100), _row(salary_from=100, currency="XXX"), "unknown"),
    ],
)
def test_salary_fit(vacancy: dict[str, Any], resume: dict[str, Any], expected: str) -> None:
    assert salary_fit(vacancy, resume) == expected


def test_fit_compares_skills_as_the_scorer_does() -> None:
    vacancy = _row(skills=["Python", "Ёлка  Dev", "Go"], experience_years=3.0)
    resume = _row(skills=["python", "елка dev"], experience_years=2.5)
    summary = fit(vacancy, resume)
    assert summary.matched_skills == ["Python", "Ёлка  Dev"] and summary.missing_skills == ["Go"]
    assert summary.experience_met is False
    assert fit(_row(experience_years=None), resume).experience_met is None


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": raw, "query_string": b""})


def test_revalidate_sets_validators_and_answers_not_modified() -> None:
    changed = datetime(2026, 11, 1, 10, 0, 0, 123456, tzinfo=UTC)
    response = Response()
    assert revalidate(_request({}), response, changed, "page", 1) is None
    etag = response.headers["etag"]
    assert response.headers["last-modified"] == "Sun, 01 Nov 2026 10:00:00 GMT"
    hit = revalidate(_request({"If-None-Match": f'"x", {etag}'}), Response(), changed, "page", 1)
    assert hit is not None and hit.status_code == 304 and hit.headers["etag"] == etag
    by_date = revalidate(
        _request({"If-Modified-Since": "Sun, 01 Nov 2026 10:00:00 GMT"}), Response(), changed, "page", 1
    )
    assert by_date is not None and by_date.status_code == 304
    # Another page, a later change, an older date, or a garbled date: the full answer.
    assert revalidate(_request({"If-None-Match": etag}), Response(), changed, "page", 2) is None
    older = "Sun, 01 Nov 2026 09:59:59 GMT"
    assert revalidate(_request({"If-Modified-Since": older}), Response(), changed, "page", 1) is None
    assert revalidate(_request({"If-Modified-Since": "yesterday"}), Response(), changed, "page", 1) is None


async def test_body_limit_refuses_declared_and_streamed_bodies() -> None:
    seen: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            seen.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def run(headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> int:
        sent: list[dict[str, Any]] = []
        pending = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

        async def receive() -> dict[str, Any]:
            return pending.pop(0)

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await BodyLimit(app, max_bytes=10)({"type": "http", "headers": headers}, receive, send)
        return int(sent[0]["status"])

    assert await run([(b"content-length", b"5")], [b"12345"]) == 200
    assert await run([(b"content-length", b"11")], [b"12345678901"]) == 413
    assert await run([(b"content-length", b"-1")], [b""]) == 413
    assert await run([], [b"123456", b"789012"]) == 413  # chunked, no length: refused as it streams past
    assert await run([], [b"123", b"456"]) == 200


def test_the_api_loads_no_model() -> None:
    probe = (
        "import sys; from careerrank.api import create_app; create_app(); print(sorted(m for m in "
        "('torch', 'sentence_transformers', 'xgboost', 'faiss', 'pymorphy3') if m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout == "[]\n"


class _DownDatabase:
    """A database whose every session finds PostgreSQL gone, as the real one reports it."""

    def session(self) -> Any:
        raise ServiceUnavailable("postgres")


async def test_an_outage_is_a_503_page_on_the_web_and_json_on_the_api() -> None:
    app = create_app(Settings())
    app.state.database = _DownDatabase()
    app.state.keys = KeyCache(app.state.database, 0)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        client.cookies.set("careerrank_session", "some-session")
        page = await client.get("/ui/vacancies", params={"lang": "en"})
        assert page.status_code == 503 and page.headers["retry-after"] == "5"
        assert "text/html" in page.headers["content-type"] and "Temporarily unavailable" in page.text
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        api = await client.get("/v1/vacancies", headers={"Authorization": "Bearer crk_x_y"})
        assert api.status_code == 503 and api.json() == {"detail": "postgres is unavailable; try again"}
