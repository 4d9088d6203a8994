"""The analyze core on written sales-call dialogues (see test_analyze_dialogues.py), without and with an LLM."""

import re

import pytest

from models import (
    Analysis,
    Answer,
    CallInfo,
    CallScript,
    Conversation,
    DecisionSource,
    FieldProposal,
    FieldSchema,
    FieldSpec,
    ModelInfo,
    Role,
)
from scoring_scripts import default_script_for
from summarize.core import LLM_CONFIDENCE, analyze
from summarize.grounding import ground_quote
from summarize.llm.base import LLMError
from summarize.metrics import measure
from summarize.prompt import build_prompt, transcript_lines
from summarize.rules import decide_by_rules
from summarize.scorecard import build_scorecard
from tests.summarize.test_analyze_dialogues import dialogue, en_discovery_call, ru_discovery_call

FIELDS = FieldSchema(
    id="test_fields",
    version="1",
    title="Test fields",
    fields=[
        FieldSpec(name="pain", title="Pain", type="string", question="What problem does the customer have?"),
        FieldSpec(name="competitor", title="Competitor", type="string", question="Which competitor is mentioned?"),
        FieldSpec(
            name="stage", title="Stage", type="enum", allowed_values=["discovery", "demo"], question="Deal stage?"
        ),
    ],
)


def _all_text(conversation: Conversation) -> str:
    return "\n".join(u.text for u in conversation.utterances)


def _check_evidence(analysis: Analysis, conversation: Conversation) -> int:
    """Every quote is verbatim in one utterance, inside its times; returns how many quotes there are."""
    quotes = 0
    for item in analysis.scorecard.items:
        for evidence in item.evidence:
            if evidence.quote is None:
                assert evidence.metric and evidence.value is not None
                continue
            quotes += 1
            holders = [u for u in conversation.utterances if evidence.quote in u.text]
            assert holders, evidence.quote
            assert any(u.start <= evidence.start <= evidence.end <= u.end and u.role == evidence.role for u in holders)
    return quotes


@pytest.mark.parametrize("make", [ru_discovery_call, en_discovery_call], ids=["ru", "en"])
def test_rules_alone_decide_most_of_a_good_call_with_evidence(make) -> None:
    conversation = make()
    script = default_script_for(conversation.language)
    analysis = analyze(conversation, script, FIELDS, CallInfo(call_id="c1"), None)
    card = analysis.scorecard
    applicable = [i for i in card.items if i.answer != Answer.na]
    with_evidence = [i for i in applicable if i.answer in (Answer.yes, Answer.no) and i.evidence]
    assert len(with_evidence) / len(applicable) >= 0.4
    assert _check_evidence(analysis, conversation) >= 8
    assert card.decided_share >= 0.9
    assert card.percent is not None and card.percent >= 90 and not card.auto_failed
    assert analysis.dropped_claims == 0 and analysis.llm_model is None and analysis.proposals == []
    assert analysis.summary.source == "extractive" and analysis.summary.language == conversation.language
    for evidence in analysis.summary.evidence:
        assert evidence.quote in _all_text(conversation)
    objection = next(i for i in card.items if i.item_id == "objection_handled")
    assert objection.answer == Answer.yes and objection.evidence[0].role == Role.customer
    assert objection.evidence[0].start < objection.evidence[1].start


def test_scorecard_weights_na_and_section_totals() -> None:
    conversation = en_discovery_call()
    # Without the objection the objection item is N/A and leaves the maximum.
    lines = [u for u in conversation.utterances if "expensive" not in u.text]
    calm = conversation.model_copy(update={"utterances": lines})
    script = default_script_for("en")
    card = analyze(calm, script, FIELDS, CallInfo(), None).scorecard
    objection = next(i for i in card.items if i.item_id == "objection_handled")
    assert objection.answer == Answer.na and objection.source == DecisionSource.applicability
    assert objection.score is None
    decided = [i for i in card.items if i.answer in (Answer.yes, Answer.no)]
    assert card.max_score == sum(i.weight for i in decided)
    assert card.score == sum(i.score or 0 for i in card.items)
    assert card.score == sum(s.score for s in card.sections)
    assert card.max_score == sum(s.max_score for s in card.sections)
    assert card.percent == pytest.approx(round(100 * card.score / card.max_score, 1))
    applicable = [i for i in card.items if i.answer != Answer.na]
    assert card.decided_share == pytest.approx(round(len(decided) / len(applicable), 4))


