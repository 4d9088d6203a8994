"""Rendering a page: the Jinja2 environment (autoescaped: transcript text is untrusted), the viewer's language,
and the values every page's layout needs."""

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from web.auth import CSRF_FIELD, Viewer
from web.i18n import Translator

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))


def clock(seconds: float | None) -> str:
    """A moment in a call as m:ss (h:mm:ss past an hour)."""
    if seconds is None:
        return ""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} %"


def local_time(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


TEMPLATES.env.filters["clock"] = clock
TEMPLATES.env.filters["percent"] = percent
TEMPLATES.env.filters["local_time"] = local_time


def render(
    request: Request,
    viewer: Viewer | None,
    template: str,
    status_code: int = 200,
    language: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """The page `template` for this viewer, in their language (before login: `language` or the cookie's)."""
    locale = viewer.locale if viewer else language or request.cookies.get("callintel_lang", "ru")
    translator = Translator(locale)
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "viewer": viewer,
            "t": translator.t,
            "tn": translator.tn,
            "locale": translator.locale,
            "csrf_field": CSRF_FIELD,
            **context,
        },
        status_code=status_code,
    )
