"""The prefetched messages of a consumer, gathered into micro-batches."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aio_pika.abc import AbstractIncomingMessage


@dataclass(frozen=True, slots=True)
class BatchLimits:
    max_batch: int
    max_wait_s: float


class Inbox(asyncio.Queue[AbstractIncomingMessage]):
    """Where the broker's deliveries wait until a batch takes them."""

    async def collect(self, limits: BatchLimits, stopping: asyncio.Event) -> list[AbstractIncomingMessage]:
        """Wait for a first message (or stop), then take more until the batch is full or max_wait passes."""
        first: AbstractIncomingMessage | None = None
        while first is None:
            if stopping.is_set():  # no new batch once stopping; the rest goes back unacked
                return []
            getter = asyncio.ensure_future(self.get())
            stopper = asyncio.ensure_future(stopping.wait())
            done, _ = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if getter in done:
                first = getter.result()
            else:
                getter.cancel()
        batch = [first]
        deadline = time.monotonic() + limits.max_wait_s
        while len(batch) < limits.max_batch:
            try:
                batch.append(self.get_nowait())
                continue
            except asyncio.QueueEmpty:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0 or stopping.is_set():
                break
            try:
                batch.append(await asyncio.wait_for(self.get(), remaining))
            except TimeoutError:
                break
        return batch
