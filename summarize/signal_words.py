"""The words deal-gap signals listen for, in Russian and English, and how each signal is worded for people.

Phrases are matched by `summarize.phrases.find_phrases` (lemmatised, fuzzy, negation-aware), so each is written once
in its dictionary form. Teams add to the objection lists through their call script (see `summarize.signal_turns`)
and name their competitors in their CRM field schema (see `summarize.signals`).
"""

from functools import lru_cache

from models import SignalKind
from summarize.text import normalize_token

NEXT_STEP_PHRASES: dict[str, list[str]] = {
    "ru": [
        "назначить встречу",
        "назначить звонок",
        "назначить созвон",
        "назначить демонстрацию",
        "назначить демо",
        "провести встречу",
        "провести демонстрацию",
        "показать демо",
        "созвониться",
        "перезвонить вам",
        "встретиться",
        "прислать коммерческое предложение",
        "отправить коммерческое предложение",
        "выслать коммерческое предложение",
        "прислать кп",
        "отправить кп",
        "выслать кп",
        "прислать договор",
        "отправить договор",
        "подписать договор",
        "выставить счет",
        "прислать приглашение",
    ],
    "en": [
        "schedule a call",
        "schedule a demo",
        "schedule a meeting",
        "schedule a follow up",
        "book a demo",
        "book a call",
        "book a meeting",
        "set up a call",
        "set up a demo",
        "set up a meeting",
        "follow up call",
        "send you the proposal",
        "send you a proposal",
        "send over the proposal",
        "send you the contract",
        "send over the contract",
        "send you a quote",
        "send the invite",
        "calendar invite",
        "call you back on",
        "talk again",
        "speak again",
        "meet again",
        "let's meet",
        "next step is",
    ],
}

BUDGET_PHRASES: dict[str, list[str]] = {
    "ru": [
        "бюджет",
        "сколько готовы потратить",
        "сколько готовы платить",
        "сколько готовы инвестировать",
        "сколько планируете потратить",
        "выделить деньги",
        "выделить средства",
        "на какую сумму",
        "финансирование",
    ],
    "en": [
        "budget",
        "how much can you spend",
        "how much are you looking to spend",
        "how much do you plan to spend",
        "how much are you willing to spend",
        "afford",
        "funding",
        "price range",
        "ballpark",
    ],
}

COMPETITOR_PHRASES: dict[str, list[str]] = {
    "ru": [
        "другой поставщик",
        "другой подрядчик",
        "другая компания",
        "другой сервис",
        "другая система",
        "работаем с другим",
        "конкурент",
        "другие варианты",
        "другое предложение",
        "у других дешевле",
        "уже пользуемся",
        "уже используем",
        "уже работаем с",
    ],
    "en": [
        "another vendor",
        "another supplier",
        "another provider",
        "other vendors",
        "other suppliers",
        "other providers",
        "other options",
        "other solutions",
        "competitor",
        "cheaper elsewhere",
        "already using",
        "already use",
        "currently using",
        "already work with",
        "already working with",
    ],
}

OBJECTION_PHRASES: dict[str, list[str]] = {
    "ru": [
        "дорого",
        "дороговато",
        "слишком дорогой",
        "высокая цена",
        "не потянем",
        "не по карману",
        "нет бюджета",
        "бюджета нет",
        "денег нет",
        "нет денег",
        "не сейчас",
        "не актуально",
        "не интересно",
        "нет времени",
        "некогда",
        "надо подумать",
        "нужно подумать",
        "мы подумаем",
        "я подумаю",
        "посоветоваться",
        "у нас уже есть",
        "уже работаем с",
        "уже пользуемся",
        "пришлите на почту",
        "отправьте на почту",
        "перезвоните позже",
    ],
    "en": [
        "too expensive",
        "expensive",
        "pricey",
        "costs too much",
        "out of our budget",
        "no budget",
        "don't have the budget",
        "can't afford",
        "not now",
        "not right now",
        "not a priority",
        "bad timing",
        "think about it",
        "need to think",
        "talk it over",
        "we already have",
        "already use",
        "already using",
        "already work with",
        "happy with our current",
        "not interested",
        "send me an email",
        "send me some information",
        "no time",
        "too busy",
        "call me later",
    ],
}

OBJECTION_HANDLING_PHRASES: dict[str, list[str]] = {
    "ru": [
        "что именно",
        "что вас смущает",
        "давайте разберемся",
        "давайте посчитаем",
        "окупается",
        "окупится",
        "окупаемость",
        "если сравнить",
        "по сравнению с",
        "в отличие от",
        "дешевле",
        "выгоднее",
        "сэкономить",
        "экономия",
        "скидка",
        "рассрочка",
        "могу предложить",
        "можем предложить",
        "пилот",
        "пробный период",
        "тестовый период",
        "бесплатный период",
        "многие клиенты",
        "когда будет удобно",
        "когда лучше",
    ],
    "en": [
        "what specifically",
        "what exactly",
        "compared to",
        "unlike",
        "pays for itself",
        "return on investment",
        "roi",
        "save",
        "cheaper",
        "discount",
        "payment plan",
        "pilot",
        "trial",
        "many of our customers",
        "other customers",
        "when would be a better time",
        "what would it take",
        "look at the numbers",
    ],
}

ANSWER_STARTS: dict[str, frozenset[str]] = {
    "ru": frozenset([
        "да", "нет", "конечно", "разумеется", "естественно", "безусловно", "можно", "нельзя", "обычно", "примерно",
        "около",
    ]),
    "en": frozenset([
        "yes", "yeah", "yep", "no", "nope", "sure", "certainly", "absolutely", "definitely", "correct", "exactly",
        "right", "usually", "typically", "about", "around",
    ]),
}  # fmt: skip

