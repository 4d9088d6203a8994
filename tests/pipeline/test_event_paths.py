"""call.failed events name what failed, never where the worker keeps its files (real PostgreSQL and S3 server)."""

from pathlib import Path

import pytest
from sqlalchemy import select

from ingest.intake import take_in
from models import IncomingCall, Stage
from pipeline.db import OutboxEvent
from pipeline.events import without_paths
from pipeline.runtime import Runtime
from pipeline.stages import BadCallInput, run_stage
from tests.support.servers import Isolated


def test_a_call_that_cannot_be_decoded_fails_without_the_workers_temporary_path(
    isolated: Isolated, tmp_path: Path
) -> None:
    runtime = Runtime(isolated.settings)
    runtime.storage.ensure_bucket()
    broken = tmp_path / "broken-call.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot audio at all" * 50)
    call_id = take_in(IncomingCall(provider="test", external_id="paths-1"), broken, runtime).call_id

    with pytest.raises(BadCallInput, match="/tmp/callintel-"):
        run_stage(call_id, Stage.transcribe, runtime)

    with runtime.db.session() as session:
        [event] = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "call.failed")).all()
    error = event.payload["error"]
    assert "/tmp" not in error and "callintel-" not in error
    assert error.endswith(".wav: not an audio file / unsupported format (Invalid data found when processing input)")
    runtime.db.engine.dispose()


def test_paths_are_cut_to_file_names_and_urls_left_alone() -> None:
    assert (
        without_paths("could not decode /tmp/callintel-a1b2/rec.wav: bad header")
        == "could not decode rec.wav: bad header"
    )
    assert without_paths("No such file: 'C:\\Temp\\w7\\a.mp3'") == "No such file: 'a.mp3'"
    assert without_paths("GET https://pbx.example.com/rec/a.wav answered 404") == (
        "GET https://pbx.example.com/rec/a.wav answered 404"
    )
