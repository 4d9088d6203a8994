"""The scorecard after overrides agrees with the analysis's own scoring (summarize.scorecard.build_scorecard)."""

import itertools
from pathlib import Path

import pytest
from sqlalchemy import select

from models import Answer, CallResult, DecisionSource
from pipeline.db import CallResultRow, ItemOverride
from pipeline.stages import load_output
from scoring_scripts.loader import builtin_script
from services.overrides import OVERRIDE_ANSWERS, OverrideRefused, effective_scorecard, override_item, overrides_in_force
from summarize.scorecard import build_scorecard, item_result
from tests.support.scored_calls import add_scored_call
from tests.support.web_users import add_people, embedded_runtime

SCRIPT = builtin_script("ru_b2b_discovery")


def _scorecard(answers: dict[str, Answer]):
    items = [
        item_result(item, section.id, answers.get(item.id, Answer.no), DecisionSource.phrases)
        for section in SCRIPT.sections
        for item in section.items
    ]
    return build_scorecard(SCRIPT, items)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"greeting": Answer.yes},
        {"polite_language": Answer.no},
        {"budget": Answer.na, "next_step_agreed": Answer.yes},
        {item.id: Answer.na for item in SCRIPT.items()},
        {item.id: Answer.yes for item in SCRIPT.items()},
    ],
)
def test_the_overridden_scorecard_is_scored_as_the_analysis_scores(overrides) -> None:
    analysed = _scorecard({"greeting": Answer.no, "budget": Answer.yes, "objection_handled": Answer.na})
    expected = _scorecard({"budget": Answer.yes, "objection_handled": Answer.na} | overrides)
    assert effective_scorecard(analysed, overrides) == expected


def test_every_single_override_agrees_with_the_analysis_scoring() -> None:
    analysed = _scorecard({})
    for item, answer in itertools.product(SCRIPT.items(), OVERRIDE_ANSWERS):
        overridden = effective_scorecard(analysed, {item.id: answer})
        assert overridden == _scorecard({item.id: answer}), (item.id, answer)


def test_a_no_on_an_auto_fail_item_fails_the_call_and_a_yes_lifts_it() -> None:
    failed = _scorecard({"polite_language": Answer.no, "greeting": Answer.yes})
    assert failed.auto_failed and failed.percent == 0.0
    lifted = effective_scorecard(failed, {"polite_language": Answer.yes})
    assert not lifted.auto_failed
    assert lifted.percent == round(100 * 2.0 / sum(item.weight for item in SCRIPT.items()), 1)


def test_an_override_is_logged_with_the_analysis_answer_and_updates_the_calls_score(tmp_path: Path) -> None:
    runtime = embedded_runtime(tmp_path)
    people = add_people(runtime)
    call_id = add_scored_call(runtime, rep_id=people.rep_a, team_id=people.team_a)
    analysed = load_output(runtime, call_id, "result", CallResult).analysis.scorecard
    with runtime.db.session() as session:
        shown = override_item(session, call_id, analysed, "budget", "no", " missed it ", user_id=None, actor="olga")
    with runtime.db.session() as session:
        row = session.scalar(select(ItemOverride).where(ItemOverride.call_id == call_id))
        assert (row.item_id, row.answer, row.reason, row.actor) == ("budget", "no", "missed it", "olga")
        assert row.ai_answer["answer"] == "yes" and row.ai_answer["evidence"][0]["start"] == 2.2
        script = builtin_script("ru_b2b_discovery")
        assert (row.script_id, row.script_version) == (script.id, script.version)
        assert session.get(CallResultRow, call_id).score_percent == shown.percent
        assert shown.percent < analysed.percent
        assert overrides_in_force(session, call_id, analysed)["budget"].answer == Answer.no
    with runtime.db.session() as session:
        override_item(session, call_id, analysed, "budget", "yes", "heard it later", user_id=None, actor="olga")
    with runtime.db.session() as session:
        assert overrides_in_force(session, call_id, analysed)["budget"].reason == "heard it later"
        assert session.get(CallResultRow, call_id).score_percent == analysed.percent


@pytest.mark.parametrize(
    ("item", "answer", "reason", "problem"),
    [
        ("no_such_item", "yes", "r", "no_item"),
        ("budget", "maybe", "r", "bad_answer"),
        ("budget", "not_determined", "r", "bad_answer"),
        ("budget", "no", "   ", "no_reason"),
        ("budget", "no", "x" * 2001, "long_reason"),
    ],
)
def test_a_refused_override_names_the_problem_and_stores_nothing(tmp_path: Path, item, answer, reason, problem):
    runtime = embedded_runtime(tmp_path)
    analysed = _scorecard({})
    people = add_people(runtime)
    call_id = add_scored_call(runtime, rep_id=people.rep_a, team_id=people.team_a)
    with pytest.raises(OverrideRefused) as refused, runtime.db.session() as session:
        override_item(session, call_id, analysed, item, answer, reason, user_id=None, actor="olga")
    assert refused.value.problem == problem
    with runtime.db.session() as session:
        assert session.scalar(select(ItemOverride)) is None
