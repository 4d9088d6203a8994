"""Teaching a script item by example, on PostgreSQL: the preview decides the changed item on the team's stored
conversations, saving makes a new script version (earlier ones kept) that becomes the team's script, and the
re-score queues only the analyze stage, which then answers the item by the new example. An override becomes an
example in one step."""

from collections.abc import Iterator

import dramatiq
import pytest
from sqlalchemy import select

from models import Answer, CallResult, CallStatus, Stage
from pipeline.db import Call, ScriptExampleEdit, StoredDocument, Team
from pipeline.runtime import Runtime
from pipeline.stages import load_output, run_stage
from services.example_preview import preview
from services.override_examples import override_example
from services.overrides import override_item
from services.script_examples import ExampleChange, ExampleRefused, next_version, save_examples, team_script
from tests.support.example_calls import said
from tests.support.scored_calls import add_scored_call
from tests.support.servers import Isolated
from tests.support.stored_calls import stub_runtime
from tests.support.web_users import add_people

TIMELINE_SAID = "А к какому числу вам нужно, чтобы всё заработало у отдела?"
EXAMPLE = "к какому числу вам нужно чтобы всё заработало"


@pytest.fixture
def runtime(isolated: Isolated) -> Iterator[Runtime]:
    runtime = stub_runtime(isolated.settings)
    yield runtime
    runtime.db.engine.dispose()


def _change(text: str = EXAMPLE, change: str = "add", kind: str = "positive") -> ExampleChange:
    return ExampleChange("timeline", "ru", kind, change, text)  # type: ignore[arg-type]


def test_versions_count_up_past_those_already_stored() -> None:
    assert next_version("1.2", set()) == "1.3"
    assert next_version("1.9", {"1.10"}) == "1.11"
    assert next_version("3", set()) == "4"
    assert next_version("draft", set()) == "draft.1"


def test_preview_then_save_makes_a_version_that_rescores_without_speech(runtime: Runtime) -> None:
    people = add_people(runtime)
    taught = add_scored_call(runtime, rep_id=people.rep_a, team_id=people.team_a)
    said(runtime, taught, ["Здравствуйте, компания Ромашка, меня зовут Анна.", TIMELINE_SAID])
    other = add_scored_call(runtime, rep_id=people.rep_a, team_id=people.team_a)
    said(runtime, other, ["Здравствуйте, компания Ромашка.", "Спасибо, всего доброго, до свидания."])
    elsewhere = add_scored_call(runtime, rep_id=people.rep_b, team_id=people.team_b)

    with runtime.db.session() as session:
        current = team_script(session, runtime.settings, "Team A")
    assert (current.name, current.script.version) == ("ru_b2b_discovery", "1.4")
    before = {row.call_id: row for row in preview(runtime, current, [], "timeline")}
    after = {row.call_id: row for row in preview(runtime, current, [_change()], "timeline")}
    assert set(after) == {taught, other}  # the team's calls only
    assert before[taught].would_be != Answer.yes and before[taught].now == Answer.no
    assert after[taught].would_be == Answer.yes and after[taught].changed
    assert "к какому числу вам нужно" in after[taught].evidence[-1].quote
    assert after[other].would_be != Answer.yes

    saved = save_examples(runtime, "Team A", [_change()], base_version="1.4", actor="rop-a", user_id=None)
    assert (saved.script_id, saved.version, saved.rescored, saved.waiting) == ("ru_b2b_discovery", "1.5", 2, 0)
    with runtime.db.session() as session:
        stored = session.scalars(select(StoredDocument).where(StoredDocument.name == "ru_b2b_discovery")).all()
        assert [doc.version for doc in stored] == ["1.5"]
        assert session.scalar(select(Team.script).where(Team.id == people.team_a)) == "ru_b2b_discovery"
        edit = session.scalar(select(ScriptExampleEdit))
        assert (edit.from_version, edit.to_version, edit.item_id, edit.kind, edit.change, edit.text) == (
            "1.4", "1.5", "timeline", "positive", "add", EXAMPLE,
        )  # fmt: skip
        calls = {row.id: row for row in session.scalars(select(Call)).all()}
    assert all(calls[c].next_stage == Stage.analyze and calls[c].status == CallStatus.queued for c in (taught, other))
    assert calls[elsewhere].status == CallStatus.done
    queued = runtime.broker.queues  # type: ignore[attr-defined]
    assert sorted(dramatiq.Message.decode(queued["llm"].get_nowait()).args[0] for _ in range(2)) == sorted(
        [taught, other]
    )
    assert all(queue.empty() for name, queue in queued.items() if name != "llm")

    run_stage(taught, Stage.analyze, runtime)
    result = load_output(runtime, taught, "result", CallResult)
    assert (result.provenance.script_id, result.provenance.script_version) == ("ru_b2b_discovery", "1.5")
    timeline = next(item for item in result.analysis.scorecard.items if item.item_id == "timeline")
    assert timeline.answer == Answer.yes

    with pytest.raises(ExampleRefused) as stale:
        save_examples(runtime, "Team A", [_change("когда запускаемся")], base_version="1.4", actor="x", user_id=None)
    assert stale.value.problem == "stale"
    removed = save_examples(runtime, "Team A", [_change(change="remove")], base_version="1.5", actor="x", user_id=None)
    with runtime.db.session() as session:
        script = team_script(session, runtime.settings, "Team A").script
    assert removed.version == script.version == "1.6"
    item = next(i for i in script.items() if i.id == "timeline")
    assert EXAMPLE not in item.examples["ru"].positive


