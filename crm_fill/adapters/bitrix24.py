"""Bitrix24: write approved values into a deal's fields, read them back, register the call in telephony.

- Write: `crm.deal.update` with `{"id": ..., "fields": {"UF_CRM_...": ...}}`. Lists take the list item ID,
  dates ISO 8601 at midnight in the field map's time zone, yes/no fields 1/0, money fields "amount|CURRENCY";
  the standard `OPPORTUNITY` takes the amount alone.
- Read back: `crm.deal.get`.
- Find by phone: `crm.duplicate.findbycomm` (type PHONE, entity CONTACT), then `crm.deal.list` by CONTACT_ID.
- Call: `telephony.externalcall.register` (bound to the deal, no lead created), `telephony.externalcall.finish`
  with the duration, `telephony.externalCall.attachRecord` with the recording link, and the summary as a
  `crm.timeline.comment.add` on the deal.
- Auth: an inbound webhook URL (its path holds the secret) or an OAuth application token (sent in the body as
  `auth`), refreshed once on `expired_token` at oauth.bitrix.info with the `refresh_token` grant.
- Limit: a leaky bucket of 2 requests a second (50 at once); beyond it Bitrix24 answers 503
  QUERY_LIMIT_EXCEEDED, and a method that ran too long in ten minutes is blocked with OPERATION_TIME_LIMIT.
"""

from collections.abc import Callable
from datetime import datetime, time
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, Field, SecretStr, model_validator

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

CALL_TYPES = {CallDirection.outbound: 1, CallDirection.inbound: 2}
BLOCKED_METHOD_WAIT_S = 600.0  # OPERATION_TIME_LIMIT blocks the method for the rest of a ten-minute window


class Bitrix24Connection(BaseModel):
    portal_url: str | None = None
    webhook_url: SecretStr | None = None
    access_token: SecretStr | None = None
    refresh_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    oauth_url: str = "https://oauth.bitrix.info/oauth/token/"
    default_user_id: int = 1
    requests_per_s: float = 2.0
    burst: int = Field(default=40, description="Under the portal's bucket of 50, which other applications share.")

    @model_validator(mode="after")
    def _one_way_in(self) -> "Bitrix24Connection":
        if (self.webhook_url is None) == (self.access_token is None):
            raise ValueError("give either webhook_url or access_token (with portal_url)")
        if self.access_token is not None and not self.portal_url:
            raise ValueError("an OAuth connection needs portal_url")
        return self


class _WebhookTransport(httpx.BaseTransport):
    """Puts the webhook's secret path back into the URL below httpx's request logging, which prints URLs."""

    def __init__(self, webhook_url: SecretStr, placeholder: str, inner: httpx.BaseTransport):
        self._webhook = webhook_url
        self._placeholder = placeholder
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        tail = str(request.url).removeprefix(self._placeholder)
        secret_url = self._webhook.get_secret_value().rstrip("/") + "/" + tail
        return self._inner.handle_request(
            httpx.Request(request.method, secret_url, headers=request.headers, content=request.read())
        )

    def close(self) -> None:
        self._inner.close()


