"""A head of sales in a real browser (headless Chromium), in Russian: a script item's example typed, its answers
previewed on the team's calls, then saved as a new script version."""

from pathlib import Path

from tests.support.browser import chromium, log_in_page, serving
from tests.support.example_calls import said
from tests.support.scored_calls import add_scored_call
from tests.support.web_users import PASSWORD, add_people, embedded_runtime


def test_a_rop_previews_an_example_then_saves_it(tmp_path: Path) -> None:
    runtime = embedded_runtime(tmp_path)
    people = add_people(runtime)
    call_id = add_scored_call(runtime, rep_id=people.rep_a, team_id=people.team_a)
    said(runtime, call_id, ["Здравствуйте, компания Ромашка.", "А к какому числу вам нужно, чтобы всё заработало?"])
    with serving(runtime) as base_url, chromium() as browser:
        page = browser.new_page()
        log_in_page(page, base_url, "rop-a", PASSWORD)
        page.goto(f"{base_url}/app/admin/examples")
        page.select_option("select[name=item]", "timeline")
        page.get_by_role("button", name="Открыть").click()
        page.wait_for_selector("text=Положительные примеры (шаг выполнен)")
        assert page.locator("#examples-save").count() == 0
        page.fill("#add-positive", "к какому числу вам нужно чтобы всё заработало")
        page.get_by_role("button", name="Проверить на последних звонках").click()
        preview = page.locator("#examples-preview")
        preview.wait_for()
        assert "меняется 1 ответ" in preview.inner_text()
        row = preview.locator("tr.changed")
        assert row.count() == 1 and "да" in row.inner_text()
        page.locator("#examples-save").click()
        page.wait_for_selector("#examples-saved")
        assert "Сохранено как версия 1.5" in page.locator("#examples-saved").inner_text()
        assert "версия 1.5" in page.content()
