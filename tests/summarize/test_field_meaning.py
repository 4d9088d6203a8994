"""What a CRM value means: the customer's budget, not the rep's price; the agreed step's date, not a side date; who
decides, named as said; the customer's alternatives, not their own suppliers."""

import pytest

from crm_fill.schema import builtin_field_schema
from models import FieldProposal, Role
from summarize.field_rules import extract_fields
from tests.summarize.test_field_rules import conversation


@pytest.fixture(scope="module")
def schema():
    return builtin_field_schema()


def best(proposals: list[FieldProposal], field: str) -> FieldProposal | None:
    """The proposal a rep would see for a single-valued field: the most confident, then the last said."""
    found = [p for p in proposals if p.field == field]
    return max(found, key=lambda p: (p.confidence, p.evidence[-1].start or 0.0), default=None)


def values(proposals: list[FieldProposal], field: str) -> list[object]:
    return [p.value for p in proposals if p.field == field]


def test_a_reps_unit_price_is_not_the_customers_budget(schema):
    call = conversation(
        [
            (Role.rep, "Тренинг стоит девятнадцать с половиной тысяч за участника. Какой у вас бюджет?"),
            (Role.customer, "У меня на обучение на этот год осталось сорок тысяч, всё."),
        ],
        "ru",
    )
    budget = best(extract_fields(call, schema, "ru"), "budget")
    assert (budget.value, budget.confidence) == ("40000", 0.9)


def test_a_per_month_budget_and_a_range_take_the_upper_end(schema):
    call = conversation([(Role.customer, "Бюджет где-то от шестидесяти до восьмидесяти тысяч в месяц.")], "ru")
    assert values(extract_fields(call, schema, "ru"), "budget") == ["80000"]
    english = conversation([(Role.customer, "We could go somewhere between ten and twelve thousand a month.")], "en")
    assert values(extract_fields(english, schema, "en"), "budget") == ["12000"]


def test_slang_budgets(schema):
    call = conversation([(Role.customer, "Ну у нас на всё про всё полтора ляма заложено на год.")], "ru")
    assert values(extract_fields(call, schema, "ru"), "budget") == ["1500000"]
    slang = conversation([(Role.customer, "Готовы потратить двести к, не больше.")], "ru")
    assert values(extract_fields(slang, schema, "ru"), "budget") == ["200000"]


def test_a_limit_of_authority_is_not_a_budget(schema):
    call = conversation(
        [(Role.customer, "Our budget is $60,000. Anything over 25,000 has to be approved by Dana Whitfield.")], "en"
    )
    assert values(extract_fields(call, schema, "en"), "budget") == ["60000 USD"]


def test_the_next_step_date_is_the_agreed_one_not_a_side_date(schema):
    call = conversation(
        [
            (Role.rep, "Замер бесплатный. В четверг, тридцатого апреля, в шесть тридцать вам подходит?"),
            (Role.customer, "Да, давайте."),
            (Role.customer, "Только двенадцатого мая к нам газовики придут, так что монтаж не в этот день."),
        ],
        "ru",
    )
    assert best(extract_fields(call, schema, "ru"), "next_step_date").value == "тридцатого апреля"


def test_a_declined_step_has_no_date(schema):
    call = conversation(
        [
            (Role.rep, "Can I book you a call with our advisor, Thursday at six?"),
            (Role.customer, "No thanks. I'll figure it out on my own."),
        ],
        "en",
    )
    assert values(extract_fields(call, schema, "en"), "next_step_date") == []


def test_a_third_person_decision_maker_is_named_with_their_role(schema):
    call = conversation(
        [
            (Role.rep, "А кто у вас принимает решение?"),
            (Role.customer, "Это к финансовому директору, Алле Викторовне Зуевой."),
        ],
        "ru",
    )
    decider = best(extract_fields(call, schema, "ru"), "decision_maker")
    assert (decider.value, decider.confidence) == ("финансовый директор Алле Викторовна Зуева", 0.9)
    english = conversation([(Role.customer, "It has to be approved by Dana Whitfield, she's our VP of People.")], "en")
    assert best(extract_fields(english, schema, "en"), "decision_maker").value == "VP of People Dana Whitfield"


def test_the_person_on_the_call_is_not_the_spouse_who_stays_out(schema):
    call = conversation([(Role.customer, "Я владелица, муж в это не лезет, я сама всё решаю.")], "ru")
    assert values(extract_fields(call, schema, "ru"), "decision_maker") == ["the person on the call"]


def test_a_competitor_in_any_industry_but_not_the_customers_own_supplier(schema):
    call = conversation(
        [
            (Role.rep, "Добрый день, Евгений, компания «Щит Системс»."),
            (Role.customer, "Камеры нам «Гранит-Сервис» ставил, они же и обслуживают."),
            (Role.customer, "Наш поставщик «Тамарак Миллс» возит расходники."),
            (Role.customer, "Мы ещё «ГемоЛаб» смотрим."),
        ],
        "ru",
    )
    assert values(extract_fields(call, schema, "ru"), "competitors_mentioned") == ["Гранит-Сервис", "ГемоЛаб"]


def test_a_competitor_in_lower_case_asr_text_and_in_its_case_form(schema):
    call = conversation(
        [
            (Role.customer, "ну смотрим вот бетолит нам цены кидали"),
            (Role.customer, "Есть, мы в «РосГаранте» второй год."),
        ],
        "ru",
    )
    assert values(extract_fields(call, schema, "ru"), "competitors_mentioned") == ["Бетолит", "РосГарант"]
