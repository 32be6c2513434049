"""The API against its own OpenAPI schema: schemathesis generates requests for every documented operation from
the live ``/openapi.json`` (valid and invalid ones), sends them with a job board's key over the seeded world, and
checks each answer: never a server error, a documented status, the documented content type, headers and body."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis import checks as st_checks
from schemathesis.core.result import Ok

from careerrank.settings import Settings
from tests.integration.api_server import make_key, seed_world, serving

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Examples per operation and generation mode: a run of a few hundred requests, well under a minute.
MAX_EXAMPLES = 25
# Path parameters naming the seeded world's items, so that the answers with bodies are checked too.
SEEDED = {"vacancy_id": "v-acme-1", "resume_id": "r-1"}
CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_headers_conformance,
    st_checks.response_schema_conformance,
]


def documented_api(path: str) -> bool:
    """The JSON API and the probes (the web page's HTML forms are tested by the browser tests)."""
    return path.startswith("/v1/") or path in ("/healthz", "/readyz", "/metrics")


def fuzz(base: str, key: str) -> tuple[set[tuple[str, int]], list[str]]:
    """Run every operation's generated cases; return ``(the operations and statuses answered, failures)``."""
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json", timeout=10)
    headers = {"Authorization": f"Bearer {key}"}
    ran: list[str] = []
    answered: set[tuple[str, int]] = set()
    failures: list[str] = []
    with requests.Session() as session:
        for result in schema.get_all_operations():
            if not isinstance(result, Ok):
                failures.append(f"an operation the schema does not describe soundly: {result.err()}")
                continue
            operation = result.ok()
            if not documented_api(operation.path):
                continue
            ran.append(f"{operation.method.upper()} {operation.path}")
            seeded = {name: SEEDED[name] for name in SEEDED if f"{{{name}}}" in operation.path}
            runs: list[tuple[GenerationMode, dict[str, str]]] = [
                (GenerationMode.POSITIVE, {}),
                (GenerationMode.NEGATIVE, {}),
            ]
            runs += [(GenerationMode.POSITIVE, seeded)] if seeded else []
            for mode, path_parameters in runs:

                @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None))
                @hypothesis_settings(
                    max_examples=MAX_EXAMPLES,
                    deadline=None,
                    database=None,
                    derandomize=True,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
                def run(case: Any) -> None:
                    response = case.call_and_validate(
                        base_url=base, session=session, headers=headers, checks=CHECKS, timeout=10
                    )
                    answered.add((ran[-1], response.status_code))

                try:
                    run()
                except Unsatisfiable:
                    pass  # no invalid request exists for it (an operation without parameters or body)
                except (Exception, BaseExceptionGroup) as exc:  # schemathesis reports a group of failures
                    failures.append(f"{ran[-1]} ({mode.value}, {path_parameters}): {exc}")
    return answered, failures


async def test_the_api_conforms_to_its_schema(settings: Settings, db: asyncpg.Connection) -> None:
    await seed_world(db)
    key = await make_key(settings, "job_board")
    async with serving(settings) as base:
        answered, failures = await asyncio.to_thread(fuzz, base, key)
    # The run reached the seeded lists and published events, not only refusals.
    assert ("GET /v1/vacancies/{vacancy_id}/matches", 200) in answered
    assert ("GET /v1/vacancies/{vacancy_id}/applications", 200) in answered
    assert ("GET /v1/resumes/{resume_id}/matches", 200) in answered
    assert ("POST /v1/events/batch", 202) in answered
    assert failures == [], "\n\n".join(failures)
