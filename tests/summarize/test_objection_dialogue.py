"""Objections and question steps read from the dialogue (`summarize.objections`, `summarize.meaning`), on short
Russian transcripts read as `callintel analyze` reads them: pressing on after a "но", a summary or a read-back is no
answer to an objection, a price of the rep's own is one; the customer's own budget and their taking up the rep's
proposal raise no objection; a budget question answered with an amount is credited however it was asked."""

from diarize.transcript_file import read_transcript
from models import Answer, ItemResult
from scoring_scripts import builtin_script
from summarize.metrics import measure
from summarize.rules import decide_by_rules

RU = builtin_script("ru_b2b_discovery")
OPENING = "rep: Добрый день, меня зовут Олег, компания ТехноСофт. Удобно говорить?\ncustomer: Да, слушаю.\n"


def _item(lines: str, item_id: str) -> ItemResult:
    conversation = read_transcript(OPENING + lines, language="ru")
    return next(d.result for d in decide_by_rules(conversation, RU, measure(conversation)) if d.item.id == item_id)


def _handled(objection: str, reply: str) -> Answer:
    lines = f"customer: {objection}\nrep: {reply}\ncustomer: Ну посмотрим.\nrep: Хорошо, всего доброго.\n"
    return _item(lines, "objection_handled").answer


def test_pressing_on_after_a_but_is_no_answer_and_an_argument_is() -> None:
    objection = "Честно говоря, для нас это дорого."
    assert _handled(objection, "Понимаю, но давайте всё-таки встретимся в четверг.") == Answer.no
    assert _handled(objection, "Понимаю, но в эту цену уже входит обслуживание на год.") == Answer.yes


def test_a_price_of_the_reps_own_answers_and_a_summary_or_a_read_back_does_not() -> None:
    assert _handled("Дороговато для нас.", "Тогда базовый тариф: двенадцать тысяч рублей в месяц.") == Answer.yes
    summary = "Хорошо. Итак, подытожу: в этом году менять ничего не будете, предложение я пришлю."
    assert _handled("Сейчас не время, в этом году менять ничего не будем.", summary) == Answer.no
    assert _handled("Пришлите ссылку на почту.", "Да, пришлю ссылку на почту.") == Answer.no


def test_the_customers_budget_and_taking_up_the_reps_proposal_raise_no_objection() -> None:
    budget = "rep: А на какую сумму рассчитываете?\ncustomer: Больше пятидесяти тысяч в месяц не потянем.\n"
    assert _item(budget, "objection_handled").answer == Answer.na
    taken_up = "rep: Давайте я вам каталог на почту скину?\ncustomer: Ну скиньте на почту, посмотрю.\n"
    assert _item(taken_up, "objection_handled").answer == Answer.na
    brush_off = "rep: Расскажу про наш сервис.\ncustomer: Скиньте на почту, посмотрю.\n"
    assert _item(brush_off, "objection_handled").answer != Answer.na


def test_a_budget_question_answered_with_an_amount_is_credited() -> None:
    asked = "rep: А по деньгам как планируете, разово или помесячно?\ncustomer: Лимит у нас шестьдесят тысяч в месяц.\n"
    budget = _item(asked, "budget")
    assert budget.answer == Answer.yes, budget.note
    assert [e.quote for e in budget.evidence] == [
        "А по деньгам как планируете, разово или помесячно?",
        "Лимит у нас шестьдесят тысяч в месяц.",
    ]
    unasked = _item("rep: Расскажу про тарифы.\ncustomer: Лимит у нас шестьдесят тысяч в месяц.\n", "budget")
    assert unasked.answer != Answer.yes
