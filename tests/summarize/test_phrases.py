import pytest

from models import Role
from scoring_scripts import builtin_script
from summarize.phrases import find_phrases
from summarize.text import normalize
from tests.summarize.test_analyze_dialogues import dialogue, utterance


def test_normalize_lemmatises_russian_and_folds_yo() -> None:
    assert normalize("Назначим встречу!", "ru") == normalize("назначить встречу", "ru") == ["назначить", "встреча"]
    assert normalize("Ёлки, всё", "ru") == ["елка", "все"]


def test_normalize_keeps_unknown_russian_words() -> None:
    assert normalize("демо КП", "ru") == ["демо", "кп"]


def test_normalize_english_strips_punctuation_and_suffixes() -> None:
    assert normalize("Meetings, scheduled!", "en") == ["meet", "schedul"]
    assert normalize("meeting", "en") == normalize("meetings", "en")
    assert normalize("Don’t", "en") == ["don't"]


def test_russian_inflection_and_filler_words_match() -> None:
    call = dialogue("ru", [(Role.rep, "Давайте назначим с вами встречу на четверг.")])
    [match] = find_phrases(call.utterances, ["назначить встречу"], "ru")
    assert match.quote == "назначим с вами встречу"
    assert not match.negated
    assert match.start == call.utterances[0].words[1].start
    assert match.end == call.utterances[0].words[4].end


def test_fuzzy_absorbs_asr_slips_and_can_be_turned_off() -> None:
    call = dialogue("en", [(Role.rep, "Who else is involved in the decission?"), (Role.rep, "Я из кампании Альфа.")])
    [match] = find_phrases(call.utterances, ["involved in the decision"], "en")
    assert match.quote == "involved in the decission?"
    assert find_phrases(call.utterances, ["involved in the decision"], "en", fuzzy=False) == []
    [ru] = find_phrases(call.utterances, ["компания"], "ru")
    assert ru.quote == "кампании" and ru.utterance_index == 1


def test_short_words_need_an_exact_match() -> None:
    call = dialogue("en", [(Role.rep, "I sent you a memo.")])
    assert find_phrases(call.utterances, ["demo"], "en") == []


def test_negation_russian_and_english() -> None:
    call = dialogue(
        "ru",
        [
            (Role.customer, "Мы не готовы обсуждать бюджет сейчас."),
            (Role.customer, "Нет, давайте обсуждать бюджет."),
        ],
    )
    first, second = find_phrases(call.utterances, ["обсуждать бюджет"], "ru")
    assert first.negated and first.utterance_index == 0
    assert not second.negated and second.utterance_index == 1

    english = dialogue(
        "en",
        [
            (Role.customer, "We are not interested in a demo right now."),
            (Role.customer, "No problem, let's schedule a demo."),
            (Role.customer, "We don't really need a demo."),
        ],
    )
    matches = find_phrases(english.utterances, ["interested in a demo", "schedule a demo", "need a demo"], "en")
    assert [(m.phrase, m.negated) for m in matches] == [
        ("interested in a demo", True),
        ("schedule a demo", False),
        ("need a demo", True),
    ]


def test_a_negator_cannot_be_skipped_as_filler() -> None:
    call = dialogue("en", [(Role.rep, "It is not convenient.")])
    assert find_phrases(call.utterances, ["is convenient"], "en") == []


def test_role_filter_and_conversation_order() -> None:
    call = dialogue(
        "ru",
        [
            (Role.customer, "Какой у вас бюджет?"),
            (Role.rep, "Какой бюджет вы планируете?"),
            (Role.rep, "И ещё раз про бюджет."),
        ],
    )
    matches = find_phrases(call.utterances, ["бюджет"], "ru", role=Role.rep)
    assert [m.utterance_index for m in matches] == [1, 2]
    assert all(m.quote.lower().startswith("бюджет") for m in matches)


