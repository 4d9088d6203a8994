"""Sales-call dialogues written for these tests (not recordings), built into Conversations with word timings.

Each line is spoken at a steady pace (`WORD_S` per word); a line starts at the given second, or right after the
previous line plus a short pause. The tests here check the builder itself; other analyze tests import it.
"""

from models import Conversation, Role, Utterance, Word

WORD_S = 0.4
PAUSE_S = 0.6


def utterance(role: Role, text: str, start: float, word_s: float = WORD_S) -> Utterance:
    words = [
        Word(
            text=token,
            start=round(start + i * word_s, 3),
            end=round(start + (i + 1) * word_s - 0.05, 3),
            probability=0.9,
        )
        for i, token in enumerate(text.split())
    ]
    return Utterance(speaker=role.value, role=role, start=words[0].start, end=words[-1].end, words=words)


def dialogue(language: str, lines: list[tuple[Role, str]]) -> Conversation:
    utterances: list[Utterance] = []
    clock = 0.5
    for role, text in lines:
        spoken = utterance(role, text, clock)
        utterances.append(spoken)
        clock = spoken.end + PAUSE_S
    return Conversation(
        language=language,
        duration_s=round(clock + 1.0, 3),
        method="channels",
        role_rule="written dialogue",
        roles={"rep": Role.rep, "customer": Role.customer},
        turns=[(u.start, u.end, u.speaker) for u in utterances],
        utterances=utterances,
    )


REP, CUSTOMER = Role.rep, Role.customer

RU_DISCOVERY_LINES: list[tuple[Role, str]] = [
    (REP, "Добрый день, Андрей! Меня зовут Ольга, компания «ТехноСофт». Вам сейчас удобно говорить?"),
    (CUSTOMER, "Да, добрый день, минут пятнадцать у меня есть."),
    (REP, "Отлично. Расскажите, как у вас сейчас устроена работа с заявками?"),
    (CUSTOMER, "Заявки приходят в почту и в таблицу, менеджеры теряют часть обращений, это наша главная проблема."),
    (REP, "Понимаю. Какой бюджет вы закладываете на автоматизацию в этом году?"),
    (CUSTOMER, "Примерно триста тысяч рублей в год."),
    (REP, "Кто у вас принимает решение о покупке?"),
    (CUSTOMER, "Решение принимает директор, Сергей Петрович, я готовлю для него варианты."),
    (REP, "В какие сроки вы планируете запуск?"),
    (CUSTOMER, "Хотим запуститься до конца квартала."),
    (REP, "Наша система собирает заявки из почты и сайта в одну воронку, поэтому ни одно обращение не потеряется."),
    (CUSTOMER, "Звучит интересно, но дорого, наверное."),
    (
        REP,
        "Понимаю ваши сомнения. Тариф на десять менеджеров стоит двадцать тысяч рублей в месяц, "
        "это укладывается в ваш бюджет.",
    ),
    (CUSTOMER, "Хорошо, надо показать директору."),
    (
        REP,
        "Давайте назначим демонстрацию с Сергеем Петровичем на четверг в одиннадцать, "
        "и я пришлю коммерческое предложение.",
    ),
    (CUSTOMER, "Давайте, в четверг в одиннадцать подходит."),
    (REP, "Итак, подведу итог: вы теряете заявки, бюджет около трехсот тысяч, в четверг показываем систему директору."),
    (CUSTOMER, "Да, всё верно, до свидания."),
]

EN_DISCOVERY_LINES: list[tuple[Role, str]] = [
    (REP, "Hi Mark, this is Emma from Brightline Software. Is now a good time to talk?"),
    (CUSTOMER, "Sure, I have about fifteen minutes."),
    (REP, "Great. Could you tell me how your team handles inbound leads today?"),
    (CUSTOMER, "Leads land in a shared inbox and a spreadsheet, and we lose track of some of them every week."),
    (REP, "What budget have you set aside for this project?"),
    (CUSTOMER, "Around twenty thousand dollars for the year."),
    (REP, "Who else is involved in the decision?"),
    (CUSTOMER, "Our VP of sales, Laura, signs off on anything like this."),
    (REP, "What timeline are you working with?"),
    (CUSTOMER, "We want something live by the end of the quarter."),
    (REP, "Our platform pulls every lead from email and the website into one pipeline, so nothing gets lost."),
    (CUSTOMER, "That sounds useful, but it's probably too expensive for us."),
    (
        REP,
        "I understand the concern. The team plan for ten reps is fifteen hundred dollars a month, "
        "which fits your budget.",
    ),
    (CUSTOMER, "Okay, Laura would need to see it."),
    (REP, "Let's schedule a demo with Laura for Thursday at two, and I'll send over a proposal."),
    (CUSTOMER, "Thursday at two works."),
    (REP, "So to recap: leads get lost, budget is around twenty thousand, and we demo for Laura on Thursday."),
    (CUSTOMER, "Yes, that's right. Thanks, bye."),
]


def ru_discovery_call() -> Conversation:
    return dialogue("ru", RU_DISCOVERY_LINES)


def en_discovery_call() -> Conversation:
    return dialogue("en", EN_DISCOVERY_LINES)


def test_dialogues_are_ordered_and_timed() -> None:
    for call in (ru_discovery_call(), en_discovery_call()):
        starts = [u.start for u in call.utterances]
        assert starts == sorted(starts)
        assert all(u.end > u.start for u in call.utterances)
        assert call.duration_s > call.utterances[-1].end
        assert {u.role for u in call.utterances} == {Role.rep, Role.customer}
