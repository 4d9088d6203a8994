"""The approvals pages on the embedded database: each person's queue, deciding field by field or all at once
(stored with the decision log), a value that does not fit, CSRF, and calls of other teams."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.db import FieldDecisionLog, Proposal, User
from tests.support.stored_calls import add_call, closed_port
from tests.support.web_users import add_people, browser, embedded_runtime, log_in

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def runtime(tmp_path: Path):
    # An in-memory queue: sending the CRM write must not reach any real broker.
    return embedded_runtime(tmp_path, broker_url="stub://")


@pytest.fixture
def people(runtime):
    return add_people(runtime)


def _call(runtime, rep_id: int | None, team_id: int | None, minutes_ago: int = 0) -> str:
    """A processed call with four proposals: budget (money), next_step (string), expected_close_date (date),
    deal_stage_suggestion (enum)."""
    call_id = add_call(runtime, rep_id=rep_id, team_id=team_id, created_at=NOW - timedelta(minutes=minutes_ago))
    with runtime.db.session() as session:
        for field, value, quote in (
            ("next_step", "Отправить КП", "пришлите коммерческое предложение"),
            ("expected_close_date", "2025-03-14", "подпишем к середине марта"),
            ("deal_stage_suggestion", "proposal", None),
        ):
            evidence = [{"quote": quote, "start": 12.5, "end": 14.0, "role": "customer"}] if quote else []
            session.add(
                Proposal(
                    call_id=call_id,
                    field=field,
                    value=value,
                    ai_value=value,
                    confidence=0.7,
                    source="llm",
                    status="proposed",
                    evidence=evidence,
                )
            )
    return call_id


def _statuses(runtime, call_id: str) -> dict[str, tuple[str, object]]:
    with runtime.db.session() as session:
        rows = session.scalars(select(Proposal).where(Proposal.call_id == call_id)).all()
        return {row.field: (row.status, row.value) for row in rows}


def _log(runtime, call_id: str) -> list[tuple[str, str, object, object, str, int | None]]:
    with runtime.db.session() as session:
        rows = session.scalars(
            select(FieldDecisionLog).where(FieldDecisionLog.call_id == call_id).order_by(FieldDecisionLog.id)
        ).all()
        return [(r.field, r.decision, r.ai_value, r.final_value, r.actor, r.user_id) for r in rows]


def _user_id(runtime, login: str) -> int:
    with runtime.db.session() as session:
        return session.scalar(select(User.id).where(User.login == login))


def test_each_person_sees_their_queue_newest_first_with_counts(runtime, people) -> None:
    older = _call(runtime, people.rep_a, people.team_a, minutes_ago=30)
    newer = _call(runtime, people.rep_a, people.team_a, minutes_ago=5)
    other = _call(runtime, people.rep_b, people.team_b)
    decided = _call(runtime, people.rep_a, people.team_a)
    with runtime.db.session() as session:
        for row in session.scalars(select(Proposal).where(Proposal.call_id == decided)):
            row.status = "approved"

    rep = browser(runtime)
    log_in(rep, "rep-a")
    page = rep.get("/app/approvals")
    assert page.status_code == 200
    assert "2 звонка ждут решения" in page.text and "8 значений на проверку" in page.text
    assert page.text.index(newer) < page.text.index(older)
    assert other not in page.text and decided not in page.text

    rop = browser(runtime)
    log_in(rop, "rop-b")
    page = rop.get("/app/approvals")
    assert "1 call waiting" in page.text and "4 values to check" in page.text
    assert other in page.text and older not in page.text

    admin = browser(runtime)
    log_in(admin, "admin")
    page = admin.get("/app/approvals")
    assert "3 calls waiting" in page.text
    assert all(call in page.text for call in (older, newer, other))


def test_the_call_page_shows_each_value_with_its_quote_and_a_typed_input(runtime, people) -> None:
    call_id = _call(runtime, people.rep_a, people.team_a)
    client = browser(runtime)
    log_in(client, "rep-a")
    page = client.get(f"/app/approvals/{call_id}")
    assert page.status_code == 200
    assert "«пришлите коммерческое предложение»" in page.text and "0:12" in page.text
    assert 'id="v-expected_close_date" name="value" value="2025-03-14"' in page.text
    assert 'type="date"' in page.text
    # The option is shown by its title in the reader's language and submitted as the value itself.
    assert '<option value="proposal" selected>Коммерческое предложение</option>' in page.text
    assert ">Предлагаемый этап сделки <span" in page.text
    assert "4 значения ждут вашего решения." in page.text


def test_approve_edit_reject_and_approve_all_are_stored_with_the_decision_log(runtime, people) -> None:
    call_id = _call(runtime, people.rep_a, people.team_a)
    client = browser(runtime)
    csrf = log_in(client, "rep-a")
    url = f"/app/approvals/{call_id}"

    answer = client.post(
        f"{url}/decide",
        data={"csrf_token": csrf, "field": "next_step", "decision": "edit", "value": "Демо во вторник"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"].startswith(f"{url}?notice=saved")
    client.post(f"{url}/decide", data={"csrf_token": csrf, "field": "deal_stage_suggestion", "decision": "reject"})
    client.post(f"{url}/decide", data={"csrf_token": csrf, "field": "budget", "decision": "approve", "value": "x"})
    page = client.post(f"{url}/approve-all", data={"csrf_token": csrf})
    assert page.status_code == 200 and "Сохранено." in page.text
    assert "0 значений ждут вашего решения." in page.text

    assert _statuses(runtime, call_id) == {
        "budget": ("approved", "100000"),
        "next_step": ("edited", "Демо во вторник"),
        "deal_stage_suggestion": ("rejected", "proposal"),
        "expected_close_date": ("approved", "2025-03-14"),
    }
    rep_user = _user_id(runtime, "rep-a")
    assert _log(runtime, call_id) == [
        ("next_step", "edit", "Отправить КП", "Демо во вторник", "rep-a", rep_user),
        ("deal_stage_suggestion", "reject", "proposal", None, "rep-a", rep_user),
        ("budget", "approve", "100000", "100000", "rep-a", rep_user),
        ("expected_close_date", "approve", "2025-03-14", "2025-03-14", "rep-a", rep_user),
    ]
    # Nothing is left to approve: the button is gone and another approve-all changes nothing.
    assert "/approve-all" not in page.text
    again = client.post(f"{url}/approve-all", data={"csrf_token": csrf})
    assert "По всем значениям уже есть решение." in again.text
    assert len(_log(runtime, call_id)) == 4


def test_a_value_that_does_not_fit_is_shown_with_its_error_and_nothing_is_stored(runtime, people) -> None:
    call_id = _call(runtime, people.rep_b, people.team_b)
    client = browser(runtime)
    csrf = log_in(client, "rep-b")
    answer = client.post(
        f"/app/approvals/{call_id}/decide",
        data={"csrf_token": csrf, "field": "deal_stage_suggestion", "decision": "edit", "value": "signed"},
    )
    assert answer.status_code == 422
    assert "This value does not fit the field: &#39;signed&#39; is not one of: qualification" in answer.text
    assert "Nothing was saved" in answer.text
    answer = client.post(
        f"/app/approvals/{call_id}/decide",
        data={"csrf_token": csrf, "field": "budget", "decision": "edit", "value": "a lot"},
    )
    assert answer.status_code == 422 and 'id="e-budget"' in answer.text
    assert 'value="a lot"' in answer.text  # what was typed stays in the input, to correct
    assert all(status == "proposed" for status, _ in _statuses(runtime, call_id).values())
    assert _log(runtime, call_id) == []


def test_a_post_without_the_csrf_token_is_refused(runtime, people) -> None:
    call_id = _call(runtime, people.rep_a, people.team_a)
    client = browser(runtime)
    log_in(client, "rep-a")
    assert client.post(f"/app/approvals/{call_id}/approve-all").status_code == 403
    answer = client.post(f"/app/approvals/{call_id}/decide", data={"field": "budget", "decision": "approve"})
    assert answer.status_code == 403
    bad = client.post(f"/app/approvals/{call_id}/approve-all", data={"csrf_token": "forged"})
    assert bad.status_code == 403
    assert _log(runtime, call_id) == []


def test_a_call_of_another_rep_or_team_is_not_found(runtime, people) -> None:
    call_id = _call(runtime, people.rep_b, people.team_b)
    for login in ("rep-a", "rop-a"):
        client = browser(runtime)
        csrf = log_in(client, login)
        assert client.get(f"/app/approvals/{call_id}").status_code == 404
        answer = client.post(
            f"/app/approvals/{call_id}/decide", data={"csrf_token": csrf, "field": "budget", "decision": "approve"}
        )
        assert answer.status_code == 404
        assert client.post(f"/app/approvals/{call_id}/approve-all", data={"csrf_token": csrf}).status_code == 404
    assert _log(runtime, call_id) == []
    # The team's head of sales may decide in the rep's place.
    rop = browser(runtime)
    csrf = log_in(rop, "rop-b")
    assert rop.post(f"/app/approvals/{call_id}/approve-all", data={"csrf_token": csrf}).status_code == 200
    assert {row[4] for row in _log(runtime, call_id)} == {"rop-b"}


def test_decisions_are_kept_when_the_queue_is_down(tmp_path: Path) -> None:
    runtime = embedded_runtime(tmp_path, broker_url=f"redis://127.0.0.1:{closed_port()}/0")
    people = add_people(runtime)
    call_id = _call(runtime, people.rep_a, people.team_a)
    client = browser(runtime)
    csrf = log_in(client, "rep-a")
    page = client.post(f"/app/approvals/{call_id}/approve-all", data={"csrf_token": csrf})
    assert page.status_code == 200
    assert "Очередь сейчас недоступна" in page.text
    assert {status for status, _ in _statuses(runtime, call_id).values()} == {"approved"}


def test_approve_all_shows_a_stored_value_that_no_longer_fits_on_its_own_field(runtime, people) -> None:
    # The schema no longer allows the stored stage: the error belongs to that field, not the first one undecided.
    call_id = _call(runtime, people.rep_b, people.team_b)
    with runtime.db.session() as session:
        row = session.scalar(
            select(Proposal).where(Proposal.call_id == call_id, Proposal.field == "deal_stage_suggestion")
        )
        row.value = "signed"
    client = browser(runtime)
    csrf = log_in(client, "rep-b")
    answer = client.post(f"/app/approvals/{call_id}/approve-all", data={"csrf_token": csrf})
    assert answer.status_code == 422
    assert 'id="e-deal_stage_suggestion"' in answer.text and "&#39;signed&#39; is not one of" in answer.text
    assert 'id="e-budget"' not in answer.text
    assert all(status == "proposed" for status, _ in _statuses(runtime, call_id).values())
