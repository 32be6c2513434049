"""The operator commands against the real services: publish files, read matches, inspect dead letters, simulate
recruiters, train and activate a scoring model."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import asyncpg
import pytest

from careerrank.devtools.processes import WORKER_COMMAND
from careerrank.settings import Settings
from tests.integration.pipeline import brute_force_check, process_env, running_workers, settle, wait_matched
from tests.paths import FIXTURES_DIR
from workers.bootstrap import build

pytestmark = pytest.mark.integration


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WORKER_COMMAND, *args],
        env=process_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_publish_generated_jsonl_and_hh_dumps_then_read_matches(
    settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    generated = cli(settings, "generate", "--vacancies", "40", "--resumes", "30", "--seed", "3", "--out", str(tmp_path))
    assert generated.returncode == 0, generated.stderr
    events_path = Path(json.loads(generated.stdout)["events"])

    async with running_workers(settings):
        published = cli(
            settings,
            "publish",
            str(events_path),
            str(FIXTURES_DIR / "hh_vacancies.csv"),
            str(FIXTURES_DIR / "hh_resumes.csv"),
        )
        assert published.returncode == 0, published.stderr
        summary = json.loads(published.stdout)
        counts = [f["published"] for f in summary["files"]]
        assert counts[0] == 70 and all(c > 0 for c in counts)
        vacancies = 40 + counts[1]
        resumes = 30 + counts[2]
        await wait_matched(db, {"vacancy": vacancies, "resume": resumes})
        await settle(db, settings)

    # Nothing from an empty cell became the word "nan"; no HTML survived.
    assert await db.fetchval("SELECT count(*) FROM vacancies WHERE body ~* '\\mnan\\M' OR title ~* '\\mnan\\M'") == 0
    assert await db.fetchval("SELECT count(*) FROM resumes WHERE body ~ '<[a-z/][^>]*>'") == 0
    assert await brute_force_check(db, settings.model.name) == vacancies + resumes

    shown = cli(settings, "matches", "--vacancy", "syn-v-3-0", "--json")
    assert shown.returncode == 0, shown.stderr
    rows = json.loads(shown.stdout)
    assert [r["rank"] for r in rows] == list(range(1, 11))
    assert rows == sorted(rows, key=lambda r: -r["score"])
    assert cli(settings, "matches", "--resume", "no-such-id").returncode == 1

    listed = cli(settings, "dead-letters", "list")
    assert listed.returncode == 0 and listed.stdout == ""


@pytest.mark.slow
async def test_simulate_publish_train_activate_and_read_a_ranked_list(
    settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    simulated = cli(
        settings, "simulate", "--vacancies", "80", "--resumes", "100", "--seed", "4", "--out", str(tmp_path)
    )
    assert simulated.returncode == 0, simulated.stderr
    files = json.loads(simulated.stdout)["files"]
    scorer = build("scorer", settings)
    async with running_workers(settings):
        await scorer.start()
        try:
            published = cli(settings, "publish", files["postings"], files["scoring"], "--per-message", "50")
            assert published.returncode == 0, published.stderr
            scoring_events = json.loads(published.stdout)["files"][1]["published"]
            await wait_matched(db, {"vacancy": 80, "resume": 100})
            deadline = asyncio.get_running_loop().time() + 60
            while await db.fetchval("SELECT count(*) FROM scoring_events") < scoring_events:
                assert asyncio.get_running_loop().time() < deadline, "scoring events not all processed"
                await asyncio.sleep(0.2)
            trained = cli(settings, "scorer", "train", "--version", "cli-1", "--activate")
            assert trained.returncode == 0, trained.stderr
            report = json.loads(trained.stdout)
            assert report["activated"] and report["metrics"]["held_out"]["roc_auc"] > 0.5
            listed = json.loads(cli(settings, "scorer", "list").stdout)
            assert [(m["version"], m["state"]) for m in listed] == [("cli-1", "active")]
            while (
                await db.fetchval(
                    "SELECT count(*) FROM ranked_lists WHERE model_version = 'cli-1' AND source_id = 'syn-v-4-0'"
                )
                == 0
            ):
                assert asyncio.get_running_loop().time() < deadline + 120, "the list was not ranked by the model"
                await asyncio.sleep(0.2)
        finally:
            await scorer.stop()
    shown = cli(settings, "matches", "--vacancy", "syn-v-4-0")
    assert shown.returncode == 0 and "ranked by cli-1" in shown.stdout
    assert len([line for line in shown.stdout.splitlines()[1:] if line.strip()]) == 10
