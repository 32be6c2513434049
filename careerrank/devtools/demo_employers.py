"""The demo's employers: the bundled SuperJob vacancies name none, so the demo files them under three, named
as demo employers by the vacancy's city (``demo-moscow``, ``demo-saint-petersburg``, ``demo-regions``), never
invented companies. A recruiter key of one of them shows what a recruiter sees: that employer's vacancies only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from careerrank.ingest.records import Record
from careerrank.settings import Settings
from careerrank.storage import Session
from schemas import VacancyUpserted

CITIES: Final = {"Москва": "demo-moscow", "Санкт-Петербург": "demo-saint-petersburg"}
ELSEWHERE: Final = "demo-regions"
# The demo's version of a vacancy is the sample's row with its demo employer, a day newer than the row as the
# reader gives it: a database an earlier demo filled takes it as an update, not as an event seen before.
NEWER_BY: Final = timedelta(days=1)


def demo_employer(city: str | None) -> str:
    return CITIES.get(city or "", ELSEWHERE)


def with_demo_employer(record: Record) -> Record:
    """A vacancy filed under its demo employer; any other record as it is."""
    if not isinstance(record, VacancyUpserted) or record.employer_id is not None:
        return record
    return record.model_copy(
        update={
            "employer_id": demo_employer(record.city),
            "event_id": f"{record.event_id}:demo-employer",
            "occurred_at": record.occurred_at + NEWER_BY,
        }
    )


SHOWN: Final = "demo-moscow"
KEY_NAME: Final = f"demo recruiter of {SHOWN}"


async def print_recruiter_key(settings: Settings, session: Session) -> None:
    """A recruiter key of one demo employer, and where to sign in with it; the demo's earlier key of that
    employer is revoked, so that reruns leave one."""
    total, _ = await session.views.employer_vacancies(SHOWN, 1, 0)
    if not total:
        print(f"\nno vacancy is filed under {SHOWN}: the recruiter's page would be empty")
        return
    for key in await session.api_keys.all():
        if key.name == KEY_NAME and key.revoked_at is None:
            await session.api_keys.revoke(key.id)
    _, secret = await session.api_keys.create("recruiter", SHOWN, KEY_NAME)
    base = f"http://{settings.api.host}:{settings.api.port}"
    print(
        f"\nthe recruiter's side: {total} vacancies of the demo employer {SHOWN} (the sample's Moscow vacancies;"
        f" also {', '.join(v for v in (*CITIES.values(), ELSEWHERE) if v != SHOWN)})."
        f"\n  start the page with `.venv/bin/careerrank api` and sign in at {base}/ui/login with this key:"
        f"\n  {secret}"
        f"\n  (a recruiter key of {SHOWN} only; `careerrank keys list` shows it, `careerrank keys revoke ID` ends it)"
    )
