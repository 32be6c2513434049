"""The web page in a real browser (Debian's chromium, headless, driven by Playwright): sign in as a recruiter,
open a vacancy, switch tabs with htmx, reject a candidate and find the feedback that the real scorer worker
stored in PostgreSQL; another employer's vacancy shows the not-found page; a vacancy posted in the form shows
its matches by itself once the workers have computed them. No console error is allowed (a
Content-Security-Policy violation is one). Screenshots go to ``results/tmp/screenshots/``; with
``CAREERRANK_SCREENSHOTS=update`` the vacancy page's is also written to ``results/screenshots/vacancy.png``."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import time
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Page, async_playwright, expect

from careerrank.settings import Settings
from tests.integration.api_server import make_key, seed_world, serving
from tests.integration.pipeline import posting, publish, running
from tests.paths import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip
SHOTS = REPO_ROOT / "results" / "tmp" / "screenshots"
KEPT_SHOT = REPO_ROOT / "results" / "screenshots" / "vacancy.png"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
]


def watch(page: Page, problems: list[str]) -> None:
    """Collect console errors, page errors and refused requests (``problems``): a page in order has none."""
    page.on(
        "console", lambda m: problems.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)


async def feedback_row(db: asyncpg.Connection, timeout_s: float = 60) -> asyncpg.Record:
    deadline = time.monotonic() + timeout_s
    while (row := await db.fetchrow("SELECT * FROM feedback")) is None:
        assert time.monotonic() < deadline, "the scorer stored no feedback"
        await asyncio.sleep(0.2)
    return row


async def test_a_recruiter_reviews_a_vacancy_in_the_browser(
    settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    await seed_world(db)
    key = await make_key(settings, "recruiter", "acme")
    key_id = key.split("_")[1]
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with running(settings, tmp_path, roles=("scorer",)) as workers:
        async with serving(settings) as url, async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            try:
                context = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="ru-RU")
                page = await context.new_page()
                watch(page, problems)

                await page.goto(f"{url}/ui/vacancies/v-acme-1")
                await expect(page).to_have_url(f"{url}/ui/login")
                await page.fill("#key", key)
                await page.click("main button.primary")
                await expect(page).to_have_url(f"{url}/ui/vacancies")
                await expect(page.locator("tr.vacancy")).to_have_count(2)
                assert key not in page.url
                await page.screenshot(path=SHOTS / "vacancies.png", full_page=True)

                await page.click("text=Python developer")
                await expect(page).to_have_url(f"{url}/ui/vacancies/v-acme-1")
                rows = page.locator("#tabs tr.row")
                await expect(rows).to_have_count(3)
                assert [await r.get_attribute("data-id") for r in await rows.all()] == ["r-1", "r-2", "r-3"]
                await expect(page.locator("#tabs .tab.active")).to_have_text("Рекомендованные")
                await page.screenshot(path=SHOTS / "vacancy.png", full_page=True)
                if os.environ.get("CAREERRANK_SCREENSHOTS") == "update":
                    KEPT_SHOT.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(SHOTS / "vacancy.png", KEPT_SHOT)

                # A tab switch is a partial update: the document stays, the URL follows.
                await page.evaluate("window.careerrankMarker = 'kept'")
                await page.click("a.tab[data-tab=suitable]")
                await expect(page.locator("#tabs .tab-body[data-tab=suitable]")).to_be_visible()
                await expect(rows).to_have_count(1)
                await expect(page).to_have_url(f"{url}/ui/vacancies/v-acme-1?tab=suitable")
                await page.click("a.tab[data-tab=unsuitable]")
                await expect(page.locator("#tabs .tab-body[data-tab=unsuitable]")).to_be_visible()
                await expect(rows).to_have_count(1)
                assert await rows.first.get_attribute("data-id") == "r-4"
                assert await page.evaluate("window.careerrankMarker") == "kept"

                await rows.first.locator("button.rejected").click()
                await expect(rows.first.locator(".actions.recorded")).to_have_text("Отказ записан")
                await page.screenshot(path=SHOTS / "rejected.png", full_page=True)
                stored = await feedback_row(db)
                assert (stored["vacancy_id"], stored["resume_id"], stored["decision"]) == (
                    "v-acme-1",
                    "r-4",
                    "rejected",
                )
                assert (stored["recruiter_id"], stored["employer_id"]) == (key_id, "acme")
                assert stored["event_id"].startswith("web-")

                answer = await page.goto(f"{url}/ui/vacancies/v-globex-1")
                assert answer is not None and answer.status == 404
                await expect(page.locator("main h1")).to_have_text("Не найдено")
                assert "Go engineer" not in await page.content()
                await page.screenshot(path=SHOTS / "not-found.png", full_page=True)
            finally:
                await browser.close()
        assert workers.procs["scorer"].poll() is None, workers.log_text()
    assert problems == [f"404 {url}/ui/vacancies/v-globex-1"]


async def test_a_posted_vacancy_fills_in_its_matches_by_itself(
    settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    key = await make_key(settings, "recruiter", "acme")
    resumes = [posting("resume", n, seed=5) for n in range(8)]
    problems: list[str] = []
    with running(settings, tmp_path, roles=("embedder", "matcher", "scorer")):
        await publish(settings, resumes)
        async with serving(settings) as url, async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            try:
                page = await (await browser.new_context(viewport={"width": 1440, "height": 900})).new_page()
                watch(page, problems)
                await page.goto(f"{url}/ui/login?lang=en")
                await page.fill("#key", key)
                await page.click("main button.primary")
                await page.click("text=New vacancy")
                await page.fill("#title", "python")
                await page.fill("#text", "python docker sql kubernetes")
                await page.fill("#skills", "python, sql")
                await page.click("main button.primary")
                await expect(page).to_have_url(re.compile(r"/ui/vacancies/v-web-[0-9a-f]+\?pending="))
                await page.screenshot(path=SHOTS / "new-vacancy-waiting.png", full_page=True)
                # No reload from here: htmx polls until the posting, then its list, is there.
                rows = page.locator("#tabs tr.row")
                await expect(rows).to_have_count(len(resumes), timeout=90_000)
                await expect(page.locator("h1")).to_have_text("python")
                await expect(page.locator("#tabs .tab.active")).to_have_text("Recommended")
                shown = [await r.get_attribute("data-id") for r in await rows.all()]
                vacancy_id = page.url.split("?")[0].rsplit("/", 1)[1]
                stored = await db.fetchval("SELECT target_ids FROM ranked_lists WHERE source_id = $1", vacancy_id)
                assert shown == list(stored)[: len(shown)] and set(shown) == {r.id for r in resumes}
                await page.screenshot(path=SHOTS / "new-vacancy-matched.png", full_page=True)
            finally:
                await browser.close()
    assert problems == []
