"""The HTTP interface: the read and ingest API (OpenAPI at ``/openapi.json``), the recruiters' web page, and
the health probes, served from PostgreSQL and publishing to RabbitMQ. No model is loaded here."""

from careerrank.api.app import create_app

__all__ = ["create_app"]
