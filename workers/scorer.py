"""Scorer: applications and recruiter feedback in; feedback kept, applications scored, lists ranked.

Per micro-batch: decode (invalid → dead letter), drop redeliveries (the scorer's event log), then in one
transaction store the feedback rows, apply submissions and withdrawals by version, and log the events; ack
after. The applications of the vacancies touched are then scored (see
:mod:`careerrank.scoring.application_scoring`). A sweep, run every ``sweep_interval_s`` beside the consume
loop, scores what could not be scored then (an item or its vector came later), what an item's update made
stale, and everything after another model is activated. A crash between the commit and the scoring loses
nothing: the sweep finds those applications pending. The same sweep ranks the lists the matcher changed
(:mod:`careerrank.scoring.list_ranking`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from dataclasses import dataclass

from aio_pika.abc import AbstractIncomingMessage

from careerrank.errors import TransientError
from careerrank.messaging import Names
from careerrank.observability import PipelineMetrics
from careerrank.scoring.application_scoring import ApplicationScoring
from careerrank.scoring.list_ranking import ListRanking
from careerrank.settings import Settings
from careerrank.storage import Database
from schemas import SCORING, ApplicationEvent, FeedbackRecorded, ScoringEvent
from workers.handler import Decoded, decode_events, elements_of

log = logging.getLogger(__name__)

WORKER = "scorer"


@dataclass(frozen=True, slots=True)
class ScoringBatch:
    feedback: list[FeedbackRecorded]
    applications: list[ApplicationEvent]


class Scorer:
    """The scorer's batch handler (see :class:`workers.consumer.BatchConsumer`)."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        scoring: ApplicationScoring,
        ranking: ListRanking,
        metrics: PipelineMetrics,
    ) -> None:
        self._settings = settings
        self._database = database
        self.scoring = scoring
        self.ranking = ranking
        self._metrics = metrics
        self._events_exchange = Names.of(settings.amqp).events

    def decode(self, message: AbstractIncomingMessage) -> Decoded[list[ScoringEvent]]:
        events, rejected = decode_events(
            message, self._events_exchange, self._settings.scorer.max_clock_skew_s, SCORING
        )
        return Decoded([event for _, event in events], rejected, elements_of(events, list))

    async def prepare(self, batch: list[list[ScoringEvent]]) -> ScoringBatch:
        # Redeliveries are told apart in the commit's transaction, which has to look anyway.
        unique: dict[str, ScoringEvent] = {}
        for events in batch:
            for event in events:
                unique.setdefault(event.event_id, event)
        return ScoringBatch(
            [e for e in unique.values() if isinstance(e, FeedbackRecorded)],
            [e for e in unique.values() if not isinstance(e, FeedbackRecorded)],
        )

    async def commit(self, prepared: ScoringBatch) -> None:
        async with self._database.transaction() as session:
            # Redeliveries, and a commit retried after it went through, find their events logged: nothing is
            # applied twice.
            done = await session.scoring_models.processed(
                [e.event_id for e in (*prepared.feedback, *prepared.applications)]
            )
            feedback = [e for e in prepared.feedback if e.event_id not in done]
            applications = [e for e in prepared.applications if e.event_id not in done]
            if feedback:
                await session.feedback.record(feedback)
            applied = await session.applications.apply(applications) if applications else set()
            await session.scoring_models.record(
                [(e.event_id, e.type, "applied") for e in feedback]
                + [(e.event_id, e.type, "applied" if e.event_id in applied else "stale") for e in applications]
            )
        self._metrics.events.labels(WORKER, "duplicate").inc(len(done))
        for event in feedback:
            self._metrics.feedback.labels(event.decision).inc()
        self._metrics.events.labels(WORKER, "applied").inc(len(feedback) + len(applied))
        self._metrics.events.labels(WORKER, "stale").inc(len(applications) - len(applied))
        touched = sorted({e.vacancy_id for e in applications if e.event_id in applied})
        if touched:
            try:
                await self.score(touched)
            except Exception as exc:
                # The events are committed; the sweep scores these applications when it can. A failing model
                # must not send valid applications to the dead-letter queue.
                log.warning("scoring deferred to the sweep", extra={"worker": WORKER, "error": type(exc).__name__})

    async def score(self, vacancies: list[str] | None = None) -> int:
        """Score pending applications (of ``vacancies``, or any); return how many were stored."""
        before = self.scoring.model_version
        stored = await self.scoring.score_pending(vacancies, self._settings.scorer.sweep_vacancies)
        version = self.scoring.model_version
        if version != before:
            self._metrics.scoring_model.clear()
        self._metrics.scoring_model.labels(version).set(1)
        self._metrics.applications_scored.labels("cosine" if version == "cosine" else "model").inc(stored)
        return stored

    async def rank(self) -> int:
        """Rank the lists the matcher changed (one round); return how many were written or dropped."""
        done = await self.ranking.rank_changed(self._settings.scorer.rank_batch)
        if done:
            # What a round keeps (the remembered lists, the postings: millions of objects at scale) would be
            # scanned by the cyclic collector again and again as later rounds allocate; the round's garbage is
            # collected now and the survivors are frozen out of those scans (freed by reference counting as ever).
            gc.collect()
            gc.freeze()
        self._metrics.lists_ranked.inc(done)
        self._metrics.lists_unchanged.inc(self.ranking.unchanged)
        for stage, seconds in self.ranking.last_round.items():
            self._metrics.stage_seconds.labels(WORKER, f"rank_{stage}").observe(seconds)
        return done


async def sweep(scorer: Scorer, interval_s: float, stop: asyncio.Event) -> None:
    """Score pending applications and rank changed lists, every ``interval_s``, until ``stop`` is set."""
    while not stop.is_set():
        try:
            while not stop.is_set() and (await scorer.score() + await scorer.rank()) > 0:
                pass
        except TransientError as exc:
            log.warning("scoring sweep waits for a service", extra={"worker": WORKER, "reason": str(exc)})
        except Exception:
            log.exception("scoring sweep failed; trying again", extra={"worker": WORKER})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)
