"""A stored call (tests/support/stored_calls.py) with what the call page shows: turns said in the test's words over the
real test recording, and a scorecard of the built-in Russian script whose items quote those turns."""

from datetime import datetime

from sqlalchemy import update

from models import Answer, CallDirection, CallInfo, CallResult, DecisionSource, Evidence, Role, Utterance, Word
from pipeline.db import CallResultRow
from pipeline.runtime import Runtime
from pipeline.stages import output_key
from scoring_scripts.loader import builtin_script
from summarize.scorecard import build_scorecard, item_result
from tests.support.stored_calls import add_call

CUSTOMER_NUMBER = "+79161234567"
REP_OPENING = "Здравствуйте, компания Ромашка, меня зовут Анна."
BUDGET_QUESTION = "Какой бюджет вы планируете?"
BUDGET_QUOTE_START = 2.2
# The budget item quotes the rep's question; the greeting item quotes the opening.
ANSWERS = {
    "greeting": Answer.yes,
    "introduction": Answer.yes,
    "budget": Answer.yes,
    "polite_language": Answer.yes,
    "objection_handled": Answer.na,
}


def _utterance(speaker: str, role: Role, text: str, start: float, end: float) -> Utterance:
    tokens = text.split()
    step = (end - start) / len(tokens)
    words = [
        Word(text=token, start=round(start + i * step, 2), end=round(start + (i + 1) * step, 2), probability=0.9)
        for i, token in enumerate(tokens)
    ]
    return Utterance(speaker=speaker, role=role, start=start, end=end, words=words)


def add_scored_call(
    runtime: Runtime,
    *,
    rep_id: int | None,
    team_id: int | None,
    customer_said: str = "Да, удобно, слушаю вас.",
    created_at: datetime | None = None,
) -> str:
    """A finished call: the rep opens (0-1 s), the customer answers (1.1-2.1 s), the rep asks about the budget
    (2.2-3.1 s); the scorecard answers greeting, introduction, budget and politeness yes, objection N/A, the rest no."""
    info = CallInfo(direction=CallDirection.inbound, from_number=CUSTOMER_NUMBER, rep_name="Анна", team="Team A")
    call_id = add_call(runtime, rep_id=rep_id, team_id=team_id, created_at=created_at, info=info)
    key = output_key(call_id, "result")
    result = CallResult.model_validate_json(runtime.storage.get_bytes(key))
    utterances = [
        _utterance("SPEAKER_00", Role.rep, REP_OPENING, 0.0, 1.0),
        _utterance("SPEAKER_01", Role.customer, customer_said, 1.1, 2.1),
        _utterance("SPEAKER_00", Role.rep, BUDGET_QUESTION, BUDGET_QUOTE_START, 3.1),
    ]
    words = [word for utterance in utterances for word in utterance.words]
    quotes = {
        "greeting": Evidence(quote="Здравствуйте", start=0.0, end=0.5, role=Role.rep),
        "budget": Evidence(quote=BUDGET_QUESTION, start=BUDGET_QUOTE_START, end=3.1, role=Role.rep),
    }
    script = builtin_script("ru_b2b_discovery")
    items = [
        item_result(
            item,
            section.id,
            ANSWERS.get(item.id, Answer.no),
            DecisionSource.phrases,
            [quotes[item.id]] if item.id in quotes else [],
        )
        for section in script.sections
        for item in section.items
    ]
    scorecard = build_scorecard(script, items)
    analysis = result.analysis.model_copy(update={"scorecard": scorecard})
    result = result.model_copy(
        update={
            "transcript": result.transcript.model_copy(update={"words": words, "duration_s": 3.2}),
            "conversation": result.conversation.model_copy(update={"utterances": utterances, "duration_s": 3.2}),
            "analysis": analysis,
            "provenance": result.provenance.model_copy(
                update={"script_id": script.id, "script_version": script.version}
            ),
        }
    )
    runtime.storage.put_bytes(key, result.model_dump_json().encode())
    runtime.storage.put_bytes(output_key(call_id, "analysis"), analysis.model_dump_json().encode())
    with runtime.db.session() as session:
        session.execute(
            update(CallResultRow)
            .where(CallResultRow.call_id == call_id)
            .values(
                script_id=script.id,
                script_version=script.version,
                score_percent=scorecard.percent,
                auto_failed=scorecard.auto_failed,
                duration_s=3.2,
            )
        )
    return call_id
