"""Products proposed from a team's catalogue by what the customer showed interest in, and e-mail addresses dictated
in the many ways people say them."""

from crm_fill.schema import with_catalogue
from crm_fill.values import normalize_proposals
from diarize.transcript_file import read_transcript
from models import CallInfo, FieldProposal
from pipeline.call_setup import resolve_fields
from summarize.field_rules import extract_fields
from summarize.spoken_email import find_spoken_emails

CATALOGUE = {
    "газобетон": [],
    "доставка манипулятором": [],
    "пляжный тур": [],
    "экскурсионный тур": [],
    "корпоративный чек-ап": [],
    "ТО": [],
    "страхование груза": [],
    "страхование имущества": [],
}


def proposals(transcript: str) -> dict[str, FieldProposal]:
    fields = with_catalogue(resolve_fields("default"), CATALOGUE)
    conversation = read_transcript(transcript, language="ru")
    kept, _ = normalize_proposals(extract_fields(conversation, fields, "ru"), fields, CallInfo(language="ru"))
    return {p.field: p for p in kept}


def products(transcript: str) -> list[str]:
    found = proposals(transcript).get("products_of_interest")
    return [] if found is None else list(found.value)  # type: ignore[arg-type]  # a multiple field is a list


def test_products_are_found_in_any_inflection_and_by_their_head_word() -> None:
    said = products(
        "rep: Что вам нужно на объект?\n"
        "customer: Кубов двести газобетона, и чтобы с доставкой, а чекап для сотрудников тоже делаете?\n"
    )
    assert said == ["газобетон", "доставка манипулятором", "корпоративный чек-ап"]


def test_products_sharing_a_head_word_need_their_own_word() -> None:
    assert products("rep: Куда хотите?\ncustomer: Нам бы экскурсионные туры посмотреть.\n") == ["экскурсионный тур"]
    assert products("rep: Куда хотите?\ncustomer: Нам бы тур какой-нибудь.\n") == []
    assert products("rep: Что страхуете?\ncustomer: Страховку груза считаете?\n") == ["страхование груза"]


def test_a_short_product_name_is_matched_only_as_written() -> None:
    assert products("rep: Чем помочь?\ncustomer: Хочу записаться на ТО.\n") == ["ТО"]
    assert products("rep: Чем помочь?\ncustomer: Ну где-то то же самое, что и в прошлый раз.\n") == []


def test_a_product_the_customer_declines_or_negates_is_not_proposed() -> None:
    assert products("rep: Газобетон нужен?\ncustomer: Нет, газобетон нам не интересен.\n") == []
    assert products("rep: Что берёте?\ncustomer: Не газобетон, кирпич.\n") == []


def test_a_list_of_products_carries_its_least_confident_value() -> None:
    found = proposals(
        "customer: Нужен газобетон.\nrep: Ещё есть доставка манипулятором.\ncustomer: А сколько она стоит?\n"
    )["products_of_interest"]
    assert found.value == ["газобетон", "доставка манипулятором"]
    assert found.confidence == 0.7  # the delivery was only offered by the rep and asked about


def test_addresses_dictated_in_many_forms_are_read() -> None:
    said = {
        "почта агро точка колос собака майл точка ру": "agro.kolos@mail.ru",
        "пишите натали точка воробьёва собака яндекс ру": "natali.vorobyova@yandex.ru",
        "лена точка смирнова через и собака мейл ру": "lena.smirnova@mail.ru",
        "на рабочую: a.sergeeva собака ventra-group.ru. Вентра через е": "a.sergeeva@ventra-group.ru",
    }
    for text, address in said.items():
        assert [m.value for m in find_spoken_emails(text)] == [address], text
    assert find_spoken_emails("ну скиньте почта собака мейл ру") == []


def test_the_reps_read_back_stands_in_for_a_dictation_that_cannot_be_read() -> None:
    found = proposals(
        "rep: Продиктуйте почту.\n"
        "customer: ви точка крылов ну крылов как крылья собака яндекс точка ру\n"
        "rep: ви точка крылов собака яндекс точка ру, записал.\n"
    )["customer_email"]
    assert (found.value, found.confidence) == ("v.krylov@yandex.ru", 0.7)
    assert found.evidence[0].quote == "ви точка крылов собака яндекс точка ру,"
