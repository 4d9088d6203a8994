"""A receiver of the generic CRM webhook, as a team would write one: it checks the HMAC signature with
`pipeline.signing.verify`, keeps deals in memory and answers each action as crm_fill/adapters/webhook.py
describes. Fields it does not know are ignored, and its answer to `update_deal` shows what it kept."""

import time
from typing import Any

from pipeline.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.support.crm_servers.base import Answer, CRMServer, Request


class WebhookReceiver(CRMServer):
    name = "webhook"

    def __init__(self, secret: str, known_fields: set[str], *, echo: bool = True) -> None:
        super().__init__()
        self.secret = secret
        self.known_fields = known_fields
        self.echo = echo
        self.deals: dict[str, dict[str, Any]] = {}
        self.calls: list[dict[str, Any]] = []
        self.refusals: list[str] = []

    def handle(self, request: Request) -> Answer:
        problem = verify(
            self.secret,
            request.headers.get(TIMESTAMP_HEADER.lower()),
            request.raw,
            request.headers.get(SIGNATURE_HEADER.lower()),
            now=time.time(),
            tolerance_s=300,
        )
        if problem is not None:
            self.refusals.append(problem)
            return Answer(401, {"error": problem})
        body = request.json() or {}
        with self.lock:
            action = body.get("action")
            if action == "find_deal":
                digits = "".join(char for char in str(body.get("phone") or "") if char.isdigit())[-10:]
                found = [
                    deal_id
                    for deal_id, deal in self.deals.items()
                    if deal_id == body.get("deal_id") or (digits and deal["phone"].endswith(digits))
                ]
                return Answer(200, {"deal_ids": found})
            deal = self.deals.get(str(body.get("deal_id")))
            if deal is None:
                return Answer(404, {"error": f"no deal {body.get('deal_id')}"})
            if action == "update_deal":
                deal["fields"].update({k: v for k, v in (body.get("fields") or {}).items() if k in self.known_fields})
                return Answer(200, {"fields": deal["fields"]}) if self.echo else Answer(204)
            if action == "log_call":
                self.calls.append(body["call"])
                return Answer(200, {"id": f"call-{len(self.calls)}"})
        return Answer(400, {"error": f"unknown action {action!r}"})
