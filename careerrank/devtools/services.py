"""Bringing up the local PostgreSQL and RabbitMQ when they are down (development machines and CI)."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import time
from urllib.parse import urlsplit

from careerrank.errors import LocalServiceError

log = logging.getLogger(__name__)


def reachable(host: str, port: int, timeout_s: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def _start_postgres() -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", _postgres_cluster(), "main", "start"],
        check=False,
        capture_output=True,
    )


def _postgres_cluster() -> str:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions or not shutil.which("pg_ctlcluster"):
        raise LocalServiceError("no local PostgreSQL cluster is installed")
    return versions[-1]


def restart_postgres() -> None:
    """Fast restart of the local cluster: every connection is cut (fault-injection tests)."""
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", _postgres_cluster(), "main", "restart", "-m", "fast"],
        check=True,
        capture_output=True,
    )


def restart_rabbitmq() -> None:
    """Stop the local broker node and start it again; waits until it serves (fault-injection tests)."""
    subprocess.run(["rabbitmqctl", "shutdown"], check=False, capture_output=True)
    _start_rabbitmq()
    deadline = time.monotonic() + 120
    # await_startup fails at once while the node itself is not up yet; ask until it answers.
    while subprocess.run(["rabbitmqctl", "await_startup"], check=False, capture_output=True).returncode != 0:
        if time.monotonic() > deadline:
            raise LocalServiceError("RabbitMQ did not come back within 120 s")
        time.sleep(0.5)


def _start_rabbitmq() -> None:
    if not shutil.which("rabbitmq-server"):
        raise LocalServiceError("RabbitMQ is down and rabbitmq-server is not installed")
    subprocess.run(["rabbitmq-server", "-detached"], check=False, capture_output=True)


def ensure_up(postgres_dsn: str, amqp_url: str, timeout_s: float = 90.0) -> None:
    """Start whichever of PostgreSQL and RabbitMQ is local and down; wait until both accept connections."""
    targets = []
    for url, default_port, starter in ((postgres_dsn, 5432, _start_postgres), (amqp_url, 5672, _start_rabbitmq)):
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or default_port
        if not reachable(host, port):
            if host not in ("127.0.0.1", "localhost", "::1"):
                raise LocalServiceError(f"{host}:{port} is down and is not a local service this command can start")
            log.info("starting local service", extra={"port": port})
            starter()
        targets.append((host, port))
    deadline = time.monotonic() + timeout_s
    for host, port in targets:
        while not reachable(host, port):
            if time.monotonic() > deadline:
                raise LocalServiceError(f"{host}:{port} did not come up within {timeout_s:.0f} s")
            time.sleep(0.5)
