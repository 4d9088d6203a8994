"""An amoCRM / Kommo API v4 stand-in: leads with custom fields, contacts, calls, OAuth 2.0 with rotating tokens;
for the deal sync also the account, pipelines with their statuses, users, paged lead lists filtered by modification
time or by id, contacts by id, and events (`lead_deleted`; status, budget and responsible changes) filtered by type,
entity and time.

Answers follow amoCRM's documentation: problem+json errors (`title`, `status`, `detail`, `validation-errors`),
204 with no body for a search or a lead that finds nothing, 401 for a missing or expired token, 429 above the
account's 7 requests a second. `sticky_fields` reproduces amoCRM's known behaviour of answering a PATCH with 200
while keeping a field's old value.
"""

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from tests.support.crm_servers.base import Answer, CRMServer, Request, bearer


@dataclass
class AmoField:
    id: int
    name: str
    type: str  # text | numeric | date | select | multiselect | checkbox
    enums: dict[int, str] = field(default_factory=dict)


def problem(status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None) -> Answer:
    body: dict[str, Any] = {
        "title": title,
        "type": f"https://httpstatus.es/{status}",
        "status": status,
        "detail": detail,
    }
    if errors:
        body["validation-errors"] = [{"request_id": "0", "errors": errors}]
    return Answer(status, body, content_type="application/problem+json")


