"""The offer and summary steps read from the rep's turns, and dictated e-mail addresses, on short Russian
transcripts read as `callintel analyze` reads them: a price of the rep's own is an offer, the customer's figure said
back is not; a late turn that says it sums up and repeats what was said is a summary; a call with neither says 'no';
an objection answered after a backchannel ("угу, понял") is handled; "собака мейл ру" is an e-mail address."""

from diarize.transcript_file import read_transcript
from models import Answer, Conversation, FieldSchema, ItemResult
from pipeline.call_setup import resolve_fields
from scoring_scripts import builtin_script
from summarize.field_rules import CONFIRMED_SPOKEN_EMAIL_CONFIDENCE, SPOKEN_EMAIL_CONFIDENCE, extract_fields
from summarize.metrics import measure
from summarize.rules import decide_by_rules
from summarize.spoken_email import find_spoken_emails

RU = builtin_script("ru_b2b_discovery")
OPENING = (
    "rep: Добрый день, это Ирина, компания СкладПро. Удобно говорить?\n"
    "customer: Да, слушаю, нам нужны стеллажи на новый склад под паллеты.\n"
    "rep: Хорошо. Какой объём склада и сколько паллетомест вам нужно разместить?\n"
    "customer: Склад на две тысячи метров, паллетомест около восьмисот, монтаж нужен к осени.\n"
)


def items_of(text: str) -> dict[str, ItemResult]:
    conversation: Conversation = read_transcript(text, language="ru")
    return {d.item.id: d.result for d in decide_by_rules(conversation, RU, measure(conversation))}


def test_a_price_of_the_reps_own_is_an_offer_and_the_customers_figure_is_not() -> None:
    offered = items_of(
        OPENING + "rep: Под такой объём фронтальные стеллажи выйдут от двух тысяч четырёхсот за паллетоместо.\n"
        "customer: Понятно, спасибо.\n"
    )
    assert offered["concrete_offer"].answer == Answer.yes
    assert "двух тысяч четырёхсот" in offered["concrete_offer"].evidence[0].quote
    said_back = items_of(
        OPENING + "customer: Сейчас мы платим подрядчику сорок тысяч в месяц за аренду стеллажей.\n"
        "rep: Понял, то есть вы платите подрядчику сорок тысяч в месяц, а склад растёт.\n"
        "customer: Да, именно так, склад растёт и места уже не хватает совсем.\n"
        "rep: Хорошо, я передам ваш запрос инженеру, он посмотрит планировку склада.\n"
    )
    assert said_back["concrete_offer"].answer == Answer.no, said_back["concrete_offer"].note


def test_a_late_turn_that_sums_up_is_a_summary_and_its_absence_is_no() -> None:
    middle = (
        "rep: Под такой объём фронтальные стеллажи выйдут от двух тысяч четырёхсот за паллетоместо.\n"
        "customer: Хорошо, присылайте расчёт на почту, посмотрим с директором.\n"
    )
    summed = items_of(
        OPENING + middle + "rep: Тогда коротко по итогам: склад две тысячи метров, восемьсот паллетомест, "
        "монтаж к осени, расчёт пришлю на почту, смотрите с директором.\n"
        "customer: Да, всё верно.\n"
    )
    assert summed["call_summary"].answer == Answer.yes
    assert "по итогам" in summed["call_summary"].evidence[0].quote
    not_summed = items_of(OPENING + middle + "rep: Договорились, до свидания.\ncustomer: До свидания.\n")
    assert not_summed["call_summary"].answer == Answer.no, not_summed["call_summary"].note


def test_an_objection_answered_after_a_backchannel_is_handled() -> None:
    items = items_of(
        OPENING + "customer: Только у нас уже есть поставщик, нас всё устраивает.\n"
        "rep: Угу, понял.\n"
        "customer: Так что вот.\n"
        "rep: А что для вас сейчас важнее у поставщика: цена или сроки монтажа?\n"
        "customer: Сроки, конечно.\n"
    )
    assert items["objection_handled"].answer == Answer.yes, items["objection_handled"].note


def test_dictated_addresses_are_read() -> None:
    said = {
        "лена точка смирнова восемьдесят восемь собака мейл точка ру": "lena.smirnova88@mail.ru",
        "ну записывайте о смирнова восемь один собака джимейл ком": "osmirnova81@gmail.com",
        "игорь вэ восемьдесят пять собака яндекс ру": "igorv85@yandex.ru",
    }
    for text, address in said.items():
        assert [m.value for m in find_spoken_emails(text)] == [address]
    # A dog at home is no address, and a mailbox mixed with other talk is not guessed at.
    assert find_spoken_emails("у нас собака дома живёт") == []
    assert find_spoken_emails("ви точка крылов ну как крылья собака яндекс точка ру") == []


def test_a_dictated_address_said_back_is_confirmed() -> None:
    schema: FieldSchema = resolve_fields("default")
    call = (
        "rep: Куда прислать расчёт?\n"
        "customer: Пишите: дима точка орлов семьдесят шесть собака яндекс точка ру.\n"
        "rep: {reply}\n"
    )

    def email(reply: str) -> tuple[object, float]:
        conversation = read_transcript(call.format(reply=reply), language="ru")
        proposal = next(p for p in extract_fields(conversation, schema, "ru") if p.field == "customer_email")
        return proposal.value, proposal.confidence

    assert email("Записала: дима точка орлов семьдесят шесть собака яндекс ру.") == (
        "dima.orlov76@yandex.ru",
        CONFIRMED_SPOKEN_EMAIL_CONFIDENCE,
    )
    assert email("Хорошо, пришлю сегодня.") == ("dima.orlov76@yandex.ru", SPOKEN_EMAIL_CONFIDENCE)
