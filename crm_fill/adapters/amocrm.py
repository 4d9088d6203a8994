"""amoCRM and Kommo (the same API v4): write approved values into a lead, read it back, log the call.

- Write: `PATCH /api/v4/leads/{id}` with `custom_fields_values` (a `field_id` and its `values`: `{"value": ...}`,
  or `{"enum_id": ...}` for lists) and `price` for the lead's budget. Dates go as unix seconds of midnight in the
  field map's time zone, checkboxes as true/false, money as the amount.
- Read back: `GET /api/v4/leads/{id}`. amoCRM may answer the PATCH with 200 and keep the old value (an enum id
  from another field, a value a field's settings refuse), so every write is read back and compared.
- Find by phone: `GET /api/v4/contacts?query=<digits>&with=leads` (204 when nothing matches).
- Call: `POST /api/v4/calls` (amoCRM attaches it to the contact or lead with that phone number); our call id is
  its `uniq`, so a repeat is recognised.
- Auth: OAuth 2.0. On 401 the access token is refreshed once with the `refresh_token` grant at
  `/oauth2/access_token`; amoCRM rotates the refresh token too, so the new pair goes to `on_tokens` to be stored.
- Limit: 7 requests a second per account (we send 6, evenly spaced); 429 means wait (1 s when no Retry-After);
  repeated abuse gets 403.
"""

from collections.abc import Callable
from datetime import datetime, time
from typing import Any

import httpx
from pydantic import BaseModel, Field, SecretStr

from crm_fill.adapters.base import CallLog, CRMAdapter
from crm_fill.adapters.errors import (
    CRMAuthError,
    CRMError,
    DealNotFound,
    MappingError,
    PermanentCRMError,
    RetryableCRMError,
    TokenExpired,
)
from crm_fill.adapters.http import CRMHttp, Limiters, json_body, limiter_for, retry_after_s, with_refresh
from crm_fill.adapters.mapping import FieldMap, FieldMapping, as_date, as_number, money_parts, number_text
from models import CallDirection, FieldType
from models.proposal import FieldValue

CALL_TALKED = 4  # amoCRM call_status "the conversation took place"


class AmoCRMConnection(BaseModel):
    base_url: str = Field(description="The account's address, e.g. https://example.amocrm.ru or https://x.kommo.com")
    client_id: str
    client_secret: SecretStr
    redirect_uri: str
    access_token: SecretStr
    refresh_token: SecretStr
    requests_per_s: float = Field(
        default=6.0, description="Evenly spaced, under amoCRM's limit of 7 a second so network jitter never breaks it."
    )


