"""Operator commands behind the CLI that read PostgreSQL: a list of matches, dead letters and their replay."""

from __future__ import annotations

import json
from dataclasses import asdict

from careerrank.messaging import connect_broker, persistent_message, publish_one
from careerrank.settings import Settings
from careerrank.storage import DeadLetter, Session, connected
from careerrank.storage.ranked_lists import RankedList
from schemas import DIRECTIONS, Kind, opposite


async def print_matches(settings: Settings, kind: Kind, item_id: str, as_json: bool = False) -> int:
    async with connected(settings.postgres.dsn.get_secret_value()) as session:
        ranked = await session.ranked_lists.read(DIRECTIONS[kind], item_id)
        if ranked is not None:
            titles = {p["id"]: p["title"] for p in await session.items.postings(opposite(kind), ranked.target_ids)}
            return _print_ranked(kind, item_id, ranked, titles, as_json)
        rows = (await session.lists.read(kind, item_id))[:10]
    if as_json:
        print(json.dumps([asdict(r) for r in rows], default=str, ensure_ascii=False, indent=2))
    elif not rows:
        print(f"no matches for {kind} {item_id!r} (unknown, closed, or not matched yet)")
    else:
        print(f"top-{len(rows)} {opposite(kind)}s for {kind} {item_id} (model {rows[0].model_version}):")
        for r in rows:
            print(f"{r.rank:>3}  {r.score:6.3f}  {r.target_id:<24} {(r.title or '')[:70]}")
    return 0 if rows else 1


def _print_ranked(kind: Kind, item_id: str, ranked: RankedList, titles: dict[str, str], as_json: bool) -> int:
    """The recruiter's list: rank, score, flag and the first reason of each row."""
    if as_json:
        print(json.dumps(asdict(ranked), default=str, ensure_ascii=False, indent=2))
        return 0
    print(f"top-{len(ranked.target_ids)} {opposite(kind)}s for {kind} {item_id} (ranked by {ranked.model_version}):")
    for rank, (target, score, flag, reasons) in enumerate(
        zip(ranked.target_ids, ranked.scores, ranked.flags(), ranked.explanations, strict=True), start=1
    ):
        mark = {True: "suitable", False: "unsuitable", None: ""}[flag]
        why = "; ".join(r["en"] for r in reasons[:2])
        print(f"{rank:>3}  {score:6.3f} {mark:<10} {target:<24} {titles.get(target, '')[:50]}  {why}")
    return 0


async def dead_letters_command(settings: Settings, action: str, ids: list[int], everything: bool) -> int:
    async with connected(settings.postgres.dsn.get_secret_value()) as session:
        if action == "list":
            for letter in await session.dead_letters.pending(limit=1000, include_replayed=everything):
                state = f"replayed {letter.replayed_at:%Y-%m-%d %H:%M}" if letter.replayed_at else "pending"
                print(
                    f"{letter.id:>6}  {letter.created_at:%Y-%m-%d %H:%M:%S}  {letter.queue:<28} {state:<22} "
                    f"{letter.reason[:100]}"
                )
            return 0
        if action == "show":
            for letter_id in ids:
                shown = await session.dead_letters.get(letter_id)
                if shown is None:
                    print(f"no dead letter {letter_id}")
                    return 1
                body = shown.body.decode("utf-8", "replace")
                print(json.dumps({**asdict(shown), "body": body}, default=str, ensure_ascii=False, indent=2))
            return 0
        if everything:
            letters = await session.dead_letters.pending(limit=100_000)
        else:
            found = [await session.dead_letters.get(i) for i in ids]
            letters = [x for x in found if x is not None]
        replayed = await _replay(settings, session, letters)
        print(f"replayed {replayed} dead letter(s)")
        return 0


async def _replay(settings: Settings, session: Session, letters: list[DeadLetter]) -> int:
    """Put each stored body back on the queue it failed in (embedder, matcher or scorer), attempts reset."""
    broker = await connect_broker(settings.amqp, prefetch=1)
    try:
        known = set(broker.names.worker_queues)
        replayed = 0
        for letter in letters:
            if letter.queue not in known:
                print(f"dead letter {letter.id} came from {letter.queue!r}, not a queue of this deployment; skipped")
                continue
            await publish_one(broker.channel.default_exchange, persistent_message(letter.body), letter.queue)
            await session.dead_letters.mark_replayed(letter.id)
            replayed += 1
        return replayed
    finally:
        await broker.connection.close()
