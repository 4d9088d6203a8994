"""The pipeline review page in a real browser (the system's headless Chromium) on PostgreSQL: a head of sales
reads the deals in order of what is at stake, writes a note during the meeting (Russian); another reads theirs
in English, and the note of another date is not on this review."""

from pipeline.runtime import Runtime
from pipeline.settings import Settings
from services.deals.risk_pass import run_risk_pass
from tests.support.browser import chromium, log_in_page, serving
from tests.support.deal_history import NOW, add_deal, add_deal_call, add_pipeline, day, map_owner, postgres
from tests.support.web_users import PASSWORD, add_people

__all__ = ["postgres"]  # the PostgreSQL fixture


def test_the_review_page_in_russian_and_english(postgres: Settings) -> None:
    runtime = Runtime(postgres)
    people = add_people(runtime)
    add_pipeline(runtime)
    map_owner(runtime, "501", people.rep_a)
    map_owner(runtime, "601", people.rep_b)
    small = add_deal(runtime, "A-1", name="Малая сделка", owner="501", amount="20000", close_date=day(-3))
    large = add_deal(runtime, "A-2", name="Крупная сделка", owner="501", amount="900000", close_date=day(-3))
    theirs = add_deal(runtime, "B-1", name="Training for Acme", owner="601")
    add_deal_call(
        runtime,
        large,
        days_ago=2,
        rep_id=people.rep_a,
        team_id=people.team_a,
        values={"next_step": ("демо в пятницу", "approved", "давайте демо в пятницу", 4.0)},
    )
    add_deal_call(runtime, theirs, days_ago=30, rep_id=people.rep_b, team_id=people.team_b)
    with runtime.db.session() as session:
        run_risk_pass(session, NOW)
    review = f"/app/pipeline-review?date={NOW.date()}"
    with serving(runtime) as base_url, chromium() as browser:
        page = browser.new_context().new_page()
        log_in_page(page, base_url, "rop-a", PASSWORD)
        page.click("text=Разбор воронки")
        page.wait_for_url(f"{base_url}/app/pipeline-review")
        page.goto(base_url + review)
        deals = page.locator("li.review-deal")
        assert deals.count() == 2
        assert [deals.nth(i).get_attribute("data-deal-id") for i in range(2)] == [str(large), str(small)]
        first = deals.nth(0)
        assert "Дата закрытия прошла" in first.locator(".review-risks").inner_text()
        assert "демо в пятницу" in first.locator(".review-next-step").inner_text()
        assert first.locator(".review-call-card a", has_text="0:04").count() == 1, "the moment in the last call"
        first.locator("textarea[name=text]").fill("Решили: звонок директору до среды")
        first.locator("button", has_text="Добавить заметку").click()
        page.wait_for_url(f"**/app/pipeline-review?date={NOW.date()}#comment-*")
        assert "звонок директору" in page.locator(f"#deal-{large} .review-notes").inner_text()
        page.goto(f"{base_url}/app/pipeline-review?date=2026-12-14")
        assert "звонок директору" not in page.locator(f"#deal-{large} .review-notes").inner_text()

        page = browser.new_context().new_page()
        log_in_page(page, base_url, "rop-b", PASSWORD)
        page.goto(base_url + review)
        assert page.locator("h1").inner_text() == "Pipeline review"
        assert [page.locator("li.review-deal").nth(0).get_attribute("data-deal-id")] == [str(theirs)]
        assert "No activity" in page.locator(".review-risks").inner_text()
