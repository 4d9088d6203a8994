"""The deal pages through the app: a rep sees their own deals, a head of sales their team's, others answer 404;
the deal page shows the CRM fields and history, the calls with their moments, approved values, people, next step
and risks, in Russian and English; a call with several candidate deals is linked by hand on its deal page."""

from pathlib import Path

from sqlalchemy import select

from pipeline.db import CRMStage, CRMUser, DealCall
from services.deals.risk_pass import run_risk_pass
from tests.support.deal_history import NOW, add_deal, add_deal_call, add_pipeline, day, deal_runtime, map_owner
from tests.support.web_users import add_people, browser, csrf_of, log_in


def _history(tmp_path: Path):
    runtime = deal_runtime(tmp_path)
    people = add_people(runtime)
    add_pipeline(runtime)
    map_owner(runtime, "501", people.rep_a)
    map_owner(runtime, "601", people.rep_b)
    mine = add_deal(runtime, "A-1", name="Станки для завода", owner="501")
    add_deal(runtime, "A-1", name="Станки для завода", owner="501", stage="30", modified_at=NOW.replace(day=1))
    theirs = add_deal(runtime, "B-1", name="Training for Acme", owner="601", close_date=day(-2))
    call_id = add_deal_call(
        runtime,
        mine,
        days_ago=3,
        rep_id=people.rep_a,
        team_id=people.team_a,
        signals=("budget_not_discussed",),
        values={
            "next_step": ("демо в пятницу", "approved", "давайте демо в пятницу", 40.5),
            "next_step_date": ("2026-12-11", "approved", None, None),
            "decision_maker": ("главный инженер", "proposed", "решает главный инженер", 33.0),
            "competitors_mentioned": (["Битрикс24"], "approved", "смотрим Битрикс24", 50.0),
        },
    )
    add_deal_call(runtime, theirs, days_ago=20, rep_id=people.rep_b, team_id=people.team_b)
    with runtime.db.session() as session:
        run_risk_pass(session, NOW)
    return runtime, people, mine, theirs, call_id


def test_roles_see_their_deals_and_the_deal_page_shows_it_all(tmp_path: Path) -> None:
    runtime, _, mine, theirs, call_id = _history(tmp_path)
    with browser(runtime) as client:
        log_in(client, "rep-a")
        at_risk = client.get("/app/deals/at-risk")
        assert at_risk.status_code == 200
        assert "Станки для завода" in at_risk.text and "Training for Acme" not in at_risk.text
        assert "В сделке участвует конкурент" in at_risk.text
        assert client.get(f"/app/deals/{theirs}").status_code == 404, "another rep's deal is not there for them"
        page = client.get(f"/app/deals/{mine}").text
        assert "Коммерческое предложение" in page and "150000.00 RUB" in page
        assert "Переговоры → Коммерческое предложение" in page, "the stage history"
        assert f"/app/calls/{call_id}/audio#t=50.00" in page, "a moment links into the call's audio"
        assert "демо в пятницу · 2026-12-11" in page, "the next step and its date"
        assert "главный инженер — лицо, принимающее решение" in page
        assert "Битрикс24" in page.split('id="deal-approved"')[1], "approved values show on the deal"
        assert "Бюджет ни разу не обсуждался" in page
    with browser(runtime) as client:
        log_in(client, "rop-b")
        at_risk = client.get("/app/deals/at-risk").text
        assert "Training for Acme" in at_risk and "Станки" not in at_risk
        assert "Close date passed" in at_risk, "in the head of sales' language"
        assert client.get(f"/app/deals/{mine}").status_code == 404
        assert "History starts" in client.get(f"/app/deals/{theirs}").text
    with browser(runtime) as client:
        log_in(client, "admin")
        at_risk = client.get("/app/deals/at-risk").text
        assert "Training for Acme" in at_risk and "Станки для завода" in at_risk


def test_a_call_with_several_candidate_deals_is_linked_by_hand(tmp_path: Path) -> None:
    runtime = deal_runtime(tmp_path)
    people = add_people(runtime)
    add_pipeline(runtime)
    map_owner(runtime, "501", people.rep_a)
    first = add_deal(runtime, "C-1", name="Первая", contact="c1", contact_phones=["+7 916 000 11 22"])
    add_deal(runtime, "C-2", name="Вторая", contact="c1")
    add_deal(runtime, "X-9", name="Чужая", owner="777")
    call_id = add_deal_call(
        runtime, None, days_ago=1, rep_id=people.rep_a, team_id=people.team_a, info={"from_number": "89160001122"}
    )
    with browser(runtime) as client:
        log_in(client, "rep-a")
        page = client.get(f"/app/calls/{call_id}/deal")
        assert "Первая" in page.text and "Вторая" in page.text, "both candidates are offered"
        refused = client.post(
            f"/app/calls/{call_id}/deal", data={"external_id": "X-9", "csrf_token": csrf_of(page.text)}
        )
        assert refused.status_code == 422 and "Сделки с таким ID в CRM нет" in refused.text, "not the rep's deal"
        linked = client.post(
            f"/app/calls/{call_id}/deal",
            data={"deal_id": str(first), "csrf_token": csrf_of(page.text)},
            follow_redirects=True,
        )
        assert "Звонок привязан к сделке" in linked.text and "привязан вручную" in linked.text
    with browser(runtime) as client:
        log_in(client, "rep-b")
        assert client.get(f"/app/calls/{call_id}/deal").status_code == 404
    with runtime.db.session() as session:
        row = session.scalar(select(DealCall).where(DealCall.call_id == call_id))
        assert (row.deal_id, row.method, row.linked_by) == (first, "hand", "rep-a")


def test_an_admin_maps_a_crm_user_and_a_stage_by_hand(tmp_path: Path) -> None:
    runtime, people, mine, _, _ = _history(tmp_path)
    with runtime.db.session() as session:
        user_id = session.scalar(select(CRMUser.id).where(CRMUser.external_id == "501"))
        stage_id = session.scalar(select(CRMStage.id).where(CRMStage.external_id == "30"))
    with browser(runtime) as client:
        log_in(client, "rep-a")
        assert client.get("/app/admin/deals").status_code == 403
    with browser(runtime) as client:
        log_in(client, "admin")
        page = client.get("/app/admin/deals")
        assert "Анна Смирнова" in page.text and "Коммерческое предложение" in page.text
        csrf = csrf_of(page.text)
        stage_url, user_url = f"/app/admin/deals/stages/{stage_id}", f"/app/admin/deals/users/{user_id}"
        bad = client.post(stage_url, data={"outcome": "won", "probability": "150", "csrf_token": csrf})
        assert bad.status_code == 422 and "between 0 and 1" in bad.text
        moved = client.post(user_url, data={"rep_id": str(people.rep_b), "csrf_token": csrf}, follow_redirects=False)
        assert moved.status_code == 303
        won = client.post(
            stage_url, data={"outcome": "won", "probability": "100", "csrf_token": csrf}, follow_redirects=False
        )
        assert won.status_code == 303
    with browser(runtime) as client:
        log_in(client, "rop-b")
        assert client.get(f"/app/deals/{mine}").status_code == 200, "the owner's deals follow the rep to team B"
    with runtime.db.session() as session:
        run_risk_pass(session, NOW)
    with browser(runtime) as client:
        log_in(client, "rep-b")
        assert "Станки для завода" not in client.get("/app/deals/at-risk").text, "a won deal carries no risks"
