"""The waterfall and forecast-trend pages in a real browser on PostgreSQL: the chart's structure (one bar per
step, labelled in the page's language, each step's bar linking to its deals), in Russian for a head of sales and
in English for an admin; screenshots saved to docs/screenshots/."""

from pathlib import Path

from pipeline.runtime import Runtime
from pipeline.settings import Settings
from tests.support.browser import chromium, log_in_page, serving
from tests.support.deal_history import postgres
from tests.support.pipeline_history import END, PERIOD, START, build_history
from tests.support.web_users import PASSWORD

__all__ = ["postgres"]  # the PostgreSQL fixture

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
QUERY = f"from={START}&to={END}&period_start={PERIOD[0]}&period_end={PERIOD[1]}"
BARS = "svg.chart-waterfall .chart-bar"


def test_the_waterfall_and_trend_pages_draw_their_charts_in_russian_and_english(postgres: Settings) -> None:
    runtime = Runtime(postgres)
    runtime.db.migrate()
    history = build_history(runtime)
    with serving(runtime) as base_url, chromium() as browser:
        page = browser.new_context(viewport={"width": 1000, "height": 900}).new_page()
        log_in_page(page, base_url, "rop-a", PASSWORD)
        page.click("text=Водопад")
        page.goto(f"{base_url}/app/pipeline/waterfall?{QUERY}")
        labels = [page.locator(BARS).nth(i).get_attribute("data-label") for i in range(page.locator(BARS).count())]
        assert labels == [
            "На 2026-11-30",
            "Новые",
            "Перенесены в период",
            "Сумма выросла",
            "Сумма снизилась",
            "Перенесены из периода",
            "Переданы отсюда",
            "Выиграны",
            "Проиграны",
            "На 2026-12-07",
        ]
        assert page.locator("svg.chart-waterfall .chart-bar.up").count() == 3
        assert page.locator("svg.chart-waterfall .chart-bar.down").count() == 5
        start_value = page.locator(f"{BARS}[data-label='На 2026-11-30'] .chart-value").text_content() or ""
        assert start_value.replace("\xa0", " ") == "1,3 млн"
        assert "USD" in page.locator(".waterfall-apart").inner_text()
        page.screenshot(path=str(SCREENSHOTS / "waterfall-ru.png"), full_page=True)
        page.locator(f"{BARS}[data-label='Выиграны'] rect").click()
        page.wait_for_url(lambda url: "step=won" in url)
        rows = page.locator("table.waterfall-deals tbody tr").all_inner_texts()
        assert [row.replace("\xa0", " ") for row in rows] == ["A-won\t400 000\t0\t-400 000"]
        page.click("table.waterfall-deals >> text=A-won")
        page.wait_for_url(f"{base_url}/app/deals/{history.deals['A-won']}")

        page = browser.new_context(viewport={"width": 1000, "height": 900}).new_page()
        log_in_page(page, base_url, "admin", PASSWORD)
        page.goto(f"{base_url}/app/pipeline/waterfall?{QUERY}&team={history.people.team_a}")
        x_labels = page.locator("svg.chart-waterfall .chart-x-label").all_text_contents()
        assert x_labels[1:4] == ["New", "Pulled in", "Amount up"] and x_labels[-2:] == ["Lost", "On 2026-12-07"]
        assert page.locator("tr.step-new td").nth(2).inner_text() == "590,000"
        page.screenshot(path=str(SCREENSHOTS / "waterfall-en.png"), full_page=True)

        page.goto(f"{base_url}/app/pipeline/trend?from={START}&to={END}&team={history.people.team_a}")
        series = page.locator("svg.chart-line .chart-series")
        assert [series.nth(i).get_attribute("data-series") for i in range(series.count())] == [
            "Commit",
            "Best case",
            "Pipeline",
            "Omitted",
        ]
        assert page.locator("svg.chart-line .chart-series circle").count() == 4 * 8, "a point per day per category"
        assert page.locator("tr.category-commit td").nth(1).inner_text() == "1"
        page.screenshot(path=str(SCREENSHOTS / "forecast-trend-en.png"), full_page=True)
    runtime.db.engine.dispose()
