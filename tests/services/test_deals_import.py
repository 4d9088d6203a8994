"""Deals from a file: saved once however often the file is imported, changes logged as history, bad rows named
with nothing saved, owners mapped to reps by e-mail (and a mapping by hand kept); the migration goes both ways."""

import json
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import func, inspect, select

from models.errors import BadInput
from pipeline.db import CRMUser, Database, Deal, DealChange
from pipeline.db.session import MIGRATIONS
from pipeline.directory import save_rep, save_team
from services.deals.importing import ImportRefused, import_deals
from services.deals.store import save_user
from tests.support.deal_history import deal_runtime

HEADER = "external_id;name;pipeline;stage;amount;currency;owner;owner_email;close_date;modified_at;contact_phones\n"


def _csv(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "deals.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


ROW_1 = (
    "D-1;Поставка станков;main;proposal;1250000.50;rub;u1;Anna@Example.com;2026-12-20;2026-12-01T10:00:00+03:00;"
    "+7 (495) 123-45-67"
)
ROW_2 = "D-2;Обучение;main;talks;90000;USD;u2;;2027-01-15;2026-12-01T10:00:00+03:00;"


def test_importing_a_file_twice_saves_each_deal_once_and_logs_changes(tmp_path: Path) -> None:
    runtime = deal_runtime(tmp_path)
    with runtime.db.session() as session:
        save_team(session, "Team A")
        rep = save_rep(session, "Анна", team="Team A", email="anna@example.com")
    path = _csv(tmp_path, ROW_1, ROW_2)
    with runtime.db.session() as session:
        first = import_deals(session, path)
    assert (first.added, first.changed, first.unchanged) == (2, 0, 0)
    with runtime.db.session() as session:
        again = import_deals(session, path)
        assert (again.added, again.changed, again.unchanged) == (0, 0, 2)
        assert session.scalar(select(func.count()).select_from(Deal)) == 2
        deal = session.scalar(select(Deal).where(Deal.external_id == "D-1"))
        assert (str(deal.amount), deal.currency) == ("1250000.50", "RUB"), "the amount keeps its currency"
        assert deal.rep_id == rep.id and deal.team_id == rep.team_id, "the owner is the rep with that e-mail"
        history_before = session.scalar(select(func.count()).select_from(DealChange))
    moved = ROW_1.replace(";proposal;", ";contract;").replace("2026-12-20;2026-12-01T10", "2027-01-10;2026-12-05T10")
    deleted = ROW_2.replace("2026-12-01T10:00:00+03:00;", "2026-12-05T10:00:00+03:00;") + ";true"
    path.write_text(HEADER.replace("\n", ";deleted\n") + moved + ";\n" + deleted + "\n", encoding="utf-8")
    with runtime.db.session() as session:
        third = import_deals(session, path)
        assert (third.changed, third.deleted) == (2, 1)
        deal = session.scalar(select(Deal).where(Deal.external_id == "D-1"))
        changes = session.execute(
            select(DealChange.field, DealChange.old, DealChange.new).where(DealChange.id > 0).offset(history_before)
        ).all()
        assert {(field, old, new) for field, old, new in changes if field == "close_date"} == {
            ("close_date", "2026-12-20", "2027-01-10")
        }
        assert {field for field, _, _ in changes} == {"stage", "close_date"}
        assert session.scalar(select(Deal.deleted).where(Deal.external_id == "D-2")) is True
    # An older state of a deal (a stale file) does not overwrite the newer one.
    with runtime.db.session() as session:
        stale = import_deals(session, _csv(tmp_path, ROW_1))
        assert (stale.changed, stale.unchanged) == (0, 1)
        assert session.scalar(select(Deal.close_date).where(Deal.external_id == "D-1")).isoformat() == "2027-01-10"


def test_a_file_with_bad_rows_is_refused_whole_naming_each_row(tmp_path: Path) -> None:
    runtime = deal_runtime(tmp_path)
    path = _csv(
        tmp_path,
        ROW_1,
        ROW_2.replace("90000", "девяносто"),
        ROW_2.replace("D-2", "D-3").replace("2027-01-15", "15.01.2027"),
        ROW_1,
    )
    with runtime.db.session() as session, pytest.raises(ImportRefused) as refused:
        import_deals(session, path)
    message = str(refused.value)
    assert isinstance(refused.value, BadInput)
    assert "line 3: amount:" in message
    assert "line 4: close_date:" in message
    assert "line 5: external_id: 'D-1' is already on line 2" in message
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Deal)) == 0, "nothing of a refused file is saved"


def test_json_import_and_owner_mapping_by_hand_is_kept(tmp_path: Path) -> None:
    runtime = deal_runtime(tmp_path)
    with runtime.db.session() as session:
        save_team(session, "Team A")
        anna = save_rep(session, "Анна", team="Team A", email="anna@example.com")
        boris = save_rep(session, "Борис", team="Team A", extension="102")
    path = tmp_path / "deals.json"
    deals = [{"external_id": "7", "stage": "new", "owner": "u1", "owner_email": "anna@example.com"}]
    path.write_text(json.dumps({"deals": deals}), encoding="utf-8")
    with runtime.db.session() as session:
        assert import_deals(session, path).added == 1
        user = session.scalar(select(CRMUser))
        assert (user.rep_id, user.mapped_by) == (anna.id, "email")
        user.rep_id, user.mapped_by = boris.id, "hand"
        save_user(session, "import", "u1", None, "anna@example.com")
        assert (user.rep_id, user.mapped_by) == (boris.id, "hand"), "a later sync keeps a mapping made by hand"
    path.write_text(json.dumps([{"external_id": "7"}]), encoding="utf-8")
    with runtime.db.session() as session, pytest.raises(ImportRefused, match="deal 0: stage: Field required"):
        import_deals(session, path)


def test_the_deals_migration_goes_down_and_up_again(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'callintel.db'}")
    database.migrate()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0010")
    assert "deals" not in inspect(database.engine).get_table_names()
    database.migrate()
    assert {"deals", "deal_calls", "deal_risks", "crm_stages"} <= set(inspect(database.engine).get_table_names())
