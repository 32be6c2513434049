"""The recruiters' web page served for real over PostgreSQL and RabbitMQ: sign-in and sign-out, who sees what
(another employer's vacancy is the same 404 as an unknown one), the three tabs and their rows, the CSRF token on
every POST, feedback and new postings published to RabbitMQ, escaping of what postings carry, both languages,
the security headers, and a posting made in the form that shows its matches once the workers computed them."""

from __future__ import annotations

import asyncio
import html
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx
import pytest

from careerrank.messaging import Names
from careerrank.settings import Settings
from careerrank.storage import connected
from tests.integration.api_server import World, make_key, seed_world, serving
from tests.integration.pipeline import posting, publish, running

pytestmark = pytest.mark.integration

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LOGIN_CSRF = re.compile(r'name="login_csrf" value="([^"]+)"')
ROW = re.compile(r'<tr class="row" data-id="([^"]+)">(.*?)</tr>', re.S)
LIST_ROW = re.compile(r'<tr class="vacancy" data-id="([^"]+)">')
XSS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')


@dataclass(frozen=True)
class Site:
    url: str
    settings: Settings
    world: World


@pytest.fixture
async def site(settings: Settings, db: asyncpg.Connection) -> AsyncIterator[Site]:
    world = await seed_world(db)
    async with serving(settings) as url:
        yield Site(url, settings, world)


async def sign_in(client: httpx.AsyncClient, key: str) -> httpx.Response:
    form = await client.get("/ui/login")
    assert form.status_code == 200
    token = LOGIN_CSRF.search(form.text)
    assert token is not None
    return await client.post("/ui/login", data={"key": key, "login_csrf": token[1]})


