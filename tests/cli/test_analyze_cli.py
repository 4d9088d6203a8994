"""`callintel analyze` as a person runs it on transcripts made elsewhere: both file forms, roles from speaker labels,
one clear error line naming the file and line for each bad file while the good ones are still analysed."""

import json
from pathlib import Path

from models import Answer, Role, TranscriptAnalysis
from tests.cli.test_cli import error_lines, run

RUSSIAN_LINES = """# экспорт чата
менеджер: Добрый день, Андрей! Меня зовут Ольга, компания «Звонкий». Вам удобно сейчас говорить?
клиент: Да, пару минут есть.
rep: Какой бюджет вы закладываете на такую систему?
customer: Думаю, тысяч сто пятьдесят в год, не больше. Мой телефон +7 916 123-45-67.
"""
ENGLISH_SPEAKERS = {
    "language": "en",
    "utterances": [
        {"speaker": "B", "text": "Hello?", "start": 0.0, "end": 0.6},
        {
            "speaker": "A",
            "text": "Hi, this is Anna from PeopleFlow. Is now a good time to talk?",
            "start": 1.0,
            "end": 4.5,
        },
        {"speaker": "B", "text": "Sure, I have a few minutes.", "start": 5.0, "end": 6.8},
    ],
}


def test_both_forms_give_the_same_analysis_a_recording_would(tmp_path: Path) -> None:
    lines = tmp_path / "chat.txt"
    lines.write_text(RUSSIAN_LINES, encoding="utf-8")
    speakers = tmp_path / "pbx.json"
    speakers.write_text(json.dumps(ENGLISH_SPEAKERS), encoding="utf-8")
    done = run(["analyze", str(lines), str(speakers), "--json"], tmp_path, CALLINTEL_LLM_BACKEND="none")
    assert done.returncode == 0, done.stderr
    russian, english = (TranscriptAnalysis.model_validate(raw) for raw in json.loads(done.stdout))

    assert russian.conversation.language == "ru" and russian.provenance.script_id == "ru_b2b_discovery"
    assert [u.role for u in russian.conversation.utterances] == [Role.rep, Role.customer, Role.rep, Role.customer]
    answers = {item.item_id: item.answer for item in russian.analysis.scorecard.items}
    assert answers["greeting"] is Answer.yes and answers["budget"] is Answer.yes
    assert "[PHONE]" in russian.conversation.utterances[-1].text, "what is printed is redacted like a call"

    assert english.provenance.script_id == "en_b2b_discovery"
    assert english.conversation.roles == {"A": Role.rep, "B": Role.customer}
    assert "rep cue phrases" in english.conversation.role_rule
    assert english.conversation.utterances[1].start == 1.0


def test_a_bad_file_names_its_line_and_the_rest_are_analysed(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(RUSSIAN_LINES, encoding="utf-8")
    unlabelled = tmp_path / "unlabelled.txt"
    unlabelled.write_text("rep: добрый день\nну как бы да\n", encoding="utf-8")
    backwards = tmp_path / "backwards.json"
    backwards.write_text(json.dumps([{"role": "agent", "text": "hello", "start": 5, "end": 2}]), encoding="utf-8")
    not_json = tmp_path / "broken.json"
    not_json.write_text('[{"role": "rep", "text": "hi"', encoding="utf-8")
    files = [good, unlabelled, backwards, not_json, tmp_path / "missing.txt"]
    done = run(["analyze", *map(str, files), "--json"], tmp_path, CALLINTEL_LLM_BACKEND="none")
    assert done.returncode == 1
    assert error_lines(done.stderr) == [
        f"error: {unlabelled}: line 2: expected 'rep: …' or 'customer: …' (or agent, client, менеджер, клиент), "
        "got 'ну как бы да'",
        f"error: {backwards}: utterance 1: ends (2) before it starts (5)",
        f"error: {not_json}: not valid JSON: line 1, column 30: Expecting ',' delimiter",
        f"error: {tmp_path / 'missing.txt'}: file not found",
    ]
    assert [r["source"] for r in json.loads(done.stdout)] == [str(good)]


def test_the_readable_report_and_a_bad_option(tmp_path: Path) -> None:
    transcript = tmp_path / "call.txt"
    transcript.write_text(RUSSIAN_LINES, encoding="utf-8")
    done = run(["analyze", str(transcript)], tmp_path, CALLINTEL_LLM_BACKEND="none")
    assert done.returncode == 0, done.stderr
    assert "Scorecard: ru_b2b_discovery" in done.stdout and "Proposed CRM fields" in done.stdout
    refused = run(["analyze", str(transcript), "--script", str(tmp_path / "none.yaml")], tmp_path)
    assert refused.returncode == 2 and len(error_lines(refused.stderr)) == 1
