"""The pipeline review on PostgreSQL: open deals with risks ranked by amount × risk (1 − Π(1 − weight)), each
currency on its own, a deal without an amount last; a head of sales sees only their team's deals, in that order,
with each deal's last call, risks and next step."""

from decimal import Decimal

from sqlalchemy import select

from pipeline.db import DealRisk
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from services.accounts import UserRole
from services.deals.views import deals_scope
from services.pipeline_review.review import pipeline_review
from tests.support.deal_history import NOW, add_deal, add_deal_call, add_pipeline, map_owner, postgres
from tests.support.web_users import add_people, browser, log_in

__all__ = ["postgres"]  # the PostgreSQL fixture


def _risks(runtime: Runtime, deal_id: int, *kinds: str) -> None:
    """Risks in force on a deal, as a risk pass stores them."""
    with runtime.db.session() as session:
        for kind in kinds:
            session.add(DealRisk(deal_id=deal_id, kind=kind, message=kind, evidence=[]))


def test_the_deals_that_matter_most_come_first(postgres: Settings) -> None:
    runtime = Runtime(postgres)
    people = add_people(runtime)
    add_pipeline(runtime)
    map_owner(runtime, "501", people.rep_a)
    map_owner(runtime, "601", people.rep_b)
    # amount × risk, by hand: 1,000,000 × 0.4 = 400,000; 500,000 × (1 − 0.6·0.75·0.7) = 342,500;
    # 2,000,000 × 0.2 = 400,000 (ties with the first: the riskier deal first); 3,000,000 without risks is not shown.
    big = add_deal(runtime, "A-1", name="Big", amount=Decimal("1000000"))
    many = add_deal(runtime, "A-2", name="Many risks", amount=Decimal("500000"))
    huge = add_deal(runtime, "A-3", name="Huge", amount=Decimal("2000000"))
    calm = add_deal(runtime, "A-4", name="Calm", amount=Decimal("3000000"))
    unknown = add_deal(runtime, "A-5", name="No amount", amount=None)
    dollars = add_deal(runtime, "A-6", name="Dollars", amount=Decimal("10000"), currency="USD")
    other_team = add_deal(runtime, "B-1", name="Team B", owner="601", amount=Decimal("9000000"))
    _risks(runtime, big, "close_date_passed")
    _risks(runtime, many, "close_date_passed", "competitor", "no_next_step")
    _risks(runtime, huge, "budget_never_discussed")
    _risks(runtime, unknown, "no_activity", "close_date_passed")
    _risks(runtime, dollars, "no_activity")
    _risks(runtime, other_team, "no_activity")
    last = add_deal_call(
        runtime,
        many,
        days_ago=2,
        rep_id=people.rep_a,
        team_id=people.team_a,
        signals=("no_next_step",),
        values={"competitors_mentioned": (["Битрикс24"], "approved", "смотрим Битрикс24", 12.5)},
    )
    add_deal_call(runtime, many, days_ago=9, rep_id=people.rep_a, team_id=people.team_a)

    with runtime.db.session() as session:
        groups = pipeline_review(runtime, session, deals_scope(UserRole.rop, people.team_a, None), NOW.date())
        assert [group.currency for group in groups] == ["RUB", "USD"], "the currency with the most deals first"
        rub = groups[0].deals
        assert [d.page.deal.name for d in rub] == ["Big", "Huge", "Many risks", "No amount"]
        assert [d.ranked.at_stake for d in rub] == [
            Decimal("400000.00"),
            Decimal("400000.00"),
            Decimal("342500.00"),
            None,
        ]
        assert [d.ranked.risk for d in rub] == [0.4, 0.2, 0.685, 0.61]
        assert rub[2].last_call is not None and rub[2].last_call.id == last, "the latest call's card"
        assert rub[2].last_call.gaps == [("no_next_step", "no_next_step on this call")]
        assert {risk.kind for risk in rub[2].page.risks} == {"close_date_passed", "competitor", "no_next_step"}
        assert [d.page.deal.name for d in groups[1].deals] == ["Dollars"]
        assert calm not in {d.page.deal.id for group in groups for d in group.deals}
        everyone = pipeline_review(runtime, session, None, NOW.date())
        assert everyone[0].deals[0].page.deal.name == "Team B", "an admin sees every team"
        assert session.scalar(select(DealRisk.id).where(DealRisk.deal_id == calm)) is None

    with browser(runtime) as client:
        log_in(client, "rep-a")
        assert client.get("/app/pipeline-review").status_code == 403, "reps are refused"
    with browser(runtime) as client:
        log_in(client, "rop-a")
        page = client.get("/app/pipeline-review?date=2026-12-07")
        assert page.status_code == 200 and "Team B" not in page.text
        order = [page.text.index(f'id="deal-{deal_id}"') for deal_id in (big, huge, many, unknown)]
        assert order == sorted(order), "the page keeps the order"
        assert f"/app/calls/{last}/audio#t=12.50" in page.text, "a moment links into the call"
        assert client.get("/app/pipeline-review?date=7.12.2026").status_code == 422
