"""HubSpot: write approved values into a deal's properties, read them back, log the call as a call object.

- Write: `PATCH /crm/v3/objects/deals/{id}` with `{"properties": {...}}`; every value is text: dates as ISO
  `YYYY-MM-DD` (HubSpot's date properties store midnight UTC), checkboxes as `true`/`false`, multi-select
  options joined by `;`, money as the amount.
- Read back: `GET /crm/v3/objects/deals/{id}?properties=...` with the mapped properties.
- Find by phone: `POST /crm/v3/objects/contacts/search` on `phone` or `mobilephone`, then the contact's deals
  from `GET /crm/v4/objects/contacts/{id}/associations/deals`.
- Call: `POST /crm/v3/objects/calls` with `hs_timestamp`, `hs_call_body`, `hs_call_direction`,
  `hs_call_duration` (ms), `hs_call_recording_url`, associated to the deal (association type 206).
- Auth: a private app token, or an OAuth access token refreshed once on 401 at `/oauth/v1/token`
  (`refresh_token` grant) when a refresh token and client credentials are set; new tokens go to `on_tokens`.
- Limit: 429 with a `policyName`: SECONDLY waits 1 s, TEN_SECONDLY_ROLLING 10 s, DAILY until the next UTC day.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import BaseModel, Field, SecretStr

from crm_fill.adapters.base import CallLog, CRMAdapter
from crm_fill.adapters.errors import (
    CRMAuthError,
    CRMError,
    DealNotFound,
    PermanentCRMError,
    RetryableCRMError,
    TokenExpired,
)
from crm_fill.adapters.http import CRMHttp, Limiters, json_body, limiter_for, retry_after_s, with_refresh
from crm_fill.adapters.mapping import FieldMap, FieldMapping, as_date, as_number, money_parts, number_text
from models import CallDirection, FieldType
from models.proposal import FieldValue

CALL_TO_DEAL = 206  # HubSpot-defined association type: call → deal
_POLICY_WAIT_S = {"SECONDLY": 1.0, "TEN_SECONDLY_ROLLING": 10.0}


class HubSpotConnection(BaseModel):
    api_url: str = "https://api.hubapi.com"
    access_token: SecretStr
    refresh_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    requests_per_s: float = Field(
        default=9.0, description="With the burst, at most 95 requests in any 10 s: under the 100 of the smallest plans."
    )
    burst: int = Field(default=5, ge=1)


class HubSpotAdapter(CRMAdapter):
    crm = "hubspot"

    def __init__(
        self,
        connection: HubSpotConnection,
        field_map: FieldMap,
        *,
        on_tokens: Callable[[HubSpotConnection], None] | None = None,
        http: CRMHttp | None = None,
        limiters: Limiters = limiter_for,
    ):
        super().__init__(field_map)
        self.connection = connection
        self.on_tokens = on_tokens
        self.http = http or CRMHttp(self.crm, limiters(connection.api_url, connection.requests_per_s, connection.burst))
        self._base = connection.api_url.rstrip("/")

    def __repr__(self) -> str:
        return f"HubSpotAdapter({self._base})"

    def close(self) -> None:
        self.http.close()

    def to_crm(self, mapping: FieldMapping, value: FieldValue) -> str:
        items = value if isinstance(value, list) else [value]
        if mapping.type == FieldType.enum:
            return ";".join(mapping.enum_ids.get(str(item), str(item)) for item in items)
        if mapping.type == FieldType.date:
            return as_date(self.crm, mapping, value).isoformat()
        if mapping.type == FieldType.bool:
            return "true" if value else "false"
        if mapping.type == FieldType.money:
            return number_text(money_parts(self.crm, mapping, value)[0])
        if mapping.type == FieldType.number:
            return number_text(as_number(self.crm, mapping, value))
        return ", ".join(str(item) for item in items)

    def comparable_sent(self, mapping: FieldMapping, sent: Any) -> Any:
        return sent.split(";") if mapping.type == FieldType.enum else sent

    def stored_value(self, mapping: FieldMapping, record: dict[str, Any]) -> Any:
        value = (record.get("properties") or {}).get(mapping.crm_field)
        if value is None or value == "":
            return None
        if mapping.type == FieldType.enum:
            return str(value).split(";")
        if mapping.type == FieldType.date:
            text = str(value)
            if text.isdigit():
                return datetime.fromtimestamp(int(text) / 1000, UTC).date().isoformat()
            return text[:10]
        return value

    def read_deal(self, deal_id: str) -> dict[str, Any] | None:
        properties = ",".join(mapping.crm_field for mapping in self.field_map.fields)
        try:
            return self._request(
                "GET /crm/v3/objects/deals/{id}", "GET", f"/crm/v3/objects/deals/{_id(deal_id)}",
                params={"properties": properties},
            )  # fmt: skip
        except DealNotFound:
            return None

    def update_deal(self, deal_id: str, values: dict[str, Any]) -> None:
        path = f"/crm/v3/objects/deals/{_id(deal_id)}"
        self._request("PATCH /crm/v3/objects/deals/{id}", "PATCH", path, json={"properties": values})
        return None

    def deals_by_phone(self, phone: str) -> list[str]:
        number = ("+" if phone.strip().startswith("+") else "") + "".join(c for c in phone if c.isdigit())
        query = {
            "filterGroups": [
                {"filters": [{"propertyName": name, "operator": "EQ", "value": number}]}
                for name in ("phone", "mobilephone")
            ],
            "properties": ["phone"],
            "limit": 10,
        }
        found = self._request(
            "POST /crm/v3/objects/contacts/search", "POST", "/crm/v3/objects/contacts/search", json=query
        )
        deals: list[str] = []
        for contact in (found or {}).get("results") or []:
            path = f"/crm/v4/objects/contacts/{contact['id']}/associations/deals"
            linked = self._request("GET /crm/v4/objects/contacts/{id}/associations/deals", "GET", path) or {}
            deals.extend(str(link["toObjectId"]) for link in linked.get("results") or [])
        return deals

    def log_call(self, deal_id: str, call: CallLog) -> str:
        properties = {
            "hs_timestamp": call.started_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "hs_call_title": f"Call {call.call_id}",
            "hs_call_body": call.summary,
            "hs_call_duration": str(call.duration_s * 1000),
            "hs_call_status": "COMPLETED",
        }
        if call.direction != CallDirection.unknown:
            properties["hs_call_direction"] = call.direction.value.upper()
        if call.recording_url:
            properties["hs_call_recording_url"] = call.recording_url
        if call.rep_crm_user_id:
            properties["hubspot_owner_id"] = call.rep_crm_user_id
        body = {
            "properties": properties,
            "associations": [
                {
                    "to": {"id": deal_id},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": CALL_TO_DEAL}],
                }
            ],
        }
        created = self._request("POST /crm/v3/objects/calls", "POST", "/crm/v3/objects/calls", json=body) or {}
        if "id" not in created:
            raise PermanentCRMError(self.crm, f"POST /crm/v3/objects/calls answered no id for call {call.call_id}")
        return str(created["id"])

    def read(self, what: str, method: str, path: str, **kwargs: Any) -> Any:
        """A request through this account's rate limit, token refresh and error sorting (the deal sync reads this
        way; its searches and batch reads are POSTs)."""
        return self._request(what, method, path, **kwargs)

    def _request(self, what: str, method: str, path: str, **kwargs: Any) -> Any:
        url = self._base + path

        def send(client: httpx.Client) -> httpx.Response:
            token = self.connection.access_token.get_secret_value()
            return client.request(method, url, headers={"Authorization": f"Bearer {token}"}, **kwargs)

        conn = self.connection
        refresh = self._refresh if conn.refresh_token and conn.client_id and conn.client_secret else None
        return with_refresh(
            self.crm, what, lambda: json_body(self.http.send(what, send, self._classify(what))), refresh
        )

    def _refresh(self) -> None:
        conn = self.connection
        form = {
            "grant_type": "refresh_token",
            "client_id": conn.client_id or "",
            "client_secret": conn.client_secret.get_secret_value() if conn.client_secret else "",
            "refresh_token": conn.refresh_token.get_secret_value() if conn.refresh_token else "",
        }
        what = "POST /oauth/v1/token"
        response = self.http.send(
            what, lambda client: client.post(f"{self._base}/oauth/v1/token", data=form), self._classify_token
        )
        tokens = json_body(response) or {}
        if not tokens.get("access_token"):
            raise CRMAuthError(self.crm, f"{what}: the answer has no access_token")
        update = {"access_token": SecretStr(tokens["access_token"])}
        if tokens.get("refresh_token"):
            update["refresh_token"] = SecretStr(tokens["refresh_token"])
        self.connection = conn.model_copy(update=update)
        if self.on_tokens is not None:
            self.on_tokens(self.connection)

    def _classify(self, what: str) -> Callable[[httpx.Response], CRMError | None]:
        def classify(response: httpx.Response) -> CRMError | None:
            status = response.status_code
            if status < 300:
                return None
            body = json_body(response)
            body = body if isinstance(body, dict) else {}
            message = str(body.get("message") or response.reason_phrase)
            if status == 401:
                return TokenExpired(self.crm, f"{what}: {message}", status=status)
            if status == 404:
                return DealNotFound(self.crm, f"{what}: {message}", status=status)
            if status == 429:
                return RetryableCRMError(
                    self.crm, f"{what}: rate limited ({body.get('policyName', 'no policy named')})",
                    status=status, retry_after_s=_rate_limit_wait(response, body.get("policyName")),
                )  # fmt: skip
            if status >= 500:
                return RetryableCRMError(self.crm, f"{what}: server error {status}: {message}", status=status)
            category = body.get("category", "")
            return PermanentCRMError(
                self.crm, f"{what}: {status} {category}: {message}".replace("  ", " "), status=status
            )

        return classify

    def _classify_token(self, response: httpx.Response) -> CRMError | None:
        status = response.status_code
        if status < 300:
            return None
        if status == 429 or status >= 500:
            return RetryableCRMError(
                self.crm, f"token refresh: {status}", status=status, retry_after_s=retry_after_s(response)
            )
        return CRMAuthError(self.crm, f"token refresh refused ({status}): connect HubSpot again", status=status)


def _id(deal_id: str) -> str:
    if not deal_id.isdigit():
        raise DealNotFound("hubspot", f"'{deal_id}' is not a HubSpot deal id")
    return deal_id


def _rate_limit_wait(response: httpx.Response, policy: object) -> float:
    header = retry_after_s(response)
    if header is not None:
        return header
    if policy == "DAILY":
        now = datetime.now(UTC)
        tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return (tomorrow - now).total_seconds()
    return _POLICY_WAIT_S.get(str(policy), 1.0)
