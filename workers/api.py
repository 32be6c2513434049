"""The API deployable: uvicorn serving :func:`careerrank.api.create_app`, one or several processes.

Stops like the workers: on SIGTERM/SIGINT uvicorn stops accepting, finishes the requests in flight, then the
app's lifespan closes RabbitMQ and the pool. With several processes the metrics are summed across them
(prometheus-client's multiprocess directory, made here and removed at exit).
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from typing import Any

import uvicorn

from careerrank.settings import Settings

WORKER = "api"


def options(settings: Settings) -> dict[str, Any]:
    """uvicorn's settings for this deployment."""
    return dict(
        app="careerrank.api:create_app",
        factory=True,
        host=settings.api.host,
        port=settings.api.port,
        workers=settings.api.workers,
        log_config=None,  # our JSON logging, configured by the command
        access_log=False,  # requests are counted and timed in /metrics; no line per request, no headers logged
        server_header=False,
        timeout_graceful_shutdown=int(settings.worker.drain_timeout_s),
    )


async def run(settings: Settings) -> None:
    """Serve until SIGTERM/SIGINT, then finish the requests in flight and stop."""
    if settings.api.workers == 1:
        # uvicorn handles SIGTERM/SIGINT itself and, once stopped, raises the signal again to the handler it
        # found: a handler that ignores it lets the process end with 0 after a clean stop, like the workers.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: None)
        await uvicorn.Server(uvicorn.Config(**options(settings))).serve()
        return
    metrics_dir = tempfile.mkdtemp(prefix="careerrank-api-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir  # inherited by the server processes
    try:
        # The supervisor is synchronous and owns the signals; this process does nothing else meanwhile.
        uvicorn.run(**options(settings))
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
