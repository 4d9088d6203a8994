"""The admin pages under /app/admin: users and API tokens, teams, call scripts, CRM field maps, and how the AI
does, and the access audit log. Admins only, except a script item's examples and the product catalogue, which heads
of sales keep for their own team; each area lives in its own module."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from web.deps import AdminViewer
from web.pages import (
    admin_audit,
    admin_catalogue,
    admin_crm,
    admin_examples,
    admin_quality,
    admin_scripts,
    admin_teams,
    admin_users,
)
from web.pages.render import render

router = APIRouter(prefix="/app/admin", include_in_schema=False)


@router.get("")
def admin_index(request: Request, viewer: AdminViewer) -> HTMLResponse:
    return render(request, viewer, "admin_index.html")


for area in (
    admin_users,
    admin_teams,
    admin_scripts,
    admin_examples,
    admin_catalogue,
    admin_crm,
    admin_quality,
    admin_audit,
):
    router.include_router(area.router)
