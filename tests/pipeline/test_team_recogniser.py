"""A team's Russian calls go to the recogniser the team names (here T-one, on a small graph the test exports; other
teams keep the deployment's), and the choice and the model are kept with the transcript. Wrong names are refused."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pathlib import Path

import pytest
from sqlalchemy import inspect

from ingest.files import ingest_file
from models import CallInfo, ModelInfo, Recognition, Stage, Transcript
from pipeline.call_setup import load_call
from pipeline.db import Call
from pipeline.directory import DirectoryError, save_rep, save_team
from pipeline.engines import Engines, RecogniserNotConfigured, UnknownRecogniser
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from pipeline.stages import load_output, run_stage
from tests.support.fixtures_audio import RUSSIAN_WAV
from tests.support.tone_graph import export_graph
from tests.support.whisper_fixtures import CACHE
from transcribe.errors import RecogniserNotLoaded
from transcribe.tone import ToneBackend


@pytest.fixture(scope="module")
def tone_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tone")
    export_graph(folder)
    return folder


def _settings(home: Path, **changes: object) -> Settings:
    return Settings(
        data_dir=home, model_cache_dir=CACHE, asr_device="cpu", asr_cpu_threads=2, llm_backend="none", **changes
    )


def test_a_teams_russian_calls_go_to_the_recogniser_it_names(tmp_path: Path, tone_folder: Path) -> None:
    runtime = Runtime(_settings(tmp_path / "home", asr_tone_model=str(tone_folder)))
    with runtime.db.session() as session:
        assert "recogniser" in {column["name"] for column in inspect(session.get_bind()).get_columns("teams")}
        save_team(session, "Collections", recogniser="tone", language="ru")
        save_team(session, "Sales", language="ru")
        save_rep(session, "Olga", extension="301", team="Collections")
        save_rep(session, "Pavel", extension="302", team="Sales")
    collections = ingest_file(RUSSIAN_WAV, runtime, CallInfo(rep_extension="301"), {})
    sales = ingest_file(RUSSIAN_WAV, runtime, CallInfo(rep_extension="302"), {"language": "ru"})
    with runtime.db.session() as session:
        assert load_call(session, session.get(Call, collections), runtime.settings).recogniser == "tone"
        assert load_call(session, session.get(Call, sales), runtime.settings).recogniser is None
    run_stage(collections, Stage.transcribe, runtime)

    model = load_output(runtime, collections, "transcribe.model", ModelInfo)
    recognition = load_output(runtime, collections, "transcribe.recognition", Recognition)
    transcript = load_output(runtime, collections, "transcript", Transcript)
    assert model.name == str(tone_folder / "model.onnx") and model.version.startswith("t-one onnx")
    assert (recognition.recogniser, recognition.model, recognition.language) == ("tone", model.name, "ru")
    assert transcript.language == "ru" and transcript.duration_s == pytest.approx(3.23, abs=0.01)


def test_recogniser_names_and_missing_weights_are_refused_by_name(tmp_path: Path, tone_folder: Path) -> None:
    runtime = Runtime(_settings(tmp_path / "home"))
    with runtime.db.session() as session, pytest.raises(DirectoryError, match="recogniser: expected whisper, gigaam"):
        save_team(session, "Sales", recogniser="kaldi")
    with runtime.db.session() as session:
        team, _ = save_team(session, "Sales", recogniser="tone")
        assert team.recogniser == "tone"
        team, _ = save_team(session, "Sales", recogniser="")  # back to the deployment's recogniser
        assert not team.recogniser
    engines = Engines(runtime.settings)
    with pytest.raises(RecogniserNotConfigured, match="CALLINTEL_ASR_GIGAAM_MODEL"):
        engines.recogniser("gigaam")
    with pytest.raises(UnknownRecogniser, match="'kaldi'"):
        engines.recogniser("kaldi")
    with pytest.raises(RecogniserNotLoaded, match=r"nowhere\.ckpt: no such file"):
        engines.recogniser(f"gigaam:{tmp_path / 'nowhere.ckpt'}")
    opened = engines.recogniser(f"tone:{tone_folder}")
    assert isinstance(opened, ToneBackend) and opened is engines.recogniser(f"tone:{tone_folder}")