class AmoCRMServer(CRMServer):
    name = "amocrm"
    client_id = "c1d2e3f4-amo-client"
    client_secret = "amo-client-secret-6Qx1"
    redirect_uri = "https://callintel.example.com/oauth/amocrm"

    def __init__(self, requests_per_s: int = 7) -> None:
        super().__init__()
        self.requests_per_s = requests_per_s
        self.access_token = "amo-access-" + secrets.token_hex(16)
        self.refresh_token = "amo-refresh-" + secrets.token_hex(16)
        self.fields: dict[int, AmoField] = {}
        self.leads: dict[int, dict[str, Any]] = {}
        self.contacts: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        self.sticky_fields: set[int] = set()
        self.refreshes = 0
        self._window: list[float] = []
        self.currency = "RUB"
        # Each {"id", "name", "sort", "is_main", "statuses": [{"id", "name", "sort", "type"}]}.
        self.pipelines: list[dict[str, Any]] = []
        self.users: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.refused = 0  # requests answered 429
        self.broken_lead_page: int | None = None  # this page of the lead list answers 500

    def expire_access_token(self) -> None:
        with self.lock:
            self.access_token = "amo-access-" + secrets.token_hex(16)

    def delete_lead(self, lead_id: int) -> None:
        """Move a lead to the trash: gone from lists, announced by a `lead_deleted` event."""
        with self.lock:
            del self.leads[lead_id]
            self.events.append(
                {
                    "id": f"01ev{len(self.events):04d}",
                    "type": "lead_deleted",
                    "entity_id": lead_id,
                    "entity_type": "lead",
                    "created_at": int(time.time()),
                }
            )

    def change_lead(self, lead_id: int, at: int, **values: Any) -> None:
        """Change a lead as amoCRM would: updated_at moves and each change of status, budget or responsible user
        is written as an event with the value before and after."""
        with self.lock:
            lead = self.leads[lead_id]
            for key, kind, value_of in (
                (
                    "status_id",
                    "lead_status_changed",
                    lambda lead: {"lead_status": {"id": lead["status_id"], "pipeline_id": lead["pipeline_id"]}},
                ),
                ("price", "sale_field_changed", lambda lead: {"sale_field_value": {"sale": lead["price"]}}),
                (
                    "responsible_user_id",
                    "entity_responsible_changed",
                    lambda lead: {"responsible_user": {"id": lead["responsible_user_id"]}},
                ),
            ):
                if key in values and values[key] != lead.get(key):
                    before = value_of(lead)
                    after = value_of({**lead, **values})
                    self.events.append(
                        {"id": f"01ev{len(self.events):04d}", "type": kind, "entity_id": lead_id, "entity_type": "lead",
                         "created_at": at, "value_before": [before], "value_after": [after]}
                    )  # fmt: skip
            lead.update(values, updated_at=at)

    def lead_values(self, lead_id: int) -> dict[int, list[dict[str, Any]]]:
        with self.lock:
            return {item["field_id"]: item["values"] for item in self.leads[lead_id]["custom_fields_values"] or []}

    def handle(self, request: Request) -> Answer:
        if request.path == "/oauth2/access_token" and request.method == "POST":
            return self._token(request.json() or {})
        with self.lock:
            now = time.monotonic()
            self._window = [moment for moment in self._window if now - moment < 1.0] + [now]
            if len(self._window) > self.requests_per_s:
                self.refused += 1
                return problem(429, "Too Many Requests", "Too many requests")
            if bearer(request) != self.access_token:
                return problem(401, "Unauthorized", "Unauthorized")
            parts = request.path.strip("/").split("/")
            if request.method == "GET":
                listed = self._list(request)
                if listed is not None:
                    return listed
            if parts[:3] == ["api", "v4", "leads"] and len(parts) == 4 and parts[3].isdigit():
                lead = self.leads.get(int(parts[3]))
                if request.method == "GET":
                    return Answer(200, self._lead_json(lead)) if lead else Answer(204)
                if request.method == "PATCH":
                    return self._patch(lead, request.json())
            if request.path == "/api/v4/contacts" and request.method == "GET":
                return self._search(request.query.get("query", ""), request.query.get("with", ""))
            if request.path == "/api/v4/calls" and request.method == "POST":
                return self._add_calls(request.json())
        return problem(404, "Not Found", f"no route {request.method} {request.path}")

    def _token(self, body: dict[str, Any]) -> Answer:
        with self.lock:
            expected = {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "grant_type": "refresh_token",
                "redirect_uri": self.redirect_uri,
            }
            if any(body.get(key) != value for key, value in expected.items()):
                return problem(400, "Bad Request", "Client authentication failed")
            if body.get("refresh_token") != self.refresh_token:
                return problem(400, "Bad Request", "Token has been revoked")
            self.access_token = "amo-access-" + secrets.token_hex(16)
            self.refresh_token = "amo-refresh-" + secrets.token_hex(16)
            self.refreshes += 1
            return Answer(
                200,
                {
                    "token_type": "Bearer",
                    "expires_in": 86400,
                    "access_token": self.access_token,
                    "refresh_token": self.refresh_token,
                },
            )

    def _patch(self, lead: dict[str, Any] | None, body: Any) -> Answer:
        if lead is None:
            return problem(404, "Not Found", "Lead not found")
        if not isinstance(body, dict):
            return problem(400, "Bad Request", "Request validation failed", [{"path": "", "detail": "not an object"}])
        errors, updates = [], {}
        for index, item in enumerate(body.get("custom_fields_values") or []):
            spec = self.fields.get(item.get("field_id"))
            path = f"custom_fields_values.{index}"
            if spec is None:
                errors.append({"code": "NotSupportedChoice", "path": f"{path}.field_id", "detail": "no such field"})
                continue
            problem_text = _invalid(spec, item.get("values"))
            if problem_text:
                errors.append({"code": "InvalidType", "path": f"{path}.values", "detail": problem_text})
                continue
            updates[spec.id] = [_stored(spec, value) for value in item["values"]]
        if "price" in body and not isinstance(body["price"], int):
            errors.append({"code": "InvalidType", "path": "price", "detail": "This value should be of type int."})
        if errors:
            return problem(400, "Bad Request", "Request validation failed", errors)
        if "price" in body:
            lead["price"] = body["price"]
        current = {item["field_id"]: item for item in lead["custom_fields_values"] or []}
        for field_id, values in updates.items():
            if field_id in self.sticky_fields:
                continue
            spec = self.fields[field_id]
            current[field_id] = {
                "field_id": field_id,
                "field_name": spec.name,
                "field_code": None,
                "field_type": spec.type,
                "values": values,
            }
        lead["custom_fields_values"] = list(current.values()) or None
        lead["updated_at"] = int(time.time())
        return Answer(
            200,
            {
                "id": lead["id"],
                "updated_at": lead["updated_at"],
                "_links": {"self": {"href": f"/api/v4/leads/{lead['id']}"}},
            },
        )

    def _list(self, request: Request) -> Answer | None:
        """The list endpoints the deal sync reads; None for any other request."""
        query = request.query
        if request.path == "/api/v4/account":
            return Answer(200, {"id": 1, "name": "Test account", "currency": self.currency})
        if request.path == "/api/v4/leads/pipelines":
            pipelines = [
                {
                    **{key: value for key, value in pipeline.items() if key != "statuses"},
                    "_embedded": {
                        "statuses": [{**status, "pipeline_id": pipeline["id"]} for status in pipeline["statuses"]]
                    },
                }
                for pipeline in self.pipelines
            ]
            return Answer(200, {"_total_items": len(pipelines), "_embedded": {"pipelines": pipelines}})
        if request.path == "/api/v4/users":
            return _paged(request, "users", self.users)
        if request.path == "/api/v4/leads":
            if request.query.get("page") == str(self.broken_lead_page):
                return problem(500, "Internal Server Error", "Internal Server Error")
            since = int(query.get("filter[updated_at][from]", "0"))
            ids = {int(value) for value in request.query_all.get("filter[id][]", [])}
            leads = sorted(
                (
                    lead
                    for lead in self.leads.values()
                    if lead.get("updated_at", 0) >= since and (not ids or lead["id"] in ids)
                ),
                key=lambda lead: (lead.get("updated_at", 0), lead["id"]),
            )
            with_contacts = "contacts" in query.get("with", "").split(",")
            shown = [self._listed_lead(lead, with_contacts) for lead in leads]
            return _paged(request, "leads", shown)
        if request.path == "/api/v4/contacts" and "filter[id][]" in request.query_all:
            ids = {int(value) for value in request.query_all["filter[id][]"]}
            found = [self._contact_json(contact) for contact in self.contacts if contact["id"] in ids]
            return _paged(request, "contacts", found)
        if request.path == "/api/v4/events":
            since = int(query.get("filter[created_at][from]", "0"))
            kinds = set(request.query_all.get("filter[type][]", [])) | set(request.query_all.get("filter[type]", []))
            entities = {int(value) for value in request.query_all.get("filter[entity_id][]", [])}
            if len(entities) > 10:
                return problem(400, "Bad Request", "filter[entity_id]: at most 10 ids")
            events = [
                e
                for e in self.events
                if e["created_at"] >= since
                and (not kinds or e["type"] in kinds)
                and (not entities or e["entity_id"] in entities)
            ]
            return _paged(request, "events", sorted(events, key=lambda e: -e["created_at"]))
        return None

    def _listed_lead(self, lead: dict[str, Any], with_contacts: bool) -> dict[str, Any]:
        shown = {key: value for key, value in lead.items() if key != "contacts"}
        if with_contacts:
            linked = [c["id"] for c in self.contacts if lead["id"] in c["leads"]]
            shown["_embedded"] = {"contacts": [{"id": cid, "is_main": i == 0} for i, cid in enumerate(linked)]}
        return shown

    def _contact_json(self, contact: dict[str, Any]) -> dict[str, Any]:
        phones = [{"value": contact["phone"], "enum_code": "WORK"}] if contact.get("phone") else []
        fields = [{"field_code": "PHONE", "field_name": "Телефон", "values": phones}] if phones else None
        return {"id": contact["id"], "name": contact["name"], "custom_fields_values": fields}

    def _lead_json(self, lead: dict[str, Any]) -> dict[str, Any]:
        return {**lead, "_links": {"self": {"href": f"/api/v4/leads/{lead['id']}"}}}

    def _search(self, query: str, with_: str) -> Answer:
        digits = "".join(char for char in query if char.isdigit())[-10:]
        found = [
            c for c in self.contacts if digits and "".join(ch for ch in c["phone"] if ch.isdigit()).endswith(digits)
        ]
        if not found:
            return Answer(204)
        contacts = []
        for contact in found:
            entry: dict[str, Any] = {"id": contact["id"], "name": contact["name"]}
            if "leads" in with_.split(","):
                entry["_embedded"] = {"leads": [{"id": lead_id} for lead_id in contact["leads"]]}
            contacts.append(entry)
        return Answer(200, {"_page": 1, "_embedded": {"contacts": contacts}})

    def _add_calls(self, body: Any) -> Answer:
        if not isinstance(body, list):
            return problem(400, "Bad Request", "Request validation failed", [{"path": "", "detail": "expected a list"}])
        done, errors = [], []
        for index, call in enumerate(body):
            missing = [key for key in ("direction", "duration", "source", "phone") if key not in call]
            if missing or call.get("direction") not in ("inbound", "outbound"):
                errors.append(
                    {
                        "request_id": str(index),
                        "code": "InvalidCall",
                        "detail": f"invalid call: {missing or call.get('direction')}",
                    }
                )
                continue
            digits = "".join(char for char in call["phone"] if char.isdigit())[-10:]
            contact = next(
                (c for c in self.contacts if "".join(ch for ch in c["phone"] if ch.isdigit()).endswith(digits)), None
            )
            if contact is None:
                errors.append(
                    {"request_id": str(index), "code": "EntityNotFound", "detail": "no contact with this phone"}
                )
                continue
            existing = next((c for c in self.calls if call.get("uniq") and c["uniq"] == call.get("uniq")), None)
            if existing is None:
                existing = {**call, "id": 9000 + len(self.calls), "entity_id": contact["id"]}
                self.calls.append(existing)
            done.append(
                {
                    "id": existing["id"],
                    "entity_id": contact["id"],
                    "entity_type": "contact",
                    "account_id": 1,
                    "request_id": str(index),
                }
            )
        return Answer(200, {"_total_items": len(done), "_embedded": {"calls": done, "errors": errors}})


