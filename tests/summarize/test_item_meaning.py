"""Script items decided by meaning and by the dialogue, on short Russian and English transcripts read as
`callintel analyze` reads them (`diarize.transcript_file.read_transcript`): a step said in other words is credited,
an acknowledgement is not objection handling, a declined next step is not agreed, an inbound introduction is
found, and what is neither clearly said nor clearly missing stays open with its closest quote."""

from diarize.transcript_file import read_transcript
from models import Answer, CallScript, Conversation, DecisionSource, ItemResult
from scoring_scripts import builtin_script
from summarize.metrics import measure
from summarize.rules import decide_by_rules

RU = builtin_script("ru_b2b_discovery")
EN = builtin_script("en_b2b_discovery")


def items_of(text: str, script: CallScript) -> dict[str, ItemResult]:
    conversation: Conversation = read_transcript(text, language=script.language)
    return {d.item.id: d.result for d in decide_by_rules(conversation, script, measure(conversation))}


def test_a_step_said_in_other_words_is_credited() -> None:
    # No phrase of the budget or decision-maker items is said; the meaning is.
    items = items_of(
        "rep: Добрый день, это Ирина, компания СкладПро. Пара минут найдётся?\n"
        "customer: Да, слушаю.\n"
        "rep: А по деньгам вы на что ориентируетесь в этом году?\n"
        "customer: Тысяч триста, не больше.\n"
        "rep: А окончательно решаете вы или ещё согласовываете с руководителем?\n"
        "customer: Подписывает директор.\n",
        RU,
    )
    for item_id in ("budget", "decision_maker"):
        assert items[item_id].answer == Answer.yes, items[item_id].note
        assert items[item_id].source == DecisionSource.rule and items[item_id].evidence[0].quote


def test_an_acknowledgement_is_not_objection_handling() -> None:
    call = (
        "rep: Добрый день, меня зовут Олег, компания ТехноСофт. Удобно говорить?\n"
        "customer: Да. Но честно, для нас это дорого.\n"
        "rep: {reply}\n"
        "customer: Ну посмотрим.\n"
        "rep: Хорошо, всего доброго.\n"
    )
    acknowledged = items_of(call.format(reply="Понимаю вас. А сколько у вас филиалов?"), RU)
    assert acknowledged["objection_handled"].answer == Answer.no
    handled = items_of(call.format(reply="Понимаю. Давайте посчитаем, сколько вы теряете на пропущенных заявках."), RU)
    assert handled["objection_handled"].answer == Answer.yes
    quotes = [e.quote for e in handled["objection_handled"].evidence]
    assert quotes == [
        "Да. Но честно, для нас это дорого.",
        "Понимаю. Давайте посчитаем, сколько вы теряете на пропущенных заявках.",
    ]


def test_an_english_acknowledgement_is_not_objection_handling() -> None:
    call = (
        "rep: Hi Dana, this is Mark from Brightline. Is now a good time?\n"
        "customer: Sure. Honestly though, it sounds too expensive for us.\n"
        "rep: {reply}\n"
        "customer: Okay.\n"
        "rep: Thanks, bye.\n"
    )
    assert items_of(call.format(reply="I hear you. So how many reps do you have?"), EN)["objection_handled"].answer == (
        Answer.no
    )
    argued = items_of(call.format(reply="Compared to what you pay today it pays for itself in two months."), EN)
    assert argued["objection_handled"].answer == Answer.yes


def test_a_declined_next_step_is_not_agreed() -> None:
    call = (
        "rep: Добрый день, это Анна, компания Лингва. Удобно говорить?\n"
        "customer: Да, слушаю.\n"
        "rep: Расскажите, как сейчас учатся ваши сотрудники?\n"
        "customer: Пока никак, думаем над этим.\n"
        "rep: Давайте я проведу для вас пробный урок в четверг в десять?\n"
        "customer: {answer}\n"
        "rep: Хорошо, всего доброго.\n"
    )
    declined = items_of(call.format(answer="Нет, спасибо, пока не надо, я сама позвоню."), RU)["next_step_agreed"]
    assert declined.answer == Answer.no
    assert [e.quote for e in declined.evidence][-1] == "Нет, спасибо, пока не надо, я сама позвоню."
    agreed = items_of(call.format(answer="Да, давайте, в четверг в десять подходит."), RU)["next_step_agreed"]
    assert agreed.answer == Answer.yes


def test_a_declined_english_next_step_is_not_agreed() -> None:
    call = (
        "rep: Hi, this is Emma from Brightline. Is now a good time?\n"
        "customer: Sure.\n"
        "rep: How does your team track leads today?\n"
        "customer: A shared inbox, mostly.\n"
        "rep: Can we book a demo for Thursday at two?\n"
        "customer: {answer}\n"
        "rep: Thanks for your time.\n"
    )
    assert items_of(call.format(answer="No thanks, not now. I'll reach out."), EN)["next_step_agreed"].answer == (
        Answer.no
    )
    assert items_of(call.format(answer="Sure, Thursday at two works."), EN)["next_step_agreed"].answer == Answer.yes


def test_inbound_introductions_in_any_order_are_found() -> None:
    for opening in (
        "Мебель Мастер, добрый день! Анастасия, слушаю вас.",
        "Компания «ОкнаДом», меня зовут Евгений. Чем могу помочь?",
        "добрый день это денис компания стройресурс удобно говорить",
    ):
        items = items_of(f"rep: {opening}\ncustomer: Здравствуйте, я по поводу заявки.\n", RU)
        assert items["introduction"].answer == Answer.yes, opening
    items = items_of("rep: PeopleFlow, this is Priya. Good morning!\ncustomer: Hi, it's Greg.\n", EN)
    assert items["introduction"].answer == Answer.yes


def test_a_greeting_to_the_customer_by_name_is_no_introduction() -> None:
    items = items_of(
        "rep: Алло, добрый день, Андрей Николаевич! Вам удобно говорить?\ncustomer: Да, а кто это?\n"
        "rep: Это по поводу вашей заявки на сайте.\n",
        RU,
    )
    assert items["introduction"].answer == Answer.no


def test_an_unclear_step_stays_open_with_its_closest_quote() -> None:
    # Asking about a plan is near the timeline question, but not it; without an LLM it stays undecided, quoted.
    items = items_of(
        "rep: Добрый день, это Ирина, компания СкладПро. Удобно говорить?\n"
        "customer: Да.\n"
        "rep: А какие у вас планы на лето по складу, что планируете менять?\n"
        "customer: Пока думаем.\n",
        RU,
    )
    timeline = items["timeline"]
    assert timeline.answer == Answer.not_determined
    assert timeline.evidence and "планы" in timeline.evidence[0].quote and "closest" in timeline.note
