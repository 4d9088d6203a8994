"""The publish worker's actor, declared when a worker starts (dramatiq binds actors to a broker on declaration)."""

from datetime import UTC, datetime

import dramatiq

from pipeline.queue.dispatch import PUBLISH, send_publish
from pipeline.runtime import Runtime
from publish.delivery import deliver_due

# A delivery still due after a round is being sent by another worker right now; look again shortly, not at once.
MIN_FOLLOW_UP_S = 1.0


def handle_publish(runtime: Runtime, call_id: str | None) -> None:
    """Deliver what is due, then send ourselves a message for when the next retry falls due."""
    done = deliver_due(runtime, call_id)
    if done.next_attempt_at is not None:
        wait = (done.next_attempt_at - datetime.now(UTC)).total_seconds()
        send_publish(runtime, call_id, delay_s=max(wait, MIN_FOLLOW_UP_S))


def declare_publish_actor(broker: dramatiq.Broker, runtime: Runtime) -> dramatiq.Actor:
    def publish(call_id: str | None) -> None:
        handle_publish(runtime, call_id)

    # No dramatiq retries: the delivery rows carry their own attempts and backoff, which survive a restart.
    return dramatiq.actor(actor_name=PUBLISH, queue_name=PUBLISH, broker=broker, max_retries=0)(publish)
