"""`.venv/bin/python scripts/screenshots.py`: the web app's main pages as PNG files in docs/screenshots/.

It builds a sales floor in a temporary embedded deployment (SQLite, local storage, no servers): the bundled sample
call processed by the real pipeline (starter Whisper and pyannote models, rules without an LLM, the service desk's
field schema from benchmarks/eval_data), and three months
of analysed calls for one team of six reps, generated (seeded) with the rows the analyze stage writes: scores,
scorecard answers to the bundled Russian script's items and deal-gap signals. Then it serves the app on loopback
and photographs it in headless Chromium as a head of sales, a rep and an admin would see it.
"""

import random
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cli.process import CallOptions, process_files  # noqa: E402
from pipeline.db import Call, CallResultRow, CallSignalRow, ScorecardItemRow  # noqa: E402
from pipeline.directory import save_rep, save_team  # noqa: E402
from pipeline.runtime import Runtime  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from scoring_scripts.loader import builtin_script  # noqa: E402
from services.accounts import UserRole, create_user  # noqa: E402
from tests.support.browser import chromium, log_in_page, serving  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SAMPLE = ROOT / "pipeline" / "samples" / "aws_pca_call_8k_mono.wav"
# The sample is a customer-service call: the service desk's field schema has fields it fills (caller, agent, task).
SERVICE_FIELDS = ROOT / "benchmarks" / "eval_data" / "service_fields.yaml"
PASSWORD = "screenshots only"
TEAM = "Продажи SMB"
REPS = ("Анна Смирнова", "Игорь Волков", "Мария Кузнецова", "Дмитрий Орлов", "Елена Соколова", "Павел Морозов")
SIGNALS = (
    ("no_next_step", "high", "Следующий шаг не согласован", 0.18),
    ("budget_not_discussed", "medium", "Бюджет не обсуждали", 0.3),
    ("competitor_mentioned", "medium", "Клиент упомянул конкурента: amoCRM", 0.12),
    ("question_unanswered", "high", "Вопрос клиента остался без ответа: «А интеграция с 1С есть?»", 0.08),
)


def _floor(runtime: Runtime) -> tuple[int, list[int]]:
    with runtime.db.session() as session:
        team, _ = save_team(session, TEAM, timezone="Europe/Moscow", summary_template="discovery")
        reps = [save_rep(session, name, extension=str(101 + n), team=TEAM).id for n, name in enumerate(REPS)]
        create_user(session, "olga", "Ольга Иванова", PASSWORD, UserRole.rop, team=TEAM)
        create_user(session, "anna", REPS[0], PASSWORD, UserRole.rep, rep_id=reps[0])
        create_user(session, "admin", "Admin", PASSWORD, UserRole.admin, locale="en")
        return team.id, reps


def _history(runtime: Runtime, team_id: int, reps: list[int], recording_id: int) -> None:
    """Three months of analysed calls, one rep stronger than another, as the analyze stage stores them."""
    rng = random.Random(11)
    script = builtin_script("ru_b2b_discovery")
    items = [(section.id, item) for section in script.sections for item in section.items]
    now = datetime.now(UTC)
    with runtime.db.session() as session:
        for rep_id, skill in zip(reps, (0.82, 0.64, 0.75, 0.48, 0.7, 0.58), strict=True):
            for _ in range(rng.randint(28, 40)):
                call_id = uuid.uuid4().hex
                created = now - timedelta(days=rng.uniform(0, 90))
                answers = [
                    "yes" if rng.random() < skill + (0.1 if section == "contact" else -0.05) else "no"
                    for section, _ in items
                ]
                score = 100 * answers.count("yes") / len(answers)
                auto_failed = rng.random() < 0.03
                session.add(
                    Call(
                        id=call_id,
                        recording_id=recording_id,
                        rep_id=rep_id,
                        team_id=team_id,
                        provider="upload",
                        status="done",
                        info={},
                        options={},
                        created_at=created,
                        updated_at=created,
                    )
                )
                session.flush()  # the rows below point at the call
                session.add(
                    CallResultRow(
                        call_id=call_id,
                        result_key=f"calls/{call_id}/result.json",
                        language="ru",
                        duration_s=rng.uniform(120, 900),
                        script_id=script.id,
                        script_version=script.version,
                        fields_id="default",
                        fields_version="1",
                        config_hash="0" * 16,
                        score_percent=0.0 if auto_failed else score,
                        auto_failed=auto_failed,
                        rep_talk_ratio=min(max(rng.gauss(0.58 - skill / 10, 0.08), 0.2), 0.9),
                        created_at=created,
                    )
                )
                for (section_id, item), answer in zip(items, answers, strict=True):
                    session.add(
                        ScorecardItemRow(
                            call_id=call_id,
                            item_id=item.id,
                            section_id=section_id,
                            title=item.title,
                            answer=answer,
                            score=item.weight if answer == "yes" else 0.0,
                            weight=item.weight,
                            source="phrases",
                            auto_fail=item.auto_fail,
                        )
                    )
                for kind, severity, text, chance in SIGNALS:
                    if rng.random() < chance * (1.4 - skill):
                        session.add(CallSignalRow(call_id=call_id, kind=kind, severity=severity, text=text))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="callintel-screenshots-") as home:
        runtime = Runtime(Settings(data_dir=Path(home), llm_backend="none"))
        team_id, reps = _floor(runtime)
        options = CallOptions.build(template="discovery", fields=str(SERVICE_FIELDS))
        [outcome] = process_files([SAMPLE], options, runtime=runtime)
        if outcome.call_id is None or outcome.error:
            raise SystemExit(f"the sample call was not processed: {outcome.error}")
        call_id = outcome.call_id
        with runtime.db.session() as session:
            call = session.get(Call, call_id)
            call.rep_id, call.team_id = reps[0], team_id
            recording_id = call.recording_id
        _history(runtime, team_id, reps, recording_id)
        pages = [
            ("olga", "/app/team", "team.png", (1280, 800)),
            ("olga", f"/app/reps/{reps[3]}", "rep.png", (1280, 800)),
            ("olga", "/app/attention", "attention.png", (1280, 800)),
            ("olga", f"/app/calls/{call_id}", "call.png", (1280, 900)),
            ("olga", f"/app/calls/{call_id}", "call-phone.png", (390, 844)),
            ("anna", f"/app/approvals/{call_id}", "approvals.png", (1280, 900)),
            ("admin", "/app/admin/quality", "admin-quality.png", (1280, 700)),
        ]
        with serving(runtime) as url, chromium() as browser:
            for login, path, name, (width, height) in pages:
                page = browser.new_page(viewport={"width": width, "height": height})
                log_in_page(page, url, login, PASSWORD)
                page.goto(url + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / name), full_page=False)
                page.close()
                print(f"docs/screenshots/{name}: {path} as {login}")


if __name__ == "__main__":
    main()