def test_forbidden_phrase_fails_the_call() -> None:
    conversation = ru_discovery_call()
    rude = dialogue("ru", [(u.role, u.text) for u in conversation.utterances] + [(Role.rep, "Это ваши проблемы.")])
    card = analyze(rude, default_script_for("ru"), FIELDS, CallInfo(), None).scorecard
    polite = next(i for i in card.items if i.item_id == "polite_language")
    assert polite.answer == Answer.no and polite.evidence[0].quote == "Это ваши проблемы."
    assert card.auto_failed and card.percent == 0.0
    assert card.score > 0


def test_phrases_as_last_method_read_silence() -> None:
    script = CallScript.model_validate(
        {
            "id": "tiny",
            "version": "1",
            "title": "Tiny",
            "language": "en",
            "sections": [
                {
                    "id": "s",
                    "title": "S",
                    "items": [
                        {"id": "greet", "title": "Greet", "decide_by": ["phrases"], "phrases": {"en": ["hello"]}},
                        {
                            "id": "greet_llm",
                            "title": "Greet",
                            "decide_by": ["phrases", "llm"],
                            "phrases": {"en": ["hello"]},
                            "question": "Did the rep greet?",
                        },
                        {
                            "id": "ratio",
                            "title": "Ratio",
                            "decide_by": ["metric"],
                            "weight": 2,
                            "metric": {"metric": "rep.talk_ratio", "op": "<=", "value": 0.1},
                        },
                    ],
                }
            ],
        }
    )
    conversation = dialogue("en", [(Role.rep, "Thanks for calling."), (Role.customer, "Sure.")])
    decisions = decide_by_rules(conversation, script, measure(conversation))
    greet, greet_llm, ratio = decisions
    assert greet.result.answer == Answer.no and not greet.asks_llm
    assert greet_llm.result.answer == Answer.not_determined and greet_llm.asks_llm
    assert ratio.result.answer == Answer.no and ratio.result.evidence[0].metric == "rep.talk_ratio"
    card = build_scorecard(script, [d.result for d in decisions])
    assert (card.score, card.max_score, card.percent, card.decided_share) == (
        0.0,
        3.0,
        0.0,
        pytest.approx(2 / 3, abs=1e-3),
    )


def test_ground_quote_is_tolerant_but_verbatim() -> None:
    conversation = ru_discovery_call()
    evidence = ground_quote(conversation, "[01:01] МЕНЕДЖЕР: давайте назначем демонстрацию с сергеем петровичем")
    assert evidence is not None
    assert evidence.quote == "Давайте назначим демонстрацию с Сергеем Петровичем"
    assert evidence.role == Role.rep and evidence.start is not None and evidence.end > evidence.start
    assert ground_quote(conversation, "клиент готов подписать договор на миллион") is None
    assert ground_quote(conversation, "Давайте назначим демонстрацию", role=Role.customer) is None
    assert ground_quote(conversation, "да") is None


def test_prompt_carries_open_items_fields_and_schema() -> None:
    conversation = en_discovery_call()
    script = default_script_for("en")
    items = [i for i in script.items() if i.id in {"introduction", "objection_handled"}]
    prompt = build_prompt(conversation, items, FIELDS.fields, language="en", max_chars=400)
    assert "CUSTOMER:" in prompt.user and "[00:00] REP: Hi Mark" in prompt.user
    assert "left out" in prompt.user and "Thanks, bye." in prompt.user
    schema_items = prompt.schema["properties"]["items"]["properties"]
    assert schema_items["objection_handled"]["properties"]["answer"]["enum"] == ["yes", "no", "n/a", "not_determined"]
    assert "n/a" not in schema_items["introduction"]["properties"]["answer"]["enum"]
    stage = prompt.schema["properties"]["fields"]["properties"]["stage"]["properties"]["value"]
    assert stage["anyOf"][0]["enum"] == ["discovery", "demo"]
    lines = transcript_lines(conversation, "en", 400)
    assert sum(len(line) + 1 for line in lines) <= 400
    ru = build_prompt(ru_discovery_call(), items, [], language="ru")
    assert "МЕНЕДЖЕР:" in ru.user and re.search(r"[а-я]", ru.system)


