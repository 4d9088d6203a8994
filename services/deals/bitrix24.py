"""Reading deals from Bitrix24 (REST), for the deal sync. Requests go through the connection's write-back adapter
(crm_fill.adapters.bitrix24), so they share its leaky-bucket limit (across every worker on PostgreSQL), its token
refresh and its sorting of answers into retryable and permanent errors. Lists answer 50 items at a time, with
`next` (the `start` of the next page) while more are left.

- `crm.category.list` (entityTypeId 2): the deal pipelines (categories); the default one is 0.
- `crm.status.list` (ENTITY_ID DEAL_STAGE, DEAL_STAGE_<category>): each category's stages; SEMANTICS S is won
  and F lost.
- `user.get`: the users who own deals, with their e-mail.
- `crm.deal.list` (filter `>=DATE_MODIFY`, order DATE_MODIFY ascending): deals changed since, oldest change first;
  `@ID` names deals (a webhook's). Amounts keep the deal's CURRENCY_ID.
- `crm.contact.list` (filter `@ID`): the deals' contacts with their phones.
- `crm.stagehistory.list` (entityTypeId 2, filter `@OWNER_ID`): new deals' stage history. Bitrix24 keeps no
  history of amount, owner or close date that the REST API gives back.
- Deleted deals: the deal list has no trash, so a full pass lists every deal id and the rest are deleted
  (ONCRMDEALDELETE webhooks tell it at once).
"""

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from crm_fill.adapters.bitrix24 import Bitrix24Adapter
from models.deals import DealRecord, StageOutcome
from services.deals.source import Deletions, PastValue, PipelineInfo, StageInfo, UserInfo

DEAL_TYPE = 2  # entityTypeId of deals
SEMANTICS = {"S": StageOutcome.won, "F": StageOutcome.lost}
EXTRA_SEMANTICS = {"success": "S", "failure": "F"}
DEAL_FIELDS = [
    "ID", "TITLE", "CATEGORY_ID", "STAGE_ID", "OPPORTUNITY", "CURRENCY_ID", "ASSIGNED_BY_ID", "CLOSEDATE",
    "DATE_CREATE", "DATE_MODIFY", "CONTACT_ID",
]  # fmt: skip
ID_CHUNK = 50


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _day(value: Any) -> date | None:
    moment = _when(value)
    return moment.date() if moment else None


