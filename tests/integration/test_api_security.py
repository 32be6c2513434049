"""The API under hostile input, against the real PostgreSQL and RabbitMQ: SQL injection strings in every path and
query parameter of the read endpoints and in the fields of posted events (never a 5xx, never another employer's
data, every table still there), oversized bodies (413 by Content-Length and while a chunked body streams in),
oversized batches (422), keys never logged, and 422 answers that never echo the values sent."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import asyncpg
import httpx
import pytest

from careerrank.settings import Settings
from tests.integration.api_server import make_key, seed_world, serving

pytestmark = pytest.mark.integration

INJECTIONS = [
    "' OR 1=1 --",
    "1; DROP TABLE vacancies; --",
    "%27%20OR%20%271%27=%271",
    "v-acme-1' OR '1'='1",
    "v-globex-1'--",
    "’ OR ‘1’=‘1",  # unicode quotes
    "ʼ; DROP TABLE ranked_lists; --",
    '" OR ""="',
    "1' UNION SELECT key_hash, role FROM api_keys --",
    "v-acme-1%00",
    "$1",
    "\\'; SELECT pg_sleep(5); --",
]
TABLES = ("vacancies", "resumes", "ranked_lists", "match_lists", "applications", "api_keys", "web_sessions")
# What only globex's data holds: an acme recruiter must never see any of it.
GLOBEX = ("v-globex-1", "globex", "Go engineer", "r-5", "Go developer")
NOW = datetime.now(UTC).isoformat()


@pytest.fixture
async def world(settings: Settings, db: asyncpg.Connection) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """The served API over the seeded world, and a key per caller (job board, acme's and globex's recruiters)."""
    await seed_world(db)
    keys = {
        "job_board": await make_key(settings, "job_board"),
        "acme": await make_key(settings, "recruiter", "acme"),
        "globex": await make_key(settings, "recruiter", "globex"),
        "admin": await make_key(settings, "admin"),
    }
    async with serving(settings) as base:
        yield base, keys


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def read_urls(value: str) -> list[str]:
    """Every read endpoint with ``value`` in each of its path and query parameters, as sent: percent-encoded
    (the server sees the string itself) and raw (the server sees it as the client's URL parsing leaves it)."""
    urls = []
    for v in (quote(value, safe=""), value):
        q = quote(value, safe="") if v is not value else value
        urls += [
            f"/v1/vacancies/{v}",
            f"/v1/resumes/{v}",
            f"/v1/vacancies/{v}/matches",
            f"/v1/resumes/{v}/matches",
            f"/v1/vacancies/{v}/applications",
            f"/v1/vacancies?limit={q}",
            f"/v1/vacancies?offset={q}",
            f"/v1/vacancies/v-acme-1/matches?limit={q}",
            f"/v1/vacancies/v-acme-1/matches?offset={q}",
            f"/v1/resumes/r-1/matches?limit={q}",
            f"/v1/resumes/r-1/matches?offset={q}",
            f"/v1/vacancies/v-acme-1/applications?filter={q}",
            f"/v1/vacancies/v-acme-1/applications?sort={q}",
            f"/v1/vacancies/v-acme-1/applications?limit={q}",
            f"/v1/vacancies/v-acme-1/applications?offset={q}",
            f"/v1/vacancies?employer_id={q}",
        ]
    return urls


async def tables_intact(db: asyncpg.Connection) -> dict[str, int]:
    for table in TABLES:
        assert await db.fetchval("SELECT to_regclass($1)", table) is not None, f"{table} is gone"
    return {t: int(await db.fetchval(f"SELECT count(*) FROM {t}")) for t in TABLES}


async def test_injection_in_read_parameters(world: tuple[str, dict[str, str]], db: asyncpg.Connection) -> None:
    base, keys = world
    before = await tables_intact(db)
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        for value in INJECTIONS:
            for url in read_urls(value):
                for who in ("job_board", "acme"):
                    response = await client.get(url, headers=auth(keys[who]))
                    assert response.status_code < 500, (url, who, response.status_code, response.text)
                    if who == "acme":
                        assert not any(g in response.text for g in GLOBEX), (url, response.text)
        # The admin's key id, the one path parameter without a pattern: a miss, never a revoked key.
        for value in INJECTIONS:
            response = await client.delete(f"/v1/keys/{quote(value, safe='')}", headers=auth(keys["admin"]))
            assert response.status_code in (404, 422), (value, response.text)
        for who in ("job_board", "acme", "globex"):
            assert (await client.get("/v1/vacancies", headers=auth(keys[who]))).status_code == 200
        # The same probes by a recruiter of globex over acme's data: 404 or 422, never a row of acme.
        for value in INJECTIONS:
            response = await client.get(f"/v1/vacancies/v-acme-1{quote(value, safe='')}", headers=auth(keys["globex"]))
            assert response.status_code in (404, 422), response.text
    assert await tables_intact(db) == before


def event_bodies(value: str) -> list[dict[str, Any]]:
    """Events of every type with ``value`` in each of their string fields (one field at a time)."""
    base = {"event_id": "e-1", "occurred_at": NOW}
    templates: list[dict[str, Any]] = [
        {"type": "vacancy.upserted", "id": "v-acme-1", "title": "Python developer", "employer_id": "acme",
         "skills": ["Python"], "city": "Москва", "text": "описание"},
        {"type": "resume.upserted", "id": "r-9", "title": "Python developer", "skills": ["Python"], "city": "Москва"},
        {"type": "vacancy.closed", "id": "v-acme-1"},
        {"type": "resume.closed", "id": "r-1"},
        {"type": "application.submitted", "vacancy_id": "v-acme-1", "resume_id": "r-1"},
        {"type": "application.withdrawn", "vacancy_id": "v-acme-1", "resume_id": "r-1"},
        {"type": "feedback.recorded", "vacancy_id": "v-acme-1", "resume_id": "r-1", "recruiter_id": "u-1",
         "employer_id": "acme", "decision": "invited"},
    ]  # fmt: skip
    out = []
    for template in templates:
        event = {**base, **template}
        for field, current in event.items():
            if field in ("type", "occurred_at"):
                continue
            out.append({**event, field: [value] if isinstance(current, list) else value})
    return out


async def test_injection_in_posted_events(world: tuple[str, dict[str, str]], db: asyncpg.Connection) -> None:
    base, keys = world
    before = await tables_intact(db)
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        for value in INJECTIONS:
            bodies = event_bodies(value)
            for who in ("job_board", "acme"):
                for body in bodies:
                    response = await client.post("/v1/events", json=body, headers=auth(keys[who]))
                    assert response.status_code in (202, 403, 404, 422), (who, body, response.text)
                    if who == "acme" and response.status_code == 202:
                        # A recruiter's accepted event names its own employer's vacancy, and nothing of globex.
                        assert body["type"] in ("vacancy.upserted", "vacancy.closed", "feedback.recorded"), body
                        assert body.get("employer_id", "acme") == "acme", body
                        assert body.get("vacancy_id", body.get("id")) != "v-globex-1", body
                response = await client.post("/v1/events/batch", json={"events": bodies}, headers=auth(keys[who]))
                assert response.status_code in (202, 403, 404, 422), response.text
        # A recruiter may not reach another employer's vacancy, whatever the id carries around it.
        for value in ("v-globex-1", *INJECTIONS):
            closed = {"type": "vacancy.closed", "event_id": "e-2", "occurred_at": NOW, "id": value}
            response = await client.post("/v1/events", json=closed, headers=auth(keys["acme"]))
            assert response.status_code in (404, 422), (value, response.text)
    assert await tables_intact(db) == before


async def test_oversized_bodies_are_refused(settings: Settings) -> None:
    limit = 64 * 1024
    settings = settings.model_copy(update={"api": settings.api.model_copy(update={"max_body_bytes": limit})})
    key = await make_key(settings, "job_board")
    async with serving(settings) as base:
        host, port = urlsplit(base).hostname, urlsplit(base).port
        # By Content-Length: refused before any of the body is read.
        head = await raw_request(host, port, [
            b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n",
            f"Authorization: Bearer {key}\r\nContent-Length: {10**9}\r\n\r\n".encode(),
        ])  # fmt: skip
        assert head.startswith(b"HTTP/1.1 413"), head
        # Chunked, no Content-Length: refused once the stream passes the limit.
        chunk = b"x" * 8192
        chunks = [f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"] * (limit // len(chunk) + 2)
        head = await raw_request(host, port, [
            b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n",
            f"Authorization: Bearer {key}\r\nTransfer-Encoding: chunked\r\n\r\n".encode(), *chunks,
        ])  # fmt: skip
        assert head.startswith(b"HTTP/1.1 413"), head
        # The same through a client: a streamed body of a valid batch, too long.
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            event = {"type": "resume.closed", "event_id": "e", "occurred_at": NOW, "id": "r-1"}

            async def stream() -> AsyncIterator[bytes]:
                yield b'{"events": ['
                for i in range(limit // 60):
                    yield json.dumps({**event, "event_id": f"e-{i}"}).encode() + b","
                yield json.dumps(event).encode() + b"]}"

            response = await client.post(
                "/v1/events/batch", content=stream(), headers={**auth(key), "Content-Type": "application/json"}
            )
            assert response.status_code == 413, response.text
            # Under the limit the server still answers (the refusals left it healthy).
            ok = await client.post("/v1/events", json=event, headers=auth(key))
            assert ok.status_code == 202, ok.text


async def raw_request(host: str | None, port: int | None, parts: list[bytes]) -> bytes:
    """Send ``parts`` on a fresh connection (stopping early if the server closes it); return the status line."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for part in parts:
            writer.write(part)
            try:
                await writer.drain()
            except ConnectionError:
                break
        return await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()


async def test_a_batch_over_1000_events_is_422(world: tuple[str, dict[str, str]]) -> None:
    base, keys = world
    events = [{"type": "resume.closed", "event_id": f"e-{i}", "occurred_at": NOW, "id": "r-1"} for i in range(1001)]
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        response = await client.post("/v1/events/batch", json={"events": events}, headers=auth(keys["job_board"]))
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["body", "events"]
        response = await client.post("/v1/events/batch", json={"events": []}, headers=auth(keys["job_board"]))
        assert response.status_code == 422


async def test_keys_are_never_logged(
    world: tuple[str, dict[str, str]], settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    base, keys = world
    caplog.set_level(logging.DEBUG)
    secrets = list(keys.values())
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        for key in keys.values():
            await client.get("/v1/vacancies", headers=auth(key))
            await client.get("/v1/vacancies/v-acme-1/matches", headers={"X-API-Key": key})
        wrong = [keys["job_board"][:-1] + ("A" if keys["job_board"][-1] != "A" else "B"), "crk_0123456789ab_wrong"]
        secrets += wrong
        for key in wrong:
            assert (await client.get("/v1/vacancies", headers=auth(key))).status_code == 401
            assert (await client.get("/v1/vacancies", headers={"X-API-Key": key})).status_code == 401
        made = await client.post(
            "/v1/keys", json={"role": "recruiter", "employer_id": "acme"}, headers=auth(keys["admin"])
        )
        assert made.status_code == 201, made.text
        created = made.json()
        secrets.append(created["key"])
        assert (await client.get("/v1/vacancies", headers=auth(created["key"]))).status_code == 200
        assert (await client.get("/v1/keys", headers=auth(keys["admin"]))).status_code == 200
        assert (await client.delete(f"/v1/keys/{created['id']}", headers=auth(keys["admin"]))).status_code == 204
        assert (await client.get("/v1/vacancies", headers=auth(created["key"]))).status_code == 401
    # The web page's sign-in: the key in a form body, good and wrong; the session cookie it sets is a secret too.
    for key, expected in ((keys["acme"], 303), (wrong[0], 401), (keys["admin"], 403)):
        async with httpx.AsyncClient(base_url=base, timeout=10) as browser:
            form = await browser.get("/ui/login")
            token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
            assert token is not None
            answer = await browser.post("/ui/login", data={"key": key, "login_csrf": token[1]})
            assert answer.status_code == expected
            if expected == 303:
                secrets.append(browser.cookies["careerrank_session"])
                assert (await browser.get("/ui/vacancies/v-acme-1")).status_code == 200
    # The server runs in this process: its records are captured with the test client's, whose own DEBUG lines
    # (httpx, httpcore) show what the client sent and received and are not the server's logs.
    records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert records, "nothing was logged: the capture is not working"
    forbidden = [s for secret in secrets for s in (secret, hashlib.sha256(secret.encode()).hexdigest())]
    standard = set(vars(logging.LogRecord("n", 0, "p", 0, "m", None, None))) | {"message", "asctime"}
    for record in records:
        texts = [record.getMessage(), str(record.msg), repr(record.args)]
        if record.exc_info:
            texts.append(logging.Formatter().formatException(record.exc_info))
        texts += [f"{k}={v!r}" for k, v in vars(record).items() if k not in standard]
        for text in texts:
            for secret in forbidden:
                assert secret not in text, f"a key reached the log: {record.name} {record.levelname}"


async def test_422_never_echoes_the_values_sent(world: tuple[str, dict[str, str]]) -> None:
    base, keys = world
    marker = "ZQX-SECRET-VALUE"
    event = {"type": "resume.upserted", "event_id": "e-1", "occurred_at": NOW, "id": "r-9", "title": "Повар"}
    bad_events = [
        {**event, "type": f"{marker}.upserted"},
        {**event, "salary_from": marker},
        {**event, "occurred_at": marker},
        {**event, "id": f"{marker} with space"},
        {**event, "language": marker},
        {**event, "currency": marker},
        {**event, "age": marker},
        {**event, "skills": marker},
        {**event, "title": marker * 40},
        {**event, "event_id": f"{marker}\x01"},
        {**event, "work_history": [{"position": marker, "start": marker}]},
        {**event, "unexpected": marker},
        {key: value for key, value in event.items() if key != "type"} | {"kind": marker},
    ]
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        responses = [await client.post("/v1/events", json=body, headers=auth(keys["job_board"])) for body in bad_events]
        responses.append(
            await client.post("/v1/events/batch", json={"events": bad_events}, headers=auth(keys["job_board"]))
        )
        responses += [
            await client.get(url, headers=auth(keys["job_board"]))
            for url in (
                f"/v1/vacancies?limit={marker}",
                f"/v1/vacancies/v-acme-1/applications?filter={marker}&sort={marker}&offset={marker}",
                f"/v1/vacancies/{marker}%20x/matches",
                f"/v1/resumes/r-1/matches?limit=1{marker}",
            )
        ]
        responses.append(
            await client.post(
                "/v1/keys", json={"role": marker, "employer_id": f"{marker} x"}, headers=auth(keys["admin"])
            )
        )
        responses.append(
            await client.post(
                "/v1/events",
                content=f'{{"title": "{marker}',
                headers={**auth(keys["job_board"]), "Content-Type": "application/json"},
            )
        )
    for response in responses:
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert marker not in response.text, response.text


async def test_hostile_conditional_headers(world: tuple[str, dict[str, str]]) -> None:
    base, keys = world
    dates = [
        *INJECTIONS,
        *("", "0", "Mon, 32 Jan 2026 00:00:00 GMT", "Mon, 01 Jan 99999 00:00:00 GMT", "Sat, 05 Dec 2026"),
        *("Sat, 05 Dec 2026 00:00:00 +9999", "Sat, 05 Dec 2026 00:00:00 +99999999999999"),
    ]
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        for url in ("/v1/vacancies/v-acme-1", "/v1/vacancies/v-acme-1/matches", "/v1/vacancies/v-acme-1/applications"):
            for value in dates:
                for header in ("If-Modified-Since", "If-None-Match"):
                    sent = [
                        (b"authorization", f"Bearer {keys['job_board']}".encode()),
                        (header.encode(), value.encode()),
                    ]
                    response = await client.get(url, headers=sent)
                    assert response.status_code in (200, 304), (url, header, value, response.status_code)