def test_quote_is_verbatim_text_of_the_utterance() -> None:
    spoken = utterance(Role.rep, "Меня зовут Ольга, компания «ТехноСофт».", 3.0)
    [match] = find_phrases([spoken], ["компания технософт"], "ru")
    assert match.quote == "компания «ТехноСофт»."
    assert match.quote in spoken.text


def test_a_match_does_not_run_past_the_end_of_a_clause() -> None:
    call = dialogue(
        "ru",
        [
            (Role.customer, "Решает директор, я собираю варианты."),
            (Role.customer, "Закупки решаю я сам."),
            (Role.customer, "Решаю, конечно, я."),
        ],
    )
    matches = find_phrases(call.utterances, ["решаю я"], "ru")
    assert [(m.utterance_index, m.quote) for m in matches] == [(1, "решаю я")]


def test_a_phrase_written_with_a_comma_may_cross_one() -> None:
    call = dialogue(
        "ru",
        [
            (Role.rep, "Спасибо, что позвонили!"),
            (Role.rep, "Спасибо что позвонили"),
            (Role.rep, "Расскажите, как у вас сейчас устроены продажи?"),
        ],
    )
    thanks = find_phrases(call.utterances, ["спасибо, что позвонили"], "ru")
    assert [m.quote for m in thanks] == ["Спасибо, что позвонили!", "Спасибо что позвонили"]
    assert find_phrases(call.utterances, ["спасибо что позвонили"], "ru")[0].utterance_index == 1
    [ask] = find_phrases(call.utterances, ["расскажите, как"], "ru")
    assert ask.quote == "Расскажите, как" and not ask.negated


def test_fuzzy_matching_takes_one_slip_in_longer_words_only() -> None:
    call = dialogue(
        "ru",
        [
            (Role.rep, "Какой бюджед вы рассматриваете?"),
            (Role.customer, "Думаю, да."),
            (Role.rep, "Я коротко расскажу о нашем продукте."),
        ],
    )
    [budget] = find_phrases(call.utterances, ["какой бюджет"], "ru")
    assert budget.quote == "Какой бюджед"
    assert find_phrases(call.utterances, ["подумаем"], "ru") == []  # a verb prefix is not a slip
    assert find_phrases(call.utterances, ["расскажите о вашем"], "ru") == []  # "нашем" is not "вашем"


RU_SCRIPT = {item.id: item for item in builtin_script("ru_b2b_discovery").items()}


@pytest.mark.parametrize(
    ("item", "said", "negated_near_miss"),
    [
        ("budget", "А по бюджету какие у вас ожидания?", "Не буду по бюджету спрашивать."),
        ("budget", "Бюджет на это уже выделен?", "Я не про бюджет на это."),
        ("decision_maker", "Решение за вами или за руководителем?", "Решение не за вами, как я понял."),
        ("decision_maker", "Кто у вас отвечает за закупки?", "Никто не отвечает за закупки."),
        ("timeline", "А по срокам что?", "Не по срокам вопрос."),
        ("ties_to_needs", "Так вы увидите каждую потерянную заявку.", "Вы не увидите разницы сразу."),
        ("concrete_offer", "Могу дать пробный период на две недели.", "Мы не даём пробный период."),
        ("convenient_to_talk", "Вам удобно сейчас или позже перезвонить?", "Ни сейчас или позже, никогда."),
        ("next_step_agreed", "Отправлю договор сегодня, подпишем в пятницу?", "Не отправлю договор, пока не решите."),
    ],
)
def test_russian_script_paraphrases_and_their_negations(item: str, said: str, negated_near_miss: str) -> None:
    phrases = RU_SCRIPT[item].phrases["ru"]
    call = dialogue("ru", [(Role.rep, said), (Role.rep, negated_near_miss)])
    matches = find_phrases(call.utterances, phrases, "ru")
    assert any(m.utterance_index == 0 and not m.negated for m in matches), said
    assert all(m.negated for m in matches if m.utterance_index == 1), [m.quote for m in matches]
