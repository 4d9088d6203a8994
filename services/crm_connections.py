"""A team's CRM connections: stored with their secrets sealed, checked against the team's field schema when made,
and opened into a `crm_fill.adapters` adapter when a delivery needs one.

Secrets (OAuth tokens, client secrets, a Bitrix24 webhook URL, a webhook receiver's signing key) are sealed with
`CALLINTEL_CRM_SECRETS_KEY` before they reach the database. When a CRM rotates its tokens (amoCRM replaces the
refresh token at every refresh), the new pair is sealed and saved in its own transaction at once: the old refresh
token no longer works, so losing the new one with a later rollback would cut the team off.
"""

import logging
import time
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm_fill.adapters import (
    AmoCRMAdapter,
    AmoCRMConnection,
    Bitrix24Adapter,
    Bitrix24Connection,
    CRMAdapter,
    FieldMap,
    FieldMapError,
    HubSpotAdapter,
    HubSpotConnection,
    SecretBox,
    SecretKeyError,
    WebhookAdapter,
    WebhookConnection,
)
from models import FieldSchema
from models.errors import BadInput
from pipeline.call_setup import resolve_fields
from pipeline.crm_rate import crm_limiters
from pipeline.db import CRMConnection, Database, Delivery, Team
from pipeline.directory import stored_document
from pipeline.settings import Settings
from pipeline.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

log = logging.getLogger(__name__)

KINDS = ("amocrm", "bitrix24", "hubspot", "webhook")


class CRMConnectionError(BadInput, ValueError):
    """A connection that cannot be made or used as given; the message names the problem."""


class SignedWebhookConnection(WebhookConnection):
    """The generic webhook with the key its requests are signed with, so that the key is sealed with the rest."""

    signing_secret: SecretStr


CONNECTION_TYPES: dict[str, type[BaseModel]] = {
    "amocrm": AmoCRMConnection,
    "bitrix24": Bitrix24Connection,
    "hubspot": HubSpotConnection,
    "webhook": SignedWebhookConnection,
}


class ConnectionView(BaseModel):
    """A connection as shown to an operator: never a secret."""

    id: int
    team: str
    kind: str
    url: str
    enabled: bool
    fields: list[str]
    created_at: datetime
    updated_at: datetime


def secrets_box(settings: Settings) -> SecretBox:
    key = settings.crm_secrets_key
    if key is None or not key.get_secret_value().strip():
        raise CRMConnectionError(
            "CALLINTEL_CRM_SECRETS_KEY is not set: CRM secrets are stored encrypted with it "
            "(make one with `callintel crm key`, and give every API and worker process the same key)"
        )
    try:
        return SecretBox(key)
    except SecretKeyError as exc:
        raise CRMConnectionError(f"CALLINTEL_CRM_SECRETS_KEY: {exc}") from None


def connection_settings(kind: str, url: str, given: dict[str, Any]) -> BaseModel:
    """The adapter's connection settings from the address and what the operator gave (None: not given)."""
    if kind not in CONNECTION_TYPES:
        raise CRMConnectionError(f"unknown CRM '{kind}': expected one of {', '.join(KINDS)}")
    address = {"amocrm": "base_url", "bitrix24": "portal_url", "hubspot": "api_url", "webhook": "url"}[kind]
    data = {key: value for key, value in given.items() if value is not None}
    data[address] = url.rstrip("/") if kind != "webhook" else url
    known = CONNECTION_TYPES[kind].model_fields
    unused = sorted(set(data) - set(known))
    if unused:
        raise CRMConnectionError(f"{kind} does not take {', '.join('--' + name.replace('_', '-') for name in unused)}")
    try:
        return CONNECTION_TYPES[kind].model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            what = "missing" if error["type"] == "missing" else error["msg"].removeprefix("Value error, ")
            problems.append(f"--{where.replace('_', '-')}: {what}" if where else what)
        raise CRMConnectionError(f"{kind} connection: {'; '.join(problems)}") from None


def team_field_schema(session: Session, team: Team, settings: Settings) -> FieldSchema:
    ref = team.fields or settings.fields
    document = stored_document(session, "fields", ref)
    return resolve_fields(ref, document.body if document else None)


def check_field_map(session: Session, settings: Settings, team: Team, kind: str, field_map: FieldMap) -> None:
    """CRMConnectionError when the map is for another CRM or does not fit the team's field schema."""
    if field_map.crm != kind:
        raise CRMConnectionError(f"the field map is for {field_map.crm}, not {kind} (its 'crm:' line)")
    schema = team_field_schema(session, team, settings)
    try:
        field_map.check(schema)
    except FieldMapError as exc:
        raise CRMConnectionError(f"team {team.name}: {exc}") from None


