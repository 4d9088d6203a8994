"""The filters the team pages share (team, period, rep, script version), read from the query string.

A head of sales always sees their own team, whatever the query says; an admin picks any team or all of them.
"""

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from fastapi import HTTPException, Request

from services.accounts import UserRole
from services.team_views import BadFilter, Period, ScriptRef, TeamFilter
from web.auth import Viewer

DEFAULT_DAYS = 30


def _date(request: Request, name: str) -> date | None:
    text = request.query_params.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, f"{name}: '{text}' is not a date (YYYY-MM-DD)") from None


def _int(request: Request, name: str) -> int | None:
    text = request.query_params.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise HTTPException(400, f"{name}: '{text}' is not a number")
    return int(text)


def _period(request: Request) -> Period:
    since, until = _date(request, "since"), _date(request, "until")
    try:
        if since is None and until is None:
            return Period.last_days(DEFAULT_DAYS)
        if since is None:
            return Period.last_days(DEFAULT_DAYS, until)
        return Period(since, until or max(since, Period.last_days(1).until))
    except BadFilter as exc:
        raise HTTPException(400, str(exc)) from None


def viewer_team(viewer: Viewer, asked: int | None) -> int | None:
    """The team a page shows: a head of sales' own, an admin's pick (None: every team)."""
    if viewer.role is UserRole.rop:
        if viewer.team_id is None:
            raise HTTPException(403, "this head of sales has no team")
        return viewer.team_id
    return asked


@dataclass(frozen=True)
class PageFilter:
    chosen: TeamFilter
    asked_team: int | None
    script_text: str

    def query(self, **changes: object) -> str:
        """The filter as a query string, with `changes` applied (None drops a value)."""
        values: dict[str, object] = {
            "team": self.asked_team,
            "since": self.chosen.period.since.isoformat(),
            "until": self.chosen.period.until.isoformat(),
            "rep": self.chosen.rep_id,
            "script": self.script_text or None,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v is not None})


def page_filter(request: Request, viewer: Viewer, rep_id: int | None = None) -> PageFilter:
    asked_team = _int(request, "team") if viewer.role is UserRole.admin else None
    script_text = request.query_params.get("script", "").strip()
    try:
        script = ScriptRef.parse(script_text) if script_text else None
    except BadFilter as exc:
        raise HTTPException(400, str(exc)) from None
    chosen = TeamFilter(
        period=_period(request),
        team_id=viewer_team(viewer, asked_team),
        rep_id=rep_id if rep_id is not None else _int(request, "rep"),
        script=script,
    )
    return PageFilter(chosen, asked_team, script_text)
