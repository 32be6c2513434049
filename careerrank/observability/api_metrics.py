"""Prometheus metrics of the HTTP API. Labels are bounded: the route's template (not the path), the method,
the status class, the event type.

With several server processes (``careerrank api --workers N``) each writes its values to the directory in
``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` of any of them reports the sum (prometheus-client's
multiprocess mode).
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class ApiMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(
            "careerrank_api_requests_total",
            "HTTP requests answered, by route template, method and status class.",
            ["route", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "careerrank_api_request_duration_seconds",
            "Time to answer, by route template.",
            ["route", "method"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.events = Counter(
            "careerrank_api_events_accepted_total",
            "Events accepted by the ingest endpoints (confirmed by RabbitMQ), by type.",
            ["type"],
            registry=registry,
        )
        self.refusals = Counter(
            "careerrank_api_refusals_total",
            "Requests refused for access: unauthenticated, forbidden, hidden (404 of another employer's data).",
            ["status"],
            registry=registry,
        )

    def exposition(self) -> bytes:
        """The text format of every value: summed over the server processes in multiprocess mode."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)
