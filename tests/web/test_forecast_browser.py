"""The forecast and KPI pages in a real browser (the system's headless Chromium) on PostgreSQL: a rep reads their
forecast in Russian, follows the calls' evidence and overrides a deal's category with a reason; the admin reads
the team's forecast and KPIs in English, with the override, the totals and the KPI sparklines."""

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from pipeline.db import CRMStage, ForecastOverride
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from tests.support.browser import chromium, log_in_page, serving
from tests.support.deal_history import postgres
from tests.support.forecast_deals import forecast_deals
from tests.support.web_users import PASSWORD

__all__ = ["postgres"]  # the PostgreSQL fixture


@pytest.fixture
def runtime(postgres: Settings) -> Iterator[Runtime]:
    runtime = Runtime(postgres)
    runtime.db.migrate()
    yield runtime
    runtime.db.engine.dispose()


def test_the_forecast_page_in_russian_and_english(runtime: Runtime) -> None:
    made = forecast_deals(runtime)
    flagged, team_a = made.ids["flagged"], made.people.team_a
    with runtime.db.session() as session:
        proposal_stage = session.scalar(select(CRMStage.id).where(CRMStage.external_id == "30"))
    with serving(runtime) as base_url, chromium() as browser:
        page = browser.new_context().new_page()
        log_in_page(page, base_url, "rep-a", PASSWORD)
        page.click("nav >> text=Прогноз")
        page.wait_for_url(f"{base_url}/app/pipeline/forecast")
        page.fill("input[name=period]", "2026-12")
        page.click("form.filters button[type=submit]")
        page.wait_for_url(lambda url: "period=2026-12" in url)
        row = page.locator(f"#deal-{flagged}")
        assert "Коммит" in row.locator("td.category").inner_text()
        calls_say = row.locator("td.calls-say").inner_text()
        assert "Предлагается: Лучший случай" in calls_say and "бюджет не обсуждался" in calls_say
        evidence = row.locator("td.calls-say a", has_text="Globex")
        assert evidence.get_attribute("href") == f"/app/calls/{made.competitor_call}/audio#t=50.00"
        assert page.locator(f"#deal-{made.ids['team_b']}").count() == 0, "another rep's deal is not there"
        refused = page.request.post(
            f"{base_url}/app/pipeline/forecast/{flagged}",
            form={
                "csrf_token": row.locator("input[name=csrf_token]").get_attribute("value") or "",
                "category": "best_case",
                "reason": "  ",
                "period": "2026-12",
            },
        )
        assert refused.status == 422 and "Укажите причину изменения категории" in refused.text()
        row.locator("select[name=category]").select_option("best_case")
        row.locator("input[name=reason]").fill("ждём бюджет от клиента")
        row.locator("button[type=submit]").click()
        page.wait_for_url(lambda url: f"#deal-{flagged}" in url)
        category = page.locator(f"#deal-{flagged} td.category").inner_text()
        assert "Лучший случай" in category and "изменено вручную" in category and "ждём бюджет" in category

        page = browser.new_context().new_page()
        log_in_page(page, base_url, "admin", PASSWORD)
        page.goto(f"{base_url}/app/pipeline/forecast?team={team_a}&period=2026-12")
        category = page.locator(f"#deal-{flagged} td.category").inner_text()
        assert "Best case" in category and "set by hand (by the stage: Commit) by rep-a" in category
        totals = page.locator("#forecast-totals").inner_text()
        assert "Commit" in totals and "850,000.00 RUB" not in totals and "350,000.00 RUB" in totals
        assert "Best case: 1,000.00 USD" in page.locator("#forecast-apart").inner_text()
        page.click("text=Pipeline KPIs >> nth=-1")
        page.wait_for_url(lambda url: "/app/pipeline/kpis" in url)
        assert "Pipeline value" in page.locator("#kpi-pipeline_value").inner_text()
        assert page.locator("#kpi-open_deals svg.sparkline").count() == 1
        page.locator("#kpi-open_deals summary").click()
        assert "Станки для завода" in page.locator("#kpi-open_deals .kpi-deals").inner_text()

        page.goto(f"{base_url}/app/admin/deals")
        stage = page.locator(f"#crm-stage-{proposal_stage}")
        stage.locator("select[name=forecast_category]").select_option("omitted")
        stage.locator("button[type=submit]").click()
        page.wait_for_url(f"{base_url}/app/admin/deals")
        page.goto(f"{base_url}/app/pipeline/forecast?team={team_a}&period=2026-12")
        assert "Omitted" in page.locator(f"#deal-{made.ids['best']} td.category").inner_text(), "the stage's category"
    with runtime.db.session() as session:
        [logged] = session.scalars(select(ForecastOverride)).all()
        assert (logged.deal_id, logged.previous, logged.category, logged.actor) == (
            flagged,
            "commit",
            "best_case",
            "rep-a",
        )
