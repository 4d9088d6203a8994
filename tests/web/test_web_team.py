"""The team views on the embedded database (SQLite, no servers): per-rep figures, a rep's page, the calls needing
attention and the CSV export, who may see which team, and the figures' SQL against known data."""

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from pipeline.directory import save_rep
from services.team_views import Period, ScriptRef, TeamFilter, calls_to_review, rep_weeks, team_table, weakest_items
from tests.support.team_calls import add_scored_call
from tests.support.web_users import add_people, browser, embedded_runtime, log_in

MARCH = "since=2026-03-01&until=2026-03-31"
INJECTED_NAME = '=HYPERLINK("http://x")'


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, 0, tzinfo=UTC)


@pytest.fixture
def team(tmp_path: Path):
    """Team A: Анна (three calls in March, one in February, one in April) and a rep whose name is a formula (two
    calls in March); team B: Bob (one call in March)."""
    runtime = embedded_runtime(tmp_path)
    people = add_people(runtime)
    with runtime.db.session() as session:
        injected = save_rep(session, INJECTED_NAME, extension="102", team="Team A").id
    a, b = people.team_a, people.team_b
    calls = {
        "c1": add_scored_call(
            runtime, rep_id=people.rep_a, team_id=a, created_at=at(3, 2), score=80, talk_ratio=0.4,
            answers={"greeting": "yes", "budget": "no", "next_step": "yes"},
        ),
        "c2": add_scored_call(
            runtime, rep_id=people.rep_a, team_id=a, created_at=at(3, 10), score=50, talk_ratio=0.6,
            answers={"greeting": "yes", "budget": "no", "next_step": "no"},
        ),
        "c3": add_scored_call(
            runtime, rep_id=people.rep_a, team_id=a, created_at=at(3, 20), score=0, auto_failed=True,
            answers={"greeting": "no", "budget": "n/a", "next_step": "no"},
            signals=[("no_next_step", "high", "Следующий шаг не назначен")],
        ),
        "c4": add_scored_call(runtime, rep_id=people.rep_a, team_id=a, created_at=at(2, 15), score=70),
        "c5": add_scored_call(runtime, rep_id=people.rep_a, team_id=a, created_at=at(4, 5), score=10),
        "c6": add_scored_call(
            runtime, rep_id=injected, team_id=a, created_at=at(3, 15), score=90, script=("ru_b2b_discovery", "2"),
            answers={"greeting": "yes", "budget": "yes", "next_step": "yes"},
            signals=[("competitor_mentioned", "medium", "@SUM(1+1) упомянут конкурент")],
        ),
        "c7": add_scored_call(
            runtime, rep_id=injected, team_id=a, created_at=at(3, 25), score=85,
            signals=[("question_unanswered", "low", "Вопрос о сроках остался без ответа")],
        ),
        "c8": add_scored_call(
            runtime, rep_id=people.rep_b, team_id=b, created_at=at(3, 12), score=20,
            signals=[("no_next_step", "high", "No next step agreed")],
        ),
    }  # fmt: skip
    return runtime, people, injected, calls


def _table(page: str) -> str:
    """The page's table, without the filter form (whose rep picker names every rep of the team)."""
    return page[page.index("<table") : page.index("</table>")]


def march(**values: object) -> TeamFilter:
    return TeamFilter(period=Period(date(2026, 3, 1), date(2026, 3, 31)), **values)


def test_team_figures_per_rep_and_trend_against_the_previous_period(team) -> None:
    runtime, people, injected, _ = team
    with runtime.db.session() as session:
        table = team_table(session, march(team_id=people.team_a))
    by_rep = {row.rep_id: row for row in table.reps}
    anna, formula = by_rep[people.rep_a], by_rep[injected]
    assert set(by_rep) == {people.rep_a, injected}
    assert (anna.calls, anna.auto_fails) == (3, 1)
    assert anna.average == pytest.approx(130 / 3)
    assert anna.previous_average == pytest.approx(70) and anna.trend == pytest.approx(130 / 3 - 70)
    assert anna.talk_ratio == pytest.approx(0.5)
    assert (formula.calls, formula.average, formula.trend, formula.auto_fails) == (2, 87.5, None, 0)
    assert table.total.calls == 5 and table.total.average == pytest.approx(305 / 5)
    assert Period(date(2026, 3, 1), date(2026, 3, 31)).previous() == Period(date(2026, 1, 29), date(2026, 2, 28))


def test_rep_weeks_weakest_items_and_calls_to_review(team) -> None:
    runtime, people, _, calls = team
    chosen = march(team_id=people.team_a, rep_id=people.rep_a)
    with runtime.db.session() as session:
        weeks = rep_weeks(session, chosen)
        items = weakest_items(session, chosen)
        review = calls_to_review(session, chosen)
    assert [(w.week, w.calls, w.average) for w in weeks] == [
        (date(2026, 3, 2), 1, 80),
        (date(2026, 3, 9), 1, 50),
        (date(2026, 3, 16), 1, 0),
    ]
    assert [(i.item_id, i.yes, i.decided) for i in items] == [("budget", 0, 2), ("next_step", 1, 3), ("greeting", 2, 3)]
    assert [line.call_id for line in review] == [calls["c3"], calls["c2"], calls["c1"]]


