"""The pipeline KPI page: a team's (or one rep's) KPIs for a period, each with the deals behind it, a sparkline of
the periods before, and a table per rep.

A rep sees their own figures, a head of sales their team's (and each rep's), an admin any team's.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from babel.numbers import format_decimal
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import BadInput
from pipeline.db import Rep, Team
from services.accounts import UserRole
from services.pipeline_review.kpis import KPI_KEYS, pipeline_kpis, team_zone
from services.pipeline_review.targets import Period
from web.auth import Viewer
from web.charts import sparkline
from web.deps import PageViewer, SessionDep
from web.i18n import Translator
from web.pages.render import render

router = APIRouter(include_in_schema=False)

MONEY_KPIS = ("pipeline_value", "won_value", "average_deal_size", "velocity")
SHARE_KPIS = ("coverage", "win_rate")
# Deals listed under each KPI; the KPI asked for (`?kpi=`) lists all of its deals.
DEALS_SHOWN = 25
APART_LISTS = ("open_apart", "won_apart")


def number_format(locale: str) -> Callable[[Decimal | float | int, int], str]:
    def number(value: Decimal | float | int, digits: int = 2) -> str:
        quantum = Decimal(1).scaleb(-digits)
        return format_decimal(Decimal(str(value)).quantize(quantum), format=f"#,##0.{'0' * digits}", locale=locale)

    return number


def kpi_format(locale: str, currency: str) -> Callable[[str, Decimal | float | int | None], str]:
    """A KPI's value as the page shows it: money with its currency, shares in percent, days with one decimal."""
    number = number_format(locale)

    def shown(key: str, value: Decimal | float | int | None) -> str:
        if value is None:
            return "—"
        if key == "open_deals":
            return str(value)
        if key in SHARE_KPIS:
            return f"{number(float(value) * 100, 1)} %"
        if key in MONEY_KPIS:
            return f"{number(value, 2)} {currency}"
        return number(value, 1)

    return shown


@dataclass(frozen=True)
class PipelineScope:
    """Whose pipeline a page shows: a team, maybe one rep of it, and a period."""

    team: Team
    rep_id: int | None
    period: Period
    teams: list[Team]
    reps: list[Rep]

    @property
    def query(self) -> str:
        rep = f"&rep={self.rep_id}" if self.rep_id is not None else ""
        return f"team={self.team.id}{rep}&period={self.period.label}"


def pipeline_scope(
    session: Session, viewer: Viewer, team: int | None, rep: int | None, period: str | None
) -> PipelineScope:
    """The scope asked for, narrowed to what the viewer may see (404 for a team or rep outside it)."""
    team_id: int | None
    if viewer.role is UserRole.rep:
        own = session.get(Rep, viewer.rep_id) if viewer.rep_id is not None else None
        if own is None or own.team_id is None or rep not in (None, own.id) or team not in (None, own.team_id):
            raise HTTPException(404, "no such pipeline")
        team_id, rep = own.team_id, own.id
    elif viewer.role is UserRole.rop:
        if viewer.team_id is None or team not in (None, viewer.team_id):
            raise HTTPException(404, "no such pipeline")
        team_id = viewer.team_id
    else:
        team_id = team if team is not None else session.scalar(select(Team.id).order_by(Team.name).limit(1))
    found = session.get(Team, team_id) if team_id is not None else None
    if found is None:
        raise HTTPException(404, "no such team")
    reps = list(session.scalars(select(Rep).where(Rep.team_id == found.id).order_by(Rep.name)))
    if rep is not None and rep not in {r.id for r in reps}:
        raise HTTPException(404, "no such rep")
    try:
        chosen = Period.parse(period) if period else Period.month_of(datetime.now(team_zone(found)).date())
    except BadInput as exc:
        raise HTTPException(422, str(exc)) from None
    teams = list(session.scalars(select(Team).order_by(Team.name))) if viewer.role is UserRole.admin else [found]
    shown_reps = reps if viewer.role is not UserRole.rep else [r for r in reps if r.id == rep]
    return PipelineScope(found, rep, chosen, teams, shown_reps)


@router.get("/app/pipeline/kpis")
def kpi_page(
    request: Request,
    viewer: PageViewer,
    session: SessionDep,
    team: int | None = None,
    rep: int | None = None,
    period: str | None = None,
    kpi: str | None = None,
) -> HTMLResponse:
    scope = pipeline_scope(session, viewer, team, rep, period)
    translator = Translator(viewer.locale)
    if kpi is not None and kpi not in KPI_KEYS and kpi not in APART_LISTS:
        raise HTTPException(422, translator.t("kpi_unknown", name=kpi, keys=", ".join(KPI_KEYS + APART_LISTS)))
    report = pipeline_kpis(
        session, scope.team.id, scope.period, datetime.now(UTC), scope.rep_id, shown=DEALS_SHOWN, everything=kpi
    )
    if report is None:
        raise HTTPException(404, "no such team")
    sparklines = {
        key: sparkline(figure.trend, label=translator.t(f"kpi_{key}"))
        for key, figure in report.figures.kpis.items()
        if figure.trend
    }
    return render(
        request,
        viewer,
        "kpis.html",
        scope=scope,
        report=report,
        keys=KPI_KEYS,
        asked=kpi,
        sparklines=sparklines,
        num=number_format(viewer.locale),
        shown=kpi_format(viewer.locale, report.currency),
    )
