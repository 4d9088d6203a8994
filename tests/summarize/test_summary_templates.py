"""Note templates: loading them, filling them with and without an LLM, and long calls read in parts.

The LLM double below is a test double of the backend (not a model): it hands back prepared answers, one per
request, so grounding and the merge of a long call's parts can be checked exactly. One test runs the real starter
model with a context forced small enough that a written call is read in two parts.
"""

from pathlib import Path

import pytest

from crm_fill.schema import builtin_field_schema
from models import CallInfo, CallScript, Conversation, FieldSchema, ModelInfo, Role, Summary
from pipeline.llm_models import STARTER_LLM, starter_llm_dir
from scoring_scripts import default_script_for
from summarize.chunks import PART_BATCH, ask_in_parts, split_conversation
from summarize.core import analyze
from summarize.field_rules import extract_fields
from summarize.llm.base import LLMError
from summarize.llm.openai_backend import OpenAICompatibleBackend
from summarize.prompt import build_prompt
from summarize.sections import section_requests
from summarize.templates import TemplateError, builtin_templates, parse_template, resolve_template
from tests.summarize.test_analyze_dialogues import EN_DISCOVERY_LINES, dialogue, en_discovery_call, ru_discovery_call

# The default schema's fields that rules alone fill: the LLM is asked only script items and template sections.
NO_FIELDS = builtin_field_schema().model_copy(
    update={"fields": [spec for spec in builtin_field_schema().fields if not spec.question]}
)
CACHE_DIR = Path(__file__).resolve().parents[2] / ".cache" / "models"


class PreparedAnswersLLM:
    """Answers request n with the n-th prepared answer (an `LLMError` for None) and records every request."""

    info = ModelInfo(stage="analyze", name="prepared-answers", version="1")

    def __init__(self, answers: list[dict | None], max_prompt_tokens: int = 100_000) -> None:
        self.answers = answers
        self.max_prompt_tokens = max_prompt_tokens
        self.requests: list[tuple[str, str, dict]] = []
        # The OpenAI-compatible client's own estimate: the counter a deployment with a remote server uses.
        self._counter = OpenAICompatibleBackend("http://127.0.0.1:9/v1", "counter")

    def count_tokens(self, system: str, user: str) -> int:
        return self._counter.count_tokens(system, user)

    def generate_json(self, system: str, user: str, schema: dict, *, max_tokens: int = 512) -> dict:
        self.requests.append((system, user, schema))
        answer = self.answers[len(self.requests) - 1]
        if answer is None:
            raise LLMError("the model produced no valid JSON")
        return answer


def _text(conversation: Conversation) -> str:
    return "\n".join(u.text for u in conversation.utterances)


def _assert_grounded(summary: Summary, conversation: Conversation) -> None:
    for section in summary.sections:
        assert (section.text is None) == (section.source is None) == (not section.evidence), section
        for evidence in section.evidence:
            holders = [u for u in conversation.utterances if evidence.quote and evidence.quote in u.text]
            assert holders and evidence.role == holders[0].role, evidence


# --- the format and its loader


def test_bundled_templates_load_in_both_languages() -> None:
    assert {"discovery", "follow_up"} <= set(builtin_templates())
    discovery = resolve_template("discovery")
    assert [s.id for s in discovery.sections] == [
        "situation",
        "needs",
        "budget",
        "decision_process",
        "objections",
        "next_step",
    ]
    assert discovery.languages == ["ru", "en"]
    assert discovery.sections[2].title == {"ru": "Бюджет", "en": "Budget"}
    assert resolve_template("none") is None and resolve_template(None) is None
    assert len(resolve_template("follow_up").sections) == 3


