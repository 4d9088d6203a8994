"""Reading deals from amoCRM / Kommo (API v4), for the deal sync. Requests go through the connection's write-back
adapter (crm_fill.adapters.amocrm), so they share its rate limit (across every worker on PostgreSQL), its token
refresh and its sorting of answers into retryable and permanent errors.

- `GET /api/v4/account`: the account's currency (amoCRM amounts carry none).
- `GET /api/v4/leads/pipelines`: pipelines with their statuses; 142 is won and 143 lost in every pipeline.
- `GET /api/v4/users?page=N&limit=250`: the users who own leads, with their e-mail.
- `GET /api/v4/leads?with=contacts&filter[updated_at][from]=T&order[updated_at]=asc&page=N&limit=250`: leads
  changed since T, oldest change first; 204 past the last page. `filter[id][]=...` names leads (a webhook's).
- `GET /api/v4/contacts?filter[id][]=...`: the leads' contacts with their phones (field_code PHONE).
- `GET /api/v4/events?filter[type]=lead_deleted&filter[created_at][from]=T`: leads moved to the trash, which the
  lead list no longer shows.
- `GET /api/v4/events?filter[entity][]=lead&filter[entity_id][]=...&filter[type][]=lead_status_changed&...`: the
  history of new leads' status (`lead_status_changed`), budget (`sale_field_changed`) and responsible user
  (`entity_responsible_changed`); each event holds the value before and after. At most 10 leads an ask.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from crm_fill.adapters.amocrm import AmoCRMAdapter
from crm_fill.adapters.mapping import FieldMap
from models.deals import DealRecord, StageOutcome
from services.deals.source import Deletions, PastValue, PipelineInfo, StageInfo, UserInfo

PAGE = 250
EVENT_LEADS = 10  # amoCRM takes at most 10 ids in filter[entity_id]
WON, LOST = 142, 143
STATUS_OUTCOMES = {WON: StageOutcome.won, LOST: StageOutcome.lost}
HISTORY_EVENTS = {"lead_status_changed": "stage", "sale_field_changed": "amount", "entity_responsible_changed": "owner"}


def moment(unix_s: int | None) -> datetime | None:
    return datetime.fromtimestamp(unix_s, UTC) if unix_s else None


class AmoCRMDeals:
    def __init__(self, adapter: AmoCRMAdapter, field_map: FieldMap, page_size: int = PAGE) -> None:
        self.adapter = adapter
        self.field_map = field_map
        self.page_size = page_size
        self._currency: tuple[str | None] | None = None

    def close(self) -> None:
        self.adapter.close()

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
        if self._currency is None:
            body = self._get("GET /api/v4/account", "/api/v4/account") or {}
            self._currency = (str(body["currency"]).upper() if body.get("currency") else None,)
        return self._currency[0]

    def pipelines(self) -> list[PipelineInfo]:
        body = self._get("GET /api/v4/leads/pipelines", "/api/v4/leads/pipelines") or {}
        found = []
        for pipeline in (body.get("_embedded") or {}).get("pipelines") or []:
            statuses = sorted((pipeline.get("_embedded") or {}).get("statuses") or [], key=lambda s: s.get("sort", 0))
            stages = [
                # Won and lost are fixed in amoCRM; other stages keep the mapping made on the admin page.
                StageInfo(str(status["id"]), str(status.get("name") or ""), STATUS_OUTCOMES.get(int(status["id"])))
                for status in statuses
            ]
            found.append(PipelineInfo(str(pipeline["id"]), str(pipeline.get("name") or ""), stages))
        return found

    def users(self) -> Iterator[UserInfo]:
        for page in self._pages("GET /api/v4/users", "/api/v4/users", "users", []):
            yield from (UserInfo(str(user["id"]), user.get("name"), user.get("email")) for user in page)

    def _records(self, leads: list[dict[str, Any]]) -> list[DealRecord]:
        contact_ids = sorted(
            {int(c["id"]) for lead in leads for c in ((lead.get("_embedded") or {}).get("contacts") or [])}
        )
        contacts = self.contacts(contact_ids) if contact_ids else {}
        return [lead_record(lead, contacts, self.currency(), self.field_map) for lead in leads]

    def deal_pages(self, since: datetime | None) -> Iterator[list[DealRecord]]:
        params: list[tuple[str, Any]] = [("with", "contacts"), ("order[updated_at]", "asc")]
        if since is not None:
            params.append(("filter[updated_at][from]", int(since.timestamp())))
        for leads in self._pages("GET /api/v4/leads", "/api/v4/leads", "leads", params):
            yield self._records(leads)

    def deals(self, ids: list[str]) -> list[DealRecord]:
        found: list[DealRecord] = []
        for start in range(0, len(ids), self.page_size):
            params = [
                ("with", "contacts"),
                *(("filter[id][]", lead_id) for lead_id in ids[start : start + self.page_size]),
            ]
            for leads in self._pages("GET /api/v4/leads", "/api/v4/leads", "leads", params):
                found.extend(self._records(leads))
        return found

    def contacts(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(ids), self.page_size):
            params = [("filter[id][]", contact_id) for contact_id in ids[start : start + self.page_size]]
            for page in self._pages("GET /api/v4/contacts", "/api/v4/contacts", "contacts", params):
                found.update({int(contact["id"]): contact for contact in page})
        return found

    def deletions(self, since: datetime | None, *, full: bool) -> Deletions:
        params: list[tuple[str, Any]] = [("filter[type]", "lead_deleted")]
        if since is not None:
            params.append(("filter[created_at][from]", int(since.timestamp())))
        events = [
            event
            for page in self._pages("GET /api/v4/events", "/api/v4/events", "events", params)
            for event in page
            if event.get("entity_type", "lead") == "lead"
        ]
        newest = max((found for e in events if (found := moment(e.get("created_at"))) is not None), default=None)
        return Deletions([str(event["entity_id"]) for event in events], newest)

    def history(self, deals: list[DealRecord]) -> list[PastValue]:
        """Each new lead's status, budget and responsible user from its events: the first event's value before it
        stood from the lead's creation, each event's value after from the event on."""
        by_id = {deal.external_id: deal for deal in deals}
        events: list[dict[str, Any]] = []
        ids = list(by_id)
        for start in range(0, len(ids), EVENT_LEADS):
            params: list[tuple[str, Any]] = [
                ("filter[entity][]", "lead"),
                *(("filter[entity_id][]", lead_id) for lead_id in ids[start : start + EVENT_LEADS]),
                *(("filter[type][]", kind) for kind in HISTORY_EVENTS),
            ]
            for page in self._pages("GET /api/v4/events", "/api/v4/events", "events", params):
                events.extend(page)
        past: list[PastValue] = []
        first: set[tuple[str, str]] = set()
        for event in sorted(events, key=lambda e: (e.get("created_at") or 0, str(e.get("id")))):
            deal, field = by_id.get(str(event.get("entity_id"))), HISTORY_EVENTS.get(str(event.get("type")))
            at = moment(event.get("created_at"))
            if deal is None or field is None or at is None:
                continue
            if (deal.external_id, field) not in first:
                first.add((deal.external_id, field))
                before = self._past(deal, field, event.get("value_before"), deal.created_at or at)
                past.extend([before] if before else [])
            after = self._past(deal, field, event.get("value_after"), at)
            past.extend([after] if after else [])
        return past

    def _past(self, deal: DealRecord, field: str, values: Any, at: datetime) -> PastValue | None:
        value = (values or [{}])[0] if isinstance(values, list) else {}
        if field == "stage" and value.get("lead_status"):
            status = value["lead_status"]
            return PastValue(deal.external_id, field, at, stage=(str(status["pipeline_id"]), str(status["id"])))
        if field == "amount" and value.get("sale_field_value"):
            sale = value["sale_field_value"].get("sale")
            amount = Decimal(sale) if sale else None
            return PastValue(deal.external_id, field, at, amount=amount, currency=self.currency() if amount else None)
        if field == "owner" and value.get("responsible_user"):
            return PastValue(deal.external_id, field, at, owner=str(value["responsible_user"]["id"]))
        return None


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
