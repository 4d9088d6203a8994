"""A December forecast for team A: deals in each category (by probability, by a stage's own category, in another
currency, slipped from November), deals outside it (January, no close date, won, team B), and calls that back one
commit deal and leave another without a next step, budget or decision maker, with a competitor in play."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from pipeline.db import CRMPipeline
from pipeline.runtime import Runtime
from services.deals.store import save_stage
from services.pipeline_review.forecast import set_stage_category
from tests.support.deal_history import add_deal, add_deal_call, add_pipeline, day, map_owner
from tests.support.web_users import People, add_people

GOOD_CALL = {
    "budget": ("500000", "approved", "бюджет пятьсот тысяч", 12.0),
    "decision_maker": "the person on the call",
    "next_step": ("договор в пятницу", "approved", "в пятницу подписываем", 40.5),
    "next_step_date": day(5).isoformat(),
}


@dataclass(frozen=True)
class ForecastDeals:
    people: People
    ids: dict[str, int]
    competitor_call: str


def forecast_deals(runtime: Runtime) -> ForecastDeals:
    people = add_people(runtime)
    add_pipeline(runtime)
    with runtime.db.session() as session:
        pipeline = session.scalar(select(CRMPipeline).where(CRMPipeline.external_id == "1"))
        assert pipeline is not None
        save_stage(session, pipeline, "40", "Договор").probability = 0.9
        agreeing = save_stage(session, pipeline, "35", "Согласование")
        agreeing.probability = 0.2
        set_stage_category(session, agreeing.id, "commit")
    map_owner(runtime, "501", people.rep_a)
    map_owner(runtime, "601", people.rep_b)

    def deal(external_id: str, name: str, stage: str, amount: int, **values: object) -> int:
        values.setdefault("close_date", day(13))
        return add_deal(runtime, external_id, name=name, stage=stage, amount=Decimal(amount), **values)

    ids = {
        "flagged": deal("F1", "Станки для завода", "40", 500_000),
        "backed": deal("F2", "Линия упаковки", "40", 300_000),
        "best": deal("F3", "Склад", "30", 200_000),
        "pipe": deal("F4", "Пилот", "20", 100_000),
        "no_calls": deal("F5", "Согласование без звонков", "35", 50_000),
        "slipped": deal("F6", "Перенесённая", "20", 70_000, close_date=day(-17)),
        "usd": deal("F7", "Export order", "30", 1_000, currency="USD"),
        "january": deal("F8", "Январская", "40", 900_000, close_date=day(40)),
        "no_date": deal("F9", "Без даты", "40", 10_000, close_date=None),
        "won": deal("F10", "Выигранная", "142", 20_000),
        "team_b": deal("F11", "Training for Acme", "40", 400_000, owner="601"),
    }
    rep_a = {"rep_id": people.rep_a, "team_id": people.team_a}
    competitor_call = add_deal_call(
        runtime,
        ids["flagged"],
        days_ago=6,
        signals=("budget_not_discussed",),
        values={
            "decision_maker": ("главный инженер", "proposed", "решает главный инженер", 33.0),
            "competitors_mentioned": (["Globex"], "approved", "смотрим ещё Globex", 50.0),
        },
        **rep_a,
    )
    add_deal_call(runtime, ids["flagged"], days_ago=2, signals=("budget_not_discussed", "no_next_step"), **rep_a)
    add_deal_call(runtime, ids["backed"], days_ago=2, values=GOOD_CALL, **rep_a)
    return ForecastDeals(people, ids, competitor_call)
