"""Structured (JSON lines) logging. Records carry counts, ids of batches and durations; never texts or names.

Exceptions are logged as their type, a few safe codes and the stack (files, lines, functions), never their
message: messages of database drivers and validators quote the values they choke on, which may be a
person's name or phone number.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info and record.exc_info[1] is not None:
            entry.update(describe_exception(record.exc_info[1]))
        return json.dumps(entry, ensure_ascii=False, default=str)


def describe_exception(exc: BaseException) -> dict[str, Any]:
    """Type, safe codes and stack of an exception and its causes, without any message."""
    chain: list[str] = []
    codes: dict[str, Any] = {}
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 5:
        chain.append(f"{type(seen).__module__}.{type(seen).__qualname__}")
        for attr in ("sqlstate", "errno", "reply_code"):
            value = getattr(seen, attr, None)
            if isinstance(value, int | str) and attr not in codes:
                codes[attr] = value
        seen = seen.__cause__ or seen.__context__
    stack = _stack(exc.__traceback__)
    return {"exc_type": chain[0], "exc_chain": chain[1:], **codes, "stack": stack}


def _stack(tb: TracebackType | None) -> list[str]:
    frames = traceback.extract_tb(tb)[-12:]
    return [f"{f.filename.rsplit('/site-packages/', 1)[-1]}:{f.lineno} {f.name}" for f in frames]


# Libraries whose INFO lines say nothing an operator acts on (pymorphy3 announces every dictionary it loads).
_NOISY = (
    "aiormq", "aio_pika", "faiss", "httpx", "pymorphy3", "sentence_transformers", "transformers", "yoyo", "urllib3",
)  # fmt: skip


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in _NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
