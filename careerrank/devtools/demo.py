"""The main job end to end on the bundled SuperJob sample: what ``scripts/demo`` runs.

Starts the local PostgreSQL and RabbitMQ if they are down, migrates, starts the workers (embedder, matcher,
scorer) as separate processes, publishes the sample, waits until every open item has its matches committed and
every list is ranked by cosine; then, unless a scoring model is active already, feeds the judged SuperJob pairs
in as recruiter feedback, trains a model on them and activates it, waits until the scorer has ranked every list
with it, prints a summary and a few example lists (saying which model ranked them and what it was trained on),
reads one list back through the HTTP API (``careerrank api``, with a job board key made for the run and revoked
after it), prints a recruiter key of a demo employer (the sample's vacancies are filed under three, by city:
:mod:`careerrank.devtools.demo_employers`) and where to sign in with it, and stops the workers and the API with
SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import aio_pika

from careerrank.devtools.demo_employers import print_recruiter_key, with_demo_employer
from careerrank.devtools.processes import start_worker, stop_worker, wait_for_consumers
from careerrank.devtools.services import ensure_up
from careerrank.errors import TopologyMismatch
from careerrank.ingest import SUPERJOB_DIR
from careerrank.ingest.judgments import judgment_feedback, judgments_version
from careerrank.jobs.publish import publish_files
from careerrank.jobs.scoring_models import activate_scoring_model, train_scoring_model
from careerrank.messaging import Names, connect_broker, delete_topology, publish_events, queue_stats
from careerrank.scoring.features import FEATURE_VERSION
from careerrank.settings import Settings
from careerrank.storage import Session, connected, migrate
from schemas import DIRECTIONS, KINDS, Kind, opposite


async def wait_until_matched(session: Session, expected: int, timeout_s: float) -> float:
    """Until ``expected`` open items have matches for their current version; return the seconds waited."""
    started = time.monotonic()
    while True:
        done = sum([await session.items.count_open(kind, matched=True) for kind in KINDS])
        if done >= expected:
            return time.monotonic() - started
        if time.monotonic() - started > timeout_s:
            raise TimeoutError(f"only {done} of {expected} items matched after {timeout_s:.0f} s")
        await asyncio.sleep(0.5)


async def wait_until_ranked(session: Session, timeout_s: float) -> None:
    """Until the scorer has ranked every list the matcher wrote."""
    started = time.monotonic()
    while await session.ranked_lists.pending_changes():
        if time.monotonic() - started > timeout_s:
            raise TimeoutError(f"lists not ranked after {timeout_s:.0f} s")
        await asyncio.sleep(0.5)


async def learn_from_judgments(settings: Settings, session: Session) -> dict[str, Any] | None:
    """Unless a scoring model is active already: the judged SuperJob pairs go in as recruiter feedback, a model is
    trained on them and activated, and the scorer ranks every list with it. Returns the training report."""
    active = await session.scoring_models.active()
    if active is not None and active.feature_version == FEATURE_VERSION:
        return None
    version = f"superjob-judged-{judgments_version()}-features-{FEATURE_VERSION}"
    feedback = judgment_feedback()
    print(f"training a scoring model on the {len(feedback)} judged SuperJob pairs (datasets/judgments)")
    await publish_events(settings.amqp, feedback, per_message=500)
    started = time.monotonic()
    while await session.connection.fetchval(
        "SELECT count(*) FROM feedback WHERE event_id = ANY($1::text[])", [e.event_id for e in feedback]
    ) < len(feedback):
        if time.monotonic() - started > 600:
            raise TimeoutError("the judged pairs were not all recorded as feedback")
        await asyncio.sleep(0.5)
    registered = {m.version for m in await session.scoring_models.all()}
    if version in registered:
        await activate_scoring_model(settings, version)
        report = None
    else:
        # One "recruiter" and queries of thirty judged candidates each: SuperJob's outlier filter would take
        # the judged vacancies for mass invitations, so it is off for this set.
        report = await train_scoring_model(settings, version, use_filter=False, activate=True)
    started = time.monotonic()
    lists = await session.connection.fetchval("SELECT count(*) FROM match_lists")
    while (
        await session.connection.fetchval("SELECT count(*) FROM ranked_lists WHERE model_version = $1", version) < lists
    ):
        if time.monotonic() - started > 1800:
            raise TimeoutError("lists not ranked by the trained model")
        await asyncio.sleep(0.5)
    return report


async def run_demo(settings: Settings, data_dir: Path = SUPERJOB_DIR) -> int:
    files = [data_dir / "vacancies.csv", data_dir / "resumes.csv"]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        print(f"sample data not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    dsn = settings.postgres.dsn.get_secret_value()
    await asyncio.to_thread(ensure_up, dsn, settings.amqp.url.get_secret_value())
    applied = await migrate(dsn)
    print(f"database ready ({applied} migration(s) applied)")
    await declare_or_renew(settings)
    workers = [start_worker("embedder"), start_worker("matcher"), start_worker("scorer")]
    try:
        await wait_for_consumers(settings)
        print("workers up; publishing the SuperJob sample")
        started = time.monotonic()
        summary = await publish_files(settings.amqp, files, skip_invalid=True, transform=with_demo_employer)
        published = sum(f["published"] for f in summary["files"])
        async with connected(dsn) as session:
            expected = sum([await session.items.count_open(kind) for kind in KINDS])
            await wait_until_matched(session, max(expected, published), timeout_s=1800)
            await wait_until_ranked(session, timeout_s=1800)
            elapsed = time.monotonic() - started
            trained = await learn_from_judgments(settings, session)
            await _report(session, published, elapsed, trained)
            workers.append(start_worker("api", {"CAREERRANK_API__WORKERS": "1"}))
            await _read_over_http(settings, session)
            await print_recruiter_key(settings, session)
    finally:
        codes = [stop_worker(w) for w in workers]
        print(f"workers stopped (exit codes {codes})")
    return 0 if all(c == 0 for c in codes) else 1


async def declare_or_renew(settings: Settings) -> None:
    """Declare the topology; one left by an earlier version with other queue arguments is replaced, but only
    when none of its queues holds a message (otherwise the mismatch is raised: deploy/README.md, Upgrading)."""
    try:
        broker = await connect_broker(settings.amqp, prefetch=1)
        await broker.close()
        return
    except TopologyMismatch:
        names = Names.of(settings.amqp)
        connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
        async with connection:
            channel = await connection.channel()
            existing = [q for q in names.all_queues() if await _exists(connection, q)]
            held = sum(n for n, _ in (await queue_stats(channel, existing)).values())
            if held:
                raise
            await delete_topology(channel, names)
    print("replaced an empty topology declared by an earlier version")
    broker = await connect_broker(settings.amqp, prefetch=1)
    await broker.close()


async def _exists(connection: aio_pika.abc.AbstractConnection, queue: str) -> bool:
    # A passive declaration of a missing queue closes its channel: ask on a channel of its own.
    channel = await connection.channel()
    try:
        await channel.declare_queue(queue, passive=True)
        return True
    except aio_pika.exceptions.ChannelClosed:
        return False
    finally:
        if not channel.is_closed:
            await channel.close()


async def _report(session: Session, published: int, elapsed: float, trained: dict[str, Any] | None) -> None:
    counts = {kind: await session.items.count_open(kind) for kind in KINDS}
    rows = await session.lists.count_entries()
    dead = await session.dead_letters.count()
    print()
    print(
        f"published {published} events; {counts['vacancy']} vacancies and {counts['resume']} resumes matched "
        f"in {elapsed:.1f} s ({published / elapsed:.1f} events/s); {rows} match rows; {dead} dead letters"
    )
    model = await session.scoring_models.active()
    if model is None:
        print(
            "no scoring model is active: the lists are the cosine top-10 with no suitable flag. With recruiter "
            "feedback recorded, `careerrank scorer train --activate` trains one and the scorer ranks every list."
        )
    else:
        print(f"lists ranked by scoring model {model.version}, trained on {model.trained_on}")
        metrics = trained["metrics"] if trained else model.metrics
        held_out, cosine = metrics.get("held_out"), metrics.get("cosine_alone")
        if held_out and cosine:
            print(
                f"held-out judged vacancies: ROC-AUC {held_out['roc_auc']:.3f} (cosine alone {cosine['roc_auc']:.3f}); "
                "the lists show the 10 best of each item's 100 cosine candidates by the model"
            )
    examples: tuple[tuple[Kind, int], ...] = (("vacancy", 3), ("resume", 2))
    for kind, limit in examples:
        for item_id, title in await session.items.first_open(kind, limit):
            print(f"\n{kind} {item_id}: {title[:80]}")
            ranked = await session.ranked_lists.read(DIRECTIONS[kind], item_id)
            if ranked is None:
                continue
            titles = {p["id"]: p["title"] for p in await session.items.postings(opposite(kind), ranked.target_ids)}
            entries = zip(ranked.target_ids, ranked.scores, ranked.flags(), strict=True)
            for rank, (target, score, flag) in enumerate(entries, start=1):
                mark = {True: "suitable", False: "unsuitable", None: ""}[flag]
                print(f"  {rank:>2}. {score:5.3f} {mark:<10} {target:<18} {titles.get(target, '')[:60]}")
                if rank == 5:
                    break


async def _read_over_http(settings: Settings, session: Session) -> None:
    """One vacancy's list read back over the HTTP API, with a job board key made for this run (revoked after)."""
    base = f"http://{settings.api.host}:{settings.api.port}"
    key, secret = await session.api_keys.create("job_board", None, "demo (revoked when the demo ends)")
    try:
        for _ in range(120):
            try:
                await asyncio.to_thread(urllib.request.urlopen, f"{base}/readyz", timeout=2)
                break
            except OSError:
                await asyncio.sleep(0.5)
        (vacancy_id, _title), *_ = await session.items.first_open("vacancy", 1)
        request = urllib.request.Request(
            f"{base}/v1/vacancies/{vacancy_id}/matches?limit=3", headers={"Authorization": f"Bearer {secret}"}
        )
        started = time.monotonic()
        with await asyncio.to_thread(urllib.request.urlopen, request, timeout=10) as response:
            page = json.loads(response.read())
        took = (time.monotonic() - started) * 1000
        print(
            f"\nthe HTTP API ({base}, OpenAPI docs at /docs): GET /v1/vacancies/{vacancy_id}/matches in {took:.0f} ms"
        )
        for match in page["matches"]:
            reasons = "; ".join(("+ " if r["side"] == "for" else "- ") + r["en"] for r in match["explanation"][:2])
            print(f"  {match['rank']:>2}. {match['score']:5.3f} {match['target']['title'][:50]:<50} {reasons[:70]}")
    finally:
        await session.api_keys.revoke(key.id)