GOOD = """
id: demo
version: "2"
languages: [en]
title: {en: Demo call}
sections:
  - id: reaction
    title: {en: Reaction}
    instruction: {en: How the customer reacted to the demo.}
"""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("id: demo\nversion: [1\n", "team.yaml: YAML syntax error at line 3, column 1"),
        ("- just a list\n", "team.yaml: a note template must be a mapping"),
        (GOOD.replace('version: "2"\n', ""), "team.yaml: version: is required"),
        (GOOD.replace("languages: [en]", "languages: [en, de]"), "'de' is not supported"),
        (GOOD.replace("languages: [en]", "languages: [en, ru]"), "title has no 'ru' text"),
        (GOOD.replace("    instruction: {en: How the customer reacted to the demo.}\n", ""), "sections[0] (reaction)"),
        (
            GOOD + "    phrase: {en: [demo]}\n",
            "sections[0] (reaction).phrase: is not a known key (see summarize/README.md)",
        ),
        ("owner: sales\n" + GOOD, "team.yaml: owner: is not a known key"),
        (GOOD.replace("id: reaction", "id: Reaction!"), "sections[0] (Reaction!).id"),
        (GOOD + GOOD[GOOD.index("  - id") :], "section id 'reaction' appears twice"),
    ],
)
def test_loader_errors_name_the_file_and_the_problem(text: str, problem: str) -> None:
    with pytest.raises(TemplateError) as error:
        parse_template(text, "team.yaml")
    assert str(error.value).startswith("team.yaml: ") and problem in str(error.value)


def test_unknown_names_and_unreadable_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"no bundled note template named 'discovry'.*discovery, follow_up"):
        resolve_template("discovry")
    missing = tmp_path / "missing.yaml"
    with pytest.raises(TemplateError, match=f"{missing}: cannot read the note template"):
        resolve_template(str(missing))
    own = tmp_path / "demo.yaml"
    own.write_text(GOOD, encoding="utf-8")
    assert resolve_template(str(own)).sections[0].instruction["en"] == "How the customer reacted to the demo."


# --- filling without an LLM


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (
            ru_discovery_call,
            {
                "budget": "Примерно триста тысяч рублей в год.",
                "decision_process": "Решение принимает директор",
                "objections": "Звучит интересно, но дорого, наверное.",
                "next_step": "Давайте назначим демонстрацию",
                "situation": "Заявки приходят в почту",
            },
        ),
        (
            en_discovery_call,
            {
                "budget": "Around twenty thousand dollars for the year.",
                "decision_process": "Our VP of sales, Laura, signs off",
                "objections": "it's probably too expensive for us.",
                "next_step": "Let's schedule a demo with Laura",
                "situation": "Leads land in a shared inbox",
            },
        ),
    ],
    ids=["ru", "en"],
)
def test_extractive_fill_quotes_the_call_in_its_language(make, expected: dict[str, str]) -> None:
    conversation = make()
    fields = builtin_field_schema()
    rules = extract_fields(conversation, fields, conversation.language)
    template = resolve_template("discovery")
    analysis = analyze(
        conversation, default_script_for(conversation.language), fields, CallInfo(), None,
        rule_proposals=rules, template=template,
    )  # fmt: skip
    summary = analysis.summary
    assert (summary.template_id, summary.template_version, summary.chunks) == ("discovery", "1.0", 1)
    sections = {s.id: s for s in summary.sections}
    assert list(sections) == [s.id for s in template.sections]
    for section_id, words in expected.items():
        assert sections[section_id].source == "extractive" and words in sections[section_id].text
    assert sections["budget"].title == ("Бюджет" if conversation.language == "ru" else "Budget")
    assert sections["budget"].evidence[0].role == Role.customer
    _assert_grounded(summary, conversation)


def test_a_section_nobody_discussed_stays_empty_and_titles_follow_the_summary_language() -> None:
    conversation = ru_discovery_call()
    analysis = analyze(
        conversation, default_script_for("ru"), NO_FIELDS, CallInfo(), None,
        summary_language="en", template=resolve_template("follow_up"),
    )  # fmt: skip
    progress = analysis.summary.sections[0]
    assert progress.id == "progress" and progress.title == "Progress since last call"
    assert progress.text is None and progress.source is None and not progress.evidence
    assert analysis.summary.sections[2].text.startswith("Давайте назначим демонстрацию")  # the call's own words


# --- filling with an LLM


