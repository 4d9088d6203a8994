"""Reading deals from HubSpot (CRM API v3), for the deal sync. Requests go through the connection's write-back
adapter (crm_fill.adapters.hubspot), so they share its rate limit (across every worker on PostgreSQL), its token
refresh and its sorting of answers into retryable and permanent errors.

- `GET /crm/v3/pipelines/deals`: pipelines with their stages; a closed stage with probability 1 is won, another
  closed one lost; `metadata.probability` is the stage's default probability.
- `GET /crm/v3/owners`: the owners of deals, with their e-mail (`after` paging).
- `POST /crm/v3/objects/deals/search`: deals with `hs_lastmodifieddate` GTE the last pass, oldest change first,
  100 a page (`after`). A search gives at most 10,000 results, so past that it starts again from the last
  modification time read.
- `POST /crm/v4/associations/deals/contacts/batch/read`, `POST /crm/v3/objects/contacts/batch/read`: each deal's
  first contact with its phones.
- `POST /crm/v3/objects/deals/batch/read`: named deals (a webhook's), and with `propertiesWithHistory` the
  history of new deals' dealstage, amount, closedate and hubspot_owner_id (50 deals an ask).
- `GET /crm/v3/objects/deals?archived=true`: archived (deleted) deals, with when.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from crm_fill.adapters.errors import PermanentCRMError
from crm_fill.adapters.hubspot import HubSpotAdapter
from models.deals import DealRecord, StageOutcome
from services.deals.source import Deletions, PastValue, PipelineInfo, StageInfo, UserInfo

PAGE = 100
SEARCH_CAP = 10_000
HISTORY_BATCH = 50  # batch reads with propertiesWithHistory take at most 50 ids
PROPERTIES = [
    "dealname", "pipeline", "dealstage", "amount", "deal_currency_code", "hubspot_owner_id", "closedate",
    "createdate", "hs_lastmodifieddate",
]  # fmt: skip
HISTORY = {"dealstage": "stage", "amount": "amount", "closedate": "close_date", "hubspot_owner_id": "owner"}


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    text = str(value)
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _day(value: Any) -> date | None:
    moment = _when(value)
    return moment.astimezone(UTC).date() if moment else None


def _amount(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01")) if value not in (None, "") else None
    except InvalidOperation:
        return None
    return amount if amount else None


class HubSpotDeals:
    def __init__(self, adapter: HubSpotAdapter, page_size: int = PAGE, search_cap: int = SEARCH_CAP) -> None:
        self.adapter = adapter
        self.page_size = page_size
        self.search_cap = search_cap
        self._stage_pipelines: dict[str, str] = {}

    def close(self) -> None:
        self.adapter.close()

    def _post(self, what: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.adapter.read(f"POST {what}", "POST", what, json=body) or {}

    def _listed(self, path: str, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        after: str | None = None
        while True:
            query = {**params, "limit": self.page_size, **({"after": after} if after else {})}
            body = self.adapter.read(f"GET {path}", "GET", path, params=query) or {}
            if body.get("results"):
                yield list(body["results"])
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after or not body.get("results"):
                return

    def pipelines(self) -> list[PipelineInfo]:
        body = self.adapter.read("GET /crm/v3/pipelines/deals", "GET", "/crm/v3/pipelines/deals") or {}
        found = []
        for pipeline in sorted(body.get("results") or [], key=lambda p: p.get("displayOrder", 0)):
            stages = []
            for stage in sorted(pipeline.get("stages") or [], key=lambda s: s.get("displayOrder", 0)):
                meta = stage.get("metadata") or {}
                probability = float(meta["probability"]) if meta.get("probability") not in (None, "") else None
                closed = str(meta.get("isClosed")).lower() == "true"
                outcome = (
                    (StageOutcome.won if probability == 1.0 else StageOutcome.lost) if closed else StageOutcome.open
                )
                stages.append(StageInfo(str(stage["id"]), str(stage.get("label") or ""), outcome, probability))
                self._stage_pipelines[str(stage["id"])] = str(pipeline["id"])
            found.append(PipelineInfo(str(pipeline["id"]), str(pipeline.get("label") or ""), stages))
        return found

    def users(self) -> Iterator[UserInfo]:
        for page in self._listed("/crm/v3/owners", {}):
            for owner in page:
                name = " ".join(part for part in (owner.get("firstName"), owner.get("lastName")) if part)
                yield UserInfo(str(owner["id"]), name or None, owner.get("email") or None)

    def _contacts(self, deal_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Each deal's first associated contact."""
        if not deal_ids:
            return {}
        links = self._post(
            "/crm/v4/associations/deals/contacts/batch/read", {"inputs": [{"id": deal} for deal in deal_ids]}
        )
        first = {
            str(link["from"]["id"]): str(link["to"][0]["toObjectId"])
            for link in links.get("results") or []
            if link.get("to")
        }
        if not first:
            return {}
        found = self._post(
            "/crm/v3/objects/contacts/batch/read",
            {
                "properties": ["firstname", "lastname", "phone", "mobilephone"],
                "inputs": [{"id": contact} for contact in sorted(set(first.values()))],
            },
        )
        contacts = {str(contact["id"]): contact for contact in found.get("results") or []}
        return {deal: contacts[contact] for deal, contact in first.items() if contact in contacts}

    def _records(self, deals: list[dict[str, Any]]) -> list[DealRecord]:
        contacts = self._contacts([str(deal["id"]) for deal in deals])
        return [deal_record(deal, contacts.get(str(deal["id"]))) for deal in deals]

    def deal_pages(self, since: datetime | None) -> Iterator[list[DealRecord]]:
        anchor, after = since, None
        while True:
            filters = (
                [
                    {
                        "propertyName": "hs_lastmodifieddate",
                        "operator": "GTE",
                        "value": str(int(anchor.timestamp() * 1000)),
                    }
                ]
                if anchor is not None
                else []
            )
            body = self._post(
                "/crm/v3/objects/deals/search",
                {
                    "filterGroups": [{"filters": filters}] if filters else [],
                    "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
                    "properties": PROPERTIES,
                    "limit": self.page_size,
                    **({"after": after} if after else {}),
                },
            )
            deals = body.get("results") or []
            if deals:
                yield self._records(deals)
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not deals or not after:
                return
            if int(after) + self.page_size > self.search_cap:
                newest = max(
                    (
                        found
                        for deal in deals
                        if (found := _when((deal.get("properties") or {}).get("hs_lastmodifieddate")))
                    ),
                    default=None,
                )
                if newest is None or newest == anchor:
                    raise PermanentCRMError(
                        "hubspot", f"over {self.search_cap} deals modified at {anchor}: a search cannot page past them"
                    )
                anchor, after = newest, None

    def _batch(self, ids: list[str], **extra: Any) -> list[dict[str, Any]]:
        body = self._post(
            "/crm/v3/objects/deals/batch/read",
            {"properties": PROPERTIES, "inputs": [{"id": deal} for deal in ids], **extra},
        )
        return list(body.get("results") or [])

    def deals(self, ids: list[str]) -> list[DealRecord]:
        found: list[DealRecord] = []
        for start in range(0, len(ids), PAGE):
            found.extend(self._records(self._batch(ids[start : start + PAGE])))
        return found

    def deletions(self, since: datetime | None, *, full: bool) -> Deletions:
        archived = [
            (str(deal["id"]), at)
            for page in self._listed("/crm/v3/objects/deals", {"archived": "true"})
            for deal in page
            if (at := _when(deal.get("archivedAt"))) is not None and (since is None or at >= since)
        ]
        return Deletions([deal for deal, _ in archived], max((at for _, at in archived), default=None))

    def history(self, deals: list[DealRecord]) -> list[PastValue]:
        by_id = {deal.external_id: deal for deal in deals}
        past: list[PastValue] = []
        ids = list(by_id)
        for start in range(0, len(ids), HISTORY_BATCH):
            read = self._batch(ids[start : start + HISTORY_BATCH], propertiesWithHistory=list(HISTORY))
            for found in read:
                deal = by_id.get(str(found["id"]))
                for name, versions in (found.get("propertiesWithHistory") or {}).items():
                    if deal is None or name not in HISTORY:
                        continue
                    for version in versions or []:
                        value = self._past(deal, HISTORY[name], version.get("value"), _when(version.get("timestamp")))
                        past.extend([value] if value else [])
        return past

    def _past(self, deal: DealRecord, field: str, value: Any, at: datetime | None) -> PastValue | None:
        if at is None:
            return None
        if field == "stage":
            if not value:
                return None
            pipeline = self._stage_pipelines.get(str(value), deal.pipeline)
            return PastValue(deal.external_id, field, at, stage=(pipeline, str(value)))
        if field == "amount":
            amount = _amount(value)
            return PastValue(deal.external_id, field, at, amount=amount, currency=deal.currency if amount else None)
        if field == "owner":
            return PastValue(deal.external_id, field, at, owner=str(value) if value else None)
        return PastValue(deal.external_id, field, at, close_date=_day(value))


