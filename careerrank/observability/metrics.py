"""Prometheus metrics of the pipeline, registered on a registry passed in (never the global one)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class PipelineMetrics:
    """Every metric the workers export. Labels are bounded: worker, stage, outcome, reason kind, direction."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.events = Counter(
            "careerrank_events_total", "Messages handled, by outcome.", ["worker", "outcome"], registry=registry
        )
        self.dead_letters = Counter(
            "careerrank_dead_letters_total",
            "Messages dead-lettered, by reason.",
            ["worker", "reason"],
            registry=registry,
        )
        self.reduced_dead_letters = Counter(
            "careerrank_dead_letters_reduced_total",
            "Dead letters PostgreSQL refused as they were, recorded without their headers.",
            ["worker"],
            registry=registry,
        )
        self.batch_size = Histogram(
            "careerrank_batch_size",
            "Messages per micro-batch.",
            ["worker"],
            buckets=_BATCH_BUCKETS,
            registry=registry,
        )
        self.stage_seconds = Histogram(
            "careerrank_stage_duration_seconds",
            "Time per batch stage.",
            ["worker", "stage"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.texts_embedded = Counter(
            "careerrank_texts_embedded_total", "Texts encoded by the model.", registry=registry
        )
        self.texts_truncated = Counter(
            "careerrank_texts_truncated_total", "Texts cut to the model's budget before encoding.", registry=registry
        )
        self.lists_written = Counter(
            "careerrank_lists_written_total",
            "Top-K lists written, by how they were computed.",
            ["direction", "how"],
            registry=registry,
        )
        self.match_rows = Counter(
            "careerrank_match_rows_written_total", "Match rows written.", ["direction"], registry=registry
        )
        self.index_items = Gauge(
            "careerrank_index_items", "Vectors in the matcher's index.", ["kind"], registry=registry
        )
        self.event_to_match = Histogram(
            "careerrank_event_to_match_seconds",
            "From an event's publish to its matches committed.",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.errors = Counter(
            "careerrank_batch_errors_total",
            "Batches that failed and were returned to the queue.",
            ["worker"],
            registry=registry,
        )
        self.retries = Counter(
            "careerrank_retries_total",
            "Messages that failed on their own and were parked for a delayed retry.",
            ["worker"],
            registry=registry,
        )
        self.lone_tries = Counter(
            "careerrank_lone_tries_total",
            "Messages tried alone because they kept coming back, by how the try began: first (no earlier try "
            "of it was cut short) or after_crash (the worker died during an earlier lone try of it).",
            ["worker", "start"],
            registry=registry,
        )
        self.applications_scored = Counter(
            "careerrank_applications_scored_total",
            "Applications scored and stored, by how: model (the active model) or cosine (none is active).",
            ["how"],
            registry=registry,
        )
        self.lists_ranked = Counter(
            "careerrank_lists_ranked_total", "Recruiter lists ranked (or dropped) by the scorer.", registry=registry
        )
        self.lists_unchanged = Counter(
            "careerrank_lists_unchanged_total",
            "Lists ranked again whose shown rows stayed as stored, so not written (part of lists ranked).",
            registry=registry,
        )
        self.feedback = Counter(
            "careerrank_feedback_total", "Recruiter feedback recorded, by decision.", ["decision"], registry=registry
        )
        self.scoring_model = Gauge(
            "careerrank_scoring_model_info",
            "1 for the scoring model the scorer serves (label: its version, or cosine).",
            ["version"],
            registry=registry,
        )
        self.reconnects = Counter(
            "careerrank_reconnects_total",
            "Connections re-established after a loss.",
            ["worker", "service"],
            registry=registry,
        )


def serve(registry: CollectorRegistry, port: int) -> None:
    """Expose ``/metrics`` on ``port`` (0 leaves it off)."""
    if port:
        start_http_server(port, registry=registry)
