"""Every error CareerRank raises on purpose, in one tree. The class decides what happens to the work in hand.

Hierarchy::

    CareerRankError
    ├── TransientError            an outage: hold the work, retry with backoff; never an attempt against it
    │   ├── ServiceUnavailable    PostgreSQL or RabbitMQ cannot be reached (translated from the driver's error)
    │   └── ModelMismatch         the active model is not this worker's: hold until it is redeployed
    ├── RejectedError             bad input: dead-lettered at once with its code and reason, never retried
    │   ├── InvalidMessage        a broker body that can never become an event or an index update
    │   ├── InvalidRecord         a record of an input file that makes no valid event
    │   ├── SourceFormatError     an input file of no known format, or not of the asked kind
    │   ├── StorageRefused        PostgreSQL refuses a value of it (out of range, invalid input), every time
    │   └── BodyTooLarge          an HTTP request body over the API's limit (answered 413)
    └── SetupError                configuration or environment: stop and say what to fix
        ├── ModelUnavailable      the configured model cannot be loaded on this machine
        ├── VectorsMismatch       stored vectors or an encoder disagree with what they are used for
        ├── TopologyMismatch      RabbitMQ has this deployment's queues declared with other arguments
        ├── LocalServiceError     a local PostgreSQL or RabbitMQ cannot be started for development
        ├── ScoringModelError     a scoring model is not in the registry, is there already, or does not fit
        └── TrainingDataError     too little (or one-sided) feedback to train or evaluate a scoring model

What the consume loop (``workers.consumer``) does with each, as FastStream's ``AckMessage``/``NackMessage``/
``RejectMessage`` decide a message's fate:

- :class:`TransientError`: the batch is held and the failed stage retried (0.5 s doubling to 10 s) until the
  service is back; nothing is acked, dead-lettered or counted against the messages.
- :class:`RejectedError`: the message (or the one element of a batch message) is dead-lettered with
  ``code`` (a metric label from a fixed set) and ``reason`` (safe to log: field paths and rules, no values).
- :class:`SetupError`: the worker stops consuming and exits non-zero; unacked messages go back to the queue.
- Any other exception is a processing error of one message: retried later with a delay a bounded number of
  times, then dead-lettered with the error's type as its reason.

Errors of libraries (asyncpg, aio-pika, transformers) are translated where they are caught, with
``raise ... from exc``, so that the cause stays in the log while callers handle one tree.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


class CareerRankError(Exception):
    """Base of every error raised on purpose."""


class TransientError(CareerRankError):
    """The work is fine; a service it needs is not. Hold it and try again later."""


class ServiceUnavailable(TransientError):
    """PostgreSQL or RabbitMQ cannot be reached (down, restarting, network)."""

    def __init__(self, service: str) -> None:
        super().__init__(f"{service} is unavailable")
        self.service = service


class ModelMismatch(TransientError):
    """The active model is not the one this worker encodes with: hold the batch until redeployed.

    Raised inside the write transaction, so nothing is written. The events are fine and must not be lost,
    so they wait, like during an outage, for an embedder of the active model.
    """

    def __init__(self, active: str, mine: str) -> None:
        super().__init__(f"the active model is {active!r}; this worker encodes with {mine!r}")
        self.active = active
        self.mine = mine


class RejectedError(CareerRankError):
    """Input that can never be processed. ``code`` is one of a fixed set (a metric label); ``reason`` names
    fields and rules only, never values, so it is safe to log and to store."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class InvalidMessage(RejectedError):
    """A broker body that is not a valid event or index update (malformed, unknown type, schema-invalid)."""


class InvalidRecord(RejectedError):
    """A record of an input file is invalid and the reader was asked not to skip invalid records."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__("invalid_record", f"{path}:{line}: {reason}")
        self.path = path
        self.line = line


class SourceFormatError(RejectedError):
    """An input file cannot be read as any known source, or not as the requested kind."""

    def __init__(self, reason: str) -> None:
        super().__init__("unknown_format", reason)


class StorageRefused(RejectedError):
    """PostgreSQL refused a value of the work (SQLSTATE class 22, or a value asyncpg cannot encode): trying
    again can only fail the same way. The schema refuses what storage cannot hold; this is the net below it.
    The reason names the refusal's kind only, never the value."""

    def __init__(self, kind: str) -> None:
        super().__init__("storage_refused", f"PostgreSQL refused a value: {kind}")


class BodyTooLarge(RejectedError):
    """An HTTP request's body streamed past the API's limit (a declared length over it is refused before)."""

    def __init__(self, limit: int) -> None:
        super().__init__("too_large", f"request body too large: at most {limit} bytes")
        self.limit = limit


class SetupError(CareerRankError):
    """The configuration or the environment is wrong; retrying will not help."""


class ModelUnavailable(SetupError):
    """The configured model cannot be loaded here (not installed, not on disk, no network)."""


class VectorsMismatch(SetupError):
    """Vectors disagree with their use: stored vectors of one model in two dimensions, or an encoder that is
    not the model being indexed."""


class TopologyMismatch(SetupError):
    """A queue or exchange exists with other arguments than this process declares."""


class LocalServiceError(SetupError):
    """A local development service is down and cannot be started here."""


class ScoringModelError(SetupError):
    """A scoring model is not in the registry, is registered already, or was built for other features."""


class TrainingDataError(SetupError):
    """Too little feedback, or of one class only, to train or evaluate a scoring model."""


@contextmanager
def unavailable_on(outages: tuple[type[BaseException], ...], service: str) -> Iterator[None]:
    """Translate any of ``outages`` (a driver's errors that mean ``service`` is unreachable) raised in the
    block into :class:`ServiceUnavailable`, the driver's error kept as its cause."""
    try:
        yield
    except outages as exc:
        raise ServiceUnavailable(service) from exc


async def suppressed(step: Awaitable[object], what: str) -> None:
    """Await a clean-up ``step``; a failure is logged (type only) instead of raised, so it cannot hide the
    outcome being cleaned up after. An ack on a channel that died, a temporary table on a lost connection."""
    try:
        await step
    except Exception as exc:
        log.warning(f"{what} failed", extra={"error": type(exc).__name__})
