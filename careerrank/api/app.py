"""The application: what it opens at start and closes at stop, its middleware, its error answers, the probes.

Start: settings → PostgreSQL pool → RabbitMQ connection (a confirming channel, the topology declared) → the key
cache. Stop: in reverse, after the server has finished the requests in flight.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from careerrank.api import ingest, keys, pages, reads
from careerrank.api.access import KeyCache
from careerrank.errors import BodyTooLarge, ServiceUnavailable
from careerrank.messaging import connect_broker
from careerrank.observability.api_metrics import ApiMetrics
from careerrank.settings import Settings
from careerrank.storage import Database

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
# Answers every keyed route may give, and every route that reads a body (documented in the OpenAPI schema).
KEYED: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API key, or an unknown or revoked one"},
    403: {"description": "The key's role may not do that"},
}
BODY: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body cannot be read as JSON (not UTF-8)"},
    413: {"description": "The body is over the size limit"},
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API and the web page over ``settings`` (read from the environment when not given)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as resources:
            # Nothing here changes a connection's session state: no reset query when a request gives it back.
            database = await Database.connect(settings.postgres, reset=False)
            resources.push_async_callback(database.close)
            broker = await connect_broker(settings.amqp, prefetch=1)
            resources.push_async_callback(broker.close)
            app.state.database = database
            app.state.broker = broker
            app.state.keys = KeyCache(database, settings.api.key_cache_s)
            # What start-up made lives as long as the server: out of the collector's way, so that its full passes
            # under load scan only what requests make (shorter pauses, a shorter latency tail).
            gc.collect()
            gc.freeze()
            resources.callback(gc.unfreeze)
            log.info("api started")
            yield
            log.info("api stopping")

    app = FastAPI(
        title="CareerRank",
        version="1",
        summary="Vacancies and resumes matched continuously: read the ranked matches, post events.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = ApiMetrics(CollectorRegistry())
    app.include_router(reads.router, responses=KEYED)
    app.include_router(ingest.router, responses={**KEYED, **BODY})
    app.include_router(keys.router, responses={**KEYED, **BODY})
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _probes(app)
    _errors(app)
    app.add_middleware(Measured, metrics=app.state.metrics)
    app.add_middleware(BodyLimit, max_bytes=settings.api.max_body_bytes)
    return app


def _probes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["probes"])
    async def healthz() -> dict[str, str]:
        """Alive: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["probes"], responses={503: {"description": "A service is unreachable"}})
    async def readyz(request: Request) -> JSONResponse:
        """Ready: PostgreSQL answers a query and the RabbitMQ connection is open."""
        checks = {"postgresql": "ok", "rabbitmq": "ok"}
        try:
            async with request.app.state.database.session() as session:
                await session.connection.fetchval("SELECT 1")
        except (ServiceUnavailable, OSError):
            checks["postgresql"] = "unreachable"
        if request.app.state.broker.connection.is_closed:
            checks["rabbitmq"] = "unreachable"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(checks, status.HTTP_200_OK if ready else status.HTTP_503_SERVICE_UNAVAILABLE)

    @app.get("/metrics", tags=["probes"], response_class=Response)
    async def metrics(request: Request) -> Response:
        """Prometheus text format."""
        return Response(request.app.state.metrics.exposition(), media_type="text/plain; version=0.0.4")


def _errors(app: FastAPI) -> None:
    @app.exception_handler(ServiceUnavailable)
    async def unavailable(request: Request, exc: ServiceUnavailable) -> JSONResponse:
        return JSONResponse(
            {"detail": f"{exc.service} is unavailable; try again"},
            status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "2"},
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Field paths and rules only: values may hold personal data and are never echoed or logged.
        errors = [{"loc": list(e.get("loc", ())), "msg": _unechoed(e), "type": e.get("type", "")} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status.HTTP_422_UNPROCESSABLE_CONTENT)


def _unechoed(error: Any) -> str:
    """The error's message without the value sent (some rules quote it, e.g. an unknown discriminator tag)."""
    msg = str(error.get("msg", ""))
    for value in (error.get("input"), (error.get("ctx") or {}).get("tag")):
        if isinstance(value, str | int | float) and str(value) and str(value) in msg:
            msg = msg.replace(str(value), "…")
    return msg


class BodyLimit:
    """Refuses a body over ``max_bytes`` with 413, by its Content-Length or as it streams in."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _too_large(send, self.max_bytes)
            return
        seen = 0
        started = over = False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                over = True
                raise BodyTooLarge(self.max_bytes)
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if over and not started:
                return  # the app's own answer to the refusal (FastAPI makes it a 400): 413 is sent instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        with suppress(BodyTooLarge):
            await self.app(scope, counted, tracked)
        if over and not started:
            await _too_large(send, self.max_bytes)


async def _too_large(send: Send, max_bytes: int) -> None:
    body = b'{"detail":"request body too large: at most ' + str(max_bytes).encode() + b' bytes"}'
    await send(
        {"type": "http.response.start", "status": 413,
         "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]}
    )  # fmt: skip
    await send({"type": "http.response.body", "body": body})


class Measured:
    """Counts and times every request by its route template (a bounded label), and access refusals."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        code = [500]

        async def sent(message: Message) -> None:
            if message["type"] == "http.response.start":
                code[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sent)
        finally:
            route: Any = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(template, method, f"{code[0] // 100}xx").inc()
            self.metrics.latency.labels(template, method).observe(time.perf_counter() - started)
            if code[0] in (401, 403, 404) and template != "unmatched":
                self.metrics.refusals.labels(str(code[0])).inc()