def set_field_map(session: Session, settings: Settings, connection_id: int, field_map: FieldMap) -> CRMConnection:
    """Replace a connection's field map, checked as when connecting; its secrets stay as they are."""
    row = session.get(CRMConnection, connection_id)
    if row is None:
        raise CRMConnectionError(f"no CRM connection {connection_id}")
    check_field_map(session, settings, row.team, row.kind, field_map)
    row.field_map = field_map.model_dump(mode="json")
    session.flush()
    return row


def connect(
    session: Session,
    settings: Settings,
    *,
    team: str,
    kind: str,
    url: str,
    field_map: FieldMap,
    given: dict[str, Any],
) -> tuple[CRMConnection, bool]:
    """Add or replace the team's connection to this CRM; True when it is new. Nothing is stored on an error."""
    row_team = session.scalar(select(Team).where(Team.name == team))
    if row_team is None:
        raise CRMConnectionError(f"no team '{team}' (add it with `callintel team set {team}`)")
    check_field_map(session, settings, row_team, kind, field_map)
    sealed = secrets_box(settings).seal_connection(connection_settings(kind, url, given))
    row = session.scalar(select(CRMConnection).where(CRMConnection.team_id == row_team.id, CRMConnection.kind == kind))
    created = row is None
    if row is None:
        row = CRMConnection(team_id=row_team.id, kind=kind)
        session.add(row)
    row.url, row.secrets, row.enabled = url, sealed, True
    row.field_map = field_map.model_dump(mode="json")
    session.flush()
    return row, created


def list_connections(session: Session) -> list[ConnectionView]:
    rows = session.execute(
        select(CRMConnection, Team.name)
        .join(Team, CRMConnection.team_id == Team.id)
        .order_by(Team.name, CRMConnection.kind)
    )
    return [
        ConnectionView(
            id=row.id,
            team=team,
            kind=row.kind,
            url=row.url,
            enabled=row.enabled,
            fields=[mapping["field"] for mapping in row.field_map.get("fields", [])],
            created_at=_aware(row.created_at),
            updated_at=_aware(row.updated_at),
        )
        for row, team in rows
    ]


def disconnect(session: Session, *, team: str, kind: str) -> bool:
    """Stop writing to the team's CRM and forget its secrets; its pending deliveries go dead. False: none connected."""
    row = session.scalar(
        select(CRMConnection)
        .join(Team, CRMConnection.team_id == Team.id)
        .where(Team.name == team, CRMConnection.kind == kind, CRMConnection.enabled.is_(True))
    )
    if row is None:
        return False
    row.enabled, row.secrets = False, {}
    session.execute(
        update(Delivery)
        .where(Delivery.crm_connection_id == row.id, Delivery.status == "pending")
        .values(status="dead", last_error="CRM connection removed")
    )
    return True


def open_adapter(db: Database, settings: Settings, row: CRMConnection) -> CRMAdapter:
    """The adapter for a stored connection; tokens it refreshes are sealed and saved at once, and its requests keep
    to the account's rate limit across every worker process (`pipeline.crm_rate`)."""
    box = secrets_box(settings)
    limiters = crm_limiters(db)
    field_map = FieldMap.model_validate(row.field_map)
    connection = box.open_connection(CONNECTION_TYPES[row.kind], row.secrets)
    connection_id = row.id

    def save_tokens(refreshed: BaseModel) -> None:
        with db.session() as session:
            stored = session.get(CRMConnection, connection_id)
            if stored is not None:
                stored.secrets = box.seal_connection(refreshed)
        log.info("CRM connection %d: refreshed tokens stored", connection_id)

    if isinstance(connection, AmoCRMConnection):
        return AmoCRMAdapter(connection, field_map, on_tokens=save_tokens, limiters=limiters)
    if isinstance(connection, Bitrix24Connection):
        return Bitrix24Adapter(connection, field_map, on_tokens=save_tokens, limiters=limiters)
    if isinstance(connection, HubSpotConnection):
        return HubSpotAdapter(connection, field_map, on_tokens=save_tokens, limiters=limiters)
    if isinstance(connection, SignedWebhookConnection):
        secret = connection.signing_secret

        def signed(body: bytes) -> dict[str, str]:
            timestamp = int(time.time())
            signature = sign(secret.get_secret_value(), timestamp, body)
            return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature}

        plain = WebhookConnection.model_validate(connection.model_dump(exclude={"signing_secret"}))
        return WebhookAdapter(plain, field_map, sign=signed, limiters=limiters)
    raise CRMConnectionError(f"CRM connection {connection_id}: unknown kind '{row.kind}'")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
