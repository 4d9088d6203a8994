"""Objections read by meaning (`summarize.objection_kinds`) and the deal stage read from how a call ended
(`summarize.deal_stage`), on short Russian and English transcripts read as `callintel analyze` reads them."""

from diarize.transcript_file import read_transcript
from models import Answer, Conversation, ItemResult
from pipeline.call_setup import resolve_fields
from scoring_scripts import builtin_script
from summarize.field_rules import extract_fields
from summarize.metrics import measure
from summarize.objection_kinds import objection_kind
from summarize.phrases import find_phrases
from summarize.rules import decide_by_rules

RU = builtin_script("ru_b2b_discovery")
FIELDS = resolve_fields("default")
TRUST_CALL = (
    "rep: Добрый день, меня зовут Олег, компания ТехноСофт. Удобно говорить?\n"
    "customer: Да. Только мы о вашей фирме ничего не слышали, боимся нарваться на обман.\n"
    "rep: {reply}\n"
    "customer: Ну посмотрим.\n"
    "rep: Хорошо, всего доброго.\n"
)


def _objection_item(text: str) -> tuple[Conversation, ItemResult]:
    conversation = read_transcript(text, language="ru")
    decisions = decide_by_rules(conversation, RU, measure(conversation))
    return conversation, next(d.result for d in decisions if d.item.id == "objection_handled")


def test_an_objection_in_words_no_phrase_lists_is_read_by_meaning() -> None:
    conversation, engaged = _objection_item(TRUST_CALL.format(reply="Понимаю. А с каким обманом вы уже сталкивались?"))
    objection = conversation.utterances[1]
    item = next(item for section in RU.sections for item in section.items if item.id == "objection_handled")
    assert not find_phrases([objection], item.applies_if["ru"], "ru")  # no listed phrase says it
    assert objection_kind(objection, "ru") == "trust"
    assert engaged.answer == Answer.yes, engaged.note
    assert engaged.evidence[0].quote == objection.text.strip()
    _, ignored = _objection_item(TRUST_CALL.format(reply="Понятно. А сколько у вас филиалов?"))
    assert ignored.answer == Answer.no, ignored.note


def test_ordinary_talk_raises_no_objection() -> None:
    conversation, item = _objection_item(
        "rep: Добрый день, меня зовут Олег, компания ТехноСофт. Удобно говорить?\n"
        "customer: Да, у нас три склада и сорок сотрудников, сейчас как раз расширяемся.\n"
        "rep: Понял, а как сейчас ведёте учёт?\n"
        "customer: В таблицах, бухгалтер сводит в конце месяца.\n"
    )
    assert [objection_kind(u, "ru") for u in conversation.utterances] == [None] * 4
    assert item.answer == Answer.na


def _stage(text: str, language: str = "ru") -> tuple[str, float, str] | None:
    conversation = read_transcript(text, language=language)
    found = [p for p in extract_fields(conversation, FIELDS, language) if p.field == "deal_stage_suggestion"]
    return (str(found[0].value), found[0].confidence, found[0].evidence[0].quote or "") if found else None


def test_the_deal_stage_follows_how_the_call_ended() -> None:
    refused = _stage(
        "rep: Добрый день, это Олег из ТехноСофт. Подключение стоит сорок тысяч рублей в месяц.\n"
        "customer: Слушайте, нам это не интересно, больше не звоните.\n"
        "rep: Хорошо, всего доброго.\n"
    )
    assert refused == ("closed_lost", 0.85, "Слушайте, нам это не интересно, больше не звоните.")
    priced = _stage(
        "rep: Добрый день, это Олег из ТехноСофт. Подключение стоит сорок тысяч рублей в месяц.\n"
        "customer: Хорошо, я подумаю.\n"
    )
    assert priced is not None and priced[:2] == ("proposal", 0.6) and "сорок тысяч" in priced[2]
    assert _stage("rep: Добрый день, это Олег из ТехноСофт. Сколько у вас складов?\ncustomer: Три.\n") is None
    english = _stage(
        "rep: Hi, this is Mark from Brightline. The plan is two hundred dollars a month.\n"
        "customer: Thanks, but we're not interested.\n",
        "en",
    )
    assert english is not None and english[:2] == ("closed_lost", 0.85)
