"""Not determined is an answer of its own: such items count in no score, wait in the head of sales' review queue,
and leave it once a reviewer answers them; calls with no score at all are not queued item by item."""

from datetime import UTC, date, datetime
from pathlib import Path

from pipeline.db import ItemOverride
from services.review_queue import items_to_review
from services.team_views import Period, TeamFilter
from tests.support.team_calls import add_scored_call
from tests.support.web_users import add_people, browser, embedded_runtime, log_in


def test_undecided_items_wait_for_review_until_answered(tmp_path: Path) -> None:
    runtime = embedded_runtime(tmp_path)
    people = add_people(runtime)
    when = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    scored = add_scored_call(
        runtime, rep_id=people.rep_a, team_id=people.team_a, created_at=when, score=50,
        answers={"greeting": "yes", "budget": "not_determined", "next_step": "not_determined"},
    )  # fmt: skip
    add_scored_call(
        runtime, rep_id=people.rep_a, team_id=people.team_a, created_at=when, score=None,
        answers={"greeting": "not_determined", "budget": "not_determined"},
    )  # fmt: skip
    other_team = add_scored_call(
        runtime, rep_id=people.rep_b, team_id=people.team_b, created_at=when, score=70,
        answers={"budget": "not_determined"},
    )  # fmt: skip
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    team_a = TeamFilter(period=march, team_id=people.team_a)
    with runtime.db.session() as session:
        assert [(i.call_id, i.item_id) for i in items_to_review(session, team_a)] == [
            (scored, "budget"),
            (scored, "next_step"),
        ]
        session.add(
            ItemOverride(
                call_id=scored, item_id="budget", script_id="ru_b2b_discovery", script_version="1",
                ai_answer={"answer": "not_determined"}, answer="yes", reason="asked in other words", actor="rop-a",
            )
        )  # fmt: skip
    with runtime.db.session() as session:
        assert [(i.call_id, i.item_id) for i in items_to_review(session, team_a)] == [(scored, "next_step")]
        everyone = [i.call_id for i in items_to_review(session, TeamFilter(period=march))]
    assert other_team in everyone

    client = browser(runtime)
    log_in(client, "rop-a")
    page = client.get("/app/review?since=2026-03-01&until=2026-03-31")
    assert page.status_code == 200
    assert f'href="/app/calls/{scored}#item-next_step"' in page.text
    assert other_team not in page.text, "a head of sales sees only their own team's queue"
    log_in(client, "rep-a")
    assert client.get("/app/review").status_code == 403
