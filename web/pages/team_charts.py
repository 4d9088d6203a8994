"""The team page's charts: the average score week by week (a line chart) and each rep's as a sparkline in the
table, drawn by web.charts (inline SVG, nothing fetched), labelled in the viewer's language."""

from typing import Any

from babel.dates import format_date
from markupsafe import Markup
from sqlalchemy.orm import Session

from services.team_views import TeamFilter, WeekFigures, rep_weeks, weeks_by_rep
from web.charts import line_chart, sparkline
from web.i18n import Translator


def _scored(weeks: list[WeekFigures]) -> list[WeekFigures]:
    return [week for week in weeks if week.average is not None]


def team_charts(session: Session, chosen: TeamFilter, translator: Translator) -> dict[str, Any]:
    label = translator.t("team_chart_average")
    weeks = _scored(rep_weeks(session, chosen))
    chart: Markup | None = None
    if weeks:
        chart = line_chart(
            [format_date(week.week, "d MMM", locale=translator.locale) for week in weeks],
            {label: [round(week.average or 0.0, 1) for week in weeks]},
            title=translator.t("team_chart_title"),
            locale=translator.locale,
        )
    sparklines = {
        rep_id: sparkline([round(week.average or 0.0, 1) for week in scored], label=label)
        for rep_id, rep in weeks_by_rep(session, chosen).items()
        if (scored := _scored(rep))
    }
    return {"score_chart": chart, "sparklines": sparklines}
