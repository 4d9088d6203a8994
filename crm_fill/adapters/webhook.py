"""Any other CRM, through a receiver of signed webhooks that the team runs.

Each request is a `POST` of compact UTF-8 JSON to the configured URL, signed by the `sign` function the caller
passes (the HMAC-SHA256 headers of `pipeline.signing`, keyed by the receiver's secret), with an `action`:

- `find_deal`: `{"action": "find_deal", "deal_id": "...", "phone": "..."}` → `{"deal_ids": ["..."]}`
- `update_deal`: `{"action": "update_deal", "deal_id": "...", "fields": {"<crm field>": value}}` → any 2xx;
  an answer `{"fields": {...}}` with the values as stored is compared with what was sent
- `log_call`: `{"action": "log_call", "deal_id": "...", "call": {...}}` → any 2xx, optionally `{"id": "..."}`

Values keep their JSON types: dates as ISO `YYYY-MM-DD`, money as "50000 RUB", enum values as the mapped
option id (or our value when none is mapped), lists as lists. 401/403 means the receiver refused the signature.
"""

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import httpx
from pydantic import BaseModel

from crm_fill.adapters.base import CallLog, CRMAdapter
from crm_fill.adapters.errors import CRMAuthError, CRMError, DealNotFound, PermanentCRMError, RetryableCRMError
from crm_fill.adapters.http import CRMHttp, Limiters, json_body, limiter_for, retry_after_s
from crm_fill.adapters.mapping import FieldMap, FieldMapping
from models import FieldType
from models.proposal import FieldValue

Signer = Callable[[bytes], Mapping[str, str]]
"""The headers that sign one request body."""


class WebhookConnection(BaseModel):
    url: str
    requests_per_s: float = 5.0


class WebhookAdapter(CRMAdapter):
    crm = "webhook"

    def __init__(
        self,
        connection: WebhookConnection,
        field_map: FieldMap,
        *,
        sign: Signer,
        http: CRMHttp | None = None,
        limiters: Limiters = limiter_for,
    ):
        super().__init__(field_map)
        self.connection = connection
        self.sign = sign
        rate = connection.requests_per_s
        self.http = http or CRMHttp(self.crm, limiters(connection.url, rate, max(1, int(rate))))

    def __repr__(self) -> str:
        return f"WebhookAdapter({self.connection.url})"

    def close(self) -> None:
        self.http.close()

    def to_crm(self, mapping: FieldMapping, value: FieldValue) -> Any:
        if mapping.type == FieldType.enum:
            if isinstance(value, list):
                return [mapping.enum_ids.get(item, item) for item in value]
            return mapping.enum_ids.get(str(value), str(value))
        if mapping.type == FieldType.date:
            return value.isoformat() if isinstance(value, date) else str(value)
        return value

    def stored_value(self, mapping: FieldMapping, record: dict[str, Any]) -> Any:
        return (record.get("fields") or {}).get(mapping.crm_field)

    def read_deal(self, deal_id: str) -> dict[str, Any] | None:
        found = self._post("find_deal", {"deal_id": deal_id}) or {}
        return {"id": deal_id} if deal_id in [str(deal) for deal in found.get("deal_ids") or []] else None

    def deals_by_phone(self, phone: str) -> list[str]:
        found = self._post("find_deal", {"phone": phone}) or {}
        return [str(deal) for deal in found.get("deal_ids") or []]

    def update_deal(self, deal_id: str, values: dict[str, Any]) -> dict[str, Any]:
        answer = self._post("update_deal", {"deal_id": deal_id, "fields": values})
        if isinstance(answer, dict) and isinstance(answer.get("fields"), dict):
            return {"fields": answer["fields"]}
        return {}

    def log_call(self, deal_id: str, call: CallLog) -> str:
        answer = self._post("log_call", {"deal_id": deal_id, "call": call.model_dump(mode="json")})
        return str(answer["id"]) if isinstance(answer, dict) and answer.get("id") else call.call_id

    def _post(self, action: str, payload: dict[str, Any]) -> Any:
        body = httpx.Request("POST", self.connection.url, json={"action": action, **payload}).read()

        def send(client: httpx.Client) -> httpx.Response:
            headers = {"Content-Type": "application/json", **self.sign(body)}
            return client.post(self.connection.url, content=body, headers=headers)

        return json_body(self.http.send(action, send, self._classify(action)))

    def _classify(self, action: str) -> Callable[[httpx.Response], CRMError | None]:
        def classify(response: httpx.Response) -> CRMError | None:
            status = response.status_code
            if status < 300:
                return None
            text = response.text[:200]
            if status in (429, 503) or status >= 500:
                wait = retry_after_s(response)
                return RetryableCRMError(self.crm, f"{action}: {status}: {text}", status=status, retry_after_s=wait)
            if status in (401, 403):
                return CRMAuthError(
                    self.crm, f"{action}: the receiver refused the request ({status}): {text}", status=status
                )
            if status == 404:
                return DealNotFound(self.crm, f"{action}: {text}", status=status)
            return PermanentCRMError(self.crm, f"{action}: {status}: {text}", status=status)

        return classify
