import pytest

from models import Conversation, Role, Utterance, Word
from summarize.metrics import count_questions, measure


def _spoken(role: Role, text: str, start: float, end: float) -> Utterance:
    tokens = text.split()
    step = (end - start) / len(tokens)
    words = [
        Word(text=token, start=start + i * step, end=start + (i + 1) * step, probability=0.9)
        for i, token in enumerate(tokens)
    ]
    words[-1] = words[-1].model_copy(update={"end": end})
    return Utterance(speaker=role.value, role=role, start=start, end=end, words=words)


@pytest.fixture(scope="module")
def call() -> Conversation:
    utterances = [
        _spoken(Role.rep, "Hello, how are you? what do you need", 0.0, 4.0),
        _spoken(Role.customer, "We need a CRM for sales.", 3.5, 6.0),  # starts 0.5 s before the rep stops
        _spoken(Role.rep, "Our product tracks every lead.", 6.5, 9.0),
        _spoken(Role.customer, "Mhm.", 9.2, 9.6),  # a backchannel inside the rep's monologue
        _spoken(Role.rep, "Could you tell me more? Is Tuesday fine?", 9.8, 14.0),
        _spoken(Role.customer, "how much is it", 16.0, 18.0),
    ]
    return Conversation(
        language="en",
        duration_s=20.0,
        method="channels",
        role_rule="constructed",
        roles={"rep": Role.rep, "customer": Role.customer},
        utterances=utterances,
    )


def test_talk_time_ratio_silence_and_overlap(call: Conversation) -> None:
    metrics = measure(call)
    assert metrics.duration_s == 20.0
    assert metrics.rep.talk_time_s == pytest.approx(4.0 + 2.5 + 4.2)
    assert metrics.customer.talk_time_s == pytest.approx(2.5 + 0.4 + 2.0)
    assert metrics.rep.talk_ratio == pytest.approx(10.7 / 15.6, abs=1e-4)
    assert metrics.rep.talk_ratio + metrics.customer.talk_ratio == pytest.approx(1.0, abs=1e-3)
    assert metrics.overlap_s == pytest.approx(0.5)
    assert metrics.silence_share == pytest.approx((20 - 15.1) / 20, abs=1e-4)


def test_monologue_survives_short_pauses_and_backchannels(call: Conversation) -> None:
    metrics = measure(call)
    assert metrics.rep.longest_monologue_s == pytest.approx(14.0 - 6.5)
    assert metrics.customer.longest_monologue_s == pytest.approx(2.5)


def test_interruptions_need_real_overlap(call: Conversation) -> None:
    metrics = measure(call)
    assert metrics.customer.interruptions == 1
    assert metrics.rep.interruptions == 0


def test_questions_words_and_rate(call: Conversation) -> None:
    metrics = measure(call)
    assert metrics.rep.questions == 4
    assert metrics.customer.questions == 1
    assert metrics.rep.words == 8 + 5 + 8
    assert metrics.rep.speech_rate_wpm == pytest.approx(21 / (10.7 / 60), abs=0.1)
    assert metrics.value("rep.questions") == 4.0


def test_question_rules_by_language() -> None:
    assert count_questions("Какой у вас бюджет? Понятно.", "ru") == 1
    assert count_questions("сколько стоит внедрение", "ru") == 1
    assert count_questions("Что касается цены, всё в силе.", "ru") == 0
    assert count_questions("what timeline are you working with", "en") == 1
    assert count_questions("We sent it.", "en") == 0


def test_empty_call_is_all_silence() -> None:
    empty = Conversation(
        language="ru", duration_s=12.0, method="channels", role_rule="constructed", roles={}, utterances=[]
    )
    metrics = measure(empty)
    assert metrics.silence_share == 1.0
    assert metrics.rep.talk_ratio == 0.0 and metrics.rep.speech_rate_wpm == 0.0
