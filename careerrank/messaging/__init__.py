"""RabbitMQ: the topology, the connection, publishing with confirms, and what producers send."""

from careerrank.messaging.connections import Broker, connect_broker, outages_as_unavailable
from careerrank.messaging.producer import batch_message, event_message, publish_events
from careerrank.messaging.publishing import (
    PUBLISHED_AT_HEADER,
    forwarded,
    persistent_message,
    publish_one,
    publish_windowed,
    published_at,
)
from careerrank.messaging.topology import (
    INDEX_UPDATE_KEY,
    Names,
    Topology,
    declare_topology,
    delete_topology,
    queue_stats,
    recorded_key,
    unrecorded_key,
)

__all__ = [
    "INDEX_UPDATE_KEY",
    "PUBLISHED_AT_HEADER",
    "Broker",
    "Names",
    "Topology",
    "batch_message",
    "connect_broker",
    "declare_topology",
    "delete_topology",
    "event_message",
    "forwarded",
    "outages_as_unavailable",
    "persistent_message",
    "publish_events",
    "publish_one",
    "publish_windowed",
    "published_at",
    "queue_stats",
    "recorded_key",
    "unrecorded_key",
]
