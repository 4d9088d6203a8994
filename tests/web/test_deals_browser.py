"""The deal pages in a real browser (the system's headless Chromium): a rep goes from the deals at risk to the
deal (Russian), a head of sales opens a deal and follows a moment to the call's audio (English)."""

from pathlib import Path

from services.deals.risk_pass import run_risk_pass
from tests.support.browser import chromium, log_in_page, serving
from tests.support.deal_history import NOW, add_deal, add_deal_call, add_pipeline, day, deal_runtime, map_owner
from tests.support.web_users import PASSWORD, add_people


def _runtime(tmp_path: Path):
    runtime = deal_runtime(tmp_path)
    people = add_people(runtime)
    add_pipeline(runtime)
    map_owner(runtime, "501", people.rep_a)
    map_owner(runtime, "601", people.rep_b)
    ours = add_deal(runtime, "A-1", name="Станки для завода", owner="501", close_date=day(-1))
    theirs = add_deal(runtime, "B-1", name="Training for Acme", owner="601")
    call_id = add_deal_call(
        runtime,
        theirs,
        days_ago=2,
        rep_id=people.rep_b,
        team_id=people.team_b,
        values={"competitors_mentioned": (["Globex"], "approved", "we also look at Globex", 1.5)},
    )
    with runtime.db.session() as session:
        run_risk_pass(session, NOW)
    return runtime, ours, theirs, call_id


def test_the_deal_pages_for_a_rep_in_russian_and_a_head_of_sales_in_english(tmp_path: Path) -> None:
    runtime, ours, theirs, call_id = _runtime(tmp_path)
    with serving(runtime) as base_url, chromium() as browser:
        page = browser.new_context().new_page()
        log_in_page(page, base_url, "rep-a", PASSWORD)
        page.click("text=Сделки под риском")
        page.wait_for_url(f"{base_url}/app/deals/at-risk")
        assert page.locator("table.deals tbody tr").count() == 1
        assert "Дата закрытия прошла" in page.locator("table.deals").inner_text()
        page.click("text=Станки для завода")
        page.wait_for_url(f"{base_url}/app/deals/{ours}")
        assert "Дата закрытия прошла" in page.locator("#deal-risks").inner_text()

        page = browser.new_context().new_page()
        log_in_page(page, base_url, "rop-b", PASSWORD)
        page.goto(f"{base_url}/app/deals/{theirs}")
        assert "Competitor in play" in page.locator("#deal-risks").inner_text()
        moment = page.locator("#deal-calls .moments a", has_text="we also look at Globex")
        assert moment.get_attribute("href") == f"/app/calls/{call_id}/audio#t=1.50"
        page.locator("#deal-calls a", has_text=":").first.click()
        page.wait_for_url(f"{base_url}/app/calls/{call_id}")
        assert page.locator("#call-deal").count() == 1, "the call page leads to its deal link"
