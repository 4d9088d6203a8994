"""Reading deals from amoCRM / Kommo (API v4), for the deal sync. Requests go through the connection's write-back
adapter (crm_fill.adapters.amocrm), so they share its rate limit (across every worker on PostgreSQL), its token
refresh and its sorting of answers into retryable and permanent errors.

- `GET /api/v4/account`: the account's currency (amoCRM amounts carry none).
- `GET /api/v4/leads/pipelines`: pipelines with their statuses; 142 is won and 143 lost in every pipeline.
- `GET /api/v4/users?page=N&limit=250`: the users who own leads, with their e-mail.
- `GET /api/v4/leads?with=contacts&filter[updated_at][from]=T&order[updated_at]=asc&page=N&limit=250`: leads
  changed since T, oldest change first; 204 past the last page.
- `GET /api/v4/contacts?filter[id][]=...`: the leads' contacts with their phones (field_code PHONE).
- `GET /api/v4/events?filter[type]=lead_deleted&filter[created_at][from]=T`: leads moved to the trash, which the
  lead list no longer shows.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from crm_fill.adapters.amocrm import AmoCRMAdapter
from crm_fill.adapters.mapping import FieldMap
from models.deals import DealRecord, StageOutcome

PAGE = 250
WON, LOST = 142, 143
STATUS_OUTCOMES = {WON: StageOutcome.won, LOST: StageOutcome.lost}


def moment(unix_s: int | None) -> datetime | None:
    return datetime.fromtimestamp(unix_s, UTC) if unix_s else None


class AmoCRMDeals:
    def __init__(self, adapter: AmoCRMAdapter, page_size: int = PAGE) -> None:
        self.adapter = adapter
        self.page_size = page_size

    def _get(self, what: str, path: str, params: dict[str, Any] | list[tuple[str, Any]] | None = None) -> Any:
        return self.adapter.read(what, path, params)

    def _pages(self, what: str, path: str, key: str, params: list[tuple[str, Any]]) -> Iterator[list[dict[str, Any]]]:
        page = 1
        while True:
            body = self._get(what, path, [*params, ("page", page), ("limit", self.page_size)])
            items = ((body or {}).get("_embedded") or {}).get(key) or []
            if not items:
                return
            yield items
            if not ((body.get("_links") or {}).get("next")):
                return
            page += 1

    def currency(self) -> str | None:
        body = self._get("GET /api/v4/account", "/api/v4/account") or {}
        currency = body.get("currency")
        return str(currency).upper() if currency else None

    def pipelines(self) -> list[dict[str, Any]]:
        body = self._get("GET /api/v4/leads/pipelines", "/api/v4/leads/pipelines") or {}
        return list((body.get("_embedded") or {}).get("pipelines") or [])

    def users(self) -> Iterator[dict[str, Any]]:
        for page in self._pages("GET /api/v4/users", "/api/v4/users", "users", []):
            yield from page

    def lead_pages(self, since: datetime | None) -> Iterator[list[dict[str, Any]]]:
        params: list[tuple[str, Any]] = [("with", "contacts"), ("order[updated_at]", "asc")]
        if since is not None:
            params.append(("filter[updated_at][from]", int(since.timestamp())))
        yield from self._pages("GET /api/v4/leads", "/api/v4/leads", "leads", params)

    def contacts(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(ids), self.page_size):
            params = [("filter[id][]", contact_id) for contact_id in ids[start : start + self.page_size]]
            for page in self._pages("GET /api/v4/contacts", "/api/v4/contacts", "contacts", params):
                found.update({int(contact["id"]): contact for contact in page})
        return found

    def deletions(self, since: datetime | None) -> Iterator[dict[str, Any]]:
        params: list[tuple[str, Any]] = [("filter[type]", "lead_deleted")]
        if since is not None:
            params.append(("filter[created_at][from]", int(since.timestamp())))
        for page in self._pages("GET /api/v4/events", "/api/v4/events", "events", params):
            yield from page


def _phones(contact: dict[str, Any]) -> list[str]:
    return [
        str(value["value"])
        for custom in contact.get("custom_fields_values") or []
        if custom.get("field_code") == "PHONE"
        for value in custom.get("values") or []
        if value.get("value")
    ]


def _close_date(lead: dict[str, Any], field_map: FieldMap) -> date | None:
    """The expected close date from the custom field the team's field map writes `expected_close_date` to."""
    mapping = next((m for m in field_map.fields if m.field == "expected_close_date"), None)
    if mapping is None:
        return None
    for custom in lead.get("custom_fields_values") or []:
        if str(custom.get("field_id")) == mapping.crm_field:
            values = custom.get("values") or []
            if values and isinstance(values[0].get("value"), int):
                return datetime.fromtimestamp(values[0]["value"], field_map.zone).date()
    return None


def lead_record(
    lead: dict[str, Any], contacts: dict[int, dict[str, Any]], currency: str | None, field_map: FieldMap
) -> DealRecord:
    linked = ((lead.get("_embedded") or {}).get("contacts")) or []
    main = next((c for c in linked if c.get("is_main")), linked[0] if linked else None)
    contact = contacts.get(int(main["id"])) if main else None
    price = lead.get("price")
    return DealRecord(
        external_id=str(lead["id"]),
        name=str(lead.get("name") or ""),
        pipeline=str(lead.get("pipeline_id") or "default"),
        stage=str(lead.get("status_id") or "unknown"),
        amount=Decimal(price) if price else None,
        currency=currency if price else None,
        owner=str(lead["responsible_user_id"]) if lead.get("responsible_user_id") else None,
        close_date=_close_date(lead, field_map),
        created_at=moment(lead.get("created_at")),
        modified_at=moment(lead.get("updated_at")),
        deleted=bool(lead.get("is_deleted")),
        contact=str(contact["id"]) if contact else None,
        contact_name=str(contact.get("name") or "") if contact else None,
        contact_phones=_phones(contact) if contact else [],
    )
