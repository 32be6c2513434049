"""The HTTP API against the real PostgreSQL and RabbitMQ: reads, access control, conditional requests, ingest
(validated, published with confirms, applied once by the real workers), key management and the probes."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx
import pytest

from careerrank.messaging import Names
from careerrank.settings import Settings
from tests.integration.api_server import make_key, seed_world, serving
from tests.integration.pipeline import process_env, running

pytestmark = pytest.mark.integration


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_a_recruiter_reads_its_employers_lists_and_applications(
    settings: Settings, db: asyncpg.Connection
) -> None:
    await seed_world(db)
    recruiter = await make_key(settings, "recruiter", "acme")
    async with serving(settings) as url, httpx.AsyncClient(base_url=url, headers=auth(recruiter)) as http:
        mine = (await http.get("/v1/vacancies")).json()
        assert mine["total"] == 2 and {v["id"] for v in mine["vacancies"]} == {"v-acme-1", "v-acme-2"}

        page = (await http.get("/v1/vacancies/v-acme-1/matches")).json()
        assert [m["target"]["id"] for m in page["matches"]] == ["r-1", "r-2", "r-3"]
        assert [m["rank"] for m in page["matches"]] == [1, 2, 3]
        first = page["matches"][0]
        assert first["suitable"] is True and first["model_version"] == "gbm-test"
        assert first["explanation"][0]["ru"] == "название близко к желаемой должности"
        assert first["explanation"][0]["side"] == "for"  # stored before reasons carried it: from the effect
        assert page["suitable"] == 2  # of the list's three rows, whatever the page shows
        # r-1 has Python and Django of Python, Django, Kubernetes; wants 200k in 150k..250k; 4 years >= 3.
        assert first["fit"] == {
            "matched_skills": ["Python", "Django"], "missing_skills": ["Kubernetes"], "salary": "inside",
            "experience_required": 3.0, "experience_actual": 4.0, "experience_met": True,
        }  # fmt: skip
        assert page["matches"][2]["fit"]["salary"] == "above" and page["matches"][2]["suitable"] is False

        second = (await http.get("/v1/vacancies/v-acme-1/matches", params={"limit": 1, "offset": 1})).json()
        assert [m["target"]["id"] for m in second["matches"]] == ["r-2"] and second["total"] == 3

        suitable = (await http.get("/v1/vacancies/v-acme-1/applications", params={"filter": "suitable"})).json()
        unsuitable = (await http.get("/v1/vacancies/v-acme-1/applications", params={"filter": "unsuitable"})).json()
        both = (await http.get("/v1/vacancies/v-acme-1/applications", params={"sort": "score"})).json()
        assert [a["resume_id"] for a in suitable["applications"]] == ["r-1"]
        assert [a["resume_id"] for a in unsuitable["applications"]] == ["r-4"]
        assert [a["resume_id"] for a in both["applications"]] == ["r-4", "r-1"] and both["total"] == 2
        assert unsuitable["applications"][0]["fit"]["missing_skills"] == ["Python", "Django", "Kubernetes"]

        # Resumes in its lists or applications are readable; others are not found, as if they did not exist.
        assert (await http.get("/v1/resumes/r-3")).json()["title"] == "Django developer"
        assert (await http.get("/v1/resumes/r-4")).status_code == 200
        for hidden in ("/v1/resumes/r-5", "/v1/resumes/r-6", "/v1/resumes/no-such"):
            response = await http.get(hidden)
            assert response.status_code == 404 and response.json() == {"detail": "resume not found"}


async def test_every_refusal(settings: Settings, db: asyncpg.Connection) -> None:
    await seed_world(db)
    recruiter = await make_key(settings, "recruiter", "acme")
    admin = await make_key(settings, "admin")
    board = await make_key(settings, "job_board")
    async with serving(settings) as url, httpx.AsyncClient(base_url=url) as http:
        no_key = await http.get("/v1/vacancies/v-acme-1/matches")
        assert no_key.status_code == 401 and no_key.headers["www-authenticate"] == "Bearer"
        assert (await http.get("/v1/vacancies", headers=auth("crk_nope_nope"))).status_code == 401
        assert (await http.get("/v1/vacancies", headers={"X-API-Key": recruiter})).status_code == 200

        # Wrong role: an admin reads nothing; a recruiter manages no keys and reads no resume's vacancies.
        assert (await http.get("/v1/vacancies", headers=auth(admin))).status_code == 403
        assert (await http.get("/v1/keys", headers=auth(recruiter))).status_code == 403
        assert (await http.get("/v1/resumes/r-1/matches", headers=auth(recruiter))).status_code == 403
        assert (await http.get("/v1/resumes/r-1/matches", headers=auth(board))).status_code == 200

        # Another employer's vacancy is 404 on every path, worded like one that does not exist.
        for path in ("", "/matches", "/applications"):
            theirs = await http.get(f"/v1/vacancies/v-globex-1{path}", headers=auth(recruiter))
            missing = await http.get(f"/v1/vacancies/v-none{path}", headers=auth(recruiter))
            assert theirs.status_code == missing.status_code == 404
            assert theirs.json() == missing.json() == {"detail": "vacancy not found"}
            assert (await http.get(f"/v1/vacancies/v-globex-1{path}", headers=auth(board))).status_code == 200

        # A recruiter posts its own employer's vacancies and feedback, nothing else.
        feedback = _feedback("f-1", "v-globex-1", "globex")
        assert (await http.post("/v1/events", json=feedback, headers=auth(recruiter))).status_code == 403
        other = _feedback("f-2", "v-globex-1", "acme")
        assert (await http.post("/v1/events", json=other, headers=auth(recruiter))).status_code == 404
        resume = _resume("r-new")
        assert (await http.post("/v1/events", json=resume, headers=auth(recruiter))).status_code == 403
        assert (await http.post("/v1/events", json=resume, headers=auth(admin))).status_code == 403

        # A revoked key stops working (the test server remembers no key), and so does its listing's id.
        key_id = recruiter.split("_")[1]
        assert (await http.delete(f"/v1/keys/{key_id}", headers=auth(admin))).status_code == 204
        assert (await http.get("/v1/vacancies", headers=auth(recruiter))).status_code == 401
        assert (await http.delete(f"/v1/keys/{key_id}", headers=auth(admin))).status_code == 404


async def test_a_polling_reader_gets_304_until_the_list_changes(settings: Settings, db: asyncpg.Connection) -> None:
    await seed_world(db)
    board = await make_key(settings, "job_board")
    async with serving(settings) as url, httpx.AsyncClient(base_url=url, headers=auth(board)) as http:
        first = await http.get("/v1/vacancies/v-acme-1/matches")
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        again = await http.get("/v1/vacancies/v-acme-1/matches", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
        since = await http.get("/v1/vacancies/v-acme-1/matches", headers={"If-Modified-Since": modified})
        assert since.status_code == 304
        other_page = await http.get("/v1/vacancies/v-acme-1/matches?limit=2", headers={"If-None-Match": etag})
        assert other_page.status_code == 200

        await db.execute(
            "UPDATE ranked_lists SET target_ids = '{r-2,r-1}', scores = '{0.9,0.8}', cosines = '{0.9,0.8}',"
            " suitable = '{t,t}', ranked_at = now() WHERE source_id = 'v-acme-1'"
        )
        changed = await http.get("/v1/vacancies/v-acme-1/matches", headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag
        assert [m["target"]["id"] for m in changed.json()["matches"]] == ["r-2", "r-1"]

        apps = await http.get("/v1/vacancies/v-acme-1/applications")
        assert (await http.get(apps.url, headers={"If-None-Match": apps.headers["etag"]})).status_code == 304
        await db.execute("UPDATE applications SET status = 'withdrawn', version = now() WHERE resume_id = 'r-4'")
        after = await http.get(apps.url, headers={"If-None-Match": apps.headers["etag"]})
        assert after.status_code == 200 and [a["resume_id"] for a in after.json()["applications"]] == ["r-1"]


async def test_invalid_events_are_422_with_field_paths_and_no_values(settings: Settings) -> None:
    board = await make_key(settings, "job_board")
    async with serving(settings) as url, httpx.AsyncClient(base_url=url, headers=auth(board)) as http:
        secret = "Иванов Иван, +7 999 123-45-67"
        bad = {**_resume("r-1"), "salary_from": secret}
        response = await http.post("/v1/events", json=bad)
        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["detail"]] == [["body", "resume.upserted", "salary_from"]]
        assert secret not in response.text

        batch = {"events": [_resume("r-1"), {**_resume("r-2"), "occurred_at": "not a time"}]}
        response = await http.post("/v1/events/batch", json=batch)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"][:3] == ["body", "events", 1]

        future = {**_resume("r-3"), "occurred_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
        response = await http.post("/v1/events/batch", json={"events": [_resume("r-4"), future]})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "events", 1, "occurred_at"]
        assert (await http.post("/v1/events", json={"type": "vacancy.opened"})).status_code == 422
        assert (await http.post("/v1/events/batch", json={"events": []})).status_code == 422
    # Nothing of the refused requests reached the broker.
    assert await _queued(settings) == {"embedder": 0, "scorer": 0}


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_events_posted_are_applied_once_and_read_back(
    settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    """Through the real workers: postings, applications and feedback posted over HTTP (each twice, the second
    time in a batch) are applied once, and the recruiter reads the lists and applications they made."""
    board = await make_key(settings, "job_board")
    recruiter = await make_key(settings, "recruiter", "acme")
    vacancies = [_vacancy(f"v{i}", "acme" if i < 3 else "globex", title) for i, title in
                 enumerate(["Python developer", "Data analyst", "Accountant", "Go engineer"])]  # fmt: skip
    resumes = [_resume(f"r{i}", title) for i, title in
               enumerate(["Python developer", "Analyst SQL", "Chief accountant", "Go developer", "Cook"])]  # fmt: skip
    applications = [_application(f"a{i}", "v0", f"r{i}") for i in range(3)]
    with running(settings, tmp_path, roles=("embedder", "matcher", "scorer")) as workers:
        async with serving(settings) as url, httpx.AsyncClient(base_url=url, headers=auth(board)) as http:
            for event in [*vacancies, *resumes]:
                response = await http.post("/v1/events", json=event)
                assert response.status_code == 202 and response.json()["event_ids"] == [event["event_id"]]
            again = await http.post("/v1/events/batch", json={"events": [*vacancies, *resumes, *applications]})
            assert again.status_code == 202 and again.json()["accepted"] == 12
            for event in applications:
                assert (await http.post("/v1/events", json=event)).status_code == 202

            page = await _poll(http, "/v1/vacancies/v0/matches", recruiter, lambda p: p["total"] == 5)
            assert page["model_version"] == "cosine" and all(m["suitable"] is None for m in page["matches"])
            assert page["suitable"] is None  # no model: no count, never a guess
            # A recruiter's feedback needs its vacancy stored (whose it is is checked); posted twice, kept once.
            feedback = _feedback("f-1", "v0", "acme", "r0")
            assert (await http.post("/v1/events", json=feedback, headers=auth(recruiter))).status_code == 202
            assert (await http.post("/v1/events", json=feedback, headers=auth(recruiter))).status_code == 202
            apps = await _poll(
                http, "/v1/vacancies/v0/applications", recruiter,
                lambda p: p["total"] == 3 and all(a["score"] is not None for a in p["applications"]),
            )  # fmt: skip
            assert {a["resume_id"] for a in apps["applications"]} == {"r0", "r1", "r2"}
            mine = (await http.get("/v1/vacancies", headers=auth(recruiter))).json()
            assert {v["id"] for v in mine["vacancies"]} == {"v0", "v1", "v2"}
            await _until(db, "SELECT count(*) FROM feedback", 1)
        assert workers.stop() == [0, 0, 0]
    assert await db.fetchval("SELECT count(*) FROM processed_events") == 9  # each posting once
    assert await db.fetchval("SELECT count(*) FROM scoring_events") == 4  # three applications, one feedback
    assert await db.fetchval("SELECT count(*) FROM feedback") == 1
    assert await db.fetchval("SELECT count(*) FROM dead_letters") == 0


async def test_keys_are_managed_by_the_admin_and_the_cli(settings: Settings) -> None:
    admin = await make_key(settings, "admin")
    async with serving(settings) as url, httpx.AsyncClient(base_url=url, headers=auth(admin)) as http:
        made = await http.post("/v1/keys", json={"role": "recruiter", "employer_id": "acme", "name": "Анна"})
        assert made.status_code == 201
        key = made.json()
        assert key["key"].startswith(f"crk_{key['id']}_") and key["employer_id"] == "acme"
        listed = (await http.get("/v1/keys")).json()
        assert key["id"] in {k["id"] for k in listed} and all("key" not in k for k in listed)
        assert (await http.post("/v1/keys", json={"role": "recruiter"})).status_code == 422
        assert (await http.post("/v1/keys", json={"role": "job_board", "employer_id": "x"})).status_code == 422
        assert (await http.get("/v1/vacancies", headers=auth(key["key"]))).status_code == 200

    env = process_env(settings)
    created = _cli(env, "keys", "create", "--role", "job_board", "--name", "board")
    listed_cli = json.loads(_cli(env, "keys", "list"))
    assert created["id"] in {k["id"] for k in listed_cli} and "key" not in json.dumps(listed_cli)
    assert _cli(env, "keys", "revoke", created["id"]) == {"id": created["id"], "revoked": True}
    async with serving(settings) as url, httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/v1/vacancies", headers=auth(created["key"]))).status_code == 401


async def test_probes_and_metrics(settings: Settings) -> None:
    board = await make_key(settings, "job_board")
    async with serving(settings) as url, httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        assert (await http.get("/readyz")).json() == {"postgresql": "ok", "rabbitmq": "ok"}
        await http.get("/v1/vacancies/v-1/matches", headers=auth(board))
        await http.get("/v1/vacancies")
        text = (await http.get("/metrics")).text
        assert (
            'careerrank_api_requests_total{method="GET",route="/v1/vacancies/{vacancy_id}/matches",status="4xx"}'
            in text
        )
        assert 'careerrank_api_refusals_total{status="401"} 1.0' in text
        spec = (await http.get("/openapi.json")).json()
        assert "/v1/vacancies/{vacancy_id}/matches" in spec["paths"] and (await http.get("/docs")).status_code == 200


def _cli(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run([sys.executable, "-m", "workers", *args], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout) if not done.stdout.lstrip().startswith("[") else done.stdout


async def _queued(settings: Settings) -> dict[str, int]:
    names = Names.of(settings.amqp)
    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        out = {}
        for role, queue in (("embedder", names.embedder_queue), ("scorer", names.scorer_queue)):
            declared = await channel.declare_queue(queue, passive=True)
            out[role] = declared.declaration_result.message_count or 0
        return out


async def _poll(http: httpx.AsyncClient, path: str, key: str, done: Any, timeout_s: float = 120) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        response = await http.get(path, headers=auth(key))
        if response.status_code == 200 and done(body := response.json()):
            return body
        assert asyncio.get_running_loop().time() < deadline, f"{path}: {response.status_code} {response.text[:300]}"
        await asyncio.sleep(0.3)


async def _until(db: asyncpg.Connection, query: str, expected: int, timeout_s: float = 60) -> None:
    for _ in range(int(timeout_s / 0.2)):
        if await db.fetchval(query) == expected:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{query}: {await db.fetchval(query)} != {expected}")


T = "2026-11-01T10:00:00+00:00"


def _vacancy(item_id: str, employer: str, title: str = "Python developer") -> dict[str, Any]:
    return {"type": "vacancy.upserted", "schema_version": 2, "event_id": f"e-{item_id}", "occurred_at": T,
            "id": item_id, "title": title, "text": f"{title}: задачи и требования", "skills": title.split(),
            "employer_id": employer}  # fmt: skip


def _resume(item_id: str, title: str = "Python developer") -> dict[str, Any]:
    return {"type": "resume.upserted", "schema_version": 2, "event_id": f"e-{item_id}", "occurred_at": T,
            "id": item_id, "title": title, "text": f"{title}: опыт", "skills": title.split()}  # fmt: skip


def _application(event_id: str, vacancy: str, resume: str) -> dict[str, Any]:
    return {"type": "application.submitted", "event_id": event_id, "occurred_at": T, "vacancy_id": vacancy,
            "resume_id": resume}  # fmt: skip


def _feedback(event_id: str, vacancy: str, employer: str, resume: str = "r-1") -> dict[str, Any]:
    return {"type": "feedback.recorded", "event_id": event_id, "occurred_at": T, "vacancy_id": vacancy,
            "resume_id": resume, "recruiter_id": "rec-1", "employer_id": employer, "decision": "rejected"}  # fmt: skip


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("processes", [1, 2])
async def test_the_api_deployable_serves_and_stops_on_sigterm(settings: Settings, processes: int) -> None:
    board = await make_key(settings, "job_board")
    port = _free_port()
    env = process_env(settings, CAREERRANK_API__PORT=str(port), CAREERRANK_API__WORKERS=str(processes))
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "workers", "api", env=env)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=auth(board)) as http:
            for _ in range(200):
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            for _ in range(40):
                assert (await http.get("/v1/vacancies")).status_code == 200
            # With two processes both answered some of them; /metrics of either reports the sum.
            text = (await http.get("/metrics")).text
            assert 'careerrank_api_requests_total{method="GET",route="/v1/vacancies",status="2xx"} 40.0' in text
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 60)
    assert code == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
