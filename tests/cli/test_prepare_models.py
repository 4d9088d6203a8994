"""`callintel prepare-models` opens the Russian recogniser the deployment or a team names (here T-one, on a small
graph the test exports), and fails at once, naming the setting or the path, when its weights cannot be found."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

import pipeline.runtime
from cli.main import app
from pipeline.directory import save_team
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from tests.support.tone_graph import export_graph
from tests.support.whisper_fixtures import CACHE


@pytest.fixture(scope="module")
def tone_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tone")
    export_graph(folder)
    return folder


def prepare(monkeypatch: pytest.MonkeyPatch, data: Path, **env: str) -> tuple[int, str]:
    settings = {"DATA_DIR": str(data), "MODEL_CACHE_DIR": str(CACHE), "ASR_DEVICE": "cpu", "ASR_CPU_THREADS": "2"}
    for name, value in {**settings, **env}.items():
        monkeypatch.setenv(f"CALLINTEL_{name}", value)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(pipeline.runtime, "_default", None)
    done = CliRunner().invoke(app, ["prepare-models", "--no-llm"])
    return done.exit_code, " ".join(done.output.split())


def test_the_deployments_russian_recogniser_is_loaded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tone_folder: Path
) -> None:
    code, output = prepare(monkeypatch, tmp_path, ASR_RUSSIAN_RECOGNISER="tone", ASR_TONE_MODEL=str(tone_folder))
    assert code == 0, output
    assert f"Russian recogniser tone: {tone_folder / 'model.onnx'}" in output and "models ready" in output


def test_missing_weights_are_named_before_anything_else_loads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tone_folder: Path
) -> None:
    missing = tmp_path / "t-one"
    code, output = prepare(monkeypatch, tmp_path, ASR_RUSSIAN_RECOGNISER="tone", ASR_TONE_MODEL=str(missing))
    assert code == 1
    assert f"error: speech recognition model {missing}: no such file" in output and "models ready" not in output

    # A team's own choice is prepared too: gigaam here, with no weights set anywhere.
    runtime = Runtime(Settings(data_dir=tmp_path / "teams", model_cache_dir=CACHE))
    runtime.db.migrate()
    with runtime.db.session() as session:
        save_team(session, "Collections", recogniser="gigaam")
    code, output = prepare(monkeypatch, tmp_path / "teams", ASR_TONE_MODEL=str(tone_folder))
    assert code == 1
    assert "error: the 'gigaam' recogniser has no weights: set CALLINTEL_ASR_GIGAAM_MODEL" in output
