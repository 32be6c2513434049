"""The one exception tree, the translation of drivers' errors into it, and waiting out an outage."""

from __future__ import annotations

import asyncio
import logging
import time

import aio_pika
import asyncpg
import pytest

from careerrank import errors
from careerrank.backoff import until_available
from careerrank.errors import (
    CareerRankError,
    RejectedError,
    ServiceUnavailable,
    SetupError,
    TransientError,
    suppressed,
    unavailable_on,
)
from careerrank.messaging.connections import outages_as_unavailable as broker_outages
from careerrank.storage.database import outages_as_unavailable as database_outages


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (errors.ServiceUnavailable, TransientError),
        (errors.ModelMismatch, TransientError),
        (errors.InvalidMessage, RejectedError),
        (errors.InvalidRecord, RejectedError),
        (errors.SourceFormatError, RejectedError),
        (errors.ModelUnavailable, SetupError),
        (errors.VectorsMismatch, SetupError),
        (errors.TopologyMismatch, SetupError),
        (errors.LocalServiceError, SetupError),
    ],
)
def test_every_error_has_one_outcome(error: type[CareerRankError], kind: type[CareerRankError]) -> None:
    outcomes = [TransientError, RejectedError, SetupError]
    assert [issubclass(error, k) for k in outcomes] == [k is kind for k in outcomes]


def test_a_rejection_carries_a_code_and_a_loggable_reason() -> None:
    rejected = errors.InvalidMessage("schema_invalid", "title: too long")
    assert (rejected.code, rejected.reason, str(rejected)) == ("schema_invalid", "title: too long", "title: too long")
    record = errors.InvalidRecord("a.csv", 7, "empty text")
    assert (record.code, str(record)) == ("invalid_record", "a.csv:7: empty text")


@pytest.mark.parametrize(
    ("translate", "driver_error", "service"),
    [
        (database_outages, ConnectionRefusedError(111, "refused"), "postgres"),
        (database_outages, asyncpg.CannotConnectNowError("starting up"), "postgres"),
        (database_outages, TimeoutError(), "postgres"),
        (broker_outages, aio_pika.exceptions.AMQPConnectionError("gone"), "rabbitmq"),
        (broker_outages, ConnectionResetError(104, "reset"), "rabbitmq"),
    ],
)
def test_an_outage_of_a_driver_becomes_service_unavailable_with_its_cause(
    translate: object, driver_error: BaseException, service: str
) -> None:
    with pytest.raises(ServiceUnavailable) as info, translate():  # type: ignore[operator]
        raise driver_error
    assert info.value.service == service and info.value.__cause__ is driver_error


def test_other_errors_pass_the_translation_unchanged() -> None:
    with pytest.raises(asyncpg.UniqueViolationError), database_outages():
        raise asyncpg.UniqueViolationError("duplicate key")
    with pytest.raises(KeyError), unavailable_on((OSError,), "x"):
        raise KeyError("k")


async def test_suppressed_logs_a_failed_clean_up_step_without_its_message(caplog: pytest.LogCaptureFixture) -> None:
    async def fails() -> None:
        raise RuntimeError("Иванов Иван, +7 900 000-00-00")

    with caplog.at_level(logging.WARNING):
        await suppressed(fails(), "ack")
    assert [r.getMessage() for r in caplog.records] == ["ack failed"]
    assert caplog.records[0].error == "RuntimeError"  # type: ignore[attr-defined]

    async def cancelled() -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await suppressed(cancelled(), "ack")


async def test_until_available_waits_out_a_transient_error_and_returns_the_result(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tries: list[float] = []

    async def flaky() -> str:
        tries.append(time.monotonic())
        if len(tries) < 2:
            raise ServiceUnavailable("postgres")
        return "done"

    with caplog.at_level(logging.WARNING):
        assert await until_available(flaky, "postgres unavailable, retrying") == "done"
    assert tries[1] - tries[0] >= 0.45  # the first wait is 0.5 s
    (record,) = caplog.records
    assert record.getMessage() == "postgres unavailable, retrying"
    assert record.delay_s == 0.5  # type: ignore[attr-defined]


async def test_until_available_raises_any_other_error_at_once() -> None:
    tries = 0

    async def broken() -> None:
        nonlocal tries
        tries += 1
        raise SetupError("wrong configuration")

    with pytest.raises(SetupError):
        await until_available(broken, "retrying")
    assert tries == 1


async def test_until_available_gives_up_after_its_timeout() -> None:
    started = time.monotonic()

    async def down() -> None:
        raise ServiceUnavailable("rabbitmq")

    with pytest.raises(ServiceUnavailable):
        await until_available(down, "rabbitmq unavailable, retrying", timeout_s=0.2)
    assert time.monotonic() - started < 2.0
