"""The scorer against the real RabbitMQ and PostgreSQL: feedback kept whatever its order, applications scored
(by cosine until a model is active, then by the model), invalid feedback dead-lettered, a trained model
activated under traffic without a vacancy left half rescored, and nothing applied twice."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aio_pika
import asyncpg
import pytest

from careerrank.cli.commands import dead_letters_command
from careerrank.errors import ScoringModelError
from careerrank.jobs.model_comparison import compare_models
from careerrank.jobs.scoring_models import activate_scoring_model as activate_command
from careerrank.jobs.scoring_models import train_scoring_model as train_command
from careerrank.messaging import Names, publish_events
from careerrank.scoring.features import FEATURE_VERSION
from careerrank.settings import Settings
from careerrank.synthetic import simulate
from schemas import ApplicationSubmitted, FeedbackRecorded
from tests.integration.pipeline import running, running_workers
from workers.bootstrap import build
from workers.dead_letters import REASON_HEADER

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
async def scorer(settings: Settings) -> AsyncIterator[None]:
    service = build("scorer", settings)
    await service.start()
    try:
        yield
    finally:
        await service.stop()


async def until(check: str, db: asyncpg.Connection, expected: object, timeout_s: float = 90, *args: object) -> None:
    deadline = time.monotonic() + timeout_s
    while (got := await db.fetchval(check, *args)) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"{check}: {got!r}, expected {expected!r}")
        await asyncio.sleep(0.2)


async def test_feedback_and_applications_from_first_event_to_a_learned_score(
    settings: Settings, db: asyncpg.Connection, scorer: None, tmp_path: Path
) -> None:
    sim = simulate(5, 90, 120, candidates_per_vacancy=24)
    feedback = [e for e in sim.scoring_events if isinstance(e, FeedbackRecorded)]
    applications = [e for e in sim.scoring_events if not isinstance(e, FeedbackRecorded)]
    # Out of order: every scoring event before any posting exists; then the postings.
    await publish_events(settings.amqp, sim.scoring_events, per_message=50)
    await until("SELECT count(*) FROM feedback", db, len(feedback))
    open_pairs = await db.fetchval("SELECT count(*) FROM applications WHERE status = 'open'")
    assert open_pairs > 50
    assert await db.fetchval("SELECT count(*) FROM applications WHERE score IS NOT NULL") == 0  # no items yet
    async with running_workers(settings):
        await publish_events(settings.amqp, sim.postings, per_message=100)
        # Items arrive: the sweep scores every open application, by cosine (no model yet), with no flag.
        await until(
            "SELECT count(*) FROM applications WHERE status = 'open' AND model_version = 'cosine'", db, open_pairs
        )
        assert await db.fetchval("SELECT count(*) FROM applications WHERE suitable IS NOT NULL") == 0

        report = await train_command(settings, "m1", recall=0.9, use_filter=True, activate=False)
        assert report["data"]["usable"] == report["data"]["decisions"] > 1000
        held_out, cosine = report["metrics"]["held_out"], report["metrics"]["cosine_alone"]
        assert held_out["roc_auc"] > cosine["roc_auc"] and held_out["roc_auc"] > 0.75
        # Sampled negatives train and are stated; the score is calibrated on validation rows and measured held out.
        sampled = report["metrics"]["sampled_negatives"]
        assert report["data"]["sampled_negatives"] >= sampled["training_rows"] > 0 and sampled["weight"] == 0.5
        calibration = report["metrics"]["calibration"]
        assert sum(b["rows"] for b in calibration["reliability"]) == report["metrics"]["rows"]["test"]
        assert 0 < calibration["brier"] < 0.25
        # A candidate does not serve.
        await asyncio.sleep(1.5)
        assert await db.fetchval("SELECT count(*) FROM applications WHERE model_version = 'm1'") == 0
        # Compared with its unfiltered twin on the decisions, over PostgreSQL, with the files an operator reads.
        await train_command(settings, "m0", recall=0.9, use_filter=False, activate=False)
        comparison = await compare_models(settings, "m0", "m1", out=tmp_path, boots=100)
        assert comparison["decisions"] == report["data"]["usable"]
        assert {comparison["champion"]["version"], comparison["challenger"]["version"]} == {"m0", "m1"}
        assert comparison["verdict"] in {"champion", "challenger", "equal"}
        assert (tmp_path / "roc.png").read_bytes()[:4] == b"\x89PNG"
        assert "Verdict" in (tmp_path / "comparison.md").read_text(encoding="utf-8")

        # Activation under live traffic: more applications keep coming while everything is rescored.
        more = [
            ApplicationSubmitted(
                event_id=f"late-{i}",
                occurred_at=applications[-1].occurred_at + timedelta(days=1, seconds=i),
                vacancy_id=sim.postings[i].id if sim.postings[i].type == "vacancy.upserted" else "syn-v-5-0",
                resume_id=f"syn-r-5-{i}",
            )
            for i in range(40)
        ]
        # A model of other features could not be served: activating one is refused, and the active one stays.
        await db.execute("UPDATE scoring_models SET feature_version = 0 WHERE version = 'm1'")
        with pytest.raises(ScoringModelError, match="train a new model"):
            await activate_command(settings, "m1")
        await db.execute("UPDATE scoring_models SET feature_version = $1 WHERE version = 'm1'", FEATURE_VERSION)
        await activate_command(settings, "m1")
        await publish_events(settings.amqp, more, per_message=10)
        mixed = 0
        deadline = time.monotonic() + 120
        while await db.fetchval(
            "SELECT count(*) FROM applications WHERE status = 'open' AND model_version IS DISTINCT FROM 'm1'"
        ):
            # No vacancy is ever seen with applications under two models at once (one that just arrived is
            # unscored for a moment: no model's score, not a half-rescored tab).
            mixed += await db.fetchval(
                """SELECT count(*) FROM (SELECT vacancy_id FROM applications WHERE status = 'open'
                    GROUP BY vacancy_id HAVING count(DISTINCT model_version) > 1) x"""
            )
            assert time.monotonic() < deadline, "applications not rescored by the activated model"
            await asyncio.sleep(0.05)
        assert mixed == 0
    rows = await db.fetch("SELECT score, suitable, explanation FROM applications WHERE status = 'open'")
    assert all(r["suitable"] is not None and 0 <= r["score"] <= 1 for r in rows)
    assert 0 < sum(r["suitable"] for r in rows) < len(rows)
    explained = [json.loads(r["explanation"]) for r in rows]
    assert sum(bool(e) for e in explained) > 0.8 * len(rows)
    assert all(reason["en"] and reason["ru"] and reason["feature"] for e in explained for reason in e)
    withdrawn = {(e.vacancy_id, e.resume_id) for e in applications if e.type == "application.withdrawn"}
    assert withdrawn, "the simulation withdraws some applications"
    assert await db.fetchval("SELECT count(*) FROM applications WHERE status = 'withdrawn'") == len(withdrawn)
    assert await db.fetchval("SELECT count(*) FROM scoring_events") == len(sim.scoring_events) + len(more)


async def test_invalid_feedback_is_dead_lettered_and_redeliveries_apply_once(
    settings: Settings, db: asyncpg.Connection, scorer: None
) -> None:
    good = {
        "type": "feedback.recorded",
        "event_id": "f1",
        "occurred_at": "2024-03-01T10:00:00Z",
        "vacancy_id": "v-unknown",
        "resume_id": "r-unknown",
        "recruiter_id": "rec-1",
        "employer_id": "emp-1",
        "decision": "invited",
    }
    bad = {**good, "event_id": "f2", "decision": "maybe"}
    shown_with_position = {**good, "event_id": "f3", "position": 3}  # a position belongs to shown rows only
    names = Names.of(settings.amqp)
    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(names.events)
        body = json.dumps([good, bad, shown_with_position]).encode()
        for _ in range(3):  # the same message again and again: applied once
            await exchange.publish(aio_pika.Message(body, delivery_mode=2), routing_key="scoring.batch")
        await exchange.publish(aio_pika.Message(json.dumps(good).encode()), routing_key="application.submitted")
    await until("SELECT count(*) FROM dead_letters", db, 3 * 2 + 1)
    await until("SELECT count(*) FROM feedback", db, 1)
    reasons = [r["reason"] for r in await db.fetch("SELECT reason FROM dead_letters ORDER BY id")]
    assert sum("decision: " in r for r in reasons) == 3
    assert sum("position is given" in r for r in reasons) == 3
    assert any("feedback.recorded event published under the routing key" in r for r in reasons)
    assert "maybe" not in " ".join(reasons)
    assert await db.fetchval("SELECT count(*) FROM scoring_events") == 1
    stored = await db.fetchrow("SELECT vacancy_id, decision FROM feedback")
    assert tuple(stored) == ("v-unknown", "invited")  # kept though neither item exists
    headers = await db.fetchval("SELECT headers FROM dead_letters LIMIT 1")
    assert REASON_HEADER in json.loads(headers)


async def test_a_scorer_dead_letter_is_replayed_to_the_scorer(
    settings: Settings, db: asyncpg.Connection, scorer: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # An application published under a feedback routing key is refused as published; the operator replays
    # it, and the scorer applies it (a replay comes back under the queue's name, admitted by its body).
    application = {
        "type": "application.submitted",
        "event_id": "a-replayed",
        "occurred_at": "2024-03-01T10:00:00Z",
        "vacancy_id": "v1",
        "resume_id": "r1",
    }
    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    async with connection:
        exchange = await (await connection.channel()).get_exchange(Names.of(settings.amqp).events)
        await exchange.publish(aio_pika.Message(json.dumps(application).encode()), routing_key="feedback.recorded")
    await until("SELECT count(*) FROM dead_letters", db, 1)
    letter = await db.fetchrow("SELECT id, queue FROM dead_letters")
    assert letter["queue"] == Names.of(settings.amqp).scorer_queue
    assert await db.fetchval("SELECT count(*) FROM applications") == 0
    assert await dead_letters_command(settings, "replay", [letter["id"]], everything=False) == 0
    assert "replayed 1 dead letter(s)" in capsys.readouterr().out
    await until("SELECT count(*) FROM applications", db, 1)
    await until("SELECT count(*) FROM dead_letters WHERE replayed_at IS NOT NULL", db, 1)
    assert await db.fetchval("SELECT count(*) FROM dead_letters") == 1


@pytest.mark.timeout(240)
async def test_a_killed_scorer_loses_and_repeats_nothing(
    settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    sim = simulate(9, 60, 90, candidates_per_vacancy=30)
    applications = [e for e in sim.scoring_events if not isinstance(e, FeedbackRecorded)]
    expected_open = await _expected_open(applications)
    with running(settings, tmp_path, roles=("embedder", "matcher", "scorer")) as workers:
        await publish_events(settings.amqp, sim.postings, per_message=50)
        await publish_events(settings.amqp, sim.scoring_events, per_message=20)
        await asyncio.sleep(0.4)
        workers.kill("scorer")
        workers.start("scorer")
        await asyncio.sleep(1.0)
        workers.kill("scorer")
        workers.start("scorer")
        await until(
            "SELECT count(*) FROM applications WHERE status = 'open' AND score IS NOT NULL", db, expected_open, 180
        )
        assert workers.stop() == [0, 0, 0]
    assert await db.fetchval("SELECT count(*) FROM scoring_events") == len(sim.scoring_events)
    assert await db.fetchval("SELECT count(*) FROM feedback") == len(sim.scoring_events) - len(applications)
    assert await db.fetchval("SELECT count(*) FROM dead_letters") == 0


async def _expected_open(applications: list) -> int:  # type: ignore[type-arg]
    last: dict[tuple[str, str], tuple[object, str]] = {}
    for e in applications:
        key = (e.vacancy_id, e.resume_id)
        if key not in last or e.occurred_at > last[key][0]:
            last[key] = (e.occurred_at, e.type)
    return sum(1 for _, kind in last.values() if kind == "application.submitted")