# A question with one of these (normal forms) asks for a figure ("сколько стоит?", "какой процент?"): only a number,
# an amount or a date answers it; "по-разному", "посчитаем на встрече" leave it open.
FIGURE_QUESTION_WORDS: dict[str, frozenset[str]] = {
    "ru": frozenset(["сколько", "стоить", "стоимость", "цена", "процент", "почем", "ставка"]),
    "en": frozenset(["much", "cost", "costs", "price", "rate", "percent"]),
}
# Words that ask wherever they stand in an unpunctuated sentence ("вы мне лучше скажите сколько у вас стоит").
ASKING_ANYWHERE: dict[str, frozenset[str]] = {"ru": frozenset(["сколько", "почем"]), "en": frozenset()}
# A reply that puts the question off ("по-разному", "разберёмся", "it depends") answers nothing unless it also
# gives a figure.
EVASIONS: dict[str, list[str]] = {
    "ru": ["по-разному", "по разному", "зависит", "разберемся", "не скажу", "не знаю", "сложно сказать",
           "трудно сказать", "не подскажу", "посчитает", "посчитаем", "уточню", "уточнит"],
    "en": ["it depends", "depends on", "hard to say", "not sure", "we'll figure", "i don't know", "can't say",
           "we'll work it out", "will calculate", "we'll calculate"],
}  # fmt: skip

QUESTION_WORDS: dict[str, frozenset[str]] = {
    "ru": frozenset([
        "как", "кто", "что", "чем", "чего", "кому", "когда", "где", "куда", "откуда", "почему", "зачем", "сколько",
        "какой", "который",
    ]),
    "en": frozenset(["what", "who", "whom", "whose", "when", "where", "why", "how", "which"]),
}  # fmt: skip

_STOPWORDS_RAW = {
    "ru": (
        "а без более бы был быть в вам вас весь во вот все всего вы где да даже для до его ее если есть еще же за "
        "и из или им их к как какой когда кто ли либо мне мной может можно мой мы на над надо наш не него нее "
        "нет ни них но ну о об от очень по под после при про раз с сам свой себя сейчас со так такой там тебя "
        "тем то тогда тоже только тот ты у уже хорошо что чем чтобы эта это этот я вообще ладно давать скажите "
        "подсказать сказать хотеть мочь знать понятно угу ага алло слышать ой наверное просто вот какой-то"
    ),
    "en": (
        "a about after all also am an and any are as at be been but by can could did do does doing for from get "
        "got had has have he her here him his how i if in into is it it's its just let's like me my no not now "
        "of on or our out please so some that the their them then there these they this those to too up us very "
        "was we we're well were what when where which who whom whose why will with would yes yeah you your "
        "you're okay ok right sure hello hi hey thanks thank really know tell say"
    ),
}


@lru_cache(maxsize=4)
def stopwords(language: str) -> frozenset[str]:
    """Words that carry no subject of their own, in the normalised form `summarize.text.normalize` gives."""
    return frozenset(normalize_token(word, language) for word in _STOPWORDS_RAW.get(language, "").split())


_MESSAGES: dict[str, dict[SignalKind, tuple[str, str | None]]] = {
    # Each kind: the message without a subject, and the one with it ("{subject}").
    "en": {
        SignalKind.no_next_step: (
            "No next step was agreed: the call ended without a meeting, demo, proposal or call-back set.",
            None,
        ),
        SignalKind.next_step_date_missing: ("A next step was discussed, but no date or time was set for it.", None),
        SignalKind.budget_not_discussed: (
            "Budget was not discussed: no budget question and no amount from the customer.",
            None,
        ),
        SignalKind.competitor_mentioned: (
            "The customer mentioned another vendor or a solution they already use.",
            "Competitor mentioned: {subject}.",
        ),
        SignalKind.objection_unanswered: (
            "A customer objection was left unanswered.",
            "Objection left unanswered: “{subject}”",
        ),
        SignalKind.question_unanswered: (
            "A customer question was not answered.",
            "Customer question not answered: “{subject}”",
        ),
    },
    "ru": {
        SignalKind.no_next_step: (
            "Следующий шаг не согласован: звонок закончился без встречи, демонстрации, КП или договорённости "
            "созвониться.",
            None,
        ),
        SignalKind.next_step_date_missing: ("Следующий шаг обсудили, но дату или время не назначили.", None),
        SignalKind.budget_not_discussed: ("Бюджет не обсуждался: ни вопроса о бюджете, ни суммы от клиента.", None),
        SignalKind.competitor_mentioned: (
            "Клиент упомянул другого поставщика или решение, которым уже пользуется.",
            "Упомянут конкурент: {subject}.",
        ),
        SignalKind.objection_unanswered: (
            "Возражение клиента осталось без ответа.",
            "Возражение осталось без ответа: «{subject}»",
        ),
        SignalKind.question_unanswered: (
            "Вопрос клиента остался без ответа.",
            "Вопрос клиента остался без ответа: «{subject}»",
        ),
    },
}


def message_language(language: str | None) -> str:
    """'ru' for Russian, 'en' for every other language: signal messages are written in these two."""
    return "ru" if (language or "").lower().startswith("ru") else "en"


def describe(kind: SignalKind, subject: str | None, language: str) -> str:
    """The signal's message for people, in Russian or English (any other language gets English)."""
    plain, with_subject = _MESSAGES[message_language(language)][kind]
    if subject and with_subject:
        return with_subject.format(subject=subject)
    return plain