def test_the_team_page_shows_the_heads_own_team_only(team) -> None:
    runtime, people, _, _ = team
    client = browser(runtime)
    log_in(client, "rop-a")
    page = client.get(f"/app/team?{MARCH}&team={people.team_b}")
    assert page.status_code == 200
    assert "Анна Смирнова" in page.text and "Bob Stone" not in page.text
    assert "43 %" in page.text and "-27 п. п." in page.text
    assert "=HYPERLINK(&#34;http://x&#34;)" in page.text, "a rep's name is escaped on the page"
    assert f'href="/app/reps/{people.rep_a}?' in page.text


def test_an_admin_picks_any_team_or_all(team) -> None:
    runtime, people, _, _ = team
    client = browser(runtime)
    log_in(client, "admin")
    only_b = client.get(f"/app/team?{MARCH}&team={people.team_b}").text
    assert "Bob Stone" in only_b and "Анна Смирнова" not in only_b
    everyone = client.get(f"/app/team?{MARCH}").text
    assert "Bob Stone" in everyone and "Анна Смирнова" in everyone
    assert client.get(f"/app/reps/{people.rep_b}?{MARCH}").status_code == 200


def test_a_head_of_sales_gets_404_for_another_teams_rep(team) -> None:
    runtime, people, _, calls = team
    client = browser(runtime)
    log_in(client, "rop-a")
    assert client.get(f"/app/reps/{people.rep_b}").status_code == 404
    assert client.get("/app/reps/99999").status_code == 404
    page = client.get(f"/app/reps/{people.rep_a}?{MARCH}")
    assert page.status_code == 200
    assert "<svg" in page.text and "Выяснил бюджет" in page.text
    assert f'href="/app/calls/{calls["c3"]}"' in page.text and calls["c5"] not in page.text


@pytest.mark.parametrize("path", ["/app/team", "/app/reps/{rep}", "/app/attention", "/app/team/export.csv"])
def test_reps_may_not_open_team_views(team, path: str) -> None:
    runtime, people, _, _ = team
    client = browser(runtime)
    log_in(client, "rep-a")
    assert client.get(path.format(rep=people.rep_a)).status_code == 403


def test_filters_by_period_rep_and_script_version(team) -> None:
    runtime, people, injected, calls = team
    client = browser(runtime)
    log_in(client, "rop-a")
    by_script = _table(client.get(f"/app/team?{MARCH}&script=ru_b2b_discovery@2").text)
    assert INJECTED_NAME.replace('"', "&#34;") in by_script and "Анна Смирнова" not in by_script
    by_rep = client.get(f"/app/attention?{MARCH}&rep={injected}").text
    assert calls["c6"] in by_rep and calls["c3"] not in by_rep
    april = client.get(f"/app/reps/{people.rep_a}?since=2026-04-01&until=2026-04-30").text
    assert calls["c5"] in april and calls["c1"] not in april
    assert client.get("/app/team?since=2026-13-01").status_code == 400
    assert client.get("/app/team?since=2026-03-10&until=2026-03-01").status_code == 400
    assert client.get("/app/team?script=no-version").status_code == 400
    assert ScriptRef.parse("ru_b2b_discovery@2") == ScriptRef("ru_b2b_discovery", "2")


def test_attention_puts_auto_fails_and_severe_gaps_first(team) -> None:
    runtime, _, _, calls = team
    client = browser(runtime)
    log_in(client, "rop-a")
    page = client.get(f"/app/attention?{MARCH}").text
    shown = [name for name in ("c1", "c2", "c3", "c6", "c7", "c8") if calls[name] in page]
    assert sorted(shown, key=lambda name: page.index(calls[name])) == ["c3", "c2", "c6", "c7"]
    assert "Следующий шаг не назначен" in page and "No next step agreed" not in page
    stricter = client.get(f"/app/attention?{MARCH}&threshold=40").text
    assert calls["c2"] not in stricter and calls["c3"] in stricter
    assert client.get("/app/attention?threshold=150").status_code == 400


def _csv(answer) -> list[list[str]]:
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


def test_the_export_has_a_row_per_call_and_a_column_per_item(team) -> None:
    runtime, _, _, calls = team
    client = browser(runtime)
    log_in(client, "rop-a")
    rows = _csv(client.get(f"/app/team/export.csv?{MARCH}"))
    header, *body = rows
    assert header[7:10] == ["Поздоровался и представился", "Выяснил бюджет", "Назначил шаг"]
    assert header[0] == "Звонок" and header[-1] == "Риски по сделке"
    by_call = {row[0]: row for row in body}
    assert set(by_call) == {calls[name] for name in ("c1", "c2", "c3", "c6", "c7")}
    assert by_call[calls["c3"]][4:10] == ["0", "1", "50", "нет", "неприменимо", "нет"]
    assert by_call[calls["c7"]][7:10] == ["", "", ""]


def test_the_export_defuses_spreadsheet_formulas(team) -> None:
    runtime, _, _, calls = team
    client = browser(runtime)
    log_in(client, "rop-a")
    by_call = {row[0]: row for row in _csv(client.get(f"/app/team/export.csv?{MARCH}"))[1:]}
    assert by_call[calls["c6"]][2] == "'" + INJECTED_NAME
    assert by_call[calls["c6"]][-1] == "'@SUM(1+1) упомянут конкурент"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in by_call.values() for cell in row)
