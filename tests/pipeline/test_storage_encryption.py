"""Encryption at rest, on the local data directory and on the S3 server (moto) alike: what lies on disk or in the
bucket is not the plaintext, reads give it back whole (also a recording of several chunks, also through a file
path), an altered, truncated or moved object and a wrong or missing key are refused naming the object, objects
stored before encryption was turned on still read, and `callintel keys rotate` re-wraps every object under the
new key so it reads with the old key removed, leaving alone an object a stage writes meanwhile. A long recording
passes through a few MiB of memory. The web app plays an encrypted recording and answers 500 for an altered one;
retention re-stores an encrypted result encrypted."""

import base64
import filecmp
import io
import os
import subprocess
import sys
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner, Result

import pipeline.runtime as runtime_module
from cli.main import app
from pipeline.playback import playback_key
from pipeline.retention import purge_expired
from pipeline.settings import Settings
from pipeline.stages import output_key
from pipeline.storage import (
    Keyring,
    KeyringInvalid,
    LocalStorage,
    ObjectTampered,
    Rewrap,
    S3Storage,
    StorageKeyMissing,
    new_key_entry,
)
from pipeline.storage.envelope import CHUNK_BYTES, MAGIC, TAG_BYTES, read_header
from tests.support.scored_calls import add_scored_call
from tests.support.servers import SCRIPT
from tests.support.web_users import add_people, browser, embedded_runtime, log_in

OLD = new_key_entry("k2025")
NEW = new_key_entry("k2026")
# A recording of two full chunks and a part: the chunk boundaries are crossed, and the last chunk is short.
RECORDING = (b"RIFF" + bytes(range(256)) * 12288)[: 2 * CHUNK_BYTES + 12345]
RESULT = '{"summary": "Клиент назвал бюджет 300 000 рублей, телефон +7 916 123-45-67"}'.encode()


def keyring(*entries: str) -> Keyring:
    return Keyring.parse(",".join(entries))


