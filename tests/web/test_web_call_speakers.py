"""The call page marks a one-sided recording and the voices that are not people (an IVR menu, a voicemail greeting),
in Russian and English, on the embedded database."""

from pathlib import Path

from models import CallResult, NonSpeaker, Role, Utterance, Word
from pipeline.stages import output_key
from tests.support.scored_calls import add_scored_call
from tests.support.web_users import add_people, browser, embedded_runtime, log_in

IVR_SAID = "Ваш звонок очень важен для нас, оставайтесь на линии."
CUSTOMER_SAID = "Алло, да, я по поводу доставки."


def _said(speaker: str, role: Role, text: str, start: float) -> Utterance:
    words = [
        Word(text=token, start=start + 0.3 * i, end=start + 0.3 * (i + 1), probability=0.9)
        for i, token in enumerate(text.split())
    ]
    return Utterance(speaker=speaker, role=role, start=start, end=words[-1].end, words=words)


def _recorded_as(runtime, call_id: str, **conversation: object) -> None:
    key = output_key(call_id, "result")
    result = CallResult.model_validate_json(runtime.storage.get_bytes(key))
    result = result.model_copy(update={"conversation": result.conversation.model_copy(update=conversation)})
    runtime.storage.put_bytes(key, result.model_dump_json().encode())


def test_the_call_page_marks_one_sided_recordings_and_an_ivr_menu(tmp_path: Path) -> None:
    runtime = embedded_runtime(tmp_path)
    people = add_people(runtime)
    one_sided = add_scored_call(runtime, rep_id=people.rep_a, team_id=people.team_a)
    _recorded_as(
        runtime,
        one_sided,
        roles={"speaker_2": Role.customer},
        non_speakers={"speaker_1": NonSpeaker.ivr},
        one_sided=True,
        utterances=[
            _said("speaker_1", Role.unknown, IVR_SAID, 0.0),
            _said("speaker_2", Role.customer, CUSTOMER_SAID, 5.0),
        ],
    )
    two_sided = add_scored_call(runtime, rep_id=people.rep_a, team_id=people.team_a)
    rep_alone = add_scored_call(runtime, rep_id=people.rep_a, team_id=people.team_a)
    _recorded_as(runtime, rep_alone, roles={"SPEAKER_00": Role.rep}, one_sided=True)

    client = browser(runtime)
    log_in(client, "rop-a")
    russian = client.get(f"/app/calls/{one_sided}").text
    assert "Записана только сторона клиента; пункты о менеджере не определены." in russian
    assert '<span class="who-said badge">Голосовое меню</span>' in russian
    assert "не учитываются в метриках речи и в оценке" in russian
    ivr_turn = russian.split('class="turn non-speaker"')[1].split("</li>")[0]
    assert "Ваш звонок очень важен для нас" in ivr_turn
    customer_turn = russian.split('class="turn customer"')[1].split("</li>")[0]
    assert "Клиент" in customer_turn and "по поводу доставки" in customer_turn

    ordinary = client.get(f"/app/calls/{two_sided}").text
    assert 'id="one-sided"' not in ordinary and "non-speaker" not in ordinary and 'id="non-speakers"' not in ordinary

    client = browser(runtime)
    log_in(client, "admin")
    english = client.get(f"/app/calls/{one_sided}").text
    assert "Only the customer&#39;s side was recorded; items about the rep are not determined." in english
    assert '<span class="who-said badge">IVR</span>' in english

    assert "Only the rep&#39;s side was recorded; items about the customer are not determined." in (
        client.get(f"/app/calls/{rep_alone}").text
    )
