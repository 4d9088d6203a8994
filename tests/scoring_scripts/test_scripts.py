from pathlib import Path

import pytest

from models import Answer, CallScript, DecisionSource, Method, Role
from scoring_scripts import BUILTIN_SCRIPTS, ScriptError, builtin_script, default_script_for, load_script
from summarize.metrics import measure
from summarize.rules import decide_by_rules
from tests.summarize.test_analyze_dialogues import dialogue

VALID_ITEM = """      - id: greeting
        title: Greeted
        decide_by: [phrases]
        phrases: {en: [hello]}
"""


def _script(items: str = VALID_ITEM) -> str:
    return f"""id: team
version: "1.0"
title: Team script
language: en
sections:
  - id: contact
    title: Contact
    items:
{items}"""


@pytest.mark.parametrize("name", BUILTIN_SCRIPTS)
def test_builtin_scripts_load_and_cover_every_method(name: str) -> None:
    script = builtin_script(name)
    assert script.version == "1.4"
    items = script.items()
    assert len(items) >= 14
    assert {m for item in items for m in item.decide_by} == set(Method)
    for item in items:
        if Method.phrases in item.decide_by:
            assert item.phrases.get(script.language) or item.no_phrases.get(script.language), item.id
        if Method.metric not in item.decide_by:
            assert item.question or item.decide_by == [Method.phrases], item.id
    assert any(item.auto_fail for item in items)
    assert any(item.applies_if.get(script.language) for item in items)
    # Without an LLM (or without its usable answer) a step whose phrases were not heard is read by its meaning,
    # never as not done by silence alone; a step read from the dialogue is read so before the LLM is asked.
    asked = [item for item in items if Method.llm in item.decide_by]
    assert asked and all(
        item.decide_by
        == ([Method.meaning, Method.llm] if item.dialogue else [Method.phrases, Method.llm, Method.meaning])
        for item in asked
    )
    assert all(item.examples.get(script.language) or item.dialogue for item in asked)


def test_default_script_follows_language() -> None:
    assert default_script_for("ru").id == "ru_b2b_discovery"
    assert default_script_for("en-US").id == "en_b2b_discovery"
    assert default_script_for("de").id == "en_b2b_discovery"
    ru, en = builtin_script("ru_b2b_discovery"), builtin_script("en_b2b_discovery")
    assert [i.id for i in ru.items()] == [i.id for i in en.items()]


def test_unknown_builtin_is_named() -> None:
    with pytest.raises(ScriptError, match="no built-in call script named 'nope'"):
        builtin_script("nope")


def test_valid_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(_script(), encoding="utf-8")
    assert load_script(path).items()[0].phrases == {"en": ["hello"]}


BAD = {
    "bad_yaml": ("id: team\nversion: '1'\n  title: [oops\n", r"team\.yaml: YAML syntax error at line 3, column 3: "),
    "unknown_method": (
        _script(VALID_ITEM.replace("[phrases]", "[magic]")),
        r"team\.yaml: sections\[0\] \(contact\)\.items\[0\] \(greeting\)\.decide_by\[0\]: "
        r"must be 'phrases', .* or 'llm'",
    ),
    "negative_weight": (
        _script(VALID_ITEM + "        weight: -2\n"),
        r"team\.yaml: sections\[0\] \(contact\)\.items\[0\] \(greeting\)\.weight: must be ≥ 0",
    ),
    "phrases_missing": (
        _script(VALID_ITEM.replace("        phrases: {en: [hello]}\n", "")),
        r"team\.yaml: sections\[0\] \(contact\)\.items\[0\] \(greeting\): "
        r"item 'greeting' is decided by phrases but lists none",
    ),
    "duplicate_id": (_script(VALID_ITEM + VALID_ITEM), r"team\.yaml: item id 'greeting' appears twice"),
    "misspelt_key": (
        _script(VALID_ITEM + "        wieght: 2\n"),
        r"team\.yaml: sections\[0\] \(contact\)\.items\[0\] \(greeting\)\.wieght: is not a known key "
        r"\(see scoring_scripts/README\.md\)$",
    ),
    "misspelt_top_key": (
        "owner: sales\n" + _script(),
        r"team\.yaml: owner: is not a known key \(see scoring_scripts/README\.md\)$",
    ),
    "misspelt_metric_key": (
        _script(
            "      - id: talk\n        title: Talk\n        decide_by: [metric]\n"
            "        metric: {metric: rep.talk_ratio, op: '<=', value: 0.6, unit: share}\n"
        ),
        r"team\.yaml: sections\[0\] \(contact\)\.items\[0\] \(talk\)\.metric\.unit: is not a known key",
    ),
    "unknown_metric": (
        _script(
            "      - id: talk\n        title: Talk\n        decide_by: [metric]\n"
            "        metric: {metric: rep.charisma, op: '>=', value: 1}\n"
        ),
        r"team\.yaml: sections\[0\] \(contact\)\.items\[0\] \(talk\)\.metric\.metric: unknown metric 'rep\.charisma'",
    ),
    "not_a_mapping": ("- just\n- a list\n", r"team\.yaml: a call script must be a mapping"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_scripts_name_file_and_problem(tmp_path: Path, case: str) -> None:
    text, message = BAD[case]
    path = tmp_path / "team.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScriptError, match=message) as caught:
        load_script(path)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match=r"absent\.yaml: cannot read the call script"):
        load_script(tmp_path / "absent.yaml")


def test_phrases_after_the_llm_read_silence_only_as_the_fallback() -> None:
    script = CallScript.model_validate(
        {
            "id": "team",
            "version": "1",
            "title": "Team",
            "language": "ru",
            "sections": [
                {
                    "id": "s",
                    "title": "S",
                    "items": [
                        {
                            "id": "budget",
                            "title": "Budget",
                            "decide_by": ["phrases", "llm", "phrases"],
                            "phrases": {"ru": ["какой бюджет"]},
                            "question": "Спросил ли менеджер о бюджете?",
                        }
                    ],
                }
            ],
        }
    )
    asked = dialogue("ru", [(Role.rep, "Какой бюджет вы закладываете?")])
    silent = dialogue("ru", [(Role.rep, "Расскажите о ваших задачах.")])
    [heard] = decide_by_rules(asked, script, measure(asked))
    assert heard.result.answer == Answer.yes and not heard.asks_llm
    [fallback] = decide_by_rules(silent, script, measure(silent))
    assert fallback.asks_llm  # the LLM is still asked first
    assert fallback.result.answer == Answer.no and fallback.result.source == DecisionSource.phrases