def _amount(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None
    return amount if amount else None


class Bitrix24Deals:
    def __init__(self, adapter: Bitrix24Adapter) -> None:
        self.adapter = adapter

    def close(self) -> None:
        self.adapter.close()

    def _pages(self, method: str, params: dict[str, Any], key: str | None = None) -> Iterator[list[dict[str, Any]]]:
        start: Any = 0
        while True:
            body = self.adapter.read(method, {**params, "start": start})
            found = body.get("result") or []
            items = (found.get(key) or []) if key and isinstance(found, dict) else found
            if items:
                yield list(items)
            start = body.get("next")
            if not items or start is None:
                return

    def pipelines(self) -> list[PipelineInfo]:
        categories = [
            category
            for page in self._pages("crm.category.list", {"entityTypeId": DEAL_TYPE}, "categories")
            for category in page
        ]
        if not any(str(category.get("id")) == "0" for category in categories):
            categories.insert(0, {"id": 0, "name": "", "sort": 0})
        found = []
        for category in sorted(categories, key=lambda c: (int(c.get("sort") or 0), int(c["id"]))):
            category_id = str(category["id"])
            entity = "DEAL_STAGE" if category_id == "0" else f"DEAL_STAGE_{category_id}"
            statuses = [
                status
                for page in self._pages("crm.status.list", {"filter": {"ENTITY_ID": entity}, "order": {"SORT": "ASC"}})
                for status in page
            ]
            stages = [
                StageInfo(str(status["STATUS_ID"]), str(status.get("NAME") or ""), _outcome(status))
                for status in sorted(statuses, key=lambda s: int(s.get("SORT") or 0))
            ]
            found.append(PipelineInfo(category_id, str(category.get("name") or category_id), stages))
        return found

    def users(self) -> Iterator[UserInfo]:
        for page in self._pages("user.get", {}):
            for user in page:
                name = " ".join(part for part in (user.get("NAME"), user.get("LAST_NAME")) if part)
                yield UserInfo(str(user["ID"]), name or None, user.get("EMAIL") or None)

    def _records(self, deals: list[dict[str, Any]]) -> list[DealRecord]:
        ids = sorted({str(deal["CONTACT_ID"]) for deal in deals if deal.get("CONTACT_ID")})
        contacts: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), ID_CHUNK):
            params = {"filter": {"@ID": ids[start : start + ID_CHUNK]}, "select": ["ID", "NAME", "LAST_NAME", "PHONE"]}
            for page in self._pages("crm.contact.list", params):
                contacts.update({str(contact["ID"]): contact for contact in page})
        return [deal_record(deal, contacts.get(str(deal.get("CONTACT_ID")))) for deal in deals]

    def deal_pages(self, since: datetime | None) -> Iterator[list[DealRecord]]:
        # At or after: a deal changed in the same second as the last one saved is read again, never skipped.
        wanted = {">=DATE_MODIFY": since.isoformat()} if since is not None else {}
        params = {"filter": wanted, "order": {"DATE_MODIFY": "ASC", "ID": "ASC"}, "select": DEAL_FIELDS}
        for deals in self._pages("crm.deal.list", params):
            yield self._records(deals)

    def deals(self, ids: list[str]) -> list[DealRecord]:
        found: list[DealRecord] = []
        for start in range(0, len(ids), ID_CHUNK):
            params = {"filter": {"@ID": ids[start : start + ID_CHUNK]}, "select": DEAL_FIELDS}
            for deals in self._pages("crm.deal.list", params):
                found.extend(self._records(deals))
        return found

    def deletions(self, since: datetime | None, *, full: bool) -> Deletions:
        if not full:
            return Deletions()
        params = {"order": {"ID": "ASC"}, "select": ["ID"]}
        return Deletions(live={str(deal["ID"]) for page in self._pages("crm.deal.list", params) for deal in page})

    def history(self, deals: list[DealRecord]) -> list[PastValue]:
        ids = [deal.external_id for deal in deals]
        past: list[PastValue] = []
        for start in range(0, len(ids), ID_CHUNK):
            params = {
                "entityTypeId": DEAL_TYPE,
                "filter": {"@OWNER_ID": ids[start : start + ID_CHUNK]},
                "order": {"ID": "ASC"},
                "select": ["ID", "OWNER_ID", "CREATED_TIME", "CATEGORY_ID", "STAGE_ID"],
            }
            for page in self._pages("crm.stagehistory.list", params, "items"):
                for item in page:
                    at = _when(item.get("CREATED_TIME"))
                    if at is not None and item.get("STAGE_ID"):
                        stage = (str(item.get("CATEGORY_ID") or 0), str(item["STAGE_ID"]))
                        past.append(PastValue(str(item["OWNER_ID"]), "stage", at, stage=stage))
        return past


def _outcome(status: dict[str, Any]) -> StageOutcome:
    # SEMANTICS is S or F on final stages; EXTRA.SEMANTICS (success, failure) says the same where it is left out.
    extra = str((status.get("EXTRA") or {}).get("SEMANTICS") or "")
    return SEMANTICS.get(str(status.get("SEMANTICS") or EXTRA_SEMANTICS.get(extra, "")), StageOutcome.open)


def _phones(contact: dict[str, Any]) -> list[str]:
    return [str(phone["VALUE"]) for phone in contact.get("PHONE") or [] if phone.get("VALUE")]


def deal_record(deal: dict[str, Any], contact: dict[str, Any] | None) -> DealRecord:
    amount = _amount(deal.get("OPPORTUNITY"))
    name = " ".join(part for part in (contact.get("NAME"), contact.get("LAST_NAME")) if part) if contact else None
    return DealRecord(
        external_id=str(deal["ID"]),
        name=str(deal.get("TITLE") or ""),
        pipeline=str(deal.get("CATEGORY_ID") or 0),
        stage=str(deal.get("STAGE_ID") or "unknown"),
        amount=amount,
        currency=str(deal["CURRENCY_ID"]) if amount and deal.get("CURRENCY_ID") else None,
        owner=str(deal["ASSIGNED_BY_ID"]) if deal.get("ASSIGNED_BY_ID") else None,
        close_date=_day(deal.get("CLOSEDATE")),
        created_at=_when(deal.get("DATE_CREATE")),
        modified_at=_when(deal.get("DATE_MODIFY")),
        contact=str(contact["ID"]) if contact else None,
        contact_name=name,
        contact_phones=_phones(contact) if contact else [],
    )
