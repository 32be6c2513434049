"""Local development only: starting PostgreSQL and RabbitMQ when they are down, workers as child processes,
and the demo. Nothing a deployment runs depends on this package."""

from careerrank.devtools.processes import start_worker, stop_worker, wait_for_consumers
from careerrank.devtools.services import ensure_up, reachable, restart_postgres, restart_rabbitmq

__all__ = [
    "ensure_up",
    "reachable",
    "restart_postgres",
    "restart_rabbitmq",
    "start_worker",
    "stop_worker",
    "wait_for_consumers",
]
