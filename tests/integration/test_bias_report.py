"""``careerrank scorer bias-report`` over PostgreSQL: the shown rows of the active model's ranked lists, joined to
a demographics file kept apart from the events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from careerrank.jobs.bias_report import bias_report
from careerrank.settings import Settings
from careerrank.storage import connected
from schemas import ResumeUpserted


async def test_the_report_audits_the_active_models_shown_rows(
    settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    async with connected(settings.postgres.dsn.get_secret_value()) as session, session.transaction():
        for version in ("old", "serving"):
            await session.scoring_models.register(
                version, feature_version=2, trained_on="test", threshold=0.5, metrics={}, artifact=b"-"
            )
        await session.scoring_models.activate("serving")
    now = datetime.now(UTC)
    for n, (model, suitable) in enumerate((("serving", [True, True, False, False]), ("old", [True] * 4))):
        await db.execute(
            """INSERT INTO ranked_lists (direction, source_id, target_ids, scores, cosines, suitable, explanations,
                                         model_version, candidates_at)
               VALUES ('vacancy_to_resume', $1, $2, $3, $3, $4, '[]'::jsonb, $5, $6)""",
            f"v{n}",
            ["sj-resume-0", "sj-resume-1", "sj-resume-2", "sj-resume-9"],
            [0.9, 0.8, 0.2, 0.1],
            suitable,
            model,
            now,
        )
    # sj-resume-9's event carried gender and age (stored with its profile); the others' did not: a file fills in.
    carried = ResumeUpserted(
        event_id="e9", occurred_at=now, id="sj-resume-9", title="Бухгалтер", text="Бухгалтер", age=47, gender="female"
    )
    async with connected(settings.postgres.dsn.get_secret_value()) as session:
        await session.items.upsert("resume", [carried], [bytes(32)])
    people = tmp_path / "people.csv"
    people.write_text("row,age,gender\n0,30,m\n1,31,m\n2,40,f\n3,,\n", encoding="utf-8")
    report = await bias_report(settings, people, tmp_path / "out")
    assert report["model"] == "serving" and report["lists"] == 1 and report["pairs"] == 4
    gender = report["dimensions"]["gender"]["categories"]
    assert gender["male"]["selection_rate"] == 1.0 and gender["female"]["selection_rate"] == 0.0
    assert gender["female"]["pairs"] == 2 and "unknown" not in gender
    assert report["dimensions"]["age band"]["categories"]["45-54"]["pairs"] == 1
    # Without the file, only what the events carried is known.
    alone = await bias_report(settings)
    assert alone["dimensions"]["gender"]["categories"]["unknown"]["pairs"] == 3
    assert {"dimension": "gender", "category": "female", "measure": "selection_rate", "impact_ratio": 0.0} in report[
        "flags"
    ]
    assert json.loads((tmp_path / "out" / "bias-report.json").read_text(encoding="utf-8"))["pairs"] == 4