def test_a_refused_change_names_the_problem_and_stores_nothing(runtime: Runtime) -> None:
    add_people(runtime)
    for change, problem in (
        (ExampleChange("no_such_item", "ru", "positive", "add", "x"), "no_item"),
        (ExampleChange("timeline", "ru", "positive", "add", "   "), "empty"),
        (ExampleChange("timeline", "ru", "negative", "remove", "never said"), "missing"),
        (ExampleChange("timeline", "ru", "positive", "add", "x" * 501), "long"),
    ):
        with pytest.raises(ExampleRefused) as refused:
            save_examples(runtime, "Team A", [change], base_version="1.4", actor="x", user_id=None)
        assert refused.value.problem == problem
    with runtime.db.session() as session:
        assert session.scalar(select(StoredDocument)) is None
        assert session.scalar(select(ScriptExampleEdit)) is None


def test_an_override_becomes_a_negative_example_of_its_item(runtime: Runtime) -> None:
    people = add_people(runtime)
    call_id = add_scored_call(runtime, rep_id=people.rep_a, team_id=people.team_a)
    analysed = load_output(runtime, call_id, "result", CallResult).analysis.scorecard
    with runtime.db.session() as session:
        override_item(session, call_id, analysed, "budget", "no", "asked too vaguely", user_id=None, actor="rop-a")
        found = override_example(session, runtime.settings, call_id, "budget")
    assert (found.kind, found.text, found.team, found.base_version) == (
        "negative", "Какой бюджет вы планируете?", "Team A", "1.4",
    )  # fmt: skip
    change = ExampleChange("budget", found.language, found.kind, "add", found.text)
    saved = save_examples(
        runtime, found.team, [change], base_version=found.base_version, actor="rop-a", user_id=None,
        call_id=call_id, override_id=found.override_id,
    )  # fmt: skip
    with runtime.db.session() as session:
        script = team_script(session, runtime.settings, "Team A").script
        edit = session.scalar(select(ScriptExampleEdit))
        assert (edit.call_id, edit.override_id) == (call_id, found.override_id)
    assert saved.version == script.version == "1.5"
    budget = next(i for i in script.items() if i.id == "budget")
    assert "Какой бюджет вы планируете?" in budget.examples["ru"].negative
    with runtime.db.session() as session, pytest.raises(ExampleRefused) as none:
        override_example(session, runtime.settings, call_id, "timeline")
    assert none.value.problem == "no_override"
