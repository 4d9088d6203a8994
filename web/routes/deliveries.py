"""/deliveries: events on their way to subscribers and CRMs, and sending a failed or dead one again."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from publish.admin import DeliveryStatus, DeliveryView, list_deliveries, retry_delivery
from services.accounts import UserRole
from web.deps import ApiViewer, RuntimeDep


async def _admin(viewer: ApiViewer) -> None:
    if viewer.role is not UserRole.admin:
        raise HTTPException(403, "deliveries are for admins")


router = APIRouter(prefix="/deliveries", tags=["deliveries"], dependencies=[Depends(_admin)])

MAX_PAGE = 500


@router.get("", summary="Deliveries, filtered by status or call")
def get_deliveries(
    runtime: RuntimeDep,
    status: DeliveryStatus | None = None,
    call_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> list[DeliveryView]:
    return list_deliveries(runtime, status=status, call_id=call_id, limit=limit)


@router.post(
    "/{delivery_id}/retry",
    summary="Send a pending or dead delivery again now, with a fresh set of attempts",
    responses={404: {}, 409: {"description": "its subscriber or CRM connection was removed"}},
)
def retry(delivery_id: int, runtime: RuntimeDep) -> DeliveryView:
    try:
        view = retry_delivery(runtime, delivery_id)
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from exc
    if view is None:
        raise HTTPException(404, f"no delivery {delivery_id}")
    return view