class FixedAnswerLLM:
    """A test double of the LLM backend (not a model): returns one prepared answer, to exercise grounding and merging.

    It records the request so the test can check what was asked.
    """

    info = ModelInfo(stage="analyze", name="fixed-answer", version="1")
    max_prompt_tokens = 100_000

    def __init__(self, answer: dict | None) -> None:
        self.answer = answer
        self.requests: list[tuple[str, str, dict]] = []

    def count_tokens(self, system: str, user: str) -> int:
        return len(system) + len(user)

    def generate_json(self, system: str, user: str, schema: dict, *, max_tokens: int = 512) -> dict:
        self.requests.append((system, user, schema))
        if self.answer is None:
            raise LLMError("the model produced no valid JSON")
        return self.answer


def test_llm_answers_are_grounded_or_dropped() -> None:
    conversation = en_discovery_call()
    # Make two items open for the LLM: drop the lines the rules would use.
    lines = [(u.role, u.text) for u in conversation.utterances if "Emma" not in u.text and "recap" not in u.text]
    lines.insert(0, (Role.rep, "Hello, Emma speaking, I work at Brightline. Is now a good time?"))
    call = dialogue("en", lines)
    llm = FixedAnswerLLM(
        {
            "summary": {
                "text": "Emma qualified the customer's lead-tracking need.",
                "key_points": ["Demo Thursday"],
                "next_step": "Demo for Laura on Thursday",
            },
            "items": {
                "introduction": {"answer": "yes", "quote": "emma speaking i work at brightline"},
                "call_summary": {"answer": "yes", "quote": "So to recap, we agreed on a discount"},
            },
            "fields": {
                "pain": {"value": "Leads get lost", "quote": "we lose track of some of them every week"},
                "competitor": {"value": "Acme", "quote": "we already use Acme"},
                "stage": {"value": "demo", "quote": None},
            },
        }
    )
    rule = FieldProposal(field="competitor", value="Salesforce", confidence=0.9, source="rule")
    analysis = analyze(call, default_script_for("en"), FIELDS, CallInfo(), llm, rule_proposals=[rule])
    _system, _user, schema = llm.requests[0]
    # The introduction without "my name is" is read from the rep's first words by rules, so it is not asked.
    assert set(schema["properties"]["items"]["properties"]) == {"call_summary"}
    assert set(schema["properties"]["fields"]["properties"]) == {"pain", "stage"}  # competitor came from a rule

    items = {i.item_id: i for i in analysis.scorecard.items}
    assert items["introduction"].answer == Answer.yes and items["introduction"].source == DecisionSource.rule
    assert "Emma speaking, I work at Brightline." in items["introduction"].evidence[0].quote
    # Its quote is not in the call, so the script's fallback decides: nothing close to a recap was said.
    summary = items["call_summary"]
    assert summary.answer == Answer.no and summary.source == DecisionSource.rule
    assert [p.field for p in analysis.proposals] == ["competitor", "pain"]
    pain = analysis.proposals[1]
    assert pain.source == "llm" and pain.confidence == LLM_CONFIDENCE and pain.value == "Leads get lost"
    assert pain.evidence[0].quote in _all_text(call) and pain.evidence[0].role == Role.customer
    assert analysis.dropped_claims == 2  # call_summary's invented quote, stage without a quote
    assert analysis.summary.source == "llm" and analysis.summary.next_step == "Demo for Laura on Thursday"
    assert analysis.llm_model == llm.info
    _check_evidence(analysis, call)


def test_llm_failure_leaves_rules_and_an_extractive_summary() -> None:
    conversation = ru_discovery_call()
    llm = FixedAnswerLLM(None)
    analysis = analyze(conversation, default_script_for("ru"), FIELDS, CallInfo(), llm, summary_language="ru")
    without = analyze(conversation, default_script_for("ru"), FIELDS, CallInfo(), None)
    assert len(llm.requests) == 1
    assert analysis.summary.source == "extractive"
    assert analysis.scorecard == without.scorecard
    assert analysis.proposals == [] and analysis.dropped_claims == 0


def test_a_summary_too_short_to_say_anything_falls_back_to_the_card() -> None:
    conversation = ru_discovery_call()
    llm = FixedAnswerLLM({"summary": {"text": "1000 words", "key_points": []}, "items": {}, "fields": {}})
    analysis = analyze(conversation, default_script_for("ru"), FIELDS, CallInfo(), llm)
    summary = analysis.summary
    assert summary.source == "extractive" and summary.llm_rejected_reason == "too_short: fewer than 5 words"
    assert summary.card is not None and summary.key_points == [
        f"{line.label}: {line.text}" for line in summary.card.lines
    ]
