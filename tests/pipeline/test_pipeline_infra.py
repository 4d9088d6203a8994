"""Settings, local storage, the database schema and option checking: the embedded-mode foundations."""

import json
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

import models
import pipeline
from cli.process import BadOptions, CallOptions
from models import CallDirection, ChannelLayout
from pipeline.db import Call, Database, Recording
from pipeline.settings import Settings
from pipeline.storage import LocalStorage, StorageError


def test_packages_come_from_this_repository() -> None:
    root = Path(__file__).resolve().parents[2]
    assert Path(models.__file__).resolve().is_relative_to(root)
    assert Path(pipeline.__file__).resolve().is_relative_to(root)


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CALLINTEL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CALLINTEL_CHANNELS", "agent=1,customer=0")
    monkeypatch.setenv("CALLINTEL_LLM_BACKEND", "none")
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert settings.channels == ChannelLayout(rep=1, customer=0)
    assert settings.db_url == f"sqlite:///{tmp_path / 'callintel.db'}"
    changed = settings.model_copy(update={"asr_beam_size": 1})
    assert changed.config_hash() != settings.config_hash()
    moved = settings.model_copy(update={"data_dir": tmp_path / "elsewhere"})
    assert moved.config_hash() == settings.config_hash()


def test_local_storage_round_trip_and_confinement(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "objects")
    storage.put_bytes("calls/a/transcript.json", b"{}")
    source = tmp_path / "rec.wav"
    source.write_bytes(b"RIFF....")
    storage.put_file("recordings/ab/abc.wav", source)
    assert storage.get_bytes("calls/a/transcript.json") == b"{}"
    assert list(storage.keys("calls/")) == ["calls/a/transcript.json"]
    with storage.local_path("recordings/ab/abc.wav") as path:
        assert path.read_bytes() == b"RIFF...."
    with pytest.raises(StorageError, match="escapes"):
        storage.put_bytes("../outside", b"x")
    with pytest.raises(StorageError, match="no object"):
        storage.get_bytes("calls/missing.json")
    storage.delete("calls/a/transcript.json")
    assert not storage.exists("calls/a/transcript.json")


def test_migrations_create_the_schema_and_constraints(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'c.db'}")
    db.migrate()
    db.migrate()
    tables = set(inspect(db.engine).get_table_names())
    assert {"calls", "recordings", "stage_runs", "call_results", "proposals", "alembic_version"} <= tables
    with db.session() as session:
        session.add(Recording(sha256="0" * 64, storage_key="k", original_name="a.wav", size_bytes=1))
    with pytest.raises(Exception, match="UNIQUE"), db.session() as session:
        session.add(Recording(sha256="0" * 64, storage_key="k2", original_name="b.wav", size_bytes=1))
    with db.session() as session:
        assert session.scalar(select(Recording.storage_key)) == "k"
        assert session.scalar(select(Call)) is None


def test_meta_file_gives_call_details(tmp_path: Path) -> None:
    meta = tmp_path / "call.json"
    meta.write_text(
        json.dumps(
            {
                "call_id": "pbx-42",
                "started_at": "2025-02-19T06:01:22-08:00",
                "timezone": "America/Los_Angeles",
                "direction": "inbound",
                "from_number": "+1 555 0100",
                "rep_name": "Chris",
                "crm_deal_id": "D-7",
                "channels": "agent=0,customer=1",
            }
        )
    )
    options = CallOptions.build(meta=meta, language="en")
    assert options.info.direction == CallDirection.inbound
    assert options.info.channels == ChannelLayout(rep=0, customer=1)
    assert options.info.reference_time().utcoffset().total_seconds() == -8 * 3600
    assert options.stored["language"] == "en"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"started_at": "2025-02-19T06:01:22"}', "started_at"),
        ('{"direction": "sideways"}', "direction"),
        ('{"channels": "agent=1,customer=1"}', "different channels"),
    ],
)
def test_bad_meta_names_the_file_and_the_problem(tmp_path: Path, content: str, problem: str) -> None:
    meta = tmp_path / "bad.json"
    meta.write_text(content)
    with pytest.raises(BadOptions) as caught:
        CallOptions.build(meta=meta)
    assert str(meta) in str(caught.value)
    assert problem in str(caught.value)


def test_bad_options_are_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(BadOptions, match="--channels"):
        CallOptions.build(channels="left=1")
    with pytest.raises(BadOptions, match="--rep-speaker"):
        CallOptions.build(rep_speaker="third")
    with pytest.raises(BadOptions, match="file not found"):
        CallOptions.build(meta=tmp_path / "absent.json")


def test_each_setting_is_declared_once() -> None:
    """A setting declared twice in the class body silently takes the second declaration's default and text."""
    import ast
    import inspect as source

    import pipeline.settings

    body = next(
        node for node in ast.parse(source.getsource(pipeline.settings)).body
        if isinstance(node, ast.ClassDef) and node.name == "Settings"
    ).body  # fmt: skip
    names = [node.target.id for node in body if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)]
    assert sorted(name for name in set(names) if names.count(name) > 1) == []
    assert "crm_secrets_key" in Settings.model_fields
