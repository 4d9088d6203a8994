"""The head of sales' pages: the team table, one rep's page, the calls needing attention, the review queue of
undecided script items, the CSV export.

Heads of sales see their own team, admins any team (or all); reps are refused (403). A rep of another team
answers 404, as if there were none.
"""

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from services.accounts import UserRole
from services.audit import AuditAction
from services.review_queue import items_to_review
from services.team_export import export_csv, scorecard_export
from services.team_views import (
    ATTENTION_SCORE_PERCENT,
    WeekFigures,
    attention,
    calls_to_review,
    rep_in_scope,
    rep_weeks,
    script_versions,
    team_reps,
    team_table,
    teams,
    weakest_items,
)
from web.access_log import log_access
from web.auth import Viewer
from web.deps import Manager, SessionDep
from web.i18n import Translator
from web.pages.render import render
from web.pages.team_charts import team_charts
from web.pages.team_filters import PageFilter, page_filter

router = APIRouter(include_in_schema=False)

CHART_WIDTH = 600
CHART_HEIGHT = 160
CSV_COLUMNS = (
    "team_csv_call",
    "team_csv_date",
    "team_csv_rep",
    "team_csv_script",
    "team_csv_score",
    "team_csv_auto_fail",
    "team_csv_talk",
    "team_csv_signals",
)
ANSWERS = {"yes": "team_answer_yes", "no": "team_answer_no", "n/a": "team_answer_na"}


def _choices(session: Session, viewer: Viewer, shown: PageFilter) -> dict[str, Any]:
    """What the filter form offers: teams (admins), the team's reps and the script versions it was scored with."""
    team_id = shown.chosen.team_id
    return {
        "teams": teams(session) if viewer.role is UserRole.admin else [],
        "reps": team_reps(session, team_id),
        "scripts": script_versions(session, team_id),
    }


def _page(
    request: Request, session: Session, viewer: Viewer, template: str, shown: PageFilter, **context: Any
) -> HTMLResponse:
    return render(request, viewer, template, shown=shown, **_choices(session, viewer, shown), **context)


@router.get("/app/team")
def team_page(request: Request, viewer: Manager, session: SessionDep) -> HTMLResponse:
    shown = page_filter(request, viewer)
    table = team_table(session, shown.chosen)
    charts = team_charts(session, shown.chosen, Translator(viewer.locale))
    previous = shown.chosen.period.previous()
    return _page(request, session, viewer, "team.html", shown, table=table, previous=previous, **charts)


def chart_points(weeks: list[WeekFigures]) -> str:
    """The weekly averages as SVG polyline points: x across the weeks, y from 100 % (top) to 0 % (bottom)."""
    scored = [(i, week.average) for i, week in enumerate(weeks) if week.average is not None]
    step = CHART_WIDTH / max(len(weeks) - 1, 1)
    return " ".join(f"{i * step:.1f},{CHART_HEIGHT - average / 100 * CHART_HEIGHT:.1f}" for i, average in scored)


@router.get("/app/reps/{rep_id}")
def rep_page(request: Request, viewer: Manager, session: SessionDep, rep_id: int) -> HTMLResponse:
    shown = page_filter(request, viewer, rep_id=rep_id)
    rep = rep_in_scope(session, rep_id, shown.chosen.team_id)
    if rep is None:
        raise HTTPException(404, f"no rep {rep_id}")
    weeks = rep_weeks(session, shown.chosen)
    items = weakest_items(session, shown.chosen)
    review = calls_to_review(session, shown.chosen)
    return _page(
        request,
        session,
        viewer,
        "rep.html",
        shown,
        rep_name=rep.name,
        rep_id=rep_id,
        weeks=weeks,
        points=chart_points(weeks),
        chart_width=CHART_WIDTH,
        chart_height=CHART_HEIGHT,
        items=items,
        review=review,
    )


def _threshold(request: Request) -> float:
    text = request.query_params.get("threshold", "").strip()
    if not text:
        return ATTENTION_SCORE_PERCENT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 100:
        raise HTTPException(400, f"threshold: '{text}' is not a percentage from 0 to 100")
    return value


@router.get("/app/attention")
def attention_page(request: Request, viewer: Manager, session: SessionDep) -> HTMLResponse:
    shown = page_filter(request, viewer)
    threshold = _threshold(request)
    lines = attention(session, shown.chosen, threshold)
    return _page(request, session, viewer, "attention.html", shown, lines=lines, threshold=threshold)


@router.get("/app/review")
def review_page(request: Request, viewer: Manager, session: SessionDep) -> HTMLResponse:
    shown = page_filter(request, viewer)
    items = items_to_review(session, shown.chosen)
    return _page(request, session, viewer, "review.html", shown, items=items)


@router.get("/app/team/export.csv")
def team_export(request: Request, viewer: Manager, session: SessionDep) -> Response:
    shown = page_filter(request, viewer)
    translator = Translator(viewer.locale)
    export = scorecard_export(session, shown.chosen)

    def answer_text(answer: str) -> str:
        return translator.t(ANSWERS.get(answer, "team_answer_not_determined"))

    text = export_csv(export, [translator.t(key) for key in CSV_COLUMNS], answer_text)
    log_access(session, request, viewer, AuditAction.export_csv, "scorecards", query=str(request.url.query))
    period = shown.chosen.period
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="scorecards-{period.since}-{period.until}.csv"'},
    )