class AmoCRMAdapter(CRMAdapter):
    crm = "amocrm"

    def __init__(
        self,
        connection: AmoCRMConnection,
        field_map: FieldMap,
        *,
        on_tokens: Callable[[AmoCRMConnection], None] | None = None,
        http: CRMHttp | None = None,
        limiters: Limiters = limiter_for,
    ):
        super().__init__(field_map)
        self.connection = connection
        self.on_tokens = on_tokens
        self.http = http or CRMHttp(self.crm, limiters(connection.base_url, connection.requests_per_s, 1))
        self._base = connection.base_url.rstrip("/")

    def __repr__(self) -> str:
        return f"AmoCRMAdapter({self._base})"

    def close(self) -> None:
        self.http.close()

    def to_crm(self, mapping: FieldMapping, value: FieldValue) -> Any:
        if mapping.crm_field == "price":
            if mapping.type == FieldType.money:
                amount = money_parts(self.crm, mapping, value)[0]
            else:
                amount = as_number(self.crm, mapping, value)
            return round(amount)
        if not mapping.crm_field.isdigit():
            raise MappingError(self.crm, f"field '{mapping.field}': '{mapping.crm_field}' is not an amoCRM field_id")
        items = value if isinstance(value, list) else [value]
        if mapping.type == FieldType.enum:
            return [{"enum_id": int(mapping.option(self.crm, str(item)))} for item in items]
        if mapping.type == FieldType.date:
            day = as_date(self.crm, mapping, value)
            return [{"value": int(datetime.combine(day, time(), self.field_map.zone).timestamp())}]
        if mapping.type == FieldType.bool:
            return [{"value": bool(value)}]
        if mapping.type == FieldType.money:
            return [{"value": number_text(money_parts(self.crm, mapping, value)[0])}]
        if mapping.type == FieldType.number:
            return [{"value": number_text(as_number(self.crm, mapping, value))}]
        return [{"value": ", ".join(str(item) for item in items)}]

    def comparable_sent(self, mapping: FieldMapping, sent: Any) -> Any:
        return sent if mapping.crm_field == "price" else _flat(mapping, sent)

    def stored_value(self, mapping: FieldMapping, record: dict[str, Any]) -> Any:
        if mapping.crm_field == "price":
            return record.get("price")
        for custom in record.get("custom_fields_values") or []:
            if str(custom.get("field_id")) == mapping.crm_field:
                return _flat(mapping, custom.get("values") or [])
        return []

    def read_deal(self, deal_id: str) -> dict[str, Any] | None:
        try:
            return self._request("GET /api/v4/leads/{id}", "GET", f"/api/v4/leads/{_id(deal_id)}")
        except DealNotFound:
            return None

    def update_deal(self, deal_id: str, values: dict[str, Any]) -> None:
        body: dict[str, Any] = {}
        custom = [{"field_id": int(field), "values": value} for field, value in values.items() if field != "price"]
        if "price" in values:
            body["price"] = values["price"]
        if custom:
            body["custom_fields_values"] = custom
        self._request("PATCH /api/v4/leads/{id}", "PATCH", f"/api/v4/leads/{_id(deal_id)}", json=body)
        return None

    def deals_by_phone(self, phone: str) -> list[str]:
        digits = "".join(char for char in phone if char.isdigit())
        found = self._request(
            "GET /api/v4/contacts", "GET", "/api/v4/contacts", params={"query": digits, "with": "leads"}
        )
        contacts = ((found or {}).get("_embedded") or {}).get("contacts") or []
        return [str(lead["id"]) for contact in contacts for lead in (contact.get("_embedded") or {}).get("leads") or []]

    def log_call(self, deal_id: str, call: CallLog) -> str:
        if call.direction == CallDirection.unknown:
            raise PermanentCRMError(self.crm, f"call {call.call_id}: amoCRM needs the direction (inbound or outbound)")
        entry: dict[str, Any] = {
            "direction": call.direction.value,
            "uniq": call.call_id,
            "duration": call.duration_s,
            "source": "callintel",
            "phone": call.phone,
            "call_status": CALL_TALKED,
            "call_result": call.summary,
            "created_at": int(call.started_at.timestamp()),
        }
        if call.recording_url:
            entry["link"] = call.recording_url
        if call.rep_crm_user_id:
            entry["responsible_user_id"] = int(call.rep_crm_user_id)
        answer = self._request("POST /api/v4/calls", "POST", "/api/v4/calls", json=[entry]) or {}
        errors = answer.get("errors") or ((answer.get("_embedded") or {}).get("errors")) or []
        if errors:
            raise PermanentCRMError(self.crm, f"POST /api/v4/calls refused call {call.call_id}: {_describe(errors)}")
        calls = (answer.get("_embedded") or {}).get("calls") or []
        if not calls:
            raise PermanentCRMError(self.crm, f"POST /api/v4/calls logged nothing for call {call.call_id}")
        return str(calls[0]["id"])

    def read(self, what: str, path: str, params: dict[str, Any] | list[tuple[str, Any]] | None = None) -> Any:
        """A GET through this account's rate limit, token refresh and error sorting (the deal sync reads this way)."""
        return self._request(what, "GET", path, params=params)

    def _request(self, what: str, method: str, path: str, **kwargs: Any) -> Any:
        url = self._base + path

        def send(client: httpx.Client) -> httpx.Response:
            token = self.connection.access_token.get_secret_value()
            return client.request(method, url, headers={"Authorization": f"Bearer {token}"}, **kwargs)

        return with_refresh(
            self.crm, what, lambda: json_body(self.http.send(what, send, self._classify(what))), self._refresh
        )

    def _refresh(self) -> None:
        body = {
            "client_id": self.connection.client_id,
            "client_secret": self.connection.client_secret.get_secret_value(),
            "grant_type": "refresh_token",
            "refresh_token": self.connection.refresh_token.get_secret_value(),
            "redirect_uri": self.connection.redirect_uri,
        }
        what = "POST /oauth2/access_token"
        response = self.http.send(
            what, lambda client: client.post(f"{self._base}/oauth2/access_token", json=body), self._classify_token
        )
        tokens = json_body(response) or {}
        if not tokens.get("access_token") or not tokens.get("refresh_token"):
            raise CRMAuthError(self.crm, f"{what}: the answer has no access_token and refresh_token")
        self.connection = self.connection.model_copy(
            update={
                "access_token": SecretStr(tokens["access_token"]),
                "refresh_token": SecretStr(tokens["refresh_token"]),
            }
        )
        if self.on_tokens is not None:
            self.on_tokens(self.connection)

    def _classify(self, what: str) -> Callable[[httpx.Response], CRMError | None]:
        def classify(response: httpx.Response) -> CRMError | None:
            status = response.status_code
            if status < 300:
                return None
            detail = _problem(response)
            if status == 401:
                return TokenExpired(self.crm, f"{what}: unauthorized", status=status)
            if status == 404:
                return DealNotFound(self.crm, f"{what}: not found", status=status)
            if status == 429:
                wait = retry_after_s(response)
                return RetryableCRMError(self.crm, f"{what}: rate limited", status=status, retry_after_s=wait or 1.0)
            if status >= 500:
                return RetryableCRMError(self.crm, f"{what}: server error {status}: {detail}", status=status)
            if status == 403:
                return PermanentCRMError(
                    self.crm, f"{what}: forbidden (access or a blocked account): {detail}", status=status
                )
            return PermanentCRMError(self.crm, f"{what}: {status}: {detail}", status=status)

        return classify

    def _classify_token(self, response: httpx.Response) -> CRMError | None:
        status = response.status_code
        if status < 300:
            return None
        if status == 429 or status >= 500:
            return RetryableCRMError(
                self.crm, f"token refresh: {status}", status=status, retry_after_s=retry_after_s(response)
            )
        return CRMAuthError(
            self.crm, f"token refresh refused ({status}: {_problem(response)}): connect amoCRM again", status=status
        )


def _id(deal_id: str) -> int:
    if not deal_id.isdigit():
        raise DealNotFound("amocrm", f"'{deal_id}' is not an amoCRM lead id")
    return int(deal_id)


def _flat(mapping: FieldMapping, values: list[dict[str, Any]]) -> list[Any]:
    key = "enum_id" if mapping.type == FieldType.enum else "value"
    return [value.get(key) for value in values]


def _problem(response: httpx.Response) -> str:
    """amoCRM's problem+json in one line: its detail and the first validation errors."""
    body = json_body(response)
    if not isinstance(body, dict):
        return response.reason_phrase
    detail = str(body.get("detail") or body.get("title") or response.reason_phrase)
    problems = body.get("validation-errors") or []
    errors = [error for item in problems for error in item.get("errors", [])]
    return f"{detail} ({_describe(errors)})" if errors else detail


def _describe(errors: list[dict[str, Any]]) -> str:
    parts = []
    for error in errors[:3]:
        where = error.get("path") or error.get("request_id", "")
        parts.append(f"{where}: {error.get('detail') or error.get('title') or error.get('code')}")
    return "; ".join(parts)
