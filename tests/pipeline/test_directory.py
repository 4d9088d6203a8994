"""The team directory through the `callintel` commands an operator types (a real subprocess on an SQLite home):
teams and their settings, reps, stored scripts; and calls linked to their rep and team and analysed with the
team's settings."""

import os
import subprocess
import sys
from pathlib import Path

import yaml

from ingest.files import ingest_file
from models import CallInfo
from pipeline.call_setup import load_call, resolve_script
from pipeline.db import Call
from pipeline.runtime import Runtime
from pipeline.settings import Settings

CLI = Path(sys.executable).parent / "callintel"
SCRIPTS = Path(__file__).resolve().parents[2] / "scoring_scripts" / "scripts"


def callintel(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CALLINTEL_DATA_DIR": str(home), "COLUMNS": "200"}
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, env=env, timeout=120)


def test_teams_reps_and_stored_scripts_decide_how_a_call_is_analysed(tmp_path: Path, data_dir: Path) -> None:
    home = tmp_path / "home"
    script = yaml.safe_load((SCRIPTS / "ru_b2b_discovery.yaml").read_text(encoding="utf-8"))
    script |= {"id": "acme_discovery", "version": "2.0"}
    script_file = tmp_path / "acme.yaml"
    script_file.write_text(yaml.safe_dump(script, allow_unicode=True), encoding="utf-8")

    assert callintel(home, "script", "add", str(script_file)).returncode == 0
    done = callintel(
        home,
        "team",
        "set",
        "SMB",
        "--script",
        "acme_discovery",
        "--vocabulary",
        "Acme, Bitrix24",
        "--timezone",
        "Europe/Moscow",
        "--language",
        "ru",
    )
    assert done.returncode == 0, done.stderr
    assert "team SMB added" in done.stderr
    assert (
        callintel(
            home, "rep", "add", "Anna Petrova", "--extension", "204", "--phone", "8 (916) 000-00-01", "--team", "SMB"
        ).returncode
        == 0
    )
    listed = callintel(home, "team", "list").stdout
    assert "acme_discovery" in listed and "Europe/Moscow" in listed and "Acme, Bitrix24" in listed
    assert "79160000001" in callintel(home, "rep", "list").stdout

    runtime = Runtime(Settings(data_dir=home, llm_backend="none"))
    by_extension = ingest_file(data_dir / "fw_stereo_diarization.wav", runtime, CallInfo(rep_extension="204"), {})
    by_phone = ingest_file(
        data_dir / "pisets_test_sound_ru.wav", runtime, CallInfo(direction="inbound", to_number="+79160000001"), {}
    )
    with runtime.db.session() as session:
        for call_id in (by_extension, by_phone):
            row = session.get(Call, call_id)
            assert row is not None and row.rep_id is not None and row.team_id is not None
            setup = load_call(session, row, runtime.settings)
            assert setup.info.rep_name == "Anna Petrova" and setup.info.team == "SMB"
            assert setup.info.timezone == "Europe/Moscow" and setup.language == "ru"
            assert setup.vocabulary == ["Anna Petrova", "Acme", "Bitrix24"]
            assert setup.script_ref == "acme_discovery"
            chosen = resolve_script(setup.script_ref, "ru", setup.script_text)
            assert (chosen.id, chosen.version) == ("acme_discovery", "2.0")


def test_directory_mistakes_are_named(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cases = {
        ("team", "set", "SMB", "--timezone", "Moscow/Mars"): "unknown time zone 'Moscow/Mars'",
        ("team", "set", "SMB", "--script", "nope"): "no built-in or stored call script 'nope'",
        ("team", "set", "SMB", "--language", "de"): "expected ru or en",
        ("rep", "add", "Ivan"): "give an extension, a phone number or an e-mail",
        ("rep", "add", "Ivan", "--extension", "1", "--team", "Nobody"): "no team 'Nobody'",
    }
    for args, problem in cases.items():
        done = callintel(home, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert problem in done.stderr, (args, done.stderr)
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\nversion: 1\nsections: [\n", encoding="utf-8")
    done = callintel(home, "script", "add", str(broken))
    assert done.returncode == 2 and "YAML syntax error" in done.stderr
