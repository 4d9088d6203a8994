"""Managing subscribers and dead deliveries, as the API and the CLI do (on SQLite: no servers needed)."""

import re
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr

from crm_fill.adapters.secrets import generate_key
from pipeline.events import record_event
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from publish.admin import add_subscriber, list_deliveries, list_subscribers, remove_subscriber, retry_delivery

URL = "https://crm.example.com/hooks/callintel"


class Note(BaseModel):
    text: str


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    return Runtime(
        Settings(
            data_dir=tmp_path,
            database_url=f"sqlite:///{tmp_path / 'callintel.db'}",
            crm_secrets_key=SecretStr(generate_key()),
        )
    )


def record(runtime: Runtime, type_: str = "call.processed") -> str:
    with runtime.db.session() as session:
        return record_event(session, type_, "c1", Note(text="hello"))


@pytest.mark.parametrize(
    ("url", "events", "secret", "reason"),
    [
        ("ftp://example.com/x", [], "s", "must start with http:// or https://"),
        ("example.com/hook", [], "s", "must start with http:// or https://"),
        ("https:///hook", [], "s", "has no host"),
        ("https://exa\x00mple.com/hook", [], "s", "is not valid"),
        (URL, ["call.processed", "call.done"], "s", "unknown event type(s) call.done"),
        (URL, [], "", "secret must not be empty"),
    ],
)
def test_a_bad_subscriber_is_refused_with_a_reason(
    runtime: Runtime, url: str, events: list[str], secret: str, reason: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        add_subscriber(runtime, url, secret, events)
    assert list_subscribers(runtime) == []


def test_subscribers_are_listed_without_their_secrets(runtime: Runtime) -> None:
    first = add_subscriber(runtime, f" {URL} ", "top-secret", ["call.failed", "call.processed", "call.failed"])
    second = add_subscriber(runtime, "http://10.0.0.5:8080/in", "s2", [])
    with pytest.raises(ValueError, match=f"already subscribed \\(subscriber {first}\\)"):
        add_subscriber(runtime, URL, "again", [])

    listed = list_subscribers(runtime)
    assert [(s.id, s.url, s.events, s.active) for s in listed] == [
        (first, URL, ["call.failed", "call.processed"], True),
        (second, "http://10.0.0.5:8080/in", [], True),
    ]
    assert "top-secret" not in str([s.model_dump() for s in listed])


def test_a_removed_subscriber_keeps_its_history_and_gets_nothing_more(runtime: Runtime) -> None:
    subscriber = add_subscriber(runtime, URL, "s", [])
    record(runtime)

    assert remove_subscriber(runtime, URL)
    assert not remove_subscriber(runtime, str(subscriber))
    assert not remove_subscriber(runtime, 999)
    (dead,) = list_deliveries(runtime)
    assert (dead.status, dead.last_error) == ("dead", "subscriber removed")
    with pytest.raises(ValueError, match="was removed"):
        retry_delivery(runtime, dead.id)

    record(runtime)
    assert len(list_deliveries(runtime)) == 1
    assert [s.active for s in list_subscribers(runtime)] == [False]

    # Subscribing the URL again revives the same subscriber, with its new secret and events.
    assert add_subscriber(runtime, URL, "new", ["call.failed"]) == subscriber
    record(runtime, "call.failed")
    assert [d.event_type for d in list_deliveries(runtime, status="pending")] == ["call.failed"]


def test_deliveries_are_listed_newest_first_and_filtered(runtime: Runtime) -> None:
    add_subscriber(runtime, URL, "s", [])
    first, second = record(runtime), record(runtime, "call.failed")

    assert [d.event_id for d in list_deliveries(runtime)] == [second, first]
    assert [d.event_id for d in list_deliveries(runtime, limit=1)] == [second]
    assert [d.event_id for d in list_deliveries(runtime, call_id="c1", status="pending")] == [second, first]
    assert list_deliveries(runtime, call_id="c2") == []
    assert list_deliveries(runtime, status="delivered") == []
    view = list_deliveries(runtime)[0]
    assert (view.subscriber_url, view.attempts, view.call_id) == (URL, 0, "c1")
    assert view.next_attempt_at.tzinfo is not None
