"""A Bitrix24 REST stand-in: deals with UF_CRM_* fields, contact search by phone, external-call telephony, OAuth;
for the deal sync also deal categories and their stages, users, deal and contact lists (filtered, ordered and paged
`start` by `page_size`, answering `next` and `total`) and the deals' stage history.

Methods are called as `POST /rest/<method>.json` with a JSON body carrying `auth` (an OAuth application), or as
`POST /rest/<user>/<code>/<method>.json` (an inbound webhook). Answers follow Bitrix24's documentation:
`{"result": ..., "time": {...}}` on success, `{"error": ..., "error_description": ...}` otherwise;
`expired_token` (401) for an expired token, 503 `QUERY_LIMIT_EXCEEDED` when the leaky bucket (2 requests a
second drained, `bucket` deep) overflows. Like the portal, `crm.deal.update` ignores fields the deal does not
have and answers `true`; dates come back in the portal's time zone and money with two decimals.
"""

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.support.crm_servers.base import Answer, CRMServer, Request

PORTAL_ZONE = ZoneInfo("Europe/Moscow")


@dataclass
class UserField:
    type: str  # string | double | date | enumeration | boolean | money
    items: dict[str, str] = field(default_factory=dict)
    multiple: bool = False


def error(status: int, code: str, description: str) -> Answer:
    return Answer(status, {"error": code, "error_description": description})


def result(value: Any) -> Answer:
    return Answer(200, {"result": value, "time": {"start": time.time(), "duration": 0.01}})


