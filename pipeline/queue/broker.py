import dramatiq
from dramatiq.middleware import CurrentMessage

from models.errors import BadInput

# Speech stages go to 'gpu' or 'cpu' (chosen per deployment, consumed per worker), analysis to 'llm',
# deliveries to 'publish'. Every process declares all of them so any can send to any.
QUEUES = ("gpu", "cpu", "llm", "publish")


MAX_PRIORITY = 3


class BrokerURLError(BadInput, ValueError):
    pass


def make_broker(url: str) -> dramatiq.Broker:
    """A RabbitMQ (amqp://), Redis (redis://) or in-process (stub://, tests) broker with every queue declared."""
    broker: dramatiq.Broker
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        # Publisher confirms: a send returns only once RabbitMQ has the message, so a restart loses nothing.
        # Priorities let a call already under way finish before new calls start (see dispatch.STAGE_PRIORITY).
        broker = RabbitmqBroker(url=url, confirm_delivery=True, max_priority=MAX_PRIORITY)
    elif url.startswith(("redis://", "rediss://", "unix://")):
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(url=url)
    elif url == "stub://":
        from dramatiq.brokers.stub import StubBroker

        broker = StubBroker()
    else:
        raise BrokerURLError(f"broker_url: expected amqp://, redis:// or stub://, got {url.split('://')[0]!r}")
    broker.add_middleware(CurrentMessage())
    for queue in QUEUES:
        broker.declare_queue(queue)
    return broker


def queue_depths(broker: dramatiq.Broker) -> dict[str, int]:
    """Messages waiting per queue (ready + delayed), for metrics; empty when the broker cannot tell."""
    try:
        return _depths(broker)
    except Exception:
        # RabbitMQ drops a connection that sat idle in a thread (nothing sends its heartbeats between uses), which is
        # only found out on the next use: reconnect once.
        if not hasattr(type(broker), "connection"):
            raise
        del broker.connection  # type: ignore[attr-defined]  # RabbitmqBroker's property: deleting drops the dead connection
        return _depths(broker)


def _depths(broker: dramatiq.Broker) -> dict[str, int]:
    depths: dict[str, int] = {}
    for queue in QUEUES:
        counter = getattr(broker, "get_queue_message_counts", None)
        if counter is not None:
            ready, delayed, _dead = counter(queue)
            depths[queue] = ready + delayed
        elif hasattr(broker, "client"):
            key = f"{broker.namespace}:{queue}"  # type: ignore[attr-defined]  # a RedisBroker's, not on Broker
            depths[queue] = int(broker.client.llen(key))
        elif hasattr(broker, "queues") and queue in broker.queues:
            depths[queue] = broker.queues[queue].qsize()
    return depths
