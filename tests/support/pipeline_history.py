"""A generated pipeline history for the waterfall: team A's deals changed between two daily snapshots in every way
a waterfall bar counts, plus a deal moved between pipelines, one whose currency changed, one won and reopened
within the week and one won before it and reopened in it; team B has one deal that team A's waterfall never shows.

Snapshots are taken on START, on START + 2 and on END. The expected bars (RUB, close period Q4 2026) by hand:
start 1,320,000; new +90,000 +500,000; pulled in +80,000; amount up +50,000; amount down -180,000; pushed out
-70,000; moved out -110,000; won -400,000; lost -50,000; end 1,230,000; USD 1,500 apart."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from models.deals import StageOutcome
from pipeline.db import CRMPipeline
from pipeline.runtime import Runtime
from services.deals.store import save_stage
from services.pipeline_review.snapshot_pass import snapshot_pass
from tests.support.deal_history import add_deal, add_pipeline, map_owner
from tests.support.web_users import People, add_people

START, MIDDLE, END = date(2026, 11, 30), date(2026, 12, 2), date(2026, 12, 7)
PERIOD = (date(2026, 10, 1), date(2026, 12, 31))

EXPECTED = {
    "new": Decimal(590_000),
    "pulled_in": Decimal(80_000),
    "moved_in": Decimal(0),
    "amount_up": Decimal(50_000),
    "amount_down": Decimal(-180_000),
    "pushed_out": Decimal(-70_000),
    "moved_out": Decimal(-110_000),
    "won": Decimal(-400_000),
    "lost": Decimal(-50_000),
}
EXPECTED_DEALS = {
    "new": {"A-new", "A-reopened"},
    "pulled_in": {"A-pulled"},
    "moved_in": set(),
    "amount_up": {"A-up"},
    "amount_down": {"A-down"},
    "pushed_out": {"A-pushed"},
    "moved_out": {"A-currency"},
    "won": {"A-won"},
    "lost": {"A-lost"},
}


@dataclass
class History:
    people: People
    deals: dict[str, int]


class _Deals:
    """Deals as a CRM keeps them: each change a new full record with a later modification time."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.values: dict[str, dict[str, Any]] = {}
        self.ids: dict[str, int] = {}

    def put(self, external_id: str, on: date, **changes: Any) -> None:
        values = {**self.values.get(external_id, {}), **changes}
        values["modified_at"] = datetime.combine(on, time(12), tzinfo=UTC)
        values.setdefault("created_at", values["modified_at"])
        values.setdefault("name", external_id)
        self.values[external_id] = values
        self.ids[external_id] = add_deal(self.runtime, external_id, **values)


def _second_pipeline(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        pipeline = CRMPipeline(crm="amocrm", external_id="2", name="Повторные продажи")
        session.add(pipeline)
        session.flush()
        save_stage(session, pipeline, "40", "Согласование", position=0, outcome=StageOutcome.open, probability=0.95)


def _snapshot(runtime: Runtime, day: date) -> None:
    snapshot_pass(runtime, datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC), day)


def build_history(runtime: Runtime) -> History:
    people = add_people(runtime)
    add_pipeline(runtime)
    _second_pipeline(runtime)
    map_owner(runtime, "501", people.rep_a)
    map_owner(runtime, "601", people.rep_b)
    deals = _Deals(runtime)
    before = START - timedelta(days=20)
    in_period, later = date(2026, 12, 20), date(2027, 2, 1)
    for external_id, amount in (
        ("A-stay", 100_000),
        ("A-up", 200_000),
        ("A-down", 300_000),
        ("A-won", 400_000),
        ("A-lost", 50_000),
        ("A-pushed", 70_000),
        ("A-move", 60_000),
        ("A-currency", 110_000),
        ("A-wonreopened", 30_000),
    ):
        deals.put(external_id, before, stage="20", amount=Decimal(amount), close_date=in_period, owner="501")
    deals.put("A-pulled", before, stage="20", amount=Decimal(80_000), close_date=later, owner="501")
    deals.put("A-reopened", before, stage="142", amount=Decimal(500_000), close_date=in_period, owner="501")
    deals.put("B-other", before, stage="30", amount=Decimal(1_000_000), close_date=in_period, owner="601")
    _snapshot(runtime, START)

    deals.put("A-wonreopened", MIDDLE, stage="142")
    deals.put("A-new", MIDDLE, stage="10", amount=Decimal(90_000), close_date=in_period, owner="501")
    _snapshot(runtime, MIDDLE)

    deals.put("A-up", END, amount=Decimal(250_000))
    deals.put("A-down", END, amount=Decimal(120_000))
    deals.put("A-won", END, stage="142")
    deals.put("A-lost", END, stage="143")
    deals.put("A-pushed", END, close_date=date(2027, 1, 20))
    deals.put("A-pulled", END, close_date=date(2026, 12, 28))
    deals.put("A-move", END, pipeline="2", stage="40")
    deals.put("A-currency", END, amount=Decimal(1_500), currency="USD")
    deals.put("A-wonreopened", END, stage="30")
    deals.put("A-reopened", END, stage="30")
    _snapshot(runtime, END)
    return History(people, deals.ids)
