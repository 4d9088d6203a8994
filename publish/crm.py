"""One attempt at a CRM delivery: find the deal, write the approved values and read them back, or log the call.

The adapter comes from the stored connection (`services.crm_connections.open_adapter`), fresh for each attempt
so it uses the tokens as last saved. What the CRM answered decides the delivery's fate in `publish.delivery`:
a `RetryableCRMError` (rate limit, 5xx, timeout) is tried again, no sooner than the CRM asked; a
`PermanentCRMError` (validation, no deal, revoked access) is dead at once with the CRM's message. A write the CRM
answered but did not keep (amoCRM and Kommo can answer 200 and keep the old value) is not retried, since it
would fail the same way: its mismatches are stored with the delivery and logged as a warning.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.orm import Session

from crm_fill.adapters import CallLog, CRMAdapter, CRMError, FieldMap, RetryableCRMError, SecretKeyError
from models import Analysis, CallDirection, CallInfo, FieldProposal, FieldType
from pipeline.crm_outbox import CRM_CALL_LOG, CRM_WRITE, queue_call_log
from pipeline.db import Call, CallResultRow, CRMConnection, Delivery
from pipeline.redaction import shown_analysis
from pipeline.runtime import Runtime
from pipeline.stages import output_key
from services.crm_connections import CRMConnectionError, open_adapter

log = logging.getLogger(__name__)

CRM_LOCK_SPACE = 7243012  # advisory lock key space of CRM connections (7243011 is the migration lock)


@dataclass
class Attempt:
    """How one attempt ended: no error, an error worth another try (after `retry_after_s` at the soonest), or one
    that is final."""

    error: str | None = None
    permanent: bool = False
    retry_after_s: float | None = None


def send_to_crm(runtime: Runtime, session: Session, delivery: Delivery, row: CRMConnection) -> Attempt:
    event = delivery.event
    if session.get_bind().dialect.name == "postgresql":
        # One delivery per CRM account at a time across workers: amoCRM rotates the refresh token, so two workers
        # refreshing with the same old token at once would lock the second out. The lock is taken before the
        # tokens are read, and the row is read again under it to pick up tokens another worker just saved.
        session.execute(text("SELECT pg_advisory_xact_lock(:space, :id)"), {"space": CRM_LOCK_SPACE, "id": row.id})
        session.refresh(row)
        if not row.enabled:
            return Attempt("CRM connection removed", permanent=True)
    call = session.get(Call, event.call_id) if event.call_id else None
    if call is None:
        return Attempt(f"call {event.call_id} no longer exists", permanent=True)
    try:
        adapter = open_adapter(runtime.db, runtime.settings, row)
    except (CRMConnectionError, SecretKeyError) as exc:
        return Attempt(f"CRM connection {row.id}: {exc}", permanent=True)
    except ValidationError:
        return Attempt(f"CRM connection {row.id}: stored settings are not valid; connect the CRM again", permanent=True)
    try:
        if event.type == CRM_WRITE:
            delivery.result = _write(session, adapter, call, row.id, event.payload)
        elif event.type == CRM_CALL_LOG:
            delivery.result = _log_call(runtime, session, adapter, call, event.payload["deal_id"])
        else:
            return Attempt(f"unknown CRM event type {event.type}", permanent=True)
    except RetryableCRMError as exc:
        return Attempt(str(exc), retry_after_s=exc.retry_after_s)
    except CRMError as exc:
        return Attempt(str(exc), permanent=True)
    finally:
        adapter.close()
    return Attempt()


def customer_number(info: CallInfo) -> str | None:
    """The customer's side of the call: the number called on an outbound call, the caller's otherwise."""
    return info.to_number if info.direction == CallDirection.outbound else info.from_number


def _write(session: Session, adapter: CRMAdapter, call: Call, connection_id: int, payload: dict) -> dict[str, Any]:
    info = CallInfo.model_validate(call.info)
    deal = adapter.find_deal(deal_id=info.crm_deal_id, phone=customer_number(info))
    proposals = [FieldProposal.model_validate(item) for item in payload["proposals"]]
    mapped = {mapping.field for mapping in adapter.field_map.fields}
    unmapped = sorted(p.field for p in proposals if p.field not in mapped)
    result = adapter.write(deal, [_typed(p, adapter.field_map) for p in proposals if p.field in mapped])
    for mismatch in result.mismatches:
        log.warning(
            "call %s: %s deal %s did not keep field '%s' (%s): reads back %r after writing %r",
            call.id, adapter.crm, deal, mismatch.field, mismatch.crm_field, mismatch.stored, mismatch.sent,
            extra={"call_id": call.id},
        )  # fmt: skip
    queue_call_log(session, call.id, connection_id, deal)
    return {**result.model_dump(mode="json"), "ok": result.ok, "not_in_field_map": unmapped}


def _typed(proposal: FieldProposal, field_map: FieldMap) -> FieldProposal:
    """Dates come back from the outbox's JSON as text; the adapters take them as dates."""
    mapping = field_map.mapping(proposal.field)
    if mapping.type == FieldType.date and isinstance(proposal.value, str):
        return proposal.model_copy(update={"value": date.fromisoformat(proposal.value)})
    return proposal


def _log_call(runtime: Runtime, session: Session, adapter: CRMAdapter, call: Call, deal: str) -> dict[str, Any]:
    info = CallInfo.model_validate(call.info)
    result = session.get(CallResultRow, call.id)
    started = info.started_at or call.created_at.replace(tzinfo=call.created_at.tzinfo or UTC)
    entry = CallLog(
        call_id=call.id,
        started_at=started,
        duration_s=round(result.duration_s) if result else 0,
        direction=info.direction,
        phone=customer_number(info) or "",
        summary=_summary(runtime, call, info, result.language if result else "ru"),
    )
    return {"deal_id": deal, "crm_call_id": adapter.log_call(deal, entry)}


def _summary(runtime: Runtime, call: Call, info: CallInfo, language: str) -> str:
    """The summary and next step as subscribers get them (redacted when redaction is on)."""
    key = output_key(call.id, "analysis")
    if not runtime.storage.exists(key):
        return ""
    analysis = Analysis.model_validate_json(runtime.storage.get_bytes(key))
    summary = shown_analysis(analysis, info, language, runtime.settings).summary
    return "\n".join(part for part in (summary.text, summary.next_step) if part)
