"""The workers as child processes of a development run (the demo, the benchmarks): start, wait, stop."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import aio_pika

from careerrank.messaging import Names, connect_broker, queue_stats
from careerrank.settings import Settings

# Runs a deployable by its name, as the `careerrank` command does.
WORKER_COMMAND = (sys.executable, "-m", "workers")


def start_worker(role: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start the ``embedder`` or ``matcher`` as a child process with this process's environment."""
    # Workers log JSON lines for machines; in an interactive run only their warnings are worth showing.
    quiet = {"CAREERRANK_LOG_LEVEL": os.environ.get("CAREERRANK_LOG_LEVEL", "WARNING")}
    return subprocess.Popen([*WORKER_COMMAND, role], env={**os.environ, **quiet, **(env or {})})


def stop_worker(process: subprocess.Popen[bytes], timeout_s: float = 60.0) -> int:
    """SIGTERM (the worker drains its batch and exits), then SIGKILL after ``timeout_s``; the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


async def wait_for_consumers(settings: Settings, timeout_s: float = 300.0) -> None:
    """Until the embedder and matcher queues each have a consumer (the model is loaded, the index built)."""
    broker = await connect_broker(settings.amqp, prefetch=1)  # declares the topology if nobody has yet
    await broker.connection.close()
    names = Names.of(settings.amqp)
    connection = await aio_pika.connect(settings.amqp.url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        deadline = time.monotonic() + timeout_s
        while True:
            stats = await queue_stats(channel, [names.embedder_queue, names.matcher_queue])
            if all(consumers for _, consumers in stats.values()):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"workers did not start consuming within {timeout_s:.0f} s: {stats}")
            await asyncio.sleep(0.5)
