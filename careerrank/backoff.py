"""Waiting out an outage: one retry policy for connecting to a service and for a batch stage that needs one.

A :class:`~careerrank.errors.TransientError` is retried after 0.5 s, doubling to 10 s between tries (tenacity);
any other error goes straight to the caller. Each wait is logged with the error's type and the delay.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_delay,
    stop_never,
    wait_exponential,
)
from tenacity.stop import StopBaseT

from careerrank.errors import TransientError

log = logging.getLogger(__name__)

T = TypeVar("T")

FIRST_DELAY_S = 0.5
MAX_DELAY_S = 10.0


async def until_available(
    call: Callable[[], Awaitable[T]],
    message: str,
    *,
    timeout_s: float | None = None,
    extra: Mapping[str, Any] | None = None,
) -> T:
    """Await ``call()`` until it does not raise a :class:`TransientError`; return its result.

    ``message`` is logged at each wait. With ``timeout_s`` the last transient error is raised once that much
    time has passed; without it the wait has no end (a batch in hand is never given up for an outage).
    """
    stop: StopBaseT = stop_never if timeout_s is None else stop_after_delay(timeout_s)
    retrying = AsyncRetrying(
        retry=retry_if_exception_type(TransientError),
        wait=wait_exponential(multiplier=FIRST_DELAY_S, max=MAX_DELAY_S),
        stop=stop,
        before_sleep=lambda state: _log_wait(state, message, extra or {}),
        reraise=True,
    )
    return await retrying(call)


def _log_wait(state: RetryCallState, message: str, extra: Mapping[str, Any]) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    cause = error.__cause__ if error is not None and error.__cause__ is not None else error
    log.warning(
        message,
        extra={
            **extra,
            "error": type(error).__name__,
            "cause": type(cause).__name__,
            "delay_s": state.upcoming_sleep,
        },
    )
