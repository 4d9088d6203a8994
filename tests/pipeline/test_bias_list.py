"""A call's bias list, gathered from what the product knows before the call: the linked deal's customer and company,
the rep, the company's and the team's vocabulary, the team's catalogue; in that order, each term once."""

from pathlib import Path

from pipeline.call_setup import load_call
from pipeline.db import Call
from pipeline.directory import save_rep, save_team
from pipeline.settings import Settings
from services.catalogue import set_product
from tests.support.deal_history import add_deal, add_deal_call, add_pipeline, deal_runtime


def test_a_calls_bias_list_puts_the_deals_names_first_and_holds_each_term_once(tmp_path: Path) -> None:
    runtime = deal_runtime(tmp_path / "home")
    add_pipeline(runtime)
    deal = add_deal(runtime, "77", name="ООО Ромашка", contact="c1", contact_name="Ирина Соколова")
    with runtime.db.session() as session:
        team, _ = save_team(session, "Москва", vocabulary=["Bitrix24", "ооо  ромашка", "Анна Смирнова"])
        rep = save_rep(session, "Анна Смирнова", extension="204", team="Москва")
        set_product(session, "Москва", "Эквайринг", [])
        set_product(session, "Москва", "Кассовый аппарат", ["ККТ", "онлайн-касса"])
        team_id, rep_id = team.id, rep.id
    linked = add_deal_call(runtime, deal, days_ago=1, rep_id=rep_id, team_id=team_id)
    unlinked = add_deal_call(runtime, None, days_ago=1, rep_id=rep_id, team_id=team_id)
    settings = Settings(data_dir=tmp_path / "home", llm_backend="none", vocabulary=["Acme", "bitrix24"])

    with runtime.db.session() as session:
        terms = load_call(session, session.get(Call, linked), settings).vocabulary
        without_deal = load_call(session, session.get(Call, unlinked), settings).vocabulary
    assert terms == [
        "Ирина Соколова",
        "ООО Ромашка",
        "Анна Смирнова",
        "Acme",
        "bitrix24",
        "Кассовый аппарат",
        "Эквайринг",
        "ККТ",
        "онлайн-касса",
    ]
    # Without the deal, the team's spelling of the company's name keeps its own place.
    assert without_deal == [*terms[2:5], "ооо ромашка", *terms[5:]]