def _paged(request: Request, key: str, items: list[dict[str, Any]]) -> Answer:
    """amoCRM's paging: `page` from 1, `limit` up to 250; 204 with no body past the last item."""
    page = int(request.query.get("page", "1"))
    limit = min(int(request.query.get("limit", "50")), 250)
    chunk = items[(page - 1) * limit : page * limit]
    if not chunk:
        return Answer(204)
    links: dict[str, Any] = {"self": {"href": f"{request.path}?page={page}&limit={limit}"}}
    if page * limit < len(items):
        links["next"] = {"href": f"{request.path}?page={page + 1}&limit={limit}"}
    return Answer(200, {"_page": page, "_links": links, "_embedded": {key: chunk}})


def _invalid(spec: AmoField, values: Any) -> str | None:
    if not isinstance(values, list) or not values:
        return "values must be a non-empty list"
    for value in values:
        if spec.type in ("select", "multiselect"):
            if value.get("enum_id") not in spec.enums:
                return f"enum_id {value.get('enum_id')} is not an option of field {spec.id}"
        elif spec.type == "date":
            if not isinstance(value.get("value"), int):
                return "a date field takes a unix timestamp"
        elif spec.type == "checkbox":
            if not isinstance(value.get("value"), bool):
                return "a checkbox takes true or false"
        elif spec.type == "numeric":
            try:
                float(value.get("value"))
            except (TypeError, ValueError):
                return "a numeric field takes a number"
    if spec.type != "multiselect" and len(values) > 1:
        return "this field takes one value"
    return None


def _stored(spec: AmoField, value: dict[str, Any]) -> dict[str, Any]:
    if spec.type in ("select", "multiselect"):
        return {"value": spec.enums[value["enum_id"]], "enum_id": value["enum_id"], "enum_code": None}
    if spec.type == "numeric":
        return {"value": str(value["value"])}
    return {"value": value["value"]}
