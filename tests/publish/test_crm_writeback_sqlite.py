"""CRM write-back on the embedded SQLite database and local storage (no servers but a local HTTP server that
implements amoCRM's documented API v4, tests/support/crm_servers/amocrm.py): a refreshed token is saved from its own
transaction while the delivery's transaction is still open, and the write and the call log go through."""

import json
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import select

from crm_fill.adapters import AmoCRMConnection, SecretBox
from pipeline.db import CRMConnection, FieldDecisionLog, Proposal
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from publish.admin import list_deliveries
from publish.delivery import deliver_due
from services.approvals import Actor, FieldDecision, record_decisions
from tests.support.crm_calls import KEY, LEAD, NEXT_STEP, crm, processed_call, team_with_amocrm
from tests.support.crm_servers.amocrm import AmoCRMServer
from web.call_views import call_detail

__all__ = ["crm"]  # the amoCRM server fixture


def test_write_back_with_a_token_refresh_on_sqlite(tmp_path: Path, crm: AmoCRMServer) -> None:
    settings = Settings(data_dir=tmp_path, llm_backend="none", crm_secrets_key=SecretStr(KEY))
    runtime = Runtime(settings)
    team_id = team_with_amocrm(runtime, crm)
    call_id = processed_call(runtime, team_id)
    with runtime.db.session() as session:
        recorded = record_decisions(
            session,
            settings,
            call_id,
            [FieldDecision(field="next_step", decision="edit", value="Next step: a demo on Tuesday")],
            Actor(user_id=None, name="deployment token"),
        )
        proposed = session.scalar(
            select(Proposal.ai_value).where(Proposal.call_id == call_id, Proposal.field == "next_step")
        )
        logged = session.scalars(select(FieldDecisionLog).where(FieldDecisionLog.call_id == call_id)).all()
    assert recorded.crm_writes == 1
    assert [(row.field, row.decision, row.actor) for row in logged] == [("next_step", "edit", "deployment token")]
    assert (logged[0].ai_value, logged[0].final_value) == (proposed, "Next step: a demo on Tuesday")
    assert proposed != "Next step: a demo on Tuesday"  # the AI's value survives the edit
    crm.expire_access_token()

    first = deliver_due(runtime, call_id)
    rest = deliver_due(runtime, call_id)
    assert (first.delivered + rest.delivered, first.failed + rest.failed, first.dead + rest.dead) == (2, 0, 0)

    assert crm.lead_values(LEAD) == {NEXT_STEP: [{"value": "Next step: a demo on Tuesday"}]}
    assert crm.leads[LEAD]["price"] == 0  # budget was not decided on
    assert [call["uniq"] for call in crm.calls] == [call_id]
    views = {view.event_type: view for view in list_deliveries(runtime, call_id=call_id) if view.crm}
    assert views["crm.write"].result is not None and views["crm.write"].result["ok"] is True
    assert views["crm.call_log"].status == "delivered"
    detail = call_detail(runtime, call_id)
    assert detail is not None
    assert [(w.crm, w.status, w.deal_id, w.kept, w.not_kept) for w in detail.crm_writes] == [
        ("amocrm", "delivered", str(LEAD), True, [])
    ]
    assert "demo on Tuesday" not in detail.model_dump_json(include={"crm_writes"})
    assert crm.refreshes == 1
    with runtime.db.session() as session:
        sealed = session.scalars(select(CRMConnection.secrets)).one()
    assert crm.refresh_token not in json.dumps(sealed)
    stored = SecretBox(SecretStr(KEY)).open_connection(AmoCRMConnection, sealed)
    assert stored.refresh_token.get_secret_value() == crm.refresh_token