class Bitrix24Server(CRMServer):
    name = "bitrix24"
    client_id = "local.65f1c0a2b3d4e5.12345678"
    client_secret = "bitrix-client-secret-Zq93"

    def __init__(self, bucket: int = 50, drain_per_s: float = 2.0) -> None:
        super().__init__()
        self.webhook_code = "wh" + secrets.token_hex(8)
        self.access_token = "b24-access-" + secrets.token_hex(12)
        self.refresh_token = "b24-refresh-" + secrets.token_hex(12)
        self.user_fields: dict[str, UserField] = {}
        self.deals: dict[str, dict[str, Any]] = {}
        self.contacts: dict[int, dict[str, Any]] = {}
        self.calls: dict[str, dict[str, Any]] = {}
        self.comments: list[dict[str, Any]] = []
        self.refreshes = 0
        self.bucket, self.drain_per_s = bucket, drain_per_s
        self._level, self._drained = 0.0, time.monotonic()
        self.refused = 0  # requests answered QUERY_LIMIT_EXCEEDED
        self.page_size = 50
        self.categories: list[dict[str, Any]] = []  # {"id", "name", "sort"}; the default category 0 is implied
        self.stages: dict[str, list[dict[str, Any]]] = {}  # by ENTITY_ID: DEAL_STAGE, DEAL_STAGE_<category>
        self.users: list[dict[str, Any]] = []  # {"ID", "NAME", "LAST_NAME", "EMAIL"}
        self.stage_history: list[dict[str, Any]] = []
        self.broken_start: int | None = None  # crm.deal.list from this `start` answers 500

    def put_deal(self, deal_id: str, at: datetime, **fields: Any) -> None:
        """Add or change a deal as the portal would: DATE_MODIFY moves and a new stage is written to its history."""
        with self.lock:
            deal = self.deals.setdefault(deal_id, {"ID": deal_id, "DATE_CREATE": at.isoformat(), "CATEGORY_ID": "0"})
            stage_before = deal.get("STAGE_ID")
            deal.update(fields, DATE_MODIFY=at.astimezone(PORTAL_ZONE).isoformat())
            if deal.get("STAGE_ID") != stage_before:
                self.stage_history.append(
                    {
                        "ID": len(self.stage_history) + 1,
                        "TYPE_ID": 1 if stage_before is None else 2,
                        "OWNER_ID": int(deal_id),
                        "CREATED_TIME": at.astimezone(PORTAL_ZONE).isoformat(),
                        "CATEGORY_ID": int(deal["CATEGORY_ID"]),
                        "STAGE_ID": deal["STAGE_ID"],
                    }
                )

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/rest/1/{self.webhook_code}/"

    def expire_access_token(self) -> None:
        with self.lock:
            self.access_token = "b24-access-" + secrets.token_hex(12)

    def handle(self, request: Request) -> Answer:
        if request.path == "/oauth/token/":
            return self._token(request.form())
        parts = request.path.strip("/").split("/")
        body = request.json() or {}
        with self.lock:
            now = time.monotonic()
            self._level = max(0.0, self._level - (now - self._drained) * self.drain_per_s)
            self._drained = now
            if self._level + 1 > self.bucket:
                self.refused += 1
                return error(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
            self._level += 1
            if len(parts) == 4 and parts[0] == "rest":
                if parts[2] != self.webhook_code:
                    return error(401, "INVALID_CREDENTIALS", "Invalid request credentials")
            elif len(parts) == 2 and parts[0] == "rest":
                token = body.pop("auth", None)
                if token is None:
                    return error(401, "NO_AUTH_FOUND", "Wrong authorization data")
                if token != self.access_token:
                    return error(401, "expired_token", "The access token provided has expired.")
            else:
                return error(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
            method = parts[-1].removesuffix(".json")
            handler = getattr(self, "_" + method.replace(".", "_").lower(), None)
            if handler is None:
                return error(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
            return handler(body)

    def _token(self, form: dict[str, str]) -> Answer:
        with self.lock:
            if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                return error(401, "invalid_client", "Invalid client credentials")
            if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh_token:
                return error(400, "invalid_grant", "Invalid refresh token")
            self.access_token = "b24-access-" + secrets.token_hex(12)
            self.refresh_token = "b24-refresh-" + secrets.token_hex(12)
            self.refreshes += 1
            return Answer(
                200,
                {
                    "access_token": self.access_token,
                    "refresh_token": self.refresh_token,
                    "expires_in": 3600,
                    "scope": "crm,telephony",
                    "domain": "example.bitrix24.ru",
                    "status": "L",
                },
            )

    def _crm_deal_get(self, body: dict[str, Any]) -> Answer:
        deal = self.deals.get(str(body.get("id")))
        return result(deal) if deal else error(400, "", "Not found")

    def _crm_deal_update(self, body: dict[str, Any]) -> Answer:
        deal = self.deals.get(str(body.get("id")))
        if deal is None:
            return error(400, "", "Not found")
        for name, value in (body.get("fields") or {}).items():
            spec = self.user_fields.get(name)
            if name == "OPPORTUNITY":
                deal[name] = f"{float(value):.2f}"
            elif spec is not None:
                stored = _store(spec, value)
                if isinstance(stored, Answer):
                    return stored
                deal[name] = stored
        return result(True)

    def _crm_duplicate_findbycomm(self, body: dict[str, Any]) -> Answer:
        if body.get("type") != "PHONE" or body.get("entity_type") != "CONTACT":
            return error(400, "", "Parameter 'type' or 'entity_type' is not supported")
        wanted = {_digits(value) for value in body.get("values") or []}
        found = [cid for cid, contact in self.contacts.items() if _digits(contact["PHONE"]) in wanted]
        return result({"CONTACT": found} if found else [])

    def _crm_deal_list(self, body: dict[str, Any]) -> Answer:
        wanted = body.get("filter") or {}
        if "CONTACT_ID" in wanted:
            listed = [
                {"ID": deal["ID"]}
                for deal in self.deals.values()
                if str(deal.get("CONTACT_ID")) == str(wanted["CONTACT_ID"])
            ]
            return result(listed)
        if int(body.get("start") or 0) == self.broken_start:
            return error(500, "INTERNAL_SERVER_ERROR", "Internal server error")
        deals = list(self.deals.values())
        if ">=DATE_MODIFY" in wanted:
            since = datetime.fromisoformat(str(wanted[">=DATE_MODIFY"]))
            deals = [deal for deal in deals if datetime.fromisoformat(deal["DATE_MODIFY"]) >= since]
        if "@ID" in wanted:
            ids = {str(one) for one in wanted["@ID"]}
            deals = [deal for deal in deals if str(deal["ID"]) in ids]
        for name in reversed(list(body.get("order") or {})):
            deals.sort(key=lambda deal, name=name: _sortable(name, deal.get(name)))
        return self._page(deals, body)

    def _page(self, items: list[dict[str, Any]], body: dict[str, Any], key: str | None = None) -> Answer:
        """A list answer: `page_size` items from `start`, with `next` while more are left, and `total`."""
        start = int(body.get("start") or 0)
        chunk = items[start : start + self.page_size]
        select = body.get("select")
        if select and "*" not in select:
            chunk = [{name: item.get(name) for name in select if name in item} for item in chunk]
        answer = {"result": {key: chunk} if key else chunk, "total": len(items), "time": {"start": time.time()}}
        if start + self.page_size < len(items):
            answer["next"] = start + self.page_size
        return Answer(200, answer)

    def _crm_category_list(self, body: dict[str, Any]) -> Answer:
        if int(body.get("entityTypeId") or 0) != 2:
            return error(400, "NOT_FOUND", "Smart process not found")
        categories = [{"id": 0, "name": "Общая", "sort": 0, "entityTypeId": 2, "isDefault": "Y"}]
        categories += [{**category, "entityTypeId": 2, "isDefault": "N"} for category in self.categories]
        return self._page(categories, body, "categories")

    def _crm_status_list(self, body: dict[str, Any]) -> Answer:
        entity = str((body.get("filter") or {}).get("ENTITY_ID") or "")
        statuses = sorted(self.stages.get(entity, []), key=lambda status: int(status.get("SORT") or 0))
        return self._page([{**status, "ENTITY_ID": entity} for status in statuses], body)

    def _user_get(self, body: dict[str, Any]) -> Answer:
        return self._page(self.users, body)

    def _crm_contact_list(self, body: dict[str, Any]) -> Answer:
        ids = {str(one) for one in (body.get("filter") or {}).get("@ID") or []}
        found = [
            {
                "ID": str(contact_id),
                "NAME": contact.get("NAME", ""),
                "LAST_NAME": contact.get("LAST_NAME", ""),
                "PHONE": [
                    {"ID": str(contact_id * 10), "VALUE_TYPE": "WORK", "VALUE": contact["PHONE"], "TYPE_ID": "PHONE"}
                ],
            }
            for contact_id, contact in self.contacts.items()
            if str(contact_id) in ids
        ]
        return self._page(found, body)

    def _crm_stagehistory_list(self, body: dict[str, Any]) -> Answer:
        if int(body.get("entityTypeId") or 0) != 2:
            return error(400, "ERROR_ARGUMENT", "entityTypeId is not supported")
        owners = {int(one) for one in (body.get("filter") or {}).get("@OWNER_ID") or []}
        items = [item for item in self.stage_history if not owners or item["OWNER_ID"] in owners]
        return self._page(sorted(items, key=lambda item: item["ID"]), body, "items")

    def _telephony_externalcall_register(self, body: dict[str, Any]) -> Answer:
        missing = [key for key in ("USER_ID", "PHONE_NUMBER", "TYPE") if not body.get(key)]
        if missing or body.get("TYPE") not in (1, 2, 3, 4):
            return error(400, "ERROR_ARGUMENT", f"Invalid arguments: {missing or body.get('TYPE')}")
        if body.get("CRM_ENTITY_TYPE") == "DEAL" and str(body.get("CRM_ENTITY_ID")) not in self.deals:
            return error(400, "", "Not found")
        call_id = f"externalCall.{secrets.token_hex(16)}.{int(time.time())}"
        self.calls[call_id] = {"register": body}
        return result(
            {
                "CALL_ID": call_id,
                "CRM_CREATED_LEAD": None,
                "CRM_ENTITY_TYPE": "DEAL",
                "CRM_ENTITY_ID": body.get("CRM_ENTITY_ID"),
            }
        )

    def _telephony_externalcall_finish(self, body: dict[str, Any]) -> Answer:
        call = self.calls.get(str(body.get("CALL_ID")))
        if call is None or "DURATION" not in body:
            return error(400, "ERROR_ARGUMENT", "Call is not found or DURATION is missing")
        call["finish"] = body
        return result(
            {"CALL_ID": body["CALL_ID"], "CALL_DURATION": body["DURATION"], "CRM_ACTIVITY_ID": 700 + len(self.calls)}
        )

    def _telephony_externalcall_attachrecord(self, body: dict[str, Any]) -> Answer:
        call = self.calls.get(str(body.get("CALL_ID")))
        if call is None or not body.get("FILENAME"):
            return error(400, "ERROR_ARGUMENT", "Call is not found or FILENAME is missing")
        call["record"] = body
        return result({"FILE_ID": 1500 + len(self.calls)})

    def _crm_timeline_comment_add(self, body: dict[str, Any]) -> Answer:
        fields = body.get("fields") or {}
        if str(fields.get("ENTITY_ID")) not in self.deals or not fields.get("COMMENT"):
            return error(400, "", "Not found")
        self.comments.append(fields)
        return result(len(self.comments))


def _sortable(name: str, value: Any) -> Any:
    if name == "ID":
        return int(value)
    return datetime.fromisoformat(value) if name.startswith("DATE_") else value


def _digits(phone: str) -> str:
    return "".join(char for char in str(phone) if char.isdigit())[-10:]


def _store(spec: UserField, value: Any) -> Any:
    """The value as the portal keeps it, or an error answer; an unknown list item id is dropped silently."""
    if spec.multiple:
        values = value if isinstance(value, list) else [value]
        return [item for item in (_store_one(spec, one) for one in values) if item is not None]
    return _store_one(spec, value)


def _store_one(spec: UserField, value: Any) -> Any:
    if spec.type == "enumeration":
        return str(value) if str(value) in spec.items else None
    if spec.type == "date":
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return error(400, "", f"Invalid date: {value}")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=PORTAL_ZONE)
        return moment.astimezone(PORTAL_ZONE).replace(hour=0, minute=0, second=0).isoformat()
    if spec.type == "boolean":
        return "1" if str(value) in ("1", "Y", "true", "True") else "0"
    if spec.type == "money":
        amount, _, currency = str(value).partition("|")
        return f"{float(amount):.2f}|{currency or 'RUB'}"
    if spec.type == "double":
        return float(value)
    return str(value)