class Bitrix24Adapter(CRMAdapter):
    crm = "bitrix24"

    def __init__(
        self,
        connection: Bitrix24Connection,
        field_map: FieldMap,
        *,
        on_tokens: Callable[[Bitrix24Connection], None] | None = None,
        http: CRMHttp | None = None,
        limiters: Limiters = limiter_for,
    ):
        super().__init__(field_map)
        self.connection = connection
        self.on_tokens = on_tokens
        if connection.webhook_url is not None:
            parts = urlsplit(connection.webhook_url.get_secret_value())
            self._base = f"{parts.scheme}://{parts.netloc}/rest/"
            client = httpx.Client(
                timeout=20.0, transport=_WebhookTransport(connection.webhook_url, self._base, httpx.HTTPTransport())
            )
        else:
            self._base = f"{(connection.portal_url or '').rstrip('/')}/rest/"
            client = None
        limiter = limiters(self._base, connection.requests_per_s, connection.burst)
        self.http = http or CRMHttp(self.crm, limiter, client=client)

    def __repr__(self) -> str:
        return f"Bitrix24Adapter({self._base})"

    def close(self) -> None:
        self.http.close()

    def to_crm(self, mapping: FieldMapping, value: FieldValue) -> Any:
        items = value if isinstance(value, list) else [value]
        if mapping.type == FieldType.enum:
            ids = [mapping.option(self.crm, str(item)) for item in items]
            return ids if isinstance(value, list) else ids[0]
        if mapping.type == FieldType.date:
            day = as_date(self.crm, mapping, value)
            return datetime.combine(day, time(), self.field_map.zone).isoformat()
        if mapping.type == FieldType.bool:
            return 1 if value else 0
        if mapping.type == FieldType.money:
            amount, currency = money_parts(self.crm, mapping, value)
            if mapping.crm_field == "OPPORTUNITY" or currency is None:
                return number_text(amount)
            return f"{number_text(amount)}|{currency}"
        if mapping.type == FieldType.number:
            return as_number(self.crm, mapping, value)
        return ", ".join(str(item) for item in items)

    def comparable_sent(self, mapping: FieldMapping, sent: Any) -> Any:
        return self._readable(mapping, sent)

    def stored_value(self, mapping: FieldMapping, record: dict[str, Any]) -> Any:
        return self._readable(mapping, record.get(mapping.crm_field))

    def _readable(self, mapping: FieldMapping, value: Any) -> Any:
        """Bitrix24 answers dates with its own offset and money with decimals: bring both to one form."""
        empty = value is None or value is False or (isinstance(value, str | list) and not value)
        if empty and mapping.type != FieldType.bool:
            return None
        if mapping.type == FieldType.date:
            try:
                return datetime.fromisoformat(str(value)).astimezone(self.field_map.zone).date().isoformat()
            except ValueError:
                return str(value)
        if mapping.type == FieldType.bool:
            return str(value).upper() in {"1", "Y", "TRUE"}
        if mapping.type == FieldType.money:
            amount, _, currency = str(value).partition("|")
            return [amount, currency] if currency else amount
        return value

    def read_deal(self, deal_id: str) -> dict[str, Any] | None:
        try:
            return self._call("crm.deal.get", {"id": deal_id})
        except DealNotFound:
            return None

    def update_deal(self, deal_id: str, values: dict[str, Any]) -> None:
        done = self._call("crm.deal.update", {"id": deal_id, "fields": values, "params": {"REGISTER_SONET_EVENT": "N"}})
        if done is not True:
            raise PermanentCRMError(self.crm, f"crm.deal.update answered {done!r} for deal {deal_id}")
        return None

    def deals_by_phone(self, phone: str) -> list[str]:
        found = self._call("crm.duplicate.findbycomm", {"entity_type": "CONTACT", "type": "PHONE", "values": [phone]})
        contacts = found.get("CONTACT", []) if isinstance(found, dict) else []
        deals: list[str] = []
        for contact in contacts:
            listed = self._call("crm.deal.list", {"filter": {"CONTACT_ID": contact}, "select": ["ID"]}) or []
            deals.extend(str(deal["ID"]) for deal in listed)
        return deals

    def log_call(self, deal_id: str, call: CallLog) -> str:
        if call.direction not in CALL_TYPES:
            raise PermanentCRMError(
                self.crm, f"call {call.call_id}: Bitrix24 needs the direction (inbound or outbound)"
            )
        user = int(call.rep_crm_user_id) if call.rep_crm_user_id else self.connection.default_user_id
        registered = self._call(
            "telephony.externalcall.register",
            {
                "USER_ID": user, "PHONE_NUMBER": call.phone, "CALL_START_DATE": call.started_at.isoformat(),
                "TYPE": CALL_TYPES[call.direction], "CRM_CREATE": 0, "CRM_ENTITY_TYPE": "DEAL",
                "CRM_ENTITY_ID": deal_id, "SHOW": 0,
            },
        )  # fmt: skip
        call_id = (registered or {}).get("CALL_ID")
        if not call_id:
            raise PermanentCRMError(
                self.crm, f"telephony.externalcall.register gave no CALL_ID for call {call.call_id}"
            )
        self._call(
            "telephony.externalcall.finish",
            {"CALL_ID": call_id, "USER_ID": user, "DURATION": call.duration_s, "STATUS_CODE": "200", "ADD_TO_CHAT": 0},
        )
        if call.recording_url:
            name = urlsplit(call.recording_url).path.rsplit("/", 1)[-1] or f"{call.call_id}.mp3"
            self._call(
                "telephony.externalCall.attachRecord",
                {"CALL_ID": call_id, "FILENAME": name, "RECORD_URL": call.recording_url},
            )
        if call.summary:
            self._call(
                "crm.timeline.comment.add",
                {"fields": {"ENTITY_ID": int(deal_id), "ENTITY_TYPE": "deal", "COMMENT": call.summary}},
            )
        return str(call_id)

    def read(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """A method's whole answer (a list's `result` with its `next` and `total`) through this portal's rate limit,
        token refresh and error sorting (the deal sync reads this way)."""
        return self._answer(method, params)

    def _call(self, method: str, params: dict[str, Any]) -> Any:
        return self._answer(method, params).get("result")

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        url = f"{self._base}{method}.json"

        def send(client: httpx.Client) -> httpx.Response:
            body = dict(params)
            if self.connection.access_token is not None:
                body["auth"] = self.connection.access_token.get_secret_value()
            return client.post(url, json=body)

        def attempt() -> dict[str, Any]:
            body = json_body(self.http.send(method, send, self._classify(method)))
            return body if isinstance(body, dict) else {}

        conn = self.connection
        refresh = self._refresh if conn.refresh_token and conn.client_id and conn.client_secret else None
        return with_refresh(self.crm, method, attempt, refresh)

    def _refresh(self) -> None:
        conn = self.connection
        form = {
            "grant_type": "refresh_token",
            "client_id": conn.client_id or "",
            "client_secret": conn.client_secret.get_secret_value() if conn.client_secret else "",
            "refresh_token": conn.refresh_token.get_secret_value() if conn.refresh_token else "",
        }
        # The form goes in the body, not the query string that Bitrix24's examples use, to keep it out of URL logs.
        response = self.http.send(
            "oauth token refresh", lambda client: client.post(conn.oauth_url, data=form), self._classify_token
        )
        tokens = json_body(response) or {}
        if not tokens.get("access_token"):
            raise CRMAuthError(self.crm, "oauth token refresh: the answer has no access_token")
        update = {"access_token": SecretStr(tokens["access_token"])}
        if tokens.get("refresh_token"):
            update["refresh_token"] = SecretStr(tokens["refresh_token"])
        self.connection = conn.model_copy(update=update)
        if self.on_tokens is not None:
            self.on_tokens(self.connection)

    def _classify(self, method: str) -> Callable[[httpx.Response], CRMError | None]:
        def classify(response: httpx.Response) -> CRMError | None:
            body = json_body(response)
            body = body if isinstance(body, dict) else {}
            code = str(body.get("error") or "")
            status = response.status_code
            if status < 300 and not code:
                return None
            description = str(body.get("error_description") or response.reason_phrase)
            if code == "expired_token":
                return TokenExpired(self.crm, f"{method}: {description}", status=status)
            if code == "QUERY_LIMIT_EXCEEDED":
                wait = retry_after_s(response) or 1.0
                return RetryableCRMError(self.crm, f"{method}: QUERY_LIMIT_EXCEEDED", status=status, retry_after_s=wait)
            if code == "OPERATION_TIME_LIMIT":
                wait = retry_after_s(response) or BLOCKED_METHOD_WAIT_S
                return RetryableCRMError(self.crm, f"{method}: {description}", status=status, retry_after_s=wait)
            if status >= 500:
                return RetryableCRMError(self.crm, f"{method}: {status} {code}: {description}", status=status)
            if status == 401 or code in {"invalid_token", "NO_AUTH_FOUND", "INVALID_CREDENTIALS"}:
                return CRMAuthError(self.crm, f"{method}: {code or status}: {description}", status=status)
            if status == 404 or "not found" in description.lower():
                return DealNotFound(self.crm, f"{method}: {description}", status=status)
            return PermanentCRMError(self.crm, f"{method}: {code or status}: {description}", status=status)

        return classify

    def _classify_token(self, response: httpx.Response) -> CRMError | None:
        status = response.status_code
        body = json_body(response)
        if status < 300 and not (isinstance(body, dict) and body.get("error")):
            return None
        if status == 429 or status >= 500:
            return RetryableCRMError(
                self.crm, f"token refresh: {status}", status=status, retry_after_s=retry_after_s(response)
            )
        return CRMAuthError(self.crm, f"token refresh refused ({status}): connect Bitrix24 again", status=status)