class Backend:
    """One storage backend, made with any keyring over the same objects, and the raw bytes it keeps."""

    def __init__(self, kind: str, root: Path, endpoint: str | None) -> None:
        self.kind, self.root, self.endpoint = kind, root, endpoint
        self.bucket = f"enc{uuid.uuid4().hex[:12]}"

    def storage(self, ring: Keyring | None) -> LocalStorage | S3Storage:
        if self.kind == "local":
            return LocalStorage(self.root, ring)
        assert self.endpoint is not None
        storage = S3Storage(self.endpoint, "callintel", "callintel", self.bucket, keyring=ring)
        storage.ensure_bucket()
        return storage

    def raw(self, key: str) -> bytes:
        if self.kind == "local":
            return (self.root / key).read_bytes()
        client = self.storage(None).client
        response = client.get_object(self.bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def put_raw(self, key: str, data: bytes) -> None:
        if self.kind == "local":
            (self.root / key).parent.mkdir(parents=True, exist_ok=True)
            (self.root / key).write_bytes(data)
        else:
            self.storage(None).client.put_object(self.bucket, key, io.BytesIO(data), len(data))


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """The S3 server alone (the other servers are not needed here), started if it is not running and then stopped."""
    started = "s3: down" in subprocess.run([SCRIPT, "status", "s3"], capture_output=True, text=True).stdout
    if started:
        subprocess.run([SCRIPT, "start", "s3"], check=True, capture_output=True, timeout=120)
    out = subprocess.run([SCRIPT, "env"], check=True, capture_output=True, text=True).stdout
    yield dict(line.split("=", 1) for line in out.splitlines() if "=" in line)["CALLINTEL_S3_ENDPOINT"]
    if started:
        subprocess.run([SCRIPT, "stop", "s3"], check=False, capture_output=True)


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    endpoint = request.getfixturevalue("s3_endpoint") if request.param == "s3" else None
    yield Backend(request.param, tmp_path / "objects", endpoint)


def test_objects_at_rest_are_not_the_plaintext_and_read_back_whole(backend: Backend, tmp_path: Path) -> None:
    storage = backend.storage(keyring(NEW))
    source = tmp_path / "call.wav"
    source.write_bytes(RECORDING)
    storage.put_file("recordings/a.wav", source)
    storage.put_bytes("calls/a/result.json", RESULT)

    for key, plain in (("recordings/a.wav", RECORDING), ("calls/a/result.json", RESULT)):
        at_rest = backend.raw(key)
        assert at_rest.startswith(MAGIC) and plain[:64] not in at_rest and "бюджет".encode() not in at_rest
        header, _ = read_header(io.BytesIO(at_rest), key)
        assert header is not None and header.key_id == "k2026"
        assert len(at_rest) == header.sealed_length(len(plain))
        assert storage.get_bytes(key) == plain
        with storage.local_path(key) as path:
            assert path.read_bytes() == plain
        assert storage.key_id(key) == "k2026"
    # Three chunks of the recording, each with its tag: nothing of the payload is stored twice.
    assert len(backend.raw("recordings/a.wav")) - len(RECORDING) < 200
    assert sorted(storage.keys("")) == ["calls/a/result.json", "recordings/a.wav"]
    # The same plaintext twice is two different objects: a fresh data key and nonce each time.
    storage.put_bytes("calls/b/result.json", RESULT)
    assert backend.raw("calls/b/result.json") != backend.raw("calls/a/result.json")


def test_altered_truncated_and_moved_objects_are_refused_naming_the_object(backend: Backend) -> None:
    storage = backend.storage(keyring(NEW))
    storage.put_bytes("recordings/r.wav", RECORDING)
    sealed = backend.raw("recordings/r.wav")

    flipped = bytearray(sealed)
    flipped[len(sealed) // 2] ^= 0x01
    backend.put_raw("recordings/r.wav", bytes(flipped))
    with pytest.raises(ObjectTampered, match=r"'recordings/r.wav' failed authentication at chunk 1"):
        storage.get_bytes("recordings/r.wav")

    # Whole chunks dropped from the end: the last one left does not carry the final flag.
    backend.put_raw("recordings/r.wav", sealed[: len(sealed) - (12345 + TAG_BYTES)])
    with pytest.raises(ObjectTampered, match="altered or truncated"):
        storage.get_bytes("recordings/r.wav")

    backend.put_raw("recordings/r.wav", sealed + b"more")
    with pytest.raises(ObjectTampered):
        storage.get_bytes("recordings/r.wav")

    # Another call's result put in this call's place does not open: the object's key is bound to its data key.
    backend.put_raw("recordings/other.wav", sealed)
    with pytest.raises(ObjectTampered, match=r"'recordings/other.wav'.*moved"):
        storage.get_bytes("recordings/other.wav")
    with pytest.raises(ObjectTampered), storage.local_path("recordings/other.wav"):
        pass


def test_a_wrong_or_missing_key_is_a_clear_error(backend: Backend) -> None:
    backend.storage(keyring(NEW)).put_bytes("calls/a/result.json", RESULT)
    impostor = "k2026:" + base64.b64encode(os.urandom(32)).decode()

    with pytest.raises(ObjectTampered, match="does not open under storage key 'k2026'"):
        backend.storage(keyring(impostor)).get_bytes("calls/a/result.json")
    with pytest.raises(StorageKeyMissing, match="storage key 'k2026', which CALLINTEL_STORAGE_KEYS does not hold"):
        backend.storage(keyring(OLD)).get_bytes("calls/a/result.json")
    with pytest.raises(StorageKeyMissing, match="CALLINTEL_STORAGE_KEYS is not set"):
        backend.storage(None).get_bytes("calls/a/result.json")


def test_objects_stored_before_encryption_still_read_and_new_ones_are_encrypted(backend: Backend) -> None:
    backend.storage(None).put_bytes("calls/old/result.json", RESULT)
    backend.storage(None).put_bytes("recordings/empty.wav", b"")
    storage = backend.storage(keyring(NEW))
    assert storage.get_bytes("calls/old/result.json") == RESULT and storage.get_bytes("recordings/empty.wav") == b""
    with storage.local_path("calls/old/result.json") as path:
        assert path.read_bytes() == RESULT
    assert storage.key_id("calls/old/result.json") is None and storage.key_id("recordings/empty.wav") is None
    storage.put_bytes("calls/new/result.json", RESULT)
    assert backend.raw("calls/old/result.json") == RESULT and backend.raw("calls/new/result.json").startswith(MAGIC)


def callintel(monkeypatch: pytest.MonkeyPatch, backend: Backend, keys: str, *args: str) -> Result:
    """`callintel keys ARGS` with the settings in the environment, as an operator runs it."""
    for name in [name for name in os.environ if name.startswith("CALLINTEL_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CALLINTEL_STORAGE_KEYS", keys)
    monkeypatch.setenv("CALLINTEL_DATA_DIR", str(backend.root.parent))
    if backend.endpoint is not None:
        monkeypatch.setenv("CALLINTEL_STORAGE", "s3")
        monkeypatch.setenv("CALLINTEL_S3_ENDPOINT", backend.endpoint)
        monkeypatch.setenv("CALLINTEL_S3_BUCKET", backend.bucket)
    monkeypatch.setattr(runtime_module, "_default", None)
    return CliRunner().invoke(app, ["keys", *args])


def test_rotation_rewraps_every_object_so_it_reads_with_the_old_key_removed(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = backend.storage(keyring(OLD))
    old.put_bytes("recordings/r.wav", RECORDING)
    old.put_bytes("calls/a/result.json", RESULT)
    backend.storage(None).put_bytes("calls/legacy/result.json", RESULT)
    before = backend.raw("recordings/r.wav")

    status = callintel(monkeypatch, backend, f"{NEW},{OLD}", "status")
    assert status.exit_code == 0, status.output
    assert status.stdout.splitlines() == ["(unencrypted)\t1", "k2025\t2"]

    rotated = callintel(monkeypatch, backend, f"{NEW},{OLD}", "rotate")
    assert rotated.exit_code == 0, rotated.output
    assert "re-wrapped: 2" in rotated.stdout and "plaintext, left as it is: 1" in rotated.stdout
    after = backend.raw("recordings/r.wav")
    old_header, _ = read_header(io.BytesIO(before), "recordings/r.wav")
    new_header, _ = read_header(io.BytesIO(after), "recordings/r.wav")
    assert old_header and new_header and new_header.key_id == "k2026"
    # Only the wrapped data key changed: the encrypted chunks are the same bytes.
    assert after[len(new_header.encode()) :] == before[len(old_header.encode()) :]

    new_only = backend.storage(keyring(NEW))
    assert new_only.get_bytes("recordings/r.wav") == RECORDING and new_only.get_bytes("calls/a/result.json") == RESULT

    # Run again (as after an interruption): nothing left to do; then the unencrypted one is encrypted on request.
    again = callintel(monkeypatch, backend, NEW, "rotate", "--encrypt-plaintext")
    assert again.exit_code == 0, again.output
    assert "already under the current key: 2" in again.stdout and "encrypted: 1" in again.stdout
    assert backend.raw("calls/legacy/result.json").startswith(MAGIC)
    assert new_only.get_bytes("calls/legacy/result.json") == RESULT
    assert callintel(monkeypatch, backend, NEW, "status").stdout.splitlines() == ["k2026 (current)\t3"]


def test_rotation_without_keys_or_with_a_bad_key_says_what_is_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = Backend("local", tmp_path / "objects", None)
    missing = callintel(monkeypatch, backend, "", "rotate")
    assert missing.exit_code == 2 and "CALLINTEL_STORAGE_KEYS is not set" in missing.stderr
    short = callintel(monkeypatch, backend, "k1:" + base64.b64encode(b"short").decode(), "rotate")
    assert short.exit_code == 2 and "key 'k1' is 5 bytes; AES-256 needs 32" in short.stderr
    made = callintel(monkeypatch, backend, "", "new", "--id", "k2027")
    assert made.exit_code == 0 and Keyring.parse(made.stdout.strip()).current == "k2027"


def test_the_settings_name_the_keyring_and_never_show_the_keys() -> None:
    assert Keyring.configured(None, None) is None
    ring = Keyring.configured(f"{OLD}, {NEW}", "k2026")
    assert ring is not None and ring.current == "k2026"
    assert NEW.split(":")[1] not in repr(ring) and OLD.split(":")[1] not in repr(ring)
    assert Keyring.configured(f"{OLD}\n{NEW}", None).current == "k2025"
    for keys, current, problem in [
        (None, "k2026", "CALLINTEL_STORAGE_KEY_CURRENT is set, but CALLINTEL_STORAGE_KEYS is not"),
        (OLD, "k2026", "names 'k2026', which CALLINTEL_STORAGE_KEYS does not hold"),
        (f"{OLD},{OLD}", None, "'k2025' appears twice"),
        ("k1:not base64!", None, "'k1' is not valid base64"),
        ("just-a-key", None, "entry 1 is not 'id:base64key'"),
    ]:
        with pytest.raises(KeyringInvalid, match=problem):
            Keyring.configured(keys, current)


def test_the_web_app_plays_an_encrypted_recording_and_retention_keeps_results_encrypted(
    backend: Backend, tmp_path: Path
) -> None:
    if backend.endpoint is None:
        runtime = embedded_runtime(tmp_path, storage_keys=SecretStr(NEW))
    else:
        s3 = {"storage": "s3", "s3_endpoint": backend.endpoint, "s3_bucket": backend.bucket}
        runtime = embedded_runtime(tmp_path, storage_keys=SecretStr(NEW), **s3)
        backend.storage(None)  # makes the bucket
    people = add_people(runtime)
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    call_id = add_scored_call(runtime, rep_id=people.rep_a, team_id=people.team_a, created_at=two_days_ago)
    stored = list(runtime.storage.keys(""))
    assert len(stored) > 3 and all(backend.raw(key).startswith(MAGIC) for key in stored)

    client = browser(runtime)
    log_in(client, "rep-a")
    page = client.get(f"/app/calls/{call_id}")
    assert page.status_code == 200 and "data-call-player" in page.text and "Менеджер" in page.text
    audio = client.get(f"/app/calls/{call_id}/audio")
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"
    with av.open(io.BytesIO(audio.content)) as container:
        stream = container.streams.audio[0]
        seconds = sum(frame.samples for frame in container.decode(stream)) / stream.codec_context.sample_rate
    assert 3.0 < seconds < 3.6
    assert backend.raw(playback_key(call_id)).startswith(MAGIC)
    assert client.get(f"/app/calls/{call_id}/audio", headers={"Range": "bytes=0-99"}).content == audio.content[:100]

    runtime.settings.retention_days = 1
    purge_expired(runtime)
    assert not runtime.storage.exists(playback_key(call_id))
    assert backend.raw(output_key(call_id, "result")).startswith(MAGIC)
    assert b"transcript" in runtime.storage.get_bytes(output_key(call_id, "result"))
    assert client.get(f"/app/calls/{call_id}/audio").status_code == 410


def test_a_runtime_with_keys_in_the_settings_writes_encrypted(tmp_path: Path) -> None:
    from pipeline.runtime import Runtime

    runtime = Runtime(Settings(data_dir=tmp_path, storage_keys=SecretStr(f"{OLD},{NEW}"), storage_key_current="k2026"))
    runtime.storage.put_bytes("calls/x/result.json", RESULT)
    at_rest = (tmp_path / "objects" / "calls/x/result.json").read_bytes()
    header, _ = read_header(io.BytesIO(at_rest), "calls/x/result.json")
    assert header is not None and header.key_id == "k2026"


def test_a_long_recording_is_encrypted_and_opened_as_a_stream(backend: Backend, tmp_path: Path) -> None:
    source = tmp_path / "long.wav"
    with source.open("wb") as out:
        for _ in range(40):
            out.write(os.urandom(CHUNK_BYTES))
    storage = backend.storage(keyring(NEW))
    tracemalloc.start()
    try:
        storage.put_file("recordings/long.wav", source)
        _, writing = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with storage.local_path("recordings/long.wav") as path:
            assert filecmp.cmp(path, source, shallow=False)
        _, reading = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # A 40 MiB recording passes through a few MiB of buffers (on S3, a 5 MiB upload part), never whole.
    assert writing < (8 if backend.kind == "local" else 20) * 2**20, writing
    assert reading < 8 * 2**20, reading


def test_an_altered_result_answers_500_and_the_log_names_it(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    runtime = embedded_runtime(tmp_path, storage_keys=SecretStr(NEW))
    people = add_people(runtime)
    call_id = add_scored_call(runtime, rep_id=people.rep_a, team_id=people.team_a)
    stored = tmp_path / "objects" / output_key(call_id, "result")
    altered = bytearray(stored.read_bytes())
    altered[-1] ^= 0x01
    stored.write_bytes(bytes(altered))
    client = browser(runtime)
    log_in(client, "rep-a")
    page = client.get(f"/app/calls/{call_id}")
    assert page.status_code == 500 and "a stored object could not be opened" in page.text
    assert f"object 'calls/{call_id}/result.json' failed authentication at chunk 0" in caplog.text


def test_an_object_written_while_it_is_rewrapped_keeps_the_writers_version(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend.storage(keyring(OLD)).put_bytes("calls/a/result.json", RESULT)
    storage = backend.storage(keyring(NEW, OLD))
    module = sys.modules[type(storage).__module__]
    rewrite = module.rewrite

    def a_stage_writes_meanwhile(*args: object, **kwargs: object) -> object:
        planned = rewrite(*args, **kwargs)
        storage.put_bytes("calls/a/result.json", b'{"rerun": true}')
        return planned

    monkeypatch.setattr(module, "rewrite", a_stage_writes_meanwhile)
    assert storage.rewrap("calls/a/result.json") is Rewrap.changed
    assert backend.storage(keyring(NEW)).get_bytes("calls/a/result.json") == b'{"rerun": true}'
