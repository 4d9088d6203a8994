"""A team's product catalogue on PostgreSQL: set and removed by `callintel catalogue`, refused with the problem named,
and read by the analyze stage, which proposes the products field from it whatever the inflection said."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from models import Stage
from pipeline.db import Proposal
from pipeline.runtime import Runtime
from pipeline.stages import run_stage
from services.calls_admin import rerun_stage
from services.catalogue import CatalogueError, products, remove_product, set_product
from tests.cli.test_crm_connect_cli import run
from tests.support.example_calls import said
from tests.support.servers import Isolated
from tests.support.stored_calls import add_call, stub_runtime
from tests.support.web_users import add_people


@pytest.fixture
def runtime(isolated: Isolated) -> Iterator[Runtime]:
    runtime = stub_runtime(isolated.settings)
    yield runtime
    runtime.db.engine.dispose()


def test_the_catalogue_from_the_command_line(runtime: Runtime, isolated: Isolated, tmp_path: Path) -> None:
    add_people(runtime)
    database = {"CALLINTEL_DATABASE_URL": isolated.settings.database_url}
    added = run(
        tmp_path, "catalogue", "set", "Team A", "Онлайн-касса", "-s", "кассовый аппарат", "-s", "касса", **database
    )
    assert added.returncode == 0, added.stderr
    assert "added" in added.stderr
    listed = run(tmp_path, "catalogue", "list", "Team A", **database)
    assert "Онлайн-касса" in listed.stdout and "кассовый аппарат, касса" in listed.stdout
    missing = run(tmp_path, "catalogue", "remove", "Team Z", "Весы", **database)
    assert missing.returncode == 2 and "no team 'Team Z'" in missing.stderr
    with runtime.db.session() as session:
        assert [(p.name, p.synonyms) for p in products(session, "Team A")] == [
            ("Онлайн-касса", ["кассовый аппарат", "касса"])
        ]


def test_synonyms_are_cleaned_and_bad_entries_refused(runtime: Runtime) -> None:
    add_people(runtime)
    with runtime.db.session() as session:
        product, added = set_product(session, "Team A", "  Весы ", ["весы", " торговые  весы", "Торговые весы", ""])
        assert added and (product.name, product.synonyms) == ("Весы", ["торговые весы"])
        _, added_again = set_product(session, "Team A", "Весы", ["весы для магазина"])
        assert not added_again
        assert products(session, "Team A")[0].synonyms == ["весы для магазина"]
        for name, synonyms, problem in (
            ("", [], "no_name"),
            ("x" * 257, [], "long_name"),
            ("Y", [f"s{i}" for i in range(51)], "too_many"),
        ):
            with pytest.raises(CatalogueError) as refused:
                set_product(session, "Team A", name, synonyms)
            assert refused.value.problem == problem
        with pytest.raises(CatalogueError) as refused:
            remove_product(session, "Team B", "Весы")
        assert refused.value.problem == "no_product"


def test_the_analyze_stage_proposes_products_from_the_teams_catalogue(runtime: Runtime) -> None:
    people = add_people(runtime)
    with runtime.db.session() as session:
        set_product(session, "Team A", "Онлайн-касса", ["кассовый аппарат"])
        set_product(session, "Team A", "Сканер штрихкода", ["сканер штрихкодов"])
    call_id = add_call(runtime, team_id=people.team_a, rep_id=people.rep_a)
    customer = "Нам нужны кассовые аппараты для трёх магазинов, а сканеров пока хватает."
    said(runtime, call_id, ["Здравствуйте, чем могу помочь?"], [customer])

    rerun_stage(runtime, call_id, Stage.analyze)
    run_stage(call_id, Stage.analyze, runtime)
    with runtime.db.session() as session:
        proposed = session.scalars(
            select(Proposal.value).where(Proposal.call_id == call_id, Proposal.field == "products_of_interest")
        ).all()
    # "сканеров" alone is not "сканер штрихкодов"; the default schema's example offerings are not used.
    assert proposed == [["Онлайн-касса"]]