def test_the_sections_join_the_one_constrained_request_and_are_grounded() -> None:
    conversation = en_discovery_call()
    template = resolve_template("discovery")
    prompt = build_prompt(conversation, [], [], language="en", sections=section_requests(template, "en"))
    sections_schema = prompt.schema["properties"]["sections"]
    assert "sections" in prompt.schema["required"]
    assert sections_schema["required"] == [s.id for s in template.sections]
    assert sections_schema["properties"]["budget"]["required"] == ["text", "quote"]
    assert "- decision_process: Who makes the decision" in prompt.user
    assert "sections" not in build_prompt(conversation, [], [], language="en").schema["properties"]
    ru = build_prompt(ru_discovery_call(), [], [], language="ru", sections=section_requests(template, "ru"))
    assert "- budget: Какой бюджет назвал клиент" in ru.user

    llm = PreparedAnswersLLM(
        [
            {
                "summary": {
                    "text": "Mark's team loses leads; Emma booked a demo.",
                    "key_points": [],
                    "next_step": None,
                },
                "items": {},
                "fields": {},
                "sections": {
                    "situation": {"text": "A shared inbox and a spreadsheet.", "quote": "Leads land in a shared inbox"},
                    "needs": {"text": "Stop losing leads.", "quote": "we lose track of leads daily"},
                    "budget": {"text": "About $20k a year.", "quote": None},
                    "decision_process": {"text": None, "quote": None},
                    "objections": {"text": "Price.", "quote": "probably too expensive for us"},
                    "next_step": {"text": None, "quote": None},
                },
            }
        ]
    )
    analysis = analyze(conversation, default_script_for("en"), NO_FIELDS, CallInfo(), llm, template=template)
    assert len(llm.requests) == 1 and set(llm.requests[0][2]["properties"]["sections"]["properties"]) == {
        s.id for s in template.sections
    }
    sections = {s.id: s for s in analysis.summary.sections}
    assert sections["situation"].source == "llm" and sections["situation"].text == "A shared inbox and a spreadsheet."
    assert sections["situation"].evidence[0].quote == "Leads land in a shared inbox"
    assert sections["objections"].source == "llm"
    # An invented quote and a missing one are dropped and counted; the rules' fill stands in.
    assert sections["needs"].source == "extractive" and sections["budget"].source == "extractive"
    assert analysis.dropped_claims == 2
    assert sections["next_step"].source == "extractive"
    _assert_grounded(analysis.summary, conversation)


# --- long calls


def _long_call(times: int) -> Conversation:
    return dialogue("en", EN_DISCOVERY_LINES * times)


def test_parts_respect_both_budgets_and_cover_the_call_once() -> None:
    conversation = _long_call(3)
    template = resolve_template("discovery")
    llm = PreparedAnswersLLM([{"summary": {}, "items": {}, "fields": {}}] * 20, max_prompt_tokens=700)

    def prompt_for(part: Conversation, index: tuple[int, int] | None):
        return build_prompt(part, [], [], language="en", sections=section_requests(template, "en"), part=index)

    asked = ask_in_parts(llm, conversation, prompt_for, language="en", max_chars=1500, max_tokens=256)
    assert asked.parts == len(llm.requests) > 2
    for _system, user, _schema in llm.requests:
        assert llm.count_tokens(_system, user) <= 700
        transcript = user.split("Call transcript:\n", 1)[1].split("\n\n", 1)[0]
        assert len(transcript) <= 1500 and "[... middle of the call left out ...]" not in transcript
    said = [line.split(": ", 1)[1] for _s, user, _ in llm.requests for line in user.splitlines() if line[:1] == "["]
    assert said == [u.text for u in conversation.utterances]
    assert llm.requests[0][1].startswith(f"This is part 1 of {asked.parts}")

    # A call that fits is one request with no part header.
    short = PreparedAnswersLLM([{"summary": {}, "items": {}, "fields": {}}])
    assert (
        ask_in_parts(short, en_discovery_call(), prompt_for, language="en", max_chars=6000, max_tokens=256).parts == 1
    )
    assert short.requests[0][1].startswith("Call transcript:")


