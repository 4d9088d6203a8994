"""`callintel process` as a person runs it: exit codes, one clear error line per bad input, JSON output."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from models import CallResult

CLI = Path(sys.executable).parent / "callintel"


def run(args: list[str], data: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "CALLINTEL_DATA_DIR": str(data), "COLUMNS": "200", **env}
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, env=environment, timeout=600)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def test_json_output_and_a_failing_file_among_good_ones(tmp_path: Path, data_dir: Path) -> None:
    corrupt = tmp_path / "broken.wav"
    corrupt.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk" * 3)
    done = run(
        [
            "process",
            str(corrupt),
            str(data_dir / "fw_stereo_diarization.wav"),
            "--json",
            "--channels",
            "agent=1,customer=0",
        ],
        tmp_path / "data",
        CALLINTEL_LLM_BACKEND="none",
    )
    assert done.returncode == 1, done.stderr
    [line] = error_lines(done.stderr)
    assert str(corrupt) in line and "transcribe" in line
    [result] = [CallResult.model_validate(item) for item in json.loads(done.stdout)]
    assert result.transcript.channels == 2
    assert result.analysis.summary.source == "extractive"


def test_readable_report(tmp_path: Path, data_dir: Path) -> None:
    done = run(
        ["process", str(data_dir / "fw_stereo_diarization.wav")], tmp_path / "data", CALLINTEL_LLM_BACKEND="none"
    )
    assert done.returncode == 0, done.stderr
    for heading in ("Transcript", "Summary", "Scorecard", "Deal-gap signals", "Proposed CRM fields", "talk ratio"):
        assert heading in done.stdout


@pytest.mark.parametrize(
    ("option", "content", "problem"),
    [
        ("--script", "id: x\nversion: '1'\nsections: [\n", "line"),
        ("--script", "id: x\nversion: '1'\ntitle: t\nlanguage: en\nsections: []\n", "sections"),
        ("--fields", "id: f\nversion: '1'\ntitle: t\nfields:\n  - {name: stage, title: S, type: enum}\n", "stage"),
        ("--template", "id: t\nversion: '1'\nlanguages: [en]\ntitle: {en: T}\nsections: []\n", "sections"),
    ],
)
def test_bad_script_or_field_file(tmp_path: Path, data_dir: Path, option: str, content: str, problem: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(content)
    done = run(["process", str(data_dir / "fw_stereo_diarization.wav"), option, str(bad)], tmp_path / "data")
    assert done.returncode == 2
    [line] = error_lines(done.stderr)
    assert str(bad) in line and problem in line


def test_bad_meta_and_unknown_language(tmp_path: Path, data_dir: Path) -> None:
    meta = tmp_path / "call.json"
    meta.write_text('{"direction": "sideways"}')
    done = run(["process", str(data_dir / "fw_stereo_diarization.wav"), "--meta", str(meta)], tmp_path / "data")
    assert done.returncode == 2
    [line] = error_lines(done.stderr)
    assert str(meta) in line and "direction" in line

    done = run(["process", str(data_dir / "fw_stereo_diarization.wav"), "--language", "de"], tmp_path / "data")
    assert done.returncode == 2
    assert "'de'" in done.stderr and "--language" in done.stderr


def test_missing_recording(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.wav"
    done = run(["process", str(missing)], tmp_path / "data", CALLINTEL_LLM_BACKEND="none")
    assert done.returncode == 1
    [line] = error_lines(done.stderr)
    assert line == f"error: {missing}: file not found"
