"""A call with no speech, or where one side never speaks (a missed call, ring tones, voicemail, a one-sided
recording), gets no score and no deal-gap signals, so it stays out of team averages."""

from crm_fill.schema import builtin_field_schema
from diarize.transcript_file import read_transcript
from models import Answer, CallInfo, Conversation, NoScoreReason
from scoring_scripts.loader import builtin_script
from summarize.core import analyze


def _analysed(conversation: Conversation):
    return analyze(conversation, builtin_script("ru_b2b_discovery"), builtin_field_schema("default"), CallInfo(), None)


def test_voicemail_with_only_the_rep_speaking_gets_no_score() -> None:
    conversation = read_transcript(
        "rep: добрый день это ольга компания звонкий хотела обсудить аналитику звонков перезвоните мне пожалуйста\n"
        "customer: алло\n"
    )
    analysis = _analysed(conversation)
    card = analysis.scorecard
    assert card.no_score_reason is NoScoreReason.customer_silent
    assert card.percent is None and card.max_score == 0
    assert {item.answer for item in card.items} == {Answer.not_determined}
    assert analysis.signals == []


def test_no_speech_at_all_gets_no_score() -> None:
    silent = Conversation(
        language="ru", duration_s=20.0, method="channels", role_rule="no speech", roles={}, utterances=[]
    )
    card = _analysed(silent).scorecard
    assert card.no_score_reason is NoScoreReason.no_speech and card.percent is None


def test_a_short_real_conversation_is_still_scored() -> None:
    conversation = read_transcript(
        "rep: добрый день меня зовут ольга компания звонкий удобно говорить\n"
        "customer: да удобно слушаю вас внимательно\n"
    )
    card = _analysed(conversation).scorecard
    assert card.no_score_reason is None and card.percent is not None
