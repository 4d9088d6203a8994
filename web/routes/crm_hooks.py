"""/hooks/crm/<token>: the CRMs' change webhooks (services.deals.webhooks). A call that checks out syncs the deals
it names (a queue message in service mode, at once in embedded mode) and is answered 200 with how many; a wrong
signature or application token is answered 401 with the reason, an unknown address 404, and nothing is synced."""

import logging

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from pipeline.runtime import Runtime
from services.deals.passes import changed_deals
from services.deals.webhooks import WebhookRefused, crm_changes, webhook_of
from web.deps import RuntimeDep

log = logging.getLogger(__name__)

router = APIRouter(prefix="/hooks/crm", tags=["CRM change webhooks"])


def _receive(runtime: Runtime, token: str, method: str, url: str, body: bytes, headers: dict[str, str]) -> dict:
    with runtime.db.session() as session:
        found = webhook_of(session, runtime.settings, token)
        if found is None:
            raise HTTPException(404, "no CRM webhook at this address")
        row, secret = found
        connection_id, kind = row.id, row.kind
    try:
        changes = crm_changes(kind, secret, method, url, body, headers)
    except WebhookRefused as exc:
        log.warning("CRM webhook refused: %s", exc, extra={"connection_id": connection_id, "crm": kind})
        raise HTTPException(401, str(exc)) from None
    if changes.changed or changes.deleted:
        changed_deals(runtime, connection_id, changes.changed, changes.deleted)
    log.info(
        "CRM webhook",
        extra={"connection_id": connection_id, "crm": kind, "changed": changes.changed, "deleted": changes.deleted},
    )
    return {"changed": len(changes.changed), "deleted": len(changes.deleted)}


@router.post(
    "/{token}",
    summary="A CRM's change webhook: the deals it names are synced",
    responses={401: {"description": "wrong signature or application token"}, 404: {"description": "unknown address"}},
)
async def crm_change(token: str, request: Request, runtime: RuntimeDep) -> dict:
    body = await request.body()
    headers = {key.lower(): value for key, value in request.headers.items()}
    return await run_in_threadpool(_receive, runtime, token, request.method, str(request.url), body, headers)
