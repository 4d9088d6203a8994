"""Subscriber secrets and URL credentials, on real PostgreSQL: sealed at rest, never listed, signing still verifies."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, SecretStr
from sqlalchemy import text

from crm_fill.adapters.secrets import generate_key
from pipeline.db import Subscriber as SubscriberRow
from pipeline.events import record_event
from pipeline.runtime import Runtime
from publish.admin import add_subscriber
from publish.delivery import deliver_due
from tests.support.servers import Isolated
from tests.support.service_harness import Subscriber
from web.app import create_app

USER, PASSWORD = "hook-user", "hook-password-7731"


class Note(BaseModel):
    text: str


@pytest.fixture
def runtime(isolated: Isolated) -> Iterator[Runtime]:
    runtime = Runtime(isolated.settings.model_copy(update={"crm_secrets_key": SecretStr(generate_key())}))
    yield runtime
    runtime.db.engine.dispose()


@pytest.fixture
def subscriber() -> Iterator[Subscriber]:
    subscriber = Subscriber(secret="whsec-plain-4412")
    subscriber.start()
    yield subscriber
    subscriber.stop()


def stored_rows(runtime: Runtime) -> str:
    with runtime.db.engine.connect() as connection:
        return repr(connection.execute(text("SELECT * FROM subscribers")).all())


def test_subscriber_secret_is_sealed_url_credentials_are_not_listed_and_signing_verifies(
    runtime: Runtime, subscriber: Subscriber
) -> None:
    url = subscriber.url.replace("http://", f"http://{USER}:{PASSWORD}@")
    add_subscriber(runtime, url, subscriber.secret, [])
    assert subscriber.secret not in stored_rows(runtime)
    with runtime.db.session() as session:
        record_event(session, "call.processed", "c1", Note(text="hello"))

    assert deliver_due(runtime, "c1").delivered == 1
    [received] = subscriber.events
    assert received.signature_problem is None

    listed = TestClient(create_app(runtime)).get("/deliveries")
    assert listed.status_code == 200, listed.text
    assert [d["subscriber_url"] for d in listed.json()] == [subscriber.url]
    assert USER not in listed.text and PASSWORD not in listed.text


def test_a_secret_stored_in_plaintext_before_is_sealed_by_the_next_delivery_round(
    runtime: Runtime, subscriber: Subscriber
) -> None:
    with runtime.db.session() as session:
        session.add(SubscriberRow(url=subscriber.url, secret=subscriber.secret, events=[]))
    assert subscriber.secret in stored_rows(runtime)
    with runtime.db.session() as session:
        record_event(session, "call.failed", "c2", Note(text="x"))

    assert deliver_due(runtime, "c2").delivered == 1
    assert subscriber.secret not in stored_rows(runtime)
    [received] = subscriber.events
    assert received.signature_problem is None


def test_a_subscriber_is_not_added_without_the_secrets_key(isolated: Isolated) -> None:
    runtime = Runtime(isolated.settings)
    try:
        with pytest.raises(ValueError, match="CALLINTEL_CRM_SECRETS_KEY is not set"):
            add_subscriber(runtime, "https://example.com/hook", "s", [])
    finally:
        runtime.db.engine.dispose()
