"""BatchConsumer: micro-batch limits, pipelined commits, isolation of poison messages, drain on stop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aio_pika.exceptions import ChannelInvalidStateError, MessageProcessError
from prometheus_client import CollectorRegistry

from careerrank.errors import InvalidMessage, ServiceUnavailable, StorageRefused, VectorsMismatch
from careerrank.observability import PipelineMetrics
from careerrank.settings import AmqpSettings
from tests.unit.fakes import FakeDatabase
from workers.consumer import BatchConsumer
from workers.crash_guard import CrashGuard, message_key
from workers.dead_letters import RejectedPart
from workers.handler import Decoded, Element
from workers.inbox import BatchLimits

WORKER = "test-worker"
QUEUE = "test.queue"


class FakeMessage:
    """Settles once, like aio-pika's IncomingMessage: a second ack/nack raises."""

    def __init__(self, body: bytes, deliveries_before: int = 0) -> None:
        self.body = body
        self.outcome: tuple[str, bool] | None = None
        self.headers: dict[str, object] = {"x-delivery-count": deliveries_before} if deliveries_before else {}
        self.redelivered = deliveries_before > 0
        self.channel_dead = False  # delivered on a channel that has since closed: settling raises

    @property
    def processed(self) -> bool:
        return self.outcome is not None

    def _settle(self, outcome: tuple[str, bool]) -> None:
        if self.channel_dead:
            raise ChannelInvalidStateError("No active transport in channel")
        if self.outcome is not None:
            raise MessageProcessError("Message already processed", self)  # type: ignore[arg-type]
        self.outcome = outcome

    async def ack(self, multiple: bool = False) -> None:
        self._settle(("ack", False))

    async def nack(self, multiple: bool = False, requeue: bool = True) -> None:
        self._settle(("nack", requeue))

    def __repr__(self) -> str:
        return f"FakeMessage({self.body!r})"


class FakeQueue:
    def __init__(self) -> None:
        self.callback: Callable[[Any], Awaitable[None]] | None = None
        self.cancelled: list[str] = []

    async def consume(self, callback: Callable[[Any], Awaitable[None]]) -> str:
        self.callback = callback
        return "ctag-1"

    async def cancel(self, tag: str) -> None:
        self.cancelled.append(tag)

    async def deliver(self, *messages: FakeMessage) -> None:
        assert self.callback is not None, "not consuming"
        for message in messages:
            await self.callback(message)


class Handler:
    """Acks after commit. Bodies steer failures: b"poison" fails any batch it is in, even alone;
    b"flaky" fails batches with others (non-transient) and alone raises a transient error;
    b"invalid" is rejected by decode, as the workers do with unparsable bodies."""

    def __init__(self) -> None:
        self.prepared: list[list[bytes]] = []
        self.committed: list[list[bytes]] = []
        self.commit_gate: asyncio.Event | None = None
        self.on_prepare: Callable[[list[bytes]], Awaitable[None]] | None = None
        self.transient_commits = 0  # the next N commits raise a transient error

    def decode(self, message: FakeMessage) -> Decoded[bytes]:
        if message.body == b"invalid":
            raise InvalidMessage("malformed_json", "malformed JSON: JSONDecodeError at position 0")
        if message.body == b"undecodable":
            raise RecursionError("maximum recursion depth exceeded")
        if message.body.startswith(b"several:"):
            # A message of several events: each element is a value of its own when split.
            parts = message.body.removeprefix(b"several:").split(b",")
            return Decoded(message.body, (), lambda: [Element(i, part, part) for i, part in enumerate(parts)])
        if message.body == b"with-bad-part":
            return Decoded(message.body, (RejectedPart(1, b"{}", InvalidMessage("empty_text", "element 1: empty")),))
        return Decoded(message.body)

    async def prepare(self, bodies: list[bytes]) -> list[bytes]:
        self.prepared.append(list(bodies))
        if self.on_prepare is not None:
            await self.on_prepare(bodies)
        if b"poison-prepare" in bodies:
            raise ValueError("cannot prepare")
        return bodies

    async def commit(self, bodies: list[bytes]) -> None:
        if self.commit_gate is not None:
            await self.commit_gate.wait()
        if self.transient_commits:
            self.transient_commits -= 1
            raise ServiceUnavailable("postgres")
        if b"poison" in bodies or any(b.startswith(b"several:") and b"poison" in b for b in bodies):
            raise ValueError("constraint violated")
        if any(b"refused" in b for b in bodies):
            raise StorageRefused("NumericValueOutOfRangeError")
        if b"setup" in bodies:
            raise VectorsMismatch("stored vectors have different dimensions")
        if b"reject" in bodies:
            raise InvalidMessage("schema_invalid", "rejected by the handler")
        if b"flaky" in bodies:
            if len(bodies) > 1:
                raise ValueError("batch failed")
            raise ServiceUnavailable("postgres")
        self.committed.append(bodies)