@asynccontextmanager
async def signed_in(site: Site, role: str, employer: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    key = await make_key(site.settings, role, employer)
    async with httpx.AsyncClient(base_url=site.url) as client:
        answer = await sign_in(client, key)
        assert answer.status_code == 303 and answer.headers["location"] == "/ui/vacancies", answer.text
        yield client


async def csrf_of(client: httpx.AsyncClient, path: str = "/ui/vacancies") -> str:
    page = await client.get(path)
    found = CSRF.search(page.text)
    assert found is not None, page.text
    return found[1]


def main_of(page: str) -> str:
    found = re.search(r"<main>(.*)</main>", page, re.S)
    assert found is not None, page
    return found[1]


def rows(page: str) -> dict[str, str]:
    return {m[1]: m[2] for m in ROW.finditer(page)}


async def drain(settings: Settings, queue: str, wait_s: float = 5.0) -> list[dict[str, Any]]:
    """Every message in ``queue`` now (waiting up to ``wait_s`` for the first), as decoded events."""
    events: list[dict[str, Any]] = []
    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        declared = await channel.get_queue(queue, ensure=True)
        deadline = time.monotonic() + wait_s
        while True:
            message = await declared.get(fail=False, no_ack=True)
            if message is not None:
                body = json.loads(message.body)
                events += body if isinstance(body, list) else [body]
                continue
            if events or time.monotonic() > deadline:
                return events
            await asyncio.sleep(0.1)


async def test_a_recruiter_signs_in_and_out_with_its_key(site: Site) -> None:
    key = await make_key(site.settings, "recruiter", "acme")
    async with httpx.AsyncClient(base_url=site.url) as client:
        answer = await sign_in(client, key)
        assert answer.status_code == 303 and answer.headers["location"] == "/ui/vacancies"
        assert key not in answer.headers["location"]
        cookie = answer.headers["set-cookie"].lower()
        assert cookie.startswith("careerrank_session=") or "careerrank_session=" in cookie
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
        page = await client.get("/ui/vacancies")
        assert page.status_code == 200 and "Python developer" in page.text
        assert "acme" in page.text  # who is signed in
        token = CSRF.search(page.text)
        assert token is not None
        out = await client.post("/ui/logout", data={"csrf_token": token[1]})
        assert out.status_code == 303 and out.headers["location"] == "/ui/login"
        again = await client.get("/ui/vacancies")
        assert again.status_code == 303 and again.headers["location"] == "/ui/login"
    async with connected(site.settings.postgres.dsn.get_secret_value()) as session:
        assert await session.connection.fetchval("SELECT count(*) FROM web_sessions") == 0


async def test_the_session_cookie_is_secure_behind_tls(settings: Settings, db: asyncpg.Connection) -> None:
    await seed_world(db)
    secure = settings.model_copy(update={"api": settings.api.model_copy(update={"secure_cookies": True})})
    key = await make_key(settings, "job_board")
    async with serving(secure) as url, httpx.AsyncClient(base_url=url) as client:
        form = await client.get("/ui/login")
        assert "secure" in form.headers["set-cookie"].lower()
        token = LOGIN_CSRF.search(form.text)
        assert token is not None
        # Over plain HTTP the client keeps a Secure cookie to itself: send the form's token as a browser on TLS.
        client.cookies.set("careerrank_login_csrf", token[1])
        answer = await client.post("/ui/login", data={"key": key, "login_csrf": token[1]})
        assert answer.status_code == 303
        session_cookie = [c for c in answer.headers.get_list("set-cookie") if c.startswith("careerrank_session=")]
        assert len(session_cookie) == 1 and "secure" in session_cookie[0].lower()


async def test_a_bad_a_revoked_and_an_admin_key_do_not_sign_in(site: Site) -> None:
    revoked = await make_key(site.settings, "recruiter", "acme")
    async with connected(site.settings.postgres.dsn.get_secret_value()) as session:
        assert await session.api_keys.revoke(revoked.split("_")[1])
    admin = await make_key(site.settings, "admin")
    cases = [("crk_nope_" + "x" * 40, 401, "Ключ не найден или отозван"), (revoked, 401, "Ключ не найден или отозван"),
             (admin, 403, "Ключ администратора не открывает эти страницы")]  # fmt: skip
    for key, code, message in cases:
        async with httpx.AsyncClient(base_url=site.url) as client:
            answer = await sign_in(client, key)
            assert answer.status_code == code
            assert message in answer.text
            assert "careerrank_session" not in client.cookies
            assert (await client.get("/ui/vacancies")).status_code == 303
    async with httpx.AsyncClient(base_url=site.url) as client:
        form = await client.get("/ui/login")
        forged = await client.post("/ui/login", data={"key": admin, "login_csrf": "forged"})
        assert form.status_code == 200 and forged.status_code == 403


async def test_a_revoked_key_ends_its_sessions(site: Site) -> None:
    async with signed_in(site, "recruiter", "acme") as client:
        assert (await client.get("/ui/vacancies")).status_code == 200
        async with connected(site.settings.postgres.dsn.get_secret_value()) as session:
            (key,) = [k for k in await session.api_keys.all() if k.role == "recruiter"]
            assert await session.api_keys.revoke(key.id)
        answer = await client.get("/ui/vacancies")
        assert answer.status_code == 303 and answer.headers["location"] == "/ui/login"


async def test_pages_send_a_visitor_without_a_session_to_sign_in(site: Site) -> None:
    async with httpx.AsyncClient(base_url=site.url) as client:
        root = await client.get("/")
        assert root.status_code == 303 and root.headers["location"] == "/ui/vacancies"
        for path in ["/ui/vacancies", "/ui/vacancies/v-acme-1", "/ui/vacancies/v-acme-1/tab?tab=suitable",
                     "/ui/resumes/r-1", "/ui/resumes/r-1/matches", "/ui/new/vacancy"]:  # fmt: skip
            answer = await client.get(path)
            assert (answer.status_code, answer.headers["location"]) == (303, "/ui/login"), path
            fragment = await client.get(path, headers={"HX-Request": "true"})
            assert (fragment.status_code, fragment.headers["hx-redirect"]) == (401, "/ui/login"), path
        client.cookies.set("careerrank_session", "forged-token")
        answer = await client.post("/ui/vacancies/v-acme-1/feedback", data={"resume_id": "r-1", "decision": "invited"})
        assert (answer.status_code, answer.headers["location"]) == (303, "/ui/login")
        login = await client.get("/ui/login", follow_redirects=True)
        assert login.status_code == 200 and 'name="key"' in login.text and 'type="password"' in login.text
    assert await drain(site.settings, Names.of(site.settings.amqp).scorer_queue, wait_s=0.5) == []


async def test_a_recruiter_sees_its_employers_vacancies_only(site: Site, db: asyncpg.Connection) -> None:
    async with signed_in(site, "recruiter", "acme") as client:
        page = (await client.get("/ui/vacancies")).text
        assert set(LIST_ROW.findall(page)) == set(site.world.acme_vacancies)
        assert "Go engineer" not in page
    async with signed_in(site, "recruiter", "globex") as client:
        page = (await client.get("/ui/vacancies")).text
        assert LIST_ROW.findall(page) == [site.world.globex_vacancy]
    for i in range(22):
        await db.execute(
            """INSERT INTO vacancies (id, version, status, title, body, employer_id)
               VALUES ($1, now(), 'open', $2, '', 'initech')""",
            f"v-more-{i}",
            f"Extra vacancy {i}",
        )
    async with signed_in(site, "job_board") as client:
        first = (await client.get("/ui/vacancies")).text
        second = (await client.get("/ui/vacancies?page=2")).text
        seen = LIST_ROW.findall(first) + LIST_ROW.findall(second)
        assert len(LIST_ROW.findall(first)) == 20 and len(seen) == 25 and len(set(seen)) == 25
        assert {"v-acme-1", "v-acme-2", "v-globex-1"} <= set(seen)
        assert "Всего: 25" in first and 'href="/ui/vacancies?page=2"' in first


async def test_another_employers_vacancy_is_the_same_not_found_as_an_unknown_one(site: Site) -> None:
    async with signed_in(site, "recruiter", "acme") as client:
        token = await csrf_of(client)
        unknown = await client.get("/ui/vacancies/v-none")
        assert unknown.status_code == 404 and "Не найдено" in unknown.text
        for path in ["/ui/vacancies/v-globex-1", "/ui/vacancies/v-globex-1?tab=suitable",
                     "/ui/vacancies/v-globex-1/tab?tab=recommended", "/ui/vacancies/v-globex-1/tab?tab=unsuitable",
                     "/ui/resumes/r-1", "/ui/resumes/r-1/matches", "/ui/new/resume"]:  # fmt: skip
            answer = await client.get(path, headers={"HX-Request": "true"} if "/tab" in path else {})
            assert answer.status_code == 404, path
            if "/tab" not in path:
                assert main_of(answer.text) == main_of(unknown.text), path
            assert "Go engineer" not in answer.text and "Go developer" not in answer.text
        denied = await client.post(
            "/ui/vacancies/v-globex-1/feedback", data={"csrf_token": token, "resume_id": "r-5", "decision": "invited"}
        )
        assert denied.status_code == 404
    assert await drain(site.settings, Names.of(site.settings.amqp).scorer_queue, wait_s=0.5) == []
    async with signed_in(site, "job_board") as client:
        page = await client.get("/ui/vacancies/v-globex-1")
        assert page.status_code == 200 and "Go engineer" in page.text and set(rows(page.text)) == {"r-5"}


async def test_the_tabs_show_the_right_rows(site: Site) -> None:
    async with signed_in(site, "recruiter", "acme") as client:
        page = await client.get("/ui/vacancies/v-acme-1")
        assert page.status_code == 200 and "Python developer" in page.text
        assert list(rows(page.text)) == ["r-1", "r-2", "r-3"]
        for tab, expected in [("recommended", ["r-1", "r-2", "r-3"]), ("suitable", ["r-1"]), ("unsuitable", ["r-4"])]:
            full = await client.get(f"/ui/vacancies/v-acme-1?tab={tab}")
            fragment = await client.get(f"/ui/vacancies/v-acme-1/tab?tab={tab}", headers={"HX-Request": "true"})
            assert list(rows(full.text)) == expected and list(rows(fragment.text)) == expected, tab
            assert '<div id="tabs">' in fragment.text and "<html" not in fragment.text
            assert re.findall(r'class="tab active"[^>]*data-tab="(\w+)"', fragment.text) == [tab]
        recommended = rows(page.text)
        best, junior, senior = recommended["r-1"], recommended["r-2"], recommended["r-3"]
        assert "Python backend developer" in best and "0.91" in best and "badge yes" in best
        assert 'skill ok">Python<' in best and 'skill ok">Django<' in best and 'skill gap">Kubernetes<' in best
        assert "в вилке" in best and "достаточно" in best
        assert "название близко к желаемой должности" in best
        assert "ниже вилки" in junior and "меньше нужного" in junior
        assert "выше вилки" in senior and "badge no" in senior and "не подходит" in senior
        for row in (best, junior, senior):
            assert 'value="invited"' in row and 'value="rejected"' in row
        unsuitable = rows((await client.get("/ui/vacancies/v-acme-1?tab=unsuitable")).text)["r-4"]
        assert "Sales manager" in unsuitable and "0.10" in unsuitable and "badge no" in unsuitable


async def test_a_list_without_a_model_shows_no_suitable_flag(site: Site, db: asyncpg.Connection) -> None:
    async with signed_in(site, "recruiter", "acme") as client:
        waiting = await client.get("/ui/vacancies/v-acme-2")
        assert "Подбор ещё считается" in waiting.text and rows(waiting.text) == {}
        assert 'hx-get="/ui/vacancies/v-acme-2/tab?tab=recommended" hx-trigger="every 2s"' in waiting.text
    await db.execute(
        """INSERT INTO ranked_lists (direction, source_id, target_ids, scores, cosines, suitable, explanations,
                                     model_version, candidates_at)
           VALUES ('vacancy_to_resume', 'v-acme-2', '{r-6}', '{0.42}', '{0.42}', NULL, '[[]]', 'cosine', now())"""
    )
    async with signed_in(site, "recruiter", "acme") as client:
        found = rows((await client.get("/ui/vacancies/v-acme-2")).text)
        assert list(found) == ["r-6"] and "0.42" in found["r-6"] and "Accountant" in found["r-6"]
        assert "badge" not in found["r-6"] and "подходит" not in found["r-6"]
        waiting = await client.get("/ui/vacancies/v-acme-1?tab=recommended")
        assert 'hx-trigger="every 2s"' not in waiting.text  # its list exists: nothing to wait for


async def test_a_list_with_no_suitable_row_says_so(site: Site, db: asyncpg.Connection) -> None:
    await db.execute(
        """INSERT INTO ranked_lists (direction, source_id, target_ids, scores, cosines, suitable, explanations,
                                     model_version, candidates_at)
           VALUES ('vacancy_to_resume', 'v-acme-2', '{r-6,r-4}', '{0.12,0.08}', '{0.5,0.4}', '{f,f}', '[[],[]]',
                   'gbm-test', now())"""
    )
    async with signed_in(site, "recruiter", "acme") as client:
        none = await client.get("/ui/vacancies/v-acme-2")
        assert "Подходящих кандидатов нет среди 2 лучших по модели" in none.text
        assert list(rows(none.text)) == ["r-6", "r-4"]  # still shown, for the recruiter to judge
        some = await client.get("/ui/vacancies/v-acme-1")
        assert "Подходят: 2 / 3" in some.text and "Подходящих кандидатов нет" not in some.text
        english = await client.get("/ui/vacancies/v-acme-2?lang=en")
        assert "No suitable candidates among the model&#39;s top 2" in english.text


async def test_the_job_board_sees_a_resumes_recommended_vacancies(site: Site) -> None:
    async with signed_in(site, "job_board") as board:
        page = await board.get("/ui/resumes/r-1")
        assert page.status_code == 200 and "Python backend developer" in page.text
        found = rows(page.text)
        assert list(found) == ["v-acme-1", "v-globex-1"]
        assert 'href="/ui/vacancies/v-acme-1">Python developer</a>' in found["v-acme-1"]
        assert "0.91" in found["v-acme-1"] and "badge yes" in found["v-acme-1"] and "Invite" not in page.text
        assert 'skill gap">Go<' in found["v-globex-1"] and "badge no" in found["v-globex-1"]
        fragment = await board.get("/ui/resumes/r-1/matches", headers={"HX-Request": "true"})
        assert list(rows(fragment.text)) == ["v-acme-1", "v-globex-1"] and "<html" not in fragment.text
        waiting = await board.get("/ui/resumes/r-6")
        assert "Подбор ещё считается" in waiting.text and 'hx-get="/ui/resumes/r-6/matches"' in waiting.text
        assert (await board.get("/ui/resumes/r-none")).status_code == 404
        vacancy = await board.get("/ui/vacancies/v-acme-1")
        assert 'href="/ui/resumes/r-1">Python backend developer</a>' in rows(vacancy.text)["r-1"]


async def test_every_post_needs_the_sessions_csrf_token(site: Site) -> None:
    feedback = {"resume_id": "r-1", "decision": "rejected"}
    vacancy = {"title": "Backend developer", "skills": "Python"}
    async with signed_in(site, "recruiter", "acme") as other:
        foreign = await csrf_of(other)
    async with signed_in(site, "recruiter", "acme") as client:
        token = await csrf_of(client)
        assert token != foreign
        htmx = {"X-CSRF-Token": "wrong", "HX-Request": "true"}
        attempts = [({}, {}), ({"csrf_token": "wrong"}, {}), ({"csrf_token": foreign}, {}), ({}, htmx),
                    ({"csrf_token": ""}, {})]  # fmt: skip
        for path, data in [("/ui/vacancies/v-acme-1/feedback", feedback), ("/ui/new/vacancy", vacancy),
                           ("/ui/logout", {})]:  # fmt: skip
            for sent, headers in attempts:
                answer = await client.post(path, data={**data, **sent}, headers=headers)
                assert answer.status_code == 403, (path, sent, headers)
                assert "Запрос отклонён" in answer.text
        assert (await client.get("/ui/vacancies")).status_code == 200  # still signed in
    names = Names.of(site.settings.amqp)
    assert await drain(site.settings, names.scorer_queue, wait_s=0.5) == []
    assert await drain(site.settings, names.embedder_queue, wait_s=0.5) == []


async def test_invite_and_reject_publish_feedback_events(site: Site) -> None:
    recruiter_key = await make_key(site.settings, "recruiter", "acme")
    async with httpx.AsyncClient(base_url=site.url) as client:
        assert (await sign_in(client, recruiter_key)).status_code == 303
        token = await csrf_of(client, "/ui/vacancies/v-acme-1")
        fragment = await client.post(
            "/ui/vacancies/v-acme-1/feedback",
            data={"resume_id": "r-2", "decision": "rejected", "tab": "recommended"},
            headers={"HX-Request": "true", "X-CSRF-Token": token},
        )
        assert fragment.status_code == 200 and "Отказ записан" in fragment.text and "<html" not in fragment.text
        plain = await client.post(
            "/ui/vacancies/v-acme-1/feedback",
            data={"csrf_token": token, "resume_id": "r-1", "decision": "invited", "tab": "suitable"},
        )
        assert plain.status_code == 303 and plain.headers["location"] == "/ui/vacancies/v-acme-1?tab=suitable"
        bad = await client.post(
            "/ui/vacancies/v-acme-1/feedback", data={"csrf_token": token, "resume_id": "r-1", "decision": "shown"}
        )
        assert bad.status_code == 422
    async with signed_in(site, "job_board") as board:
        token = await csrf_of(board)
        answer = await board.post(
            "/ui/vacancies/v-globex-1/feedback",
            data={"resume_id": "r-5", "decision": "invited"},
            headers={"HX-Request": "true", "X-CSRF-Token": token},
        )
        assert answer.status_code == 200 and "Приглашение записано" in answer.text
    events = await drain(site.settings, Names.of(site.settings.amqp).scorer_queue)
    deadline = time.monotonic() + 5
    while len(events) < 3 and time.monotonic() < deadline:
        events += await drain(site.settings, Names.of(site.settings.amqp).scorer_queue, wait_s=1)
    assert {e["type"] for e in events} == {"feedback.recorded"}
    by_pair = {(e["vacancy_id"], e["resume_id"]): e for e in events}
    assert set(by_pair) == {("v-acme-1", "r-2"), ("v-acme-1", "r-1"), ("v-globex-1", "r-5")}
    recruiter_id = recruiter_key.split("_")[1]
    assert by_pair["v-acme-1", "r-2"]["decision"] == "rejected"
    assert by_pair["v-acme-1", "r-1"]["decision"] == "invited"
    assert by_pair["v-acme-1", "r-2"]["recruiter_id"] == recruiter_id == by_pair["v-acme-1", "r-1"]["recruiter_id"]
    assert by_pair["v-acme-1", "r-2"]["employer_id"] == "acme"
    assert by_pair["v-globex-1", "r-5"]["employer_id"] == "globex"  # the job board's: the vacancy's employer
    assert by_pair["v-globex-1", "r-5"]["recruiter_id"] != recruiter_id
    ids = [e["event_id"] for e in events]
    assert len(set(ids)) == 3 and all(i.startswith("web-") for i in ids)


async def test_what_postings_carry_is_escaped(site: Site, db: asyncpg.Connection) -> None:
    script, image = XSS
    await db.execute(
        "UPDATE vacancies SET title = $1, body = $2, skills = $3, city = $4 WHERE id = 'v-acme-1'",
        f"Python {script}", f"Body {image} {script}", ["Python", script, image], image,
    )  # fmt: skip
    await db.execute("UPDATE resumes SET title = $1, skills = $2 WHERE id = 'r-1'", f"Dev {image}", ["Python", image])
    reason = [{"feature": "x", "effect": 0.5, "en": f"en {script}", "ru": f"ru {image}"}]
    await db.execute("UPDATE ranked_lists SET explanations = $1 WHERE source_id = 'v-acme-1'", json.dumps([reason] * 3))
    escaped = [html.escape(script, quote=True).replace("&quot;", "&#34;").replace("&#x27;", "&#39;"),
               html.escape(image, quote=True).replace("&quot;", "&#34;").replace("&#x27;", "&#39;")]  # fmt: skip
    assert escaped == ["&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"]
    async with signed_in(site, "recruiter", "acme") as client:
        pages = [(await client.get(p)).text for p in ("/ui/vacancies", "/ui/vacancies/v-acme-1",
                 "/ui/vacancies/v-acme-1/tab?tab=suitable", "/ui/vacancies/v-acme-1?lang=en")]  # fmt: skip
    async with signed_in(site, "job_board") as board:
        pages.append((await board.get("/ui/resumes/r-1")).text)
    for page in pages:
        for payload in XSS:
            assert payload not in page
        assert "<img" not in page and "onerror=alert(1)>" not in page
        assert page.count("<script") <= 1 and "alert(1)</script>" not in page
    vacancy_page = pages[1]
    assert escaped[0] in vacancy_page and escaped[1] in vacancy_page
    assert f"ru {escaped[1]}" in vacancy_page and f"en {escaped[0]}" in pages[3]
    assert f"Dev {escaped[1]}" in vacancy_page and f"Dev {escaped[1]}" in pages[2]
    assert f"Python {escaped[0]}" in pages[0] and f"Python {escaped[0]}" in pages[4]


async def test_russian_by_default_and_english_on_request(site: Site) -> None:
    async with signed_in(site, "recruiter", "acme") as client:
        russian = await client.get("/ui/vacancies/v-acme-1")
        assert '<html lang="ru">' in russian.text and "Рекомендованные" in russian.text
        assert "Подходящие отклики" in russian.text and "Пригласить" in russian.text
        assert 'href="/ui/vacancies/v-acme-1?lang=en"' in russian.text
        english = await client.get("/ui/vacancies/v-acme-1?lang=en")
        assert '<html lang="en">' in english.text
        for text in ("Recommended", "Suitable applications", "Unsuitable applications", "Invite", "Reject",
                     "within the range", "title close to the desired position", "Sign out"):  # fmt: skip
            assert text in english.text, text
        assert "Рекомендованные" not in english.text and "Пригласить" not in english.text
        assert "lang=en" in english.headers["set-cookie"]
        remembered = await client.get("/ui/vacancies/v-acme-1/tab?tab=unsuitable")
        assert "not suitable" in remembered.text and "Unsuitable applications" in remembered.text
        back = await client.get("/ui/vacancies?lang=ru")
        assert "Вакансии" in back.text and "Vacancies" not in back.text
    async with httpx.AsyncClient(base_url=site.url) as anonymous:
        login = await anonymous.get("/ui/login?lang=en")
        assert "Access key" in login.text and "Ключ доступа" not in login.text
        assert "Ключ доступа" in (await anonymous.get("/ui/login?lang=ru")).text


async def test_pages_carry_the_security_headers_and_no_inline_code(site: Site) -> None:
    async with signed_in(site, "recruiter", "acme") as client:
        answers = [await client.get(p) for p in ("/ui/vacancies", "/ui/vacancies/v-acme-1", "/ui/vacancies/v-none",
                   "/ui/vacancies/v-acme-1/tab?tab=suitable", "/ui/new/vacancy")]  # fmt: skip
    async with httpx.AsyncClient(base_url=site.url) as anonymous:
        answers += [await anonymous.get("/ui/login"), await anonymous.get("/ui/vacancies")]
    for answer in answers:
        csp = answer.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, answer.url
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", answer.text), answer.url
        assert " style=" not in answer.text and "hx-on" not in answer.text and "javascript:" not in answer.text
    page = answers[1].text
    assert '<script src="/static/htmx.min.js"' in page and 'name="htmx-config"' in page
    assert 'hx-get="/ui/vacancies/v-acme-1/tab?tab=suitable"' in page and 'hx-headers=\'{"X-CSRF-Token"' in page


async def test_the_new_posting_forms_publish_upsert_events(site: Site) -> None:
    names = Names.of(site.settings.amqp)
    async with signed_in(site, "recruiter", "acme") as client:
        token = await csrf_of(client, "/ui/new/vacancy")
        assert (await client.get("/ui/new/resume")).status_code == 404  # a recruiter posts vacancies only
        invalid = await client.post(
            "/ui/new/vacancy", data={"csrf_token": token, "title": "Backend", "salary_from": "9", "salary_to": "1"}
        )
        assert invalid.status_code == 422 and "Проверьте поля" in invalid.text and 'value="Backend"' in invalid.text
        answer = await client.post(
            "/ui/new/vacancy",
            data={"csrf_token": token, "title": "Backend <developer>", "text": "Пишем сервисы", "skills": "Python, SQL",
                  "salary_from": "150 000", "salary_to": "200000", "city": "Казань", "experience_years": "2,5",
                  "employer_id": "globex"},
        )  # fmt: skip
        assert answer.status_code == 303
        location = answer.headers["location"]
        assert re.fullmatch(r"/ui/vacancies/v-web-[0-9a-f]{16}\?pending=[0-9a-f]{32}", location)
        waiting = await client.get(location)
        assert waiting.status_code == 200 and 'hx-trigger="every 2s"' in waiting.text
        assert "Публикация обрабатывается" in waiting.text
        bare = location.split("?")[0]
        assert (await client.get(bare)).status_code == 404  # only the session that posted it waits for it
        assert (await client.get(bare + "?pending=" + "0" * 32)).status_code == 404
    (event,) = await drain(site.settings, names.embedder_queue)
    assert event["type"] == "vacancy.upserted" and event["id"] == bare.rsplit("/", 1)[1]
    assert event["employer_id"] == "acme"  # the recruiter's own, whatever the form said
    assert (event["title"], event["text"], event["skills"]) == (
        "Backend <developer>",
        "Пишем сервисы",
        ["Python", "SQL"],
    )
    assert (event["salary_from"], event["salary_to"], event["experience_years"], event["city"]) == (
        150000, 200000, 2.5, "Казань")  # fmt: skip
    async with signed_in(site, "job_board") as board:
        token = await csrf_of(board, "/ui/new/resume")
        answer = await board.post(
            "/ui/new/resume", data={"csrf_token": token, "title": "Data engineer", "skills": "Python\nSpark"}
        )
        assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/resumes/r-web-")
        waiting = await board.get(answer.headers["location"])
        assert waiting.status_code == 200 and 'id="matches"' in waiting.text
    (resume,) = await drain(site.settings, names.embedder_queue)
    assert resume["type"] == "resume.upserted" and resume["skills"] == ["Python", "Spark"]


@pytest.mark.slow
async def test_a_posted_vacancy_shows_its_matches_once_the_workers_computed_them(
    settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    resumes = [posting("resume", n, seed=3) for n in range(12)]
    with running(settings, tmp_path, roles=("embedder", "matcher", "scorer")):
        await publish(settings, resumes)
        async with serving(settings) as url, httpx.AsyncClient(base_url=url) as client:
            assert (await sign_in(client, await make_key(settings, "recruiter", "acme"))).status_code == 303
            token = await csrf_of(client, "/ui/new/vacancy")
            answer = await client.post(
                "/ui/new/vacancy",
                data={"csrf_token": token, "title": "python", "text": "python docker sql kubernetes",
                      "skills": "python, sql"},
            )  # fmt: skip
            location = answer.headers["location"]
            vacancy_id = location.split("?")[0].rsplit("/", 1)[1]
            poll = location.replace(f"/{vacancy_id}?", f"/{vacancy_id}/tab?")
            deadline = time.monotonic() + 90
            arrived = False
            while True:
                fragment = await client.get(poll, headers={"HX-Request": "true"})
                assert fragment.status_code == 200
                if not arrived and fragment.headers.get("hx-refresh") == "true":
                    arrived = True  # the posting is stored: the page reloads, then polls for its list
                    poll = f"/ui/vacancies/{vacancy_id}/tab?tab=recommended"
                found = rows(fragment.text) if arrived else {}
                if found:
                    break
                assert time.monotonic() < deadline, fragment.text
                await asyncio.sleep(0.5)
            assert set(found) <= {r.id for r in resumes} and len(found) == min(10, len(resumes))
            page = await client.get(f"/ui/vacancies/{vacancy_id}")
            assert list(rows(page.text)) == list(found) and 'hx-trigger="every 2s"' not in page.text
            stored = await db.fetchval("SELECT target_ids FROM ranked_lists WHERE source_id = $1", vacancy_id)
            assert list(found) == list(stored)[:10]
