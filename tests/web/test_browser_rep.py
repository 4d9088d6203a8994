"""A rep in a real browser (the system's headless Chromium through Playwright, the app under uvicorn on loopback,
SQLite and local storage): logs in, opens a processed call from the approvals queue, corrects one value, approves
the rest, and the team's amoCRM account (a local HTTP server implementing amoCRM's documented API v4,
tests/support/crm_servers/amocrm.py) receives exactly those values."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from pipeline.directory import save_rep
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from publish.delivery import deliver_due
from services.accounts import UserRole, create_user
from tests.support.browser import chromium, log_in_page, serving
from tests.support.crm_calls import CLOSE, KEY, LEAD, NEXT_STEP, STAGE, crm, processed_call, team_with_amocrm
from tests.support.crm_servers.amocrm import AmoCRMServer
from tests.support.web_users import PASSWORD

__all__ = ["crm"]  # the amoCRM server fixture


def test_a_rep_corrects_one_value_approves_the_rest_and_the_crm_gets_them(tmp_path: Path, crm: AmoCRMServer) -> None:
    settings = Settings(data_dir=tmp_path, llm_backend="none", crm_secrets_key=SecretStr(KEY), broker_url="stub://")
    runtime = Runtime(settings)
    team_id = team_with_amocrm(runtime, crm)
    with runtime.db.session() as session:
        rep = save_rep(session, "Анна Смирнова", extension="101", team="Москва")
        create_user(session, "anna", "Анна Смирнова", PASSWORD, UserRole.rep, rep_id=rep.id)
        rep_id = rep.id
    call_id = processed_call(runtime, team_id, rep_id=rep_id)

    with serving(runtime) as base_url, chromium() as browser:
        page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone's screen
        log_in_page(page, base_url, "anna", PASSWORD)
        assert page.url.endswith("/app/approvals")
        assert "1 звонок ждёт решения" in page.inner_text("main")
        page.click(f"a[href='/app/approvals/{call_id}']")
        page.fill("#v-next_step", "Демо во вторник в 11:00")
        page.click("#f-next_step button[value=edit]")
        page.wait_for_url(lambda url: "notice=" in url)
        assert "Сохранено" in page.inner_text("[role=status]")
        page.click(".appr-all button")
        page.wait_for_selector("text=0 значений ждут вашего решения.")
        statuses = page.locator(".appr-field h2 .badge").all_inner_texts()
        assert sorted(statuses) == ["исправлено", "принято", "принято", "принято"]

    delivered = dead = 0
    for _ in range(4):
        done = deliver_due(runtime, call_id)
        delivered, dead = delivered + done.delivered, dead + done.dead
    assert dead == 0 and delivered >= 2

    close = int(datetime(2025, 3, 14, tzinfo=ZoneInfo("Europe/Moscow")).timestamp())
    assert crm.lead_values(LEAD) == {
        STAGE: [{"value": "proposal", "enum_id": 1204713, "enum_code": None}],
        CLOSE: [{"value": close}],
        NEXT_STEP: [{"value": "Демо во вторник в 11:00"}],
    }
    assert crm.leads[LEAD]["price"] == 100000
    assert [logged["uniq"] for logged in crm.calls] == [call_id]
