"""A team's deal-risk settings on their web page: a head of sales changes them for their own team (in Russian),
checked CSRF and refused values naming the setting; the change is audited and the next risk pass uses it. A rep
cannot open the page, and another team's head of sales cannot see or change it; an admin picks any team."""

from pathlib import Path

from sqlalchemy import select

from pipeline.db import DealRisk
from pipeline.db.audit import AuditEntry
from services.deals.risk_pass import run_risk_pass
from tests.support.deal_history import NOW, add_deal, add_deal_call, add_pipeline, deal_runtime, map_owner
from tests.support.web_users import add_people, browser, csrf_of, log_in

PAGE = "/app/deals/risk-settings"
EVERY_RISK = [
    "no_activity",
    "next_step_overdue",
    "no_next_step",
    "budget_never_discussed",
    "decision_maker_absent",
    "competitor",
    "stage_ahead",
    "close_date_passed",
    "close_date_moved",
]


def _form(csrf: str, **changed: object) -> dict[str, object]:
    form: dict[str, object] = {
        "csrf_token": csrf,
        "team": "Team A",
        "raised": EVERY_RISK,
        "no_activity_days": "14",
        "close_date_moves": "2",
        "advanced_probability": "50",
        "stage": ["Переговоры", "Первичный контакт"],
        "stage_days": ["", ""],
    }
    return {**form, **changed}


def test_a_head_of_sales_changes_the_settings_and_the_next_pass_uses_them_an_admin_any_team(tmp_path: Path) -> None:
    runtime = deal_runtime(tmp_path)
    people = add_people(runtime)
    add_pipeline(runtime)
    map_owner(runtime, "501", people.rep_a)
    deal = add_deal(runtime, "A-1", name="Станки для завода", owner="501")
    competitor = (["Битрикс24"], "approved", "смотрим Битрикс24", 50.0)
    add_deal_call(
        runtime,
        deal,
        days_ago=20,
        rep_id=people.rep_a,
        team_id=people.team_a,
        values={"competitors_mentioned": competitor},
    )

    def risks() -> set[str]:
        run_risk_pass(runtime.db, NOW)
        with runtime.db.session() as session:
            return set(session.scalars(select(DealRisk.kind).where(DealRisk.deal_id == deal)))

    assert {"no_activity", "competitor"} <= risks()

    with browser(runtime) as client:
        log_in(client, "rep-a")
        assert client.get(PAGE).status_code == 403, "a rep cannot open the page"
        assert client.post(PAGE, data=_form(csrf_of(client.get("/app/deals/at-risk").text))).status_code == 403
    with browser(runtime) as client:
        log_in(client, "rop-b")
        assert client.get(PAGE, params={"team": "Team A"}).status_code == 404
        assert client.post(PAGE, data=_form(csrf_of(client.get(PAGE).text))).status_code == 404
    with browser(runtime) as client:
        log_in(client, "rop-a")
        assert 'id="risk-settings-link"' in client.get("/app/deals/at-risk").text
        page = client.get(PAGE)
        assert page.status_code == 200 and "Настройки рисков сделок: Team A" in page.text
        assert "Переговоры" in page.text and "Team B" not in page.text
        assert page.text.count('name="raised"') == 9 and page.text.count("checked") == 9
        csrf = csrf_of(page.text)
        assert client.post(PAGE, data=_form("wrong")).status_code == 403, "the form needs the session's CSRF token"
        refused = client.post(PAGE, data=_form(csrf, stage_days=["три недели", ""]))
        assert refused.status_code == 422
        assert "no_activity_days_by_stage[Переговоры]: expected a whole number" in refused.text
        raised = [kind for kind in EVERY_RISK if kind != "competitor"]
        saved = client.post(PAGE, data=_form(csrf, raised=raised, stage_days=["30", ""]), follow_redirects=False)
        assert saved.status_code == 303
        shown = client.get(saved.headers["location"]).text
        assert "Настройки рисков сохранены" in shown and 'value="30"' in shown
        assert 'id="raised-competitor" name="raised" value="competitor">' in shown, "shown switched off"

    assert not {"no_activity", "competitor"} & risks(), "30 days in this stage, and competitors not raised"
    with runtime.db.session() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "team.changed")).all()
        assert entry.target == f"team:{people.team_a}" and entry.detail["changed"] == "deal risk settings"
        assert entry.detail["settings"]["off"] == ["competitor"]
        assert entry.detail["settings"]["no_activity_days_by_stage"] == {"Переговоры": 30}

    with browser(runtime) as client:
        log_in(client, "admin")
        page = client.get(PAGE, params={"team": "Team B"})
        assert page.status_code == 200 and "Deal risk settings: Team B" in page.text
        assert '<option value="Team A">' in page.text, "an admin chooses among every team"
        refused = client.post(PAGE, data=_form(csrf_of(page.text), team="Team B", advanced_probability="150"))
        assert (
            refused.status_code == 422
            and "advanced_probability: Input should be less than or equal to 1" in refused.text
        )
