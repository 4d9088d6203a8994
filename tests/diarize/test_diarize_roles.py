"""Rep/customer roles by cue phrases and call direction, and words → speakers → utterances."""

import pytest

from diarize.assign import PAUSE_S, attribute_words, channel_turns, group_utterances
from diarize.roles import OPENING_WORDS, decide_roles, rep_cues_in
from models import CallDirection, Role, Word

EN_REP = "Hi, thank you for calling Lakeside Motors, my name is Chris. How can I help you today?"
EN_CUSTOMER = "Hi Chris, yes, I was looking at the used SUV you have listed on your website and wanted to ask about it."
RU_REP = "Добрый день! Меня зовут Анна, компания «Окна Плюс». Вам сейчас удобно говорить?"
RU_CUSTOMER = "Да, здравствуйте, слушаю вас. Я оставлял заявку на замер окон на прошлой неделе."
SMALL_TALK_A = "Hello? Oh, hello. I didn't know you were there."
SMALL_TALK_B = "Neither did I. I'm in Texas, originally from Chicago."


def words_of(text: str, start: float, end: float, channel: int = 0) -> list[Word]:
    tokens = text.split()
    step = (end - start) / len(tokens)
    return [
        Word(text=token, start=start + i * step, end=start + (i + 1) * step, probability=0.9, channel=channel)
        for i, token in enumerate(tokens)
    ]


@pytest.mark.parametrize(
    ("first", "second", "direction"),
    [
        (EN_CUSTOMER, EN_REP, CallDirection.inbound),
        (EN_REP, EN_CUSTOMER, CallDirection.outbound),
        (RU_CUSTOMER, RU_REP, CallDirection.unknown),
        (RU_REP, RU_CUSTOMER, CallDirection.outbound),
    ],
    ids=["en-inbound", "en-outbound", "ru-unknown", "ru-outbound"],
)
def test_the_speaker_with_rep_cue_phrases_is_the_rep_whatever_the_direction(first, second, direction):
    decision = decide_roles(["speaker_1", "speaker_2"], {"speaker_1": first, "speaker_2": second}, direction=direction)
    rep = "speaker_1" if first in (EN_REP, RU_REP) else "speaker_2"
    customer = "speaker_2" if rep == "speaker_1" else "speaker_1"
    assert decision.roles == {rep: Role.rep, customer: Role.customer}
    assert rep in decision.rule


def test_cue_phrases_are_found_in_english_and_russian_rep_speech():
    assert {"thank you for calling", "my name is", "how can i help"} <= set(rep_cues_in(EN_REP))
    assert {"меня зовут", "компания", "удобно говорить"} <= set(rep_cues_in(RU_REP))
    assert rep_cues_in(EN_CUSTOMER) == []
    assert rep_cues_in(RU_CUSTOMER) == []


def test_russian_cues_match_with_yo_and_case_variants():
    assert rep_cues_in("Спасибо за звонок! Чем могу вам помочь?") == ["спасибо за звонок", "чем могу вам помочь"]
    assert rep_cues_in("Вас беспокоит Алёна из компании «Вектор»") == ["вас беспокоит", "компании"]


# A booking call where the customer speaks first and gives their name when asked; the agent never introduces
# themselves, and serves the caller instead (asks what they need, asks for their name, offers more help).
BOOKING_CUSTOMER = (
    "Hi, I'm looking for a restaurant. I'm looking for Italian food, in the south of town. I think the first one "
    "will be fine. Can you book a table for me? There are two people, at seven in the evening on Sunday. Yes, "
    "that's correct. My name is Cheryl Turner. Sure, C H E R Y L. No, that's all, thank you."
)
BOOKING_AGENT = (
    "What kind of restaurant are you looking for? Do you have any other requirements? I have two options for you. "
    "Okay, what can I do for you? How many people? What day exactly? May I have your name? Could you spell it for "
    "me? Your reservation is confirmed. Anything else that I can do for you? Have a nice day."
)
RU_BOOKING_CUSTOMER = (
    "Здравствуйте, я хотел бы заказать доставку пиццы на сегодня на вечер, две большие пиццы и напиток к ним, "
    "пожалуйста. А сколько это будет стоить и когда привезёте? Хорошо, подходит. Адрес улица Ленина дом пять. "
    "Меня зовут Олег. Нет, больше ничего, спасибо."
)
RU_BOOKING_AGENT = (
    "Да, конечно. Как к вам обращаться? Продиктуйте номер телефона. Ваш заказ оформлен. Чем ещё могу помочь?"
)


@pytest.mark.parametrize(
    ("customer", "agent"),
    [(BOOKING_CUSTOMER, BOOKING_AGENT), (RU_BOOKING_CUSTOMER, RU_BOOKING_AGENT)],
    ids=["en", "ru"],
)
def test_an_agent_who_serves_the_caller_is_the_rep_though_the_customer_gives_their_name(customer, agent):
    texts = {"channel_0": customer, "channel_1": agent}
    decision = decide_roles(["channel_0", "channel_1"], texts, direction=CallDirection.unknown)
    assert decision.roles == {"channel_0": Role.customer, "channel_1": Role.rep}
    assert "tie" not in decision.rule
    assert rep_cues_in(customer) == []


def test_a_self_introduction_counts_only_in_the_speakers_opening():
    late = " ".join(["okay"] * OPENING_WORDS) + " my name is Cheryl Turner"
    assert rep_cues_in(late) == []
    assert rep_cues_in("Good morning, my name is Chris from Lakeside Motors.") == ["my name is"]
    just_in = " ".join(["okay"] * (OPENING_WORDS - 1)) + " my name is Chris"
    assert rep_cues_in(just_in) == ["my name is"]
    assert rep_cues_in(" ".join(["да"] * OPENING_WORDS) + " меня зовут Олег") == []


