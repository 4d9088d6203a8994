"""Small generated deal histories: deals saved as a CRM sync or import saves them, and analysed calls linked to
them with chosen deal-gap signals and proposed CRM values (no speech models run)."""

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import delete

from models import CallDirection, CallInfo
from models.deals import DealRecord, StageOutcome
from pipeline.db import CallSignalRow, CRMPipeline, Database, DealCall, Proposal
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from services.deals.store import save_deal, save_stage, save_user
from tests.support.servers import Services
from tests.support.stored_calls import add_call

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
CRM = "amocrm"
# The sales pipeline every generated deal is in: stage id -> (name, outcome, default probability).
STAGES = {
    "10": ("Первичный контакт", StageOutcome.open, 0.1),
    "20": ("Переговоры", StageOutcome.open, 0.3),
    "30": ("Коммерческое предложение", StageOutcome.open, 0.6),
    "142": ("Успешно реализовано", StageOutcome.won, 1.0),
    "143": ("Закрыто и не реализовано", StageOutcome.lost, 0.0),
}


@cache
def _migrated_database() -> Path:
    """An SQLite database at the latest migration, made once per test process: copying it is faster than
    migrating each test's database from scratch."""
    path = Path(tempfile.mkdtemp(prefix="callintel-deals-")) / "callintel.db"
    Database(f"sqlite:///{path}").migrate()
    return path


def deal_runtime(tmp_path: Path) -> Runtime:
    """An embedded runtime (SQLite, local storage) without the web app."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_migrated_database(), tmp_path / "callintel.db")
    return Runtime(Settings(data_dir=tmp_path, llm_backend="none"))


def add_pipeline(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        pipeline = CRMPipeline(crm=CRM, external_id="1", name="Продажи")
        session.add(pipeline)
        session.flush()
        for position, (stage_id, (name, outcome, probability)) in enumerate(STAGES.items()):
            save_stage(session, pipeline, stage_id, name, position=position, outcome=outcome).probability = probability


OWNERS = {"501": "Анна Смирнова", "601": "Bob Stone"}


def record(external_id: str, **values: Any) -> DealRecord:
    defaults: dict[str, Any] = {
        "name": f"Сделка {external_id}",
        "pipeline": "1",
        "stage": "20",
        "amount": Decimal("150000.00"),
        "currency": "RUB",
        "owner": "501",
        "close_date": (NOW + timedelta(days=30)).date(),
        "created_at": NOW - timedelta(days=40),
        "modified_at": NOW - timedelta(days=40),
    }
    owner = values.get("owner", defaults["owner"])
    defaults["owner_name"] = OWNERS.get(owner, f"CRM user {owner}")
    return DealRecord(external_id=external_id, **{**defaults, **values})


def add_deal(runtime: Runtime, external_id: str, **values: Any) -> int:
    with runtime.db.session() as session:
        return save_deal(session, CRM, record(external_id, **values)).id


def add_deal_call(
    runtime: Runtime,
    deal_id: int | None,
    *,
    days_ago: float,
    signals: tuple[str, ...] = (),
    values: dict[str, Any] | None = None,
    rep_id: int | None = None,
    team_id: int | None = None,
    info: dict[str, Any] | None = None,
) -> str:
    """An analysed call `days_ago` before NOW linked by hand to the deal (none: left unlinked). `values`: field ->
    value, or field -> (value, status, quote, start); the call's other proposals are removed."""
    at = NOW - timedelta(days=days_ago)
    call_info = CallInfo(started_at=at, direction=CallDirection.inbound, **(info or {}))
    call_id = add_call(runtime, created_at=at, info=call_info, rep_id=rep_id, team_id=team_id)
    with runtime.db.session() as session:
        session.execute(delete(Proposal).where(Proposal.call_id == call_id))
        for kind in signals:
            session.add(CallSignalRow(call_id=call_id, kind=kind, severity="high", text=f"{kind} on this call"))
        for field, given in (values or {}).items():
            value, status, quote, start = given if isinstance(given, tuple) else (given, "approved", None, None)
            evidence = [{"quote": quote, "start": start}] if quote else []
            session.add(
                Proposal(
                    call_id=call_id,
                    field=field,
                    value=value,
                    ai_value=value,
                    confidence=0.9,
                    source="rule",
                    status=status,
                    evidence=evidence,
                )
            )
        if deal_id is not None:
            session.add(DealCall(call_id=call_id, deal_id=deal_id, method="hand", linked_by="test"))
    return call_id


def day(offset: int) -> date:
    return (NOW + timedelta(days=offset)).date()


def map_owner(runtime: Runtime, crm_user: str, rep_id: int) -> None:
    """The CRM user mapped to the rep by hand, as on the admin page."""
    with runtime.db.session() as session:
        user = save_user(session, CRM, crm_user, None, None)
        user.rep_id, user.mapped_by = rep_id, "hand"


@pytest.fixture
def postgres(services: Services, tmp_path: Path) -> Iterator[Settings]:
    """Settings on a fresh PostgreSQL database of the test's own (dropped afterwards), local storage, no queue:
    for the deal tests that need PostgreSQL (the advisory lock, the shared CRM rate limit) and nothing else."""
    name = f"d{uuid.uuid4().hex[:12]}"
    with psycopg.connect(services.pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = services.env["CALLINTEL_DATABASE_URL"].rsplit("/", 1)[0]
    try:
        yield Settings(data_dir=tmp_path / "home", database_url=f"{base}/{name}", llm_backend="none")
    finally:
        with psycopg.connect(services.pg_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