class PreparedBatchesLLM(PreparedAnswersLLM):
    """The same double, offering batches as the transformers backend does; records each batch's size."""

    def __init__(self, answers: list[dict | None], max_prompt_tokens: int) -> None:
        super().__init__(answers, max_prompt_tokens)
        self.batches: list[int] = []

    def generate_json_batch(self, prompts, schema, *, max_tokens=512):
        self.batches.append(len(prompts))
        replies = []
        for system, user in prompts:
            try:
                replies.append(self.generate_json(system, user, schema, max_tokens=max_tokens))
            except LLMError as exc:
                replies.append(exc)
        return replies


def test_a_batching_backend_gets_the_parts_together_and_a_failed_part_is_left_out() -> None:
    conversation = _long_call(4)
    template = resolve_template("discovery")
    answer = {"summary": {"text": "A call.", "key_points": [], "next_step": None}, "items": {}, "fields": {}}
    llm = PreparedBatchesLLM([answer, None, *[answer] * 20], max_prompt_tokens=700)

    def prompt_for(part: Conversation, index: tuple[int, int] | None):
        return build_prompt(part, [], [], language="en", sections=section_requests(template, "en"), part=index)

    asked = ask_in_parts(llm, conversation, prompt_for, language="en", max_chars=1500, max_tokens=256)
    assert asked.parts > PART_BATCH
    assert sum(llm.batches) == asked.parts and all(size <= PART_BATCH for size in llm.batches)
    assert llm.batches[0] == PART_BATCH
    assert asked.answer is not None and asked.answer["summary"]["text"].count("A call.") == asked.parts - 1


def test_an_utterance_longer_than_any_prompt_is_cut_between_words() -> None:
    monologue = " ".join(f"word{i}" for i in range(300))
    conversation = dialogue("en", [(Role.rep, "Hello there."), (Role.customer, monologue), (Role.rep, "Thanks, bye.")])
    parts = split_conversation(conversation, lambda part: sum(len(u.text) for u in part.utterances) <= 400)
    assert len(parts) > 3 and all(sum(len(u.text) for u in p.utterances) <= 400 for p in parts)
    words = [w.text for p in parts for u in p.utterances for w in u.words]
    assert words == [w.text for u in conversation.utterances for w in u.words]


def test_answers_of_the_parts_merge_into_one_grounded_result() -> None:
    conversation = _long_call(2)
    template = resolve_template("discovery")
    script = default_script_for("en")
    first = {
        "summary": {"text": "Emma qualified Mark's lead problem.", "key_points": ["Leads lost"], "next_step": None},
        "items": {},
        "fields": {"pain": {"value": "Losing leads", "quote": "we lose track of some of them every week"}},
        "sections": {
            "budget": {"text": "Twenty thousand dollars a year.", "quote": "Around twenty thousand dollars"},
            "objections": {"text": None, "quote": None},
        },
    }
    second = {
        "summary": {"text": "A demo for Laura is set for Thursday.", "key_points": [], "next_step": "Demo Thursday"},
        "items": {},
        "fields": {"pain": {"value": "Spreadsheets", "quote": "an invented sentence nobody said"}},
        "sections": {
            "budget": {
                "text": "Twenty thousand dollars a year.",
                "quote": "around twenty thousand dollars for the year",
            },
            "objections": {"text": "Price seemed high.", "quote": "it's probably too expensive for us"},
        },
    }
    fields = FieldSchema(
        id="f",
        version="1",
        title="F",
        fields=[{"name": "pain", "title": "Pain", "type": "string", "question": "Pain?"}],
    )
    llm = PreparedAnswersLLM([first, None, second])
    analysis = analyze(
        conversation, script, fields, CallInfo(), llm, template=template, max_prompt_chars=1000,
    )  # fmt: skip
    summary = analysis.summary
    assert summary.chunks == len(llm.requests) == 3  # the second part's request failed and is left out
    assert summary.source == "llm"
    assert summary.text == "Emma qualified Mark's lead problem. A demo for Laura is set for Thursday."
    assert summary.next_step == "Demo Thursday" and summary.key_points == ["Leads lost"]
    sections = {s.id: s for s in summary.sections}
    assert sections["budget"].text == "Twenty thousand dollars a year." and len(sections["budget"].evidence) == 1
    assert sections["objections"].source == "llm" and sections["objections"].text == "Price seemed high."
    assert [(p.field, p.value) for p in analysis.proposals] == [("pain", "Losing leads")]
    _assert_grounded(summary, conversation)


