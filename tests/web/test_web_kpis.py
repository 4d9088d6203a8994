"""The KPI page lists the first deals behind each KPI with a link to all of them, all of them for the KPI asked,
refuses a KPI it does not know, and shows a month's share of its quarter's target (embedded mode)."""

import re
from decimal import Decimal
from pathlib import Path

from pipeline.runtime import Runtime
from services.pipeline_review.targets import Period, set_target
from tests.support.deal_history import add_deal, add_pipeline, deal_runtime, map_owner
from tests.support.web_users import add_people, browser, log_in
from web.pages.kpis import DEALS_SHOWN

OPEN_DEALS = DEALS_SHOWN + 5


def _row(page: str, key: str) -> str:
    found = re.search(rf'<tr id="kpi-{key}">(.*?)</tr>', page, re.S)
    assert found, f"no row for {key}"
    return found.group(1)


def _team(tmp_path: Path) -> tuple[Runtime, int]:
    runtime = deal_runtime(tmp_path / "home")
    people = add_people(runtime)
    add_pipeline(runtime)
    map_owner(runtime, "501", people.rep_a)
    for n in range(OPEN_DEALS):
        add_deal(runtime, f"K{n}", name=f"Сделка {n:02}", amount=Decimal(100_000 + n * 1_000))
    with runtime.db.session() as session:
        set_target(session, "Team A", Period.parse("2026-Q4"), "9200000", "RUB", "test")
    return runtime, people.team_a


def test_the_first_deals_behind_a_kpi_and_all_of_them_on_asking(tmp_path: Path) -> None:
    runtime, team_a = _team(tmp_path)
    client = browser(runtime)
    log_in(client, "rop-a")
    page = client.get("/app/pipeline/kpis?period=2026-12")
    assert page.status_code == 200, page.text
    row = _row(page.text, "open_deals")
    assert f"{OPEN_DEALS} сделок" in row and row.count("<li>") == DEALS_SHOWN
    assert "Сделка 29" in row and "Сделка 00" not in row, "the most money first"
    assert f"Показать все {OPEN_DEALS} сделок" in row and "kpi=open_deals#kpi-open_deals" in row
    target = re.search(r'<p id="kpi-target">(.*?)</p>', page.text, re.S)
    assert target and "3\xa0100\xa0000,00 RUB" in target.group(1) and "от плана на 2026-Q4" in target.group(1)

    everything = client.get(f"/app/pipeline/kpis?team={team_a}&period=2026-12&kpi=open_deals")
    row = _row(everything.text, "open_deals")
    assert row.count("<li>") == OPEN_DEALS and "<details open>" in row and "Показать все" not in row
    assert _row(everything.text, "win_rate").count("<details open>") == 0

    refused = client.get("/app/pipeline/kpis?period=2026-12&kpi=deals")
    assert refused.status_code == 422 and "Показателя «deals» нет" in refused.text
    runtime.db.engine.dispose()
