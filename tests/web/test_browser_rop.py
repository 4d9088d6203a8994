"""A head of sales in a real browser (the system's headless Chromium): from the calls list to the call, an evidence
quote moves the player to its moment, then an item is overridden with a reason."""

from pathlib import Path

from tests.support.browser import chromium, log_in_page, serving
from tests.support.scored_calls import BUDGET_QUESTION, BUDGET_QUOTE_START, add_scored_call
from tests.support.web_users import PASSWORD, add_people, embedded_runtime


def test_a_rop_jumps_to_a_quote_and_overrides_an_item(tmp_path: Path) -> None:
    runtime = embedded_runtime(tmp_path)
    people = add_people(runtime)
    call_id = add_scored_call(runtime, rep_id=people.rep_a, team_id=people.team_a)
    add_scored_call(runtime, rep_id=people.rep_b, team_id=people.team_b)
    with serving(runtime) as base_url, chromium() as browser:
        page = browser.new_page()
        log_in_page(page, base_url, "rop-a", PASSWORD)
        page.goto(f"{base_url}/app/calls")
        links = page.locator("table.calls a")
        assert links.count() == 1
        links.first.click()
        page.wait_for_url(f"{base_url}/app/calls/{call_id}")
        player = page.locator("audio[data-call-player]")
        player.evaluate("audio => new Promise(done => audio.readyState >= 1 ? done() : audio.onloadedmetadata = done)")
        assert player.evaluate("audio => audio.currentTime") < 0.5
        page.locator("#item-budget blockquote a", has_text=BUDGET_QUESTION).click()
        page.wait_for_function(
            "start => document.querySelector('audio[data-call-player]').currentTime >= start - 0.05",
            arg=BUDGET_QUOTE_START,
        )
        assert player.evaluate("audio => audio.currentTime") >= BUDGET_QUOTE_START - 0.05

        page.locator("#item-budget details.override summary").click()
        page.select_option("#answer-budget", "no")
        page.fill("#reason-budget", "Бюджет назвал клиент, вопроса не было")
        page.locator("#item-budget button[type=submit]").click()
        page.wait_for_selector("#item-budget.overridden")
        item = page.locator("#item-budget")
        assert "Бюджет назвал клиент, вопроса не было" in item.inner_text()
        assert "Исправлено: rop-a" in item.inner_text()
        assert "14 %" in page.locator("#scorecard-title").inner_text()
