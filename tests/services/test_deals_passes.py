"""The deal passes as an operator and the services run them: `callintel deals import/sync/risks/settings` on
embedded SQLite, and on PostgreSQL one scheduler of two sending the passes as queue messages that a worker's
actors run."""

import threading
import time
from pathlib import Path

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import func, select
from typer.testing import CliRunner

import pipeline.runtime
from cli.main import app
from models.deals import RiskKind
from pipeline.db import DealCall, DealRisk, OutboxEvent, Team
from pipeline.directory import save_team
from pipeline.queue.broker import make_broker
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from services.deals.passes import RISKS_ACTOR, SYNC_ACTOR, declare_deal_actors
from services.deals.risk_pass import team_risk_settings
from services.scheduler import SchedulerLock, Timetable, run_scheduler
from tests.support.deal_history import add_deal, add_deal_call, add_pipeline, deal_runtime, postgres

__all__ = ["postgres"]  # the PostgreSQL fixture

CSV = """external_id,name,stage,amount,currency,close_date,contact_phones
A-1,Станки,new,100,RUB,2020-01-31,+7 916 000 11 22
"""


def test_deals_commands_on_embedded_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLINTEL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CALLINTEL_LLM_BACKEND", "none")
    monkeypatch.setattr(pipeline.runtime, "_default", None)
    runtime = deal_runtime(tmp_path)
    call_id = add_deal_call(runtime, None, days_ago=1, info={"from_number": "89160001122"})
    runner = CliRunner()
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV.replace("100,RUB", "сто,RUB"), encoding="utf-8")
    refused = runner.invoke(app, ["deals", "import", str(bad)])
    assert refused.exit_code == 2 and "line 2: amount" in refused.output
    good = tmp_path / "deals.csv"
    good.write_text(CSV, encoding="utf-8")
    first = runner.invoke(app, ["deals", "import", str(good)])
    assert first.exit_code == 0 and "1 added" in first.output, first.output
    assert "1 unchanged" in runner.invoke(app, ["deals", "import", str(good)]).output
    synced = runner.invoke(app, ["deals", "sync"])
    assert synced.exit_code == 0 and "by phone: 1" in synced.output, synced.output
    risks = runner.invoke(app, ["deals", "risks"])
    assert risks.exit_code == 0 and "1 at risk" in risks.output, risks.output
    with runtime.db.session() as session:
        assert session.get(DealCall, call_id) is not None
        assert "close_date_passed" in set(session.scalars(select(DealRisk.kind)))
        save_team(session, "SMB")

    assert runner.invoke(app, ["deals", "settings", "SMB", "--off", "late"]).exit_code == 2
    assert runner.invoke(app, ["deals", "settings", "SMB", "--stage-days", "new"]).exit_code == 2
    changed = runner.invoke(
        app, ["deals", "settings", "SMB", "--off", "close_date_passed", "--stage-days", "Переговоры=30"]
    )
    assert changed.exit_code == 0, changed.output
    with runtime.db.session() as session:
        team_id = session.scalar(select(Team.id).where(Team.name == "SMB"))
        settings = team_risk_settings(session, team_id)
    assert settings.off == [RiskKind.close_date_passed] and settings.no_activity_days_by_stage == {"Переговоры": 30}
    assert '"no_activity_days": 14' in runner.invoke(app, ["deals", "settings", "SMB"]).output


def _stub_queue(settings: Settings) -> Runtime:
    """A runtime whose queue is in memory, so sent messages can be read back."""
    runtime = Runtime(settings)
    runtime.broker = make_broker("stub://")
    return runtime


def _sent(runtime: Runtime) -> list[str]:
    queue = runtime.broker.queues.get("publish")  # type: ignore[attr-defined]
    return [] if queue is None else [dramatiq.Message.decode(data).actor_name for data in queue.queue]


def _worker_runs(runtime: Runtime, actor_names: tuple[str, ...]) -> None:
    """Each message handled by a dramatiq worker with the deal actors, one after the other."""
    broker = StubBroker()
    broker.emit_after("process_boot")
    declare_deal_actors(broker, runtime)
    worker = dramatiq.Worker(broker, worker_timeout=100)
    worker.start()
    try:
        for name in actor_names:
            broker.enqueue(dramatiq.Message(queue_name="publish", actor_name=name, args=(), kwargs={}, options={}))
            broker.join("publish", timeout=30_000)
            worker.join()
    finally:
        worker.stop()


def test_one_scheduler_of_two_sends_the_passes_and_a_worker_runs_them(postgres: Settings) -> None:
    runtime = _stub_queue(postgres)
    runtime.db.migrate()
    add_pipeline(runtime)
    deal = add_deal(runtime, "A-1", close_date="2020-01-31")
    call_id = add_deal_call(runtime, None, days_ago=1, info={"crm_deal_id": "A-1"})
    other = _stub_queue(postgres)
    held, waiting = SchedulerLock(runtime), SchedulerLock(other)
    assert held.try_take() and not waiting.try_take(), "the advisory lock lets one scheduler in"
    held.release()
    assert waiting.try_take(), "when the holder goes, the other takes over"
    waiting.release()

    stop = threading.Event()
    timetable = Timetable(deal_sync_every_s=3600, deal_risks_every_s=3600)
    first = threading.Thread(target=run_scheduler, args=(runtime, timetable, stop))
    first.start()
    time.sleep(1.0)
    second = threading.Thread(target=run_scheduler, args=(other, timetable, stop))
    second.start()
    time.sleep(1.5)
    stop.set()
    first.join(10)
    second.join(15)
    assert not first.is_alive() and not second.is_alive()
    assert sorted(_sent(runtime)) == [RISKS_ACTOR, SYNC_ACTOR], "each pass sent once, by the lock holder only"
    assert _sent(other) == [], "the scheduler waiting for the lock sends nothing"

    # The sync pass first, so the risk pass sees the linked call.
    _worker_runs(runtime, (SYNC_ACTOR, RISKS_ACTOR))
    with runtime.db.session() as session:
        assert session.get(DealCall, call_id).deal_id == deal
        assert session.scalar(select(func.count()).where(OutboxEvent.type == "deal.at_risk")) == 1
    assert "publish" in _sent(runtime), "the risk pass asks the publish queue to deliver its event"
    runtime.db.engine.dispose()
    other.db.engine.dispose()
