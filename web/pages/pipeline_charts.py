"""The pipeline's waterfall and the forecast's trend, drawn from the daily snapshots. A rep sees their own deals,
a head of sales their team's (narrowed to one rep with ?rep=), an admin any team's (?team=) or all.

Every bar of the waterfall links to the deals behind it, listed under the chart."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from babel.numbers import format_decimal
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from services.accounts import UserRole
from services.pipeline_review.forecast_as_of import forecast_as_of
from services.pipeline_review.trend import CATEGORIES, forecast_trend
from services.pipeline_review.waterfall import STEPS, Scope, team_currency, waterfall
from web.auth import Viewer
from web.charts import line_chart, waterfall_chart
from web.deps import PageViewer, SessionDep
from web.i18n import Translator
from web.pages.render import render

router = APIRouter(include_in_schema=False)

# Days a trend may span: two years of daily points is the most a page draws.
MAX_TREND_DAYS = 731


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    period: tuple[date, date]
    scope: Scope

    def query(self, **extra: str) -> str:
        values = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        values |= {"period_start": self.period[0].isoformat(), "period_end": self.period[1].isoformat()}
        if self.scope.team_id is not None:
            values["team"] = str(self.scope.team_id)
        if self.scope.rep_id is not None:
            values["rep"] = str(self.scope.rep_id)
        return urlencode(values | extra)


def _day(text: str | None, default: date, name: str, translator: Translator) -> date:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(422, translator.t("pipeline_charts_bad_date", field=name, value=text)) from None


def _quarter(day: date) -> tuple[date, date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    next_start = date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    return start, next_start - timedelta(days=1)


def _scope(viewer: Viewer, team: int | None, rep: int | None) -> Scope:
    if viewer.role is UserRole.admin:
        return Scope(team_id=team, rep_id=rep)
    if viewer.role is UserRole.rop:
        if viewer.team_id is None:
            raise HTTPException(403, "no team")
        return Scope(team_id=viewer.team_id, rep_id=rep)
    if viewer.rep_id is None:
        raise HTTPException(403, "no rep")
    return Scope(rep_id=viewer.rep_id)


def money(value: Decimal, locale: str) -> str:
    return format_decimal(value, format="#,##0.##", locale=locale)


@router.get("/app/pipeline/waterfall")
def waterfall_page(
    request: Request,
    viewer: PageViewer,
    session: SessionDep,
    team: int | None = None,
    rep: int | None = None,
    step: str | None = None,
) -> HTMLResponse:
    translator = Translator(viewer.locale)
    params = request.query_params
    today = datetime.now(UTC).date()
    end = _day(params.get("to"), today, "to", translator)
    start = _day(params.get("from"), end - timedelta(days=7), "from", translator)
    quarter = _quarter(end)
    period = (
        _day(params.get("period_start"), quarter[0], "period_start", translator),
        _day(params.get("period_end"), quarter[1], "period_end", translator),
    )
    if start >= end or period[0] > period[1]:
        raise HTTPException(422, translator.t("pipeline_charts_bad_range"))
    if step is not None and step not in STEPS:
        raise HTTPException(422, translator.t("pipeline_charts_bad_step", value=step))
    filters = Filters(start, end, period, _scope(viewer, team, rep))
    result = waterfall(session, start, end, period, filters.scope)
    shown = [name for name in STEPS if result.steps[name] or not name.startswith("moved")]
    chart = waterfall_chart(
        [(translator.t(f"waterfall_step_{name}"), float(result.total(name))) for name in shown],
        title=translator.t("waterfall_chart_title", currency=result.currency or "—"),
        start_label=translator.t("waterfall_start", day=start.isoformat()),
        end_label=translator.t("waterfall_end", day=end.isoformat()),
        start=float(result.start),
        links=[f"?{filters.query(step=name)}#deals" for name in shown],
        locale=translator.locale,
    )
    return render(
        request,
        viewer,
        "pipeline_waterfall.html",
        result=result,
        chart=chart,
        filters=filters,
        shown=shown,
        step=step,
        money=lambda value: money(value, translator.locale),
    )


@router.get("/app/pipeline/trend")
def trend_page(
    request: Request, viewer: PageViewer, session: SessionDep, team: int | None = None, rep: int | None = None
) -> HTMLResponse:
    translator = Translator(viewer.locale)
    params = request.query_params
    end = _day(params.get("to"), datetime.now(UTC).date(), "to", translator)
    start = _day(params.get("from"), end - timedelta(days=90), "from", translator)
    if start >= end or (end - start).days > MAX_TREND_DAYS:
        raise HTTPException(422, translator.t("pipeline_charts_bad_trend_range", days=MAX_TREND_DAYS))
    scope = _scope(viewer, team, rep)
    currency = team_currency(session, scope.team_id, end)
    trend = forecast_trend(session, start, end, currency=currency, team_id=scope.team_id, rep_id=scope.rep_id)
    chart = line_chart(
        [day.isoformat() for day in trend.days],
        {translator.t(f"trend_category_{name}"): [float(v) for v in trend.series[name]] for name in CATEGORIES},
        title=translator.t("trend_chart_title", currency=currency or "—"),
        locale=translator.locale,
    )
    today = forecast_as_of(session, end, currency=currency, team_id=scope.team_id, rep_id=scope.rep_id)
    return render(
        request,
        viewer,
        "pipeline_trend.html",
        chart=chart,
        start=start,
        end=end,
        currency=currency,
        scope=scope,
        categories=CATEGORIES,
        on_end=today,
        money=lambda value: money(value, translator.locale),
    )