class Sink:
    """The dead-letter sink: records what it is given and acks, as the real one does once it has stored it."""

    def __init__(self) -> None:
        self.rejected: list[tuple[bytes, str]] = []  # failed in processing, retries used up
        self.dead_lettered: list[bytes] = []  # rejected as invalid
        self.parts: list[tuple[bytes, int, str]] = []
        self.down = False

    async def send(self, message: FakeMessage, code: str, reason: str) -> None:
        if self.down:
            raise RuntimeError("dead-letter store down")
        if code == "processing_error":
            self.rejected.append((message.body, reason))
        else:
            self.dead_lettered.append(message.body)
        await message.ack()

    async def send_part(self, message: FakeMessage, part: RejectedPart) -> None:
        self.parts.append((message.body, part.index, part.error.code))


class Retry:
    """Delayed retries: parks every message it is given (as if it had retries left), and says so."""

    def __init__(self) -> None:
        self.scheduled: list[tuple[bytes, str]] = []

    async def schedule(self, message: FakeMessage, error: str) -> bool:
        self.scheduled.append((message.body, error))
        await message.ack()
        return True

    async def park(self, message: FakeMessage, error: str, body: bytes | None = None) -> bool:
        self.scheduled.append((message.body if body is None else body, error))
        return True


def make(
    max_batch: int = 10,
    max_wait_s: float = 0.05,
    retry: Retry | None = None,
    database: FakeDatabase | None = None,
    start_up_window_s: float = 0.0,
) -> tuple[BatchConsumer[Any, Any], FakeQueue, Handler, PipelineMetrics, Sink]:
    queue, handler, sink = FakeQueue(), Handler(), Sink()
    metrics = PipelineMetrics(CollectorRegistry())
    amqp = AmqpSettings(start_up_window_s=start_up_window_s)
    guard = CrashGuard(WORKER, QUEUE, amqp, database, metrics) if database else None  # type: ignore[arg-type]
    consumer: BatchConsumer[Any, Any] = BatchConsumer(
        WORKER,
        queue,  # type: ignore[arg-type]
        handler,
        BatchLimits(max_batch, max_wait_s),
        metrics,
        sink,  # type: ignore[arg-type]
        retry,  # type: ignore[arg-type]
        guard,
    )
    return consumer, queue, handler, metrics, sink


def msgs(*bodies: str) -> list[FakeMessage]:
    return [FakeMessage(b.encode()) for b in bodies]


async def settled(messages: list[FakeMessage], consumer: BatchConsumer[Any, Any], within_s: float = 2.0) -> None:
    deadline = time.monotonic() + within_s
    while not all(m.processed for m in messages):
        if consumer.failed is not None or time.monotonic() > deadline:
            return
        await asyncio.sleep(0.005)


