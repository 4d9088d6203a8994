"""Admin: how the AI does: per-field acceptance of proposed CRM values and per-item override rates of script items
(`services.ai_quality`, where what is counted is described)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.ai_quality import field_acceptance, item_override_rates
from web.deps import AdminViewer, SessionDep
from web.pages.render import render

router = APIRouter()


@router.get("/quality")
def quality_page(request: Request, viewer: AdminViewer, session: SessionDep) -> HTMLResponse:
    fields = field_acceptance(session)
    items = sorted(item_override_rates(session), key=lambda rate: (-rate.rate, rate.script_id, rate.item_id))
    return render(request, viewer, "admin_quality.html", fields=fields, items=items)