def _phones(contact: dict[str, Any]) -> list[str]:
    properties = contact.get("properties") or {}
    return [str(properties[name]) for name in ("phone", "mobilephone") if properties.get(name)]


def deal_record(deal: dict[str, Any], contact: dict[str, Any] | None) -> DealRecord:
    properties = deal.get("properties") or {}
    amount = _amount(properties.get("amount"))
    contact_properties = (contact or {}).get("properties") or {}
    name = " ".join(part for part in (contact_properties.get("firstname"), contact_properties.get("lastname")) if part)
    return DealRecord(
        external_id=str(deal["id"]),
        name=str(properties.get("dealname") or ""),
        pipeline=str(properties.get("pipeline") or "default"),
        stage=str(properties.get("dealstage") or "unknown"),
        amount=amount,
        currency=str(properties["deal_currency_code"]) if amount and properties.get("deal_currency_code") else None,
        owner=str(properties["hubspot_owner_id"]) if properties.get("hubspot_owner_id") else None,
        close_date=_day(properties.get("closedate")),
        created_at=_when(properties.get("createdate")) or _when(deal.get("createdAt")),
        modified_at=_when(properties.get("hs_lastmodifieddate")) or _when(deal.get("updatedAt")),
        contact=str(contact["id"]) if contact else None,
        contact_name=name or None if contact else None,
        contact_phones=_phones(contact) if contact else [],
    )
