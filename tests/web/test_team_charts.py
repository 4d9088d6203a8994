"""The team page's charts on the embedded database: the team's average score week by week as a line chart and
each rep's as a sparkline in their row, labelled in the viewer's language."""

import re
from datetime import UTC, datetime
from pathlib import Path

from tests.support.team_calls import add_scored_call
from tests.support.web_users import add_people, browser, embedded_runtime, log_in


def test_the_team_page_draws_the_score_by_week_in_russian_and_english(tmp_path: Path) -> None:
    runtime = embedded_runtime(tmp_path)
    people = add_people(runtime)
    # Mondays 2 and 9 March 2026: one week at 40 %, the next at (60 + 80) / 2 = 70 %.
    for day, score in ((2, 40), (9, 60), (10, 80)):
        at = datetime(2026, 3, day, 12, tzinfo=UTC)
        add_scored_call(runtime, rep_id=people.rep_a, team_id=people.team_a, created_at=at, score=score)
    with browser(runtime) as client:
        log_in(client, "rop-a")
        page = client.get("/app/team?since=2026-03-01&until=2026-03-31").text
        chart = page.split('id="team-score-chart"')[1].split("</figure>")[0]
        assert "Средняя оценка по неделям" in chart
        assert re.findall(r"<title>Средняя оценка, %, ([^<]+)</title>", chart) == ["2 мар.: 40", "9 мар.: 70"]
        row = page.split("Анна Смирнова</a>")[1].split("</tr>")[0]
        assert '<svg class="sparkline"' in row and "Средняя оценка, % 40 → 70" in row
    with browser(runtime) as client:
        log_in(client, "admin")
        page = client.get("/app/team?since=2026-03-01&until=2026-03-31").text
        assert "Average score by week" in page and "9 Mar: 70" in page