def test_a_customer_naming_themselves_late_leaves_a_tie_for_the_call_direction():
    customer = " ".join(["yes"] * OPENING_WORDS) + " my name is Cheryl Turner"
    texts = {"speaker_1": "Hello, I'd like to ask about the flat.", "speaker_2": customer}
    decision = decide_roles(["speaker_1", "speaker_2"], texts, direction=CallDirection.inbound)
    assert decision.roles == {"speaker_1": Role.rep, "speaker_2": Role.customer}
    assert "tie (0 each)" in decision.rule


@pytest.mark.parametrize(
    ("direction", "rep"),
    [
        (CallDirection.inbound, "speaker_1"),
        (CallDirection.outbound, "speaker_2"),
        (CallDirection.unknown, "speaker_1"),
    ],
)
def test_a_tie_is_broken_by_call_direction(direction, rep):
    texts = {"speaker_1": SMALL_TALK_A, "speaker_2": SMALL_TALK_B}
    decision = decide_roles(["speaker_1", "speaker_2"], texts, direction=direction)
    assert decision.roles[rep] == Role.rep
    assert [role for role in decision.roles.values()].count(Role.customer) == 1
    assert "tie" in decision.rule
    assert direction.value in decision.rule


def test_equal_cue_counts_are_a_tie():
    texts = {"speaker_1": "My name is Chris.", "speaker_2": "And my name is Dana."}
    decision = decide_roles(["speaker_1", "speaker_2"], texts, direction=CallDirection.outbound)
    assert decision.roles == {"speaker_1": Role.customer, "speaker_2": Role.rep}
    assert "1 each" in decision.rule


@pytest.mark.parametrize(("override", "rep"), [("first", "speaker_1"), ("second", "speaker_2")])
def test_override_wins_over_cue_phrases(override, rep):
    texts = {"speaker_1": EN_CUSTOMER, "speaker_2": EN_REP} if override == "first" else {"speaker_1": RU_REP}
    decision = decide_roles(["speaker_1", "speaker_2"], texts, direction=CallDirection.inbound, rep_speaker=override)
    assert decision.roles[rep] == Role.rep
    assert decision.rule.startswith("override")


def test_unknown_override_is_refused():
    with pytest.raises(ValueError, match="rep_speaker"):
        decide_roles(["speaker_1"], {}, direction=CallDirection.inbound, rep_speaker="last")  # type: ignore[arg-type]


def test_a_single_speaker_is_the_rep_and_no_speaker_no_roles():
    assert decide_roles(["speaker_1"], {}, direction=CallDirection.outbound).roles == {"speaker_1": Role.rep}
    assert decide_roles([], {}, direction=CallDirection.inbound).roles == {}


def test_words_go_to_the_turn_they_overlap_most_else_the_nearest():
    turns = [(0.0, 2.0, "a"), (1.8, 4.0, "b"), (6.0, 7.0, "a")]
    words = [
        Word(text="one", start=0.5, end=0.9, probability=1),
        Word(text="two", start=1.7, end=2.3, probability=1),
        Word(text="three", start=4.2, end=4.5, probability=1),
        Word(text="four", start=5.4, end=5.8, probability=1),
    ]
    assert attribute_words(words, turns, default="x") == ["a", "b", "b", "a"]
    assert attribute_words(words, [], default="x") == ["x"] * 4


def test_utterances_follow_speaker_changes_and_long_pauses():
    said = [
        ("rep", words_of(EN_REP, 0.0, 5.0)),
        ("customer", words_of(EN_CUSTOMER, 5.2, 11.0)),
        ("customer", words_of("Sure, which one?", 11.0 + PAUSE_S + 0.5, 14.0)),
        ("rep", words_of("The grey one.", 14.3, 15.0)),
    ]
    words = [word for _, spoken in said for word in spoken]
    speakers = [speaker for speaker, spoken in said for _ in spoken]
    utterances = group_utterances(words, speakers, {"rep": Role.rep, "customer": Role.customer})
    assert [u.speaker for u in utterances] == ["rep", "customer", "customer", "rep"]
    assert [u.role for u in utterances] == [Role.rep, Role.customer, Role.customer, Role.rep]
    assert utterances[0].text == EN_REP
    assert utterances[2].text == "Sure, which one?"
    starts = [u.start for u in utterances]
    assert starts == sorted(starts)


def test_channel_turns_join_close_words_per_channel():
    words = words_of("hello there", 0.0, 1.0, channel=1) + words_of("good morning", 3.0, 4.0, channel=1)
    words += words_of("hi", 1.1, 1.5, channel=0)
    assert channel_turns(words) == [(0.0, 1.0, "channel_1"), (1.1, 1.5, "channel_0"), (3.0, 4.0, "channel_1")]


def test_per_channel_speakers_talking_at_once_keep_whole_utterances() -> None:
    left = [
        Word(text=t, start=0.4 * i, end=0.4 * i + 0.3, probability=0.9, channel=0)
        for i, t in enumerate(["a", "b", "c", "d"])
    ]
    right = [
        Word(text=t, start=0.4 * i + 0.2, end=0.4 * i + 0.5, probability=0.9, channel=1)
        for i, t in enumerate(["w", "x", "y"])
    ]
    words = sorted(left + right, key=lambda w: w.start)
    speakers = [f"channel_{w.channel}" for w in words]
    roles = {"channel_0": Role.customer, "channel_1": Role.rep}
    interleaved = group_utterances(words, speakers, roles)
    whole = group_utterances(words, speakers, roles, overlapping=True)
    assert len(interleaved) == 7
    assert [(u.speaker, u.text) for u in whole] == [("channel_0", "a b c d"), ("channel_1", "w x y")]