def test_the_starter_model_reads_a_call_in_parts(caplog: pytest.LogCaptureFixture) -> None:
    """The real model's tokenizer sets the parts, and the backend takes every part's prompt.

    The answer budget is kept small so the test stays short on a CPU: a reply cut at it falls back to the rules,
    which is checked too. With no open script items the request is the summary and the template's sections.
    """
    from summarize.llm.transformers_backend import TransformersBackend

    conversation = en_discovery_call()
    script = CallScript(
        id="greeting_only", version="1", title="Greeting", language="en",
        sections=[{"id": "s", "title": "S", "items": [
            {"id": "greeting", "title": "Greeted", "decide_by": ["phrases"], "phrases": {"en": ["hi"]}}
        ]}],
    )  # fmt: skip
    llm = TransformersBackend(starter_llm_dir(CACHE_DIR), device="cpu", name=STARTER_LLM)
    template = resolve_template("follow_up")
    requests = section_requests(template, "en")
    whole = build_prompt(conversation, [], [], language="en", sections=requests)
    empty = build_prompt(
        conversation.model_copy(update={"utterances": []}), [], [], language="en", sections=requests, part=(999, 999)
    )
    overhead, full = llm.count_tokens(empty.system, empty.user), llm.count_tokens(whole.system, whole.user)
    # Room for a little over half of the transcript: the call must be read in two parts.
    llm.max_input_tokens = overhead + (full - overhead) * 3 // 5
    analysis = analyze(conversation, script, NO_FIELDS, CallInfo(), llm, template=template, max_tokens=160)
    summary = analysis.summary
    assert summary.chunks == 2 and summary.template_id == "follow_up"
    assert not [r for r in caplog.records if "over this backend's limit" in r.getMessage()]
    assert [s.id for s in summary.sections] == ["progress", "open_questions", "next_step"]
    assert summary.sections[2].text is not None  # the rules find the demo even when the model does not
    _assert_grounded(summary, conversation)


def test_the_context_setting_sets_the_prompt_budget_and_the_template_enters_the_config_hash() -> None:
    from pipeline.engines import Engines
    from pipeline.settings import Settings

    remote = {"llm_backend": "openai", "llm_base_url": "http://127.0.0.1:9/v1", "llm_max_tokens": 1024}
    llm = Engines(Settings(**remote, llm_context_tokens=4096)).llm
    assert llm.max_prompt_tokens == 3072
    assert llm.count_tokens("a" * 300, "б" * 300) >= 200  # errs long: 3 characters a token at most
    with pytest.raises(ValueError, match="CALLINTEL_LLM_CONTEXT_TOKENS=1200 leaves no room"):
        Engines(Settings(**remote, llm_context_tokens=1200)).llm  # noqa: B018 - building it is the check
    assert Settings(summary_template="discovery").config_hash() != Settings().config_hash()


def test_a_team_chooses_its_template_and_a_call_may_choose_another(tmp_path: Path) -> None:
    from pipeline.call_setup import load_call
    from pipeline.db import Call
    from pipeline.directory import DirectoryError, save_team
    from tests.support.stored_calls import add_call
    from tests.support.web_users import embedded_runtime

    runtime = embedded_runtime(tmp_path)
    with runtime.db.session() as session:
        team, _ = save_team(session, "SMB", summary_template="discovery")
        with pytest.raises(DirectoryError, match="no bundled note template named 'nosuch'"):
            save_team(session, "SMB", summary_template="nosuch")
    team_call = add_call(runtime, team_id=team.id)
    own_choice = add_call(runtime, team_id=team.id)
    no_team = add_call(runtime)
    with runtime.db.session() as session:
        session.get(Call, own_choice).options = {"template": "follow_up"}
    with runtime.db.session() as session:
        chosen = {
            call: load_call(session, session.get(Call, call), runtime.settings).summary_template
            for call in (team_call, own_choice, no_team)
        }
    assert chosen == {team_call: "discovery", own_choice: "follow_up", no_team: None}