def sample(metrics: PipelineMetrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


# --- _collect -------------------------------------------------------------------------------------------


async def test_collect_takes_at_most_max_batch() -> None:
    consumer, _, _, _, _ = make(max_batch=10, max_wait_s=2.0)
    for message in msgs(*(str(i) for i in range(25))):
        consumer._inbox.put_nowait(message)  # type: ignore[arg-type]
    started = time.monotonic()
    first, second = await consumer._collect(), await consumer._collect()
    # Full batches go at once, without waiting for max_wait.
    assert time.monotonic() - started < 1.0
    consumer._stopping.set()  # once stopping, no new batch: the rest stays for stop() to hand back
    assert await consumer._collect() == []
    assert [len(first), len(second), consumer._inbox.qsize()] == [10, 10, 5]
    assert [m.body for m in first + second] == [str(i).encode() for i in range(20)]


async def test_collect_waits_max_wait_for_a_partial_batch() -> None:
    consumer, _, _, _, _ = make(max_batch=10, max_wait_s=0.1)
    consumer._inbox.put_nowait(FakeMessage(b"a"))  # type: ignore[arg-type]
    started = time.monotonic()
    batch = await consumer._collect()
    elapsed = time.monotonic() - started
    assert [m.body for m in batch] == [b"a"]
    assert 0.09 <= elapsed < 1.0


async def test_collect_adds_messages_arriving_within_max_wait() -> None:
    consumer, _, _, _, _ = make(max_batch=3, max_wait_s=2.0)
    consumer._inbox.put_nowait(FakeMessage(b"a"))  # type: ignore[arg-type]

    async def late() -> None:
        for body in (b"b", b"c", b"d"):
            await asyncio.sleep(0.02)
            consumer._inbox.put_nowait(FakeMessage(body))  # type: ignore[arg-type]

    feeder = asyncio.create_task(late())
    started = time.monotonic()
    batch = await consumer._collect()
    # Returns as soon as the batch is full, long before max_wait.
    assert time.monotonic() - started < 1.0
    assert [m.body for m in batch] == [b"a", b"b", b"c"]
    await feeder
    assert consumer._inbox.qsize() == 1  # the late one waits for the next batch


async def test_collect_with_zero_wait_takes_what_is_there() -> None:
    consumer, _, _, _, _ = make(max_batch=10, max_wait_s=0.0)
    for message in msgs("a", "b", "c"):
        consumer._inbox.put_nowait(message)  # type: ignore[arg-type]
    assert [m.body for m in await consumer._collect()] == [b"a", b"b", b"c"]


async def test_collect_waits_for_a_first_message_then_wakes_on_stop() -> None:
    consumer, _, _, _, _ = make()
    collecting = asyncio.create_task(consumer._collect())
    await asyncio.sleep(0.05)
    assert not collecting.done()  # max_wait only starts with the first message
    await consumer.stop(timeout_s=1.0)
    assert await asyncio.wait_for(collecting, 1.0) == []


async def test_collect_after_stop_starts_no_new_batch() -> None:
    consumer, _, _, _, _ = make(max_batch=2, max_wait_s=5.0)
    for message in msgs("a", "b", "c"):
        consumer._inbox.put_nowait(message)  # type: ignore[arg-type]
    consumer._stopping.set()
    started = time.monotonic()
    assert await consumer._collect() == []
    assert consumer._inbox.qsize() == 3  # untouched: stop() nacks them back to the broker
    assert time.monotonic() - started < 1.0


# --- the consume loop -----------------------------------------------------------------------------------


async def test_consumes_in_batches_acks_after_commit_and_stops() -> None:
    consumer, queue, handler, metrics, _ = make(max_batch=4, max_wait_s=0.01)
    await consumer.start()
    batch = msgs(*(f"m{i}" for i in range(10)))
    await queue.deliver(*batch)
    await settled(batch, consumer)
    drained = await consumer.stop(timeout_s=1.0)
    assert drained < 1.0
    assert queue.cancelled == ["ctag-1"]
    assert [b for committed in handler.committed for b in committed] == [m.body for m in batch]
    assert all(len(c) <= 4 for c in handler.committed)
    assert all(m.outcome == ("ack", False) for m in batch)
    assert consumer.batches == len(handler.committed)
    assert sample(metrics, "careerrank_batch_size_count", worker=WORKER) == consumer.batches
    assert sample(metrics, "careerrank_batch_size_sum", worker=WORKER) == 10
    assert consumer.failed is None


async def test_prepare_of_next_batch_overlaps_commit_of_previous() -> None:
    consumer, queue, handler, _, _ = make(max_batch=1, max_wait_s=0.0)
    handler.commit_gate = asyncio.Event()

    async def open_gate_on_second_prepare(bodies: list[bytes]) -> None:
        if len(handler.prepared) == 2:
            handler.commit_gate.set()  # type: ignore[union-attr]

    handler.on_prepare = open_gate_on_second_prepare
    await consumer.start()
    batch = msgs("a", "b")
    await queue.deliver(*batch)
    # Batch 1's commit waits for batch 2's prepare: without pipelining this would never settle.
    await settled(batch, consumer)
    await consumer.stop(timeout_s=1.0)
    assert handler.committed == [[b"a"], [b"b"]]


async def test_commits_stay_in_order_when_the_first_is_slow() -> None:
    consumer, queue, handler, _, _ = make(max_batch=2, max_wait_s=0.0)
    commit = handler.commit

    async def slow_first_commit(prepared: list[bytes]) -> None:
        await asyncio.sleep(0.05 if prepared[0] == b"0" else 0)
        await commit(prepared)

    handler.commit = slow_first_commit  # type: ignore[method-assign]
    await consumer.start()
    batch = msgs(*(str(i) for i in range(9)))
    await queue.deliver(*batch)
    await settled(batch, consumer)
    await consumer.stop(timeout_s=1.0)
    assert [b for committed in handler.committed for b in committed] == [m.body for m in batch]


async def test_commit_failure_isolates_the_poison_message() -> None:
    consumer, queue, handler, metrics, sink = make(max_batch=10, max_wait_s=0.01)
    await consumer.start()
    batch = msgs("a", "poison", "c")
    await queue.deliver(*batch)
    await settled(batch, consumer)
    await consumer.stop(timeout_s=1.0)
    assert handler.committed == [[b"a"], [b"c"]]
    assert sink.rejected == [(b"poison", "processing error: ValueError (attempt 1, no retries left)")]
    assert [m.outcome for m in batch] == [("ack", False)] * 3
    assert sample(metrics, "careerrank_batch_errors_total", worker=WORKER) == 1
    assert consumer.failed is None


async def test_prepare_failure_isolates_the_poison_message() -> None:
    consumer, queue, handler, _, sink = make(max_batch=10, max_wait_s=0.01)
    await consumer.start()
    batch = msgs("a", "poison-prepare", "c")
    await queue.deliver(*batch)
    await settled(batch, consumer)
    await consumer.stop(timeout_s=1.0)
    assert handler.prepared[0] == [b"a", b"poison-prepare", b"c"]
    assert handler.committed == [[b"a"], [b"c"]]
    assert sink.rejected == [(b"poison-prepare", "processing error: ValueError (attempt 1, no retries left)")]
    # The reason names the error type only: no message content.
    assert all(b"poison" not in reason.encode() for _, reason in sink.rejected)


async def test_transient_error_in_isolation_requeues_the_message() -> None:
    consumer, queue, handler, _, sink = make(max_batch=10, max_wait_s=0.01)
    await consumer.start()
    batch = msgs("a", "flaky")
    await queue.deliver(*batch)
    await settled(batch, consumer)
    await consumer.stop(timeout_s=1.0)
    assert handler.committed == [[b"a"]]
    assert batch[1].outcome == ("nack", True)
    assert sink.rejected == []


async def test_transient_commit_error_retries_the_same_batch() -> None:
    consumer, queue, handler, metrics, _ = make(max_batch=10, max_wait_s=0.01)
    handler.transient_commits = 1
    await consumer.start()
    batch = msgs("a", "b")
    await queue.deliver(*batch)
    await settled(batch, consumer, within_s=3.0)
    await consumer.stop(timeout_s=1.0)
    # Held and retried after a backoff, not split, not requeued, not counted as a failed batch.
    assert handler.committed == [[b"a", b"b"]]
    assert len(handler.prepared) == 1
    assert [m.outcome for m in batch] == [("ack", False)] * 2
    assert sample(metrics, "careerrank_batch_errors_total", worker=WORKER) == 0


async def test_messages_from_a_dead_channel_are_left_for_redelivery_not_retried() -> None:
    # The broker restarted after these were delivered: their acks cannot reach it. The commit must not be
    # retried for that (it would never succeed); the broker redelivers them and the handler dedups.
    consumer, queue, handler, metrics, _ = make(max_batch=10, max_wait_s=0.01)
    await consumer.start()
    batch = msgs("a", "b")
    for message in batch:
        message.channel_dead = True
    await queue.deliver(*batch)
    await asyncio.sleep(0.2)  # well past max_wait: a and b form their own batch
    fresh = msgs("c")
    await queue.deliver(*fresh)
    await settled(fresh, consumer)
    await consumer.stop(timeout_s=1.0)
    assert handler.committed == [[b"a", b"b"], [b"c"]]
    assert [m.outcome for m in batch] == [None, None]
    assert sample(metrics, "careerrank_batch_errors_total", worker=WORKER) == 0


async def test_stop_timeout_cancels_and_returns_unbatched_messages() -> None:
    consumer, queue, handler, _, _ = make(max_batch=1, max_wait_s=0.0)
    handler.commit_gate = asyncio.Event()  # never opens: commits hang
    await consumer.start()
    batch = msgs("a", "b", "c")
    await queue.deliver(*batch)
    await asyncio.sleep(0.05)
    drained = await consumer.stop(timeout_s=0.1)
    assert 0.1 <= drained < 1.0
    assert queue.cancelled == ["ctag-1"]
    # a: its commit was cancelled; b: prepared, waiting its turn. Both go back when the channel closes.
    assert batch[0].outcome is None
    assert batch[1].outcome is None
    # c: never batched, handed back to the broker at once.
    assert batch[2].outcome == ("nack", True)
    assert handler.committed == []


async def test_isolation_skips_messages_the_failed_batch_already_settled() -> None:
    consumer, queue, handler, _, sink = make(max_batch=10, max_wait_s=0.01)
    await consumer.start()
    batch = msgs("invalid", "a", "poison")
    await queue.deliver(*batch)
    await settled(batch, consumer, within_s=0.5)
    # A later batch is still consumed: the loop survived.
    more = msgs("b")
    await queue.deliver(*more)
    await settled(more, consumer, within_s=0.5)
    failed = consumer.failed
    await consumer.stop(timeout_s=1.0)
    assert failed is None
    assert sink.dead_lettered == [b"invalid"]
    assert sink.rejected == [(b"poison", "processing error: ValueError (attempt 1, no retries left)")]
    assert handler.committed == [[b"a"], [b"b"]]


async def test_message_that_cannot_be_dead_lettered_is_requeued() -> None:
    consumer, queue, handler, _, sink = make(max_batch=10, max_wait_s=0.01)

    sink.down = True
    await consumer.start()
    batch = msgs("a", "poison")
    await queue.deliver(*batch)
    await settled(batch, consumer)
    failed = consumer.failed
    await consumer.stop(timeout_s=1.0)
    assert failed is None
    assert handler.committed == [[b"a"]]
    assert batch[1].outcome == ("nack", True)


# --- the class of the error decides ---------------------------------------------------------------------


async def test_a_setup_error_ends_the_loop_and_settles_nothing() -> None:
    consumer, queue, handler, _, sink = make(max_batch=10, max_wait_s=0.01)
    await consumer.start()
    batch = msgs("a", "setup")
    await queue.deliver(*batch)
    await settled(batch, consumer)
    failed = consumer.failed
    await consumer.stop(timeout_s=1.0)
    # The worker stops; the messages go back to the queue when its channel closes, untouched.
    assert isinstance(failed, VectorsMismatch)
    assert [m.outcome for m in batch] == [None, None]
    assert handler.committed == [] and sink.rejected == [] and sink.dead_lettered == []


async def test_a_rejection_is_dead_lettered_at_once_without_retries() -> None:
    retry = Retry()
    consumer, queue, handler, _, sink = make(max_batch=10, max_wait_s=0.01, retry=retry)
    await consumer.start()
    batch = msgs("a", "reject", "invalid")
    await queue.deliver(*batch)
    await settled(batch, consumer)
    await consumer.stop(timeout_s=1.0)
    assert sink.dead_lettered == [b"invalid", b"reject"]
    assert retry.scheduled == []
    assert handler.committed == [[b"a"]]
    assert [m.outcome for m in batch] == [("ack", False)] * 3


async def test_a_processing_error_is_retried_later_instead_of_dead_lettered() -> None:
    retry = Retry()
    consumer, queue, handler, _, sink = make(max_batch=10, max_wait_s=0.01, retry=retry)
    await consumer.start()
    batch = msgs("a", "poison", "undecodable")
    await queue.deliver(*batch)
    await settled(batch, consumer)
    await consumer.stop(timeout_s=1.0)
    # A decoder that crashes is a processing error of that message, not a reason to stop.
    assert retry.scheduled == [(b"undecodable", "RecursionError"), (b"poison", "ValueError")]
    assert sink.rejected == [] and sink.dead_lettered == []
    assert handler.committed == [[b"a"]]


async def test_a_rejected_element_is_dead_lettered_alone_and_its_message_goes_on() -> None:
    consumer, queue, handler, _, sink = make(max_batch=10, max_wait_s=0.01)
    await consumer.start()
    batch = msgs("a", "with-bad-part")
    await queue.deliver(*batch)
    await settled(batch, consumer)
    await consumer.stop(timeout_s=1.0)
    assert sink.parts == [(b"with-bad-part", 1, "empty_text")]
    assert handler.committed == [[b"a", b"with-bad-part"]]
    assert [m.outcome for m in batch] == [("ack", False)] * 2


# --- messages that keep coming back ---------------------------------------------------------------------


async def test_a_message_that_kept_coming_back_is_tried_alone_and_its_record_cleared() -> None:
    database = FakeDatabase()
    consumer, queue, handler, metrics, sink = make(max_batch=10, max_wait_s=0.05, database=database)
    await consumer.start()
    batch = [FakeMessage(b"a", 3), FakeMessage(b"b"), FakeMessage(b"c", 7), FakeMessage(b"d", 2)]
    await queue.deliver(*batch)
    await settled(batch, consumer)
    await consumer.stop(timeout_s=1.0)
    # The two delivered at least suspect_after (3) times before go alone, first; the rest as a batch.
    assert handler.prepared == [[b"a"], [b"c"], [b"b", b"d"]]
    assert all(m.outcome == ("ack", False) for m in batch)
    assert database.state.trials == {}, "a try that ended leaves no record"
    assert sample(metrics, "careerrank_lone_tries_total", worker=WORKER, start="first") == 2
    assert sink.dead_lettered == []


async def test_lone_tries_wait_for_the_start_up_window_and_the_rest_does_not() -> None:
    database = FakeDatabase()
    consumer, queue, handler, _, _ = make(max_batch=10, max_wait_s=0.02, database=database, start_up_window_s=0.4)
    tried_at: dict[bytes, float] = {}

    async def note(bodies: list[bytes]) -> None:
        for body in bodies:
            tried_at[body] = time.monotonic()

    handler.on_prepare = note
    started = time.monotonic()
    await consumer.start()
    batch = [FakeMessage(b"suspect", 3), FakeMessage(b"fresh")]
    await queue.deliver(*batch)
    await settled(batch, consumer, within_s=3.0)
    await consumer.stop(timeout_s=1.0)
    # The fresh message goes at once; the suspect's lone try begins only once the worker has lived 0.4 s.
    assert handler.prepared == [[b"fresh"], [b"suspect"]]
    assert tried_at[b"fresh"] - started < 0.3
    assert tried_at[b"suspect"] - started >= 0.4
    assert all(m.outcome == ("ack", False) for m in batch)


async def test_a_worker_stopped_in_its_start_up_window_tries_nothing_alone() -> None:
    database = FakeDatabase()
    consumer, queue, handler, _, _ = make(database=database, start_up_window_s=30.0)
    await consumer.start()
    batch = [FakeMessage(b"suspect", 3)]
    await queue.deliver(*batch)
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await consumer.stop(timeout_s=5.0)
    assert time.monotonic() - started < 1.0  # no waiting out the window on the way down
    assert handler.prepared == []
    assert batch[0].outcome == ("nack", True)
    assert database.state.trials == {}


async def test_a_message_the_worker_died_with_alone_crash_limit_times_is_dead_lettered() -> None:
    database = FakeDatabase()
    # What three processes that died during its lone try left behind; an innocent neighbour died once with it.
    database.state.trials[(QUEUE, message_key(FakeMessage(b"killer")))] = 3  # type: ignore[arg-type]
    database.state.trials[(QUEUE, message_key(FakeMessage(b"innocent")))] = 1  # type: ignore[arg-type]
    consumer, queue, handler, metrics, sink = make(database=database)
    await consumer.start()
    batch = [FakeMessage(b"killer", 6), FakeMessage(b"innocent", 6)]
    await queue.deliver(*batch)
    await settled(batch, consumer)
    await consumer.stop(timeout_s=1.0)
    assert sink.dead_lettered == [b"killer"]
    assert handler.prepared == [[b"innocent"]], "the killer is not run again"
    assert handler.committed == [[b"innocent"]]
    assert database.state.trials == {}
    assert sample(metrics, "careerrank_lone_tries_total", worker=WORKER, start="after_crash") == 2


async def test_a_lone_try_that_fails_in_the_code_is_no_crash_and_takes_the_usual_path() -> None:
    database = FakeDatabase()
    retry = Retry()
    consumer, queue, _, _, sink = make(retry=retry, database=database)
    await consumer.start()
    batch = [FakeMessage(b"poison", 4), FakeMessage(b"invalid", 4)]
    await queue.deliver(*batch)
    await settled(batch, consumer)
    await consumer.stop(timeout_s=1.0)
    assert retry.scheduled == [(b"poison", "ValueError")]
    assert sink.dead_lettered == [b"invalid"]
    assert database.state.trials == {}


async def test_a_crash_loop_parks_nothing_without_a_lone_death() -> None:
    # Six deaths of whole batches raise every delivery count to six: tried alone, every message goes through.
    database = FakeDatabase()
    consumer, queue, handler, _, sink = make(max_batch=64, database=database)
    await consumer.start()
    batch = [FakeMessage(f"m{i}".encode(), 6) for i in range(20)]
    await queue.deliver(*batch)
    await settled(batch, consumer)
    await consumer.stop(timeout_s=1.0)
    assert sink.dead_lettered == [] and sink.rejected == []
    assert sorted(b for c in handler.committed for b in c) == sorted(m.body for m in batch)
    assert all(len(c) == 1 for c in handler.committed)


class WatchedMessage(FakeMessage):
    """Notes, when it is settled, whether the record of its lone try was still there."""

    def __init__(self, body: bytes, deliveries_before: int, database: FakeDatabase) -> None:
        super().__init__(body, deliveries_before)
        self._database = database
        self.on_record_when_settled: bool | None = None

    def _settle(self, outcome: tuple[str, bool]) -> None:
        self.on_record_when_settled = (QUEUE, message_key(self)) in self._database.state.trials  # type: ignore[arg-type]
        super()._settle(outcome)


async def test_the_record_of_a_lone_try_is_gone_before_its_message_is_settled() -> None:
    # A worker killed after the ack and before the delete would leave a record of a message that is gone; one
    # killed after the delete and before the ack only has the message come back.
    database = FakeDatabase()
    database.state.trials[(QUEUE, message_key(FakeMessage(b"killer")))] = 3  # type: ignore[arg-type]
    retry = Retry()
    consumer, queue, handler, _, sink = make(retry=retry, database=database)
    await consumer.start()
    batch = [WatchedMessage(body, 5, database) for body in (b"good", b"poison", b"invalid", b"killer")]
    await queue.deliver(*batch)
    await settled(batch, consumer)
    await consumer.stop(timeout_s=1.0)
    assert handler.committed == [[b"good"]]
    assert retry.scheduled == [(b"poison", "ValueError")]
    assert sink.dead_lettered == [b"invalid", b"killer"]
    assert [m.on_record_when_settled for m in batch] == [False] * 4
    assert database.state.trials == {}


async def test_a_lone_try_that_a_setup_error_ends_leaves_no_record() -> None:
    # The worker stops on a setup error with the message unsettled; that is no death of the worker caused by
    # the message, so its next delivery must not count one.
    database = FakeDatabase()
    consumer, queue, _, _, _ = make(database=database)
    await consumer.start()
    message = FakeMessage(b"setup", 4)
    await queue.deliver(message)
    await settled([message], consumer)
    failed = consumer.failed
    await consumer.stop(timeout_s=1.0)
    assert isinstance(failed, VectorsMismatch) and message.outcome is None
    assert database.state.trials == {}


# --- a message of several events that fails on its own ----------------------------------------------------


async def test_a_batch_message_that_fails_alone_is_applied_event_by_event() -> None:
    consumer, queue, handler, _, sink = make()
    await consumer.start()
    messages = msgs("several:a,poison,b", "c")
    await queue.deliver(*messages)
    await settled(messages, consumer)
    await consumer.stop(timeout_s=1.0)
    # The good events of the message are applied, its neighbour too; the one that fails is dead-lettered
    # alone (no retries configured), and the message is acked once.
    assert [b"a"] in handler.committed and [b"b"] in handler.committed and [b"c"] in handler.committed
    assert sink.parts == [(b"several:a,poison,b", 1, "processing_error")]
    assert sink.rejected == []
    assert [m.outcome for m in messages] == [("ack", False), ("ack", False)]


async def test_a_failing_event_of_a_batch_message_is_retried_alone() -> None:
    retry = Retry()
    consumer, queue, handler, _, sink = make(retry=retry)
    await consumer.start()
    messages = msgs("several:a,poison,b")
    await queue.deliver(*messages)
    await settled(messages, consumer)
    await consumer.stop(timeout_s=1.0)
    assert retry.scheduled == [(b"poison", "ValueError")]  # that element's body alone, for its next attempt
    assert sink.parts == []
    assert [b"a"] in handler.committed and [b"b"] in handler.committed
    assert messages[0].outcome == ("ack", False)


async def test_an_event_the_database_refuses_is_dead_lettered_alone_at_once() -> None:
    retry = Retry()
    consumer, queue, handler, _, sink = make(retry=retry)
    await consumer.start()
    messages = msgs("several:a,refused,b")
    await queue.deliver(*messages)
    await settled(messages, consumer)
    await consumer.stop(timeout_s=1.0)
    assert retry.scheduled == []  # refused every time: never retried
    assert sink.parts == [(b"several:a,refused,b", 1, "storage_refused")]
    assert [b"a"] in handler.committed and [b"b"] in handler.committed
    assert messages[0].outcome == ("ack", False)
