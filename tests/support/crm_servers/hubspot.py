"""A HubSpot CRM API stand-in: deal properties, contact search, associations, call objects, OAuth refresh; for the
deal sync also deal pipelines, owners, the deal search (filtered on hs_lastmodifieddate, sorted, paged with `after`
up to the 10,000-result cap), batch reads with property history, archived deals and batch association reads.

Answers follow HubSpot's documentation: objects as `{"id", "properties", "createdAt", "updatedAt", "archived"}`,
errors as `{"status": "error", "message", "correlationId", "category"}` (VALIDATION_ERROR, OBJECT_NOT_FOUND,
EXPIRED_AUTHENTICATION), and 429 with `"errorType": "RATE_LIMIT"` and a `policyName` (SECONDLY, past
`per_second`). Property values are checked against their definitions: enumeration options, dates as YYYY-MM-DD or
midnight-UTC milliseconds, booleans as true/false, numbers as numbers.
"""

import re
import secrets
import time
import uuid
from collections import deque
from datetime import UTC, datetime
from typing import Any

from tests.support.crm_servers.base import Answer, CRMServer, Request, bearer

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def hub_error(status: int, category: str, message: str, **extra: Any) -> Answer:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category, **extra}
    return Answer(status, body)


class HubSpotServer(CRMServer):
    name = "hubspot"
    client_id = "5f3c2a10-hub-client"
    client_secret = "hubspot-client-secret-Lm27"

    def __init__(self) -> None:
        super().__init__()
        self.access_token = "CKT" + secrets.token_hex(16)
        self.refresh_token = "na1-" + secrets.token_hex(12)
        self.properties: dict[str, dict[str, Any]] = {}
        self.deals: dict[str, dict[str, str]] = {}
        self.contacts: dict[str, dict[str, Any]] = {}
        self.calls: dict[str, dict[str, Any]] = {}
        self.refreshes = 0
        self.pipelines: list[dict[str, Any]] = []  # {"id", "label", "displayOrder", "stages": [...]}
        self.owners: list[dict[str, Any]] = []  # {"id", "email", "firstName", "lastName"}
        self.history: dict[str, dict[str, list[dict[str, str]]]] = {}  # deal -> property -> versions, newest first
        self.archived: dict[str, dict[str, Any]] = {}
        self.search_cap = 10_000
        self.broken_after: str | None = None  # the search page from this `after` answers 500
        # The account's SECONDLY policy: at most this many API requests in any second (None: no limit); each request
        # beyond it is answered 429 and counted in `refused`.
        self.per_second: int | None = None
        self.refused = 0
        self._recent: deque[float] = deque()

    def put_deal(self, deal_id: str, at: datetime, **properties: str) -> None:
        """Add or change a deal as HubSpot would: hs_lastmodifieddate moves and each changed value is versioned."""
        stamp = _stamp(at)
        with self.lock:
            deal = self.deals.setdefault(deal_id, {"createdate": stamp})
            for name, value in properties.items():
                if deal.get(name) != value:
                    versions = self.history.setdefault(deal_id, {}).setdefault(name, [])
                    versions.insert(0, {"value": value, "timestamp": stamp, "sourceType": "CRM_UI"})
            deal.update(properties, hs_lastmodifieddate=stamp)

    def archive_deal(self, deal_id: str, at: datetime) -> None:
        with self.lock:
            self.archived[deal_id] = {**self.deals.pop(deal_id), "archivedAt": _stamp(at)}

    def expire_access_token(self) -> None:
        with self.lock:
            self.access_token = "CKT" + secrets.token_hex(16)

    def handle(self, request: Request) -> Answer:
        if request.path == "/oauth/v1/token" and request.method == "POST":
            return self._token(request.form())
        with self.lock:
            if self._over_limit():
                self.refused += 1
                message = "You have reached your secondly limit."
                return hub_error(429, "RATE_LIMITS", message, errorType="RATE_LIMIT", policyName="SECONDLY")
            if bearer(request) != self.access_token:
                return hub_error(
                    401, "EXPIRED_AUTHENTICATION", "The OAuth token used to make this call expired 2 minute(s) ago."
                )
            parts = request.path.strip("/").split("/")
            if parts[:4] == ["crm", "v3", "objects", "deals"] and len(parts) == 5:
                if request.method == "GET":
                    return self._get_deal(parts[4], request.query.get("properties", ""))
                if request.method == "PATCH":
                    return self._patch_deal(parts[4], request.json() or {})
            if request.path == "/crm/v3/objects/contacts/search" and request.method == "POST":
                return self._search(request.json() or {})
            if parts[:4] == ["crm", "v4", "objects", "contacts"] and parts[5:] == ["associations", "deals"]:
                contact = self.contacts.get(parts[4])
                if contact is None:
                    return hub_error(404, "OBJECT_NOT_FOUND", "resource not found")
                links = [
                    {
                        "toObjectId": int(deal),
                        "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 4, "label": None}],
                    }
                    for deal in contact["deals"]
                ]
                return Answer(200, {"results": links})
            if request.path == "/crm/v3/objects/calls" and request.method == "POST":
                return self._create_call(request.json() or {})
            listed = self._sync_route(request)
            if listed is not None:
                return listed
        return hub_error(404, "OBJECT_NOT_FOUND", f"no route {request.method} {request.path}")

    def _over_limit(self) -> bool:
        if self.per_second is None:
            return False
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.per_second:
            return True
        self._recent.append(now)
        return False

    def _token(self, form: dict[str, str]) -> Answer:
        with self.lock:
            if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                return Answer(400, {"status": "BAD_CLIENT_ID", "message": "missing or unknown client id"})
            if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh_token:
                return Answer(400, {"status": "BAD_REFRESH_TOKEN", "message": "missing or unknown refresh token"})
            self.access_token = "CKT" + secrets.token_hex(16)
            self.refreshes += 1
            return Answer(
                200,
                {
                    "token_type": "bearer",
                    "refresh_token": self.refresh_token,
                    "access_token": self.access_token,
                    "expires_in": 1800,
                },
            )

    def _sync_route(self, request: Request) -> Answer | None:
        """The reads the deal sync makes; None for any other request."""
        body = request.json() if request.method == "POST" else {}
        if request.path == "/crm/v3/pipelines/deals" and request.method == "GET":
            return Answer(200, {"results": self.pipelines})
        if request.path == "/crm/v3/owners" and request.method == "GET":
            return self._listed(request, [{**owner, "id": str(owner["id"])} for owner in self.owners])
        if request.path == "/crm/v3/objects/deals" and request.method == "GET":
            if request.query.get("archived") != "true":
                return self._listed(request, [self._deal_json(deal_id, None) for deal_id in self.deals])
            archived = [
                {
                    "id": deal_id,
                    "properties": {"hs_object_id": deal_id},
                    "archived": True,
                    "archivedAt": deal["archivedAt"],
                }
                for deal_id, deal in self.archived.items()
            ]
            return self._listed(request, archived)
        if request.path == "/crm/v3/objects/deals/search" and request.method == "POST":
            return self._search_deals(body or {})
        if request.path == "/crm/v3/objects/deals/batch/read" and request.method == "POST":
            return self._batch_deals(body or {})
        if request.path == "/crm/v3/objects/contacts/batch/read" and request.method == "POST":
            return self._batch_contacts(body or {})
        if request.path == "/crm/v4/associations/deals/contacts/batch/read" and request.method == "POST":
            return self._deal_contacts(body or {})
        return None

    def _listed(self, request: Request, items: list[dict[str, Any]]) -> Answer:
        start, limit = int(request.query.get("after") or 0), min(int(request.query.get("limit") or 10), 100)
        answer: dict[str, Any] = {"results": items[start : start + limit]}
        if start + limit < len(items):
            answer["paging"] = {"next": {"after": str(start + limit), "link": f"{request.path}?after={start + limit}"}}
        return Answer(200, answer)

    def _deal_json(self, deal_id: str, wanted: list[str] | None) -> dict[str, Any]:
        deal = self.deals[deal_id]
        names = wanted if wanted is not None else ["dealname", "amount", "closedate", "pipeline", "dealstage"]
        properties = {name: deal.get(name) for name in names} | {
            "hs_object_id": deal_id,
            "createdate": deal["createdate"],
            "hs_lastmodifieddate": deal["hs_lastmodifieddate"],
        }
        return {
            "id": deal_id,
            "properties": properties,
            "createdAt": deal["createdate"],
            "updatedAt": deal["hs_lastmodifieddate"],
            "archived": False,
        }

    def _search_deals(self, body: dict[str, Any]) -> Answer:
        after, limit = int(body.get("after") or 0), int(body.get("limit") or 10)
        if limit > 200:
            return hub_error(400, "VALIDATION_ERROR", "limit must be at most 200")
        if after + limit > self.search_cap:
            return hub_error(400, "VALIDATION_ERROR", f"paging past {self.search_cap} results is not supported")
        if body.get("after") is not None and str(body["after"]) == self.broken_after:
            return hub_error(500, "INTERNAL_ERROR", "internal error")
        found = list(self.deals)
        for group in body.get("filterGroups") or []:
            for flt in group.get("filters") or []:
                if flt.get("propertyName") != "hs_lastmodifieddate" or flt.get("operator") != "GTE":
                    return hub_error(400, "VALIDATION_ERROR", f"unsupported filter {flt}")
                since = datetime.fromtimestamp(int(flt["value"]) / 1000, UTC)
                found = [deal for deal in found if _moment(self.deals[deal]["hs_lastmodifieddate"]) >= since]
        for sort in reversed(body.get("sorts") or []):
            name = sort["propertyName"]
            found.sort(
                key=lambda deal: str(self.deals[deal].get(name) or ""), reverse=sort.get("direction") == "DESCENDING"
            )
        page = found[after : after + limit]
        answer: dict[str, Any] = {
            "total": len(found),
            "results": [self._deal_json(d, body.get("properties")) for d in page],
        }
        if after + limit < len(found):
            answer["paging"] = {"next": {"after": str(after + limit)}}
        return Answer(200, answer)

    def _batch_deals(self, body: dict[str, Any]) -> Answer:
        ids = [str(one["id"]) for one in body.get("inputs") or []]
        with_history = body.get("propertiesWithHistory") or []
        if with_history and len(ids) > 50:
            return hub_error(400, "VALIDATION_ERROR", "at most 50 inputs with propertiesWithHistory")
        results = []
        for deal_id in ids:
            if deal_id not in self.deals:
                continue
            found = self._deal_json(deal_id, body.get("properties"))
            if with_history:
                versions = self.history.get(deal_id, {})
                found["propertiesWithHistory"] = {name: versions.get(name, []) for name in with_history}
            results.append(found)
        missing = [deal_id for deal_id in ids if deal_id not in self.deals]
        if missing:
            errors = [{"status": "error", "category": "OBJECT_NOT_FOUND", "context": {"ids": missing}}]
            return Answer(207, {"status": "COMPLETE", "results": results, "numErrors": 1, "errors": errors})
        return Answer(200, {"status": "COMPLETE", "results": results})

    def _batch_contacts(self, body: dict[str, Any]) -> Answer:
        wanted = body.get("properties") or []
        results = [
            self._object(str(one["id"]), {name: self.contacts[str(one["id"])].get(name) for name in wanted})
            for one in body.get("inputs") or []
            if str(one["id"]) in self.contacts
        ]
        return Answer(200, {"status": "COMPLETE", "results": results})

    def _deal_contacts(self, body: dict[str, Any]) -> Answer:
        results = []
        for one in body.get("inputs") or []:
            linked = [cid for cid, contact in self.contacts.items() if str(one["id"]) in contact["deals"]]
            if linked:
                to = [
                    {
                        "toObjectId": int(cid),
                        "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 3, "label": None}],
                    }
                    for cid in linked
                ]
                results.append({"from": {"id": str(one["id"])}, "to": to})
        return Answer(200, {"status": "COMPLETE", "results": results})

    def _object(self, object_id: str, properties: dict[str, str]) -> dict[str, Any]:
        stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        return {"id": object_id, "properties": properties, "createdAt": stamp, "updatedAt": stamp, "archived": False}

    def _get_deal(self, deal_id: str, wanted: str) -> Answer:
        deal = self.deals.get(deal_id)
        if deal is None:
            return hub_error(404, "OBJECT_NOT_FOUND", "resource not found")
        names = [name for name in wanted.split(",") if name]
        properties = {name: deal.get(name) for name in names} | {"hs_object_id": deal_id}
        return Answer(200, self._object(deal_id, properties))

    def _patch_deal(self, deal_id: str, body: dict[str, Any]) -> Answer:
        deal = self.deals.get(deal_id)
        if deal is None:
            return hub_error(404, "OBJECT_NOT_FOUND", "resource not found")
        errors = []
        for name, value in (body.get("properties") or {}).items():
            problem = self._invalid(name, value)
            if problem:
                errors.append({"isValid": False, "message": problem, "error": problem.split(":")[0], "name": name})
        if errors:
            listed = "; ".join(error["message"] for error in errors)
            return hub_error(400, "VALIDATION_ERROR", f"Property values were not valid: {listed}", errors=errors)
        deal.update({name: str(value) for name, value in body["properties"].items()})
        return Answer(200, self._object(deal_id, dict(deal)))

    def _invalid(self, name: str, value: Any) -> str | None:
        spec = self.properties.get(name)
        if spec is None:
            return f'PROPERTY_DOESNT_EXIST: Property "{name}" does not exist'
        if not isinstance(value, str):
            return f"INVALID_TYPE: {name} takes a string"
        kind = spec["type"]
        if kind == "enumeration":
            chosen = value.split(";") if spec.get("multiple") else [value]
            bad = [option for option in chosen if option not in spec["options"]]
            if bad:
                return f"INVALID_OPTION: {bad[0]} was not one of the allowed options: {spec['options']}"
        elif kind == "date":
            if not _DATE.match(value) and not (value.isdigit() and int(value) % 86_400_000 == 0):
                return f"INVALID_DATE: {value} is not a valid date at midnight UTC"
        elif kind == "bool" and value not in ("true", "false"):
            return f"INVALID_BOOLEAN: {value} is not true or false"
        elif kind == "number":
            try:
                float(value)
            except ValueError:
                return f"INVALID_INTEGER: {value} is not a number"
        return None

    def _search(self, body: dict[str, Any]) -> Answer:
        found = []
        for group in body.get("filterGroups") or []:
            for contact_id, contact in self.contacts.items():
                if (
                    all(
                        flt.get("operator") == "EQ" and contact.get(flt.get("propertyName")) == flt.get("value")
                        for flt in group.get("filters") or []
                    )
                    and contact_id not in found
                ):
                    found.append(contact_id)
        results = [self._object(cid, {"phone": self.contacts[cid].get("phone")}) for cid in found]
        return Answer(200, {"total": len(results), "results": results})

    def _create_call(self, body: dict[str, Any]) -> Answer:
        properties = body.get("properties") or {}
        if "hs_timestamp" not in properties:
            return hub_error(400, "VALIDATION_ERROR", "Property values were not valid: hs_timestamp is required")
        for association in body.get("associations") or []:
            types = [kind.get("associationTypeId") for kind in association.get("types") or []]
            if types != [206] or str(association.get("to", {}).get("id")) not in self.deals:
                return hub_error(400, "VALIDATION_ERROR", f"invalid association to {association.get('to')}")
        call_id = str(80000 + len(self.calls))
        self.calls[call_id] = body
        return Answer(201, self._object(call_id, {key: str(value) for key, value in properties.items()}))


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _moment(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
