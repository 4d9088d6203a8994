"""/deliveries on real servers: listing by status and call, and retrying a dead delivery."""

import dramatiq
from fastapi.testclient import TestClient

from pipeline.db import Delivery, OutboxEvent, Subscriber
from tests.support.servers import Isolated
from tests.support.stored_calls import add_call, stub_runtime
from web.app import create_app


def test_list_and_retry_deliveries(isolated: Isolated) -> None:
    runtime = stub_runtime(isolated.settings)
    call_id = add_call(runtime)
    with runtime.db.session() as session:
        subscriber = Subscriber(url="http://127.0.0.1:9/hook", secret="s", events=[])
        session.add(subscriber)
        session.add_all(
            [
                OutboxEvent(id="e1", call_id=call_id, type="call.processed", payload={}),
                OutboxEvent(id="e2", call_id=None, type="crm.fields.approved", payload={}),
            ]
        )
        session.flush()
        dead = Delivery(event_id="e1", subscriber_id=subscriber.id, status="dead", attempts=8, last_error="HTTP 500")
        session.add_all([dead, Delivery(event_id="e2", subscriber_id=subscriber.id, status="delivered", attempts=1)])
        session.flush()
        dead_id = dead.id
    client = TestClient(create_app(runtime))

    assert len(client.get("/deliveries").json()) == 2
    [listed] = client.get("/deliveries", params={"status": "dead"}).json()
    assert listed["id"] == dead_id and listed["call_id"] == call_id and listed["last_error"] == "HTTP 500"
    assert [d["id"] for d in client.get("/deliveries", params={"call_id": call_id}).json()] == [dead_id]
    assert client.get("/deliveries", params={"status": "lost"}).status_code == 422

    retried = client.post(f"/deliveries/{dead_id}/retry")

    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "pending" and retried.json()["attempts"] == 0
    publish = runtime.broker.queues["publish"]  # type: ignore[attr-defined]
    assert dramatiq.Message.decode(publish.get_nowait()).args == (call_id,)
    assert client.post("/deliveries/999999/retry").status_code == 404
