"""The whole embedded pipeline on real recordings with the offline starter models (ASR, diarization, LLM)."""

import re
from pathlib import Path

import jiwer
import pytest
from faster_whisper import WhisperModel

from cli.process import CallOptions, Outcome, process_files
from models import Answer, CallResult, CallStatus, Role
from pipeline.db import Call, CallResultRow, Proposal
from pipeline.runtime import Runtime
from pipeline.settings import Settings


def words_of(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def stm_reference(stm: Path) -> tuple[str, list[tuple[float, float, str, str]]]:
    rows = []
    for line in stm.read_text().splitlines():
        parts = line.split(maxsplit=5)
        rows.append((float(parts[3]), float(parts[4]), parts[2], parts[5] if len(parts) > 5 else ""))
    return " ".join(r[3] for r in rows), rows


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    return Runtime(Settings(data_dir=tmp_path_factory.mktemp("callintel-data"), asr_cpu_threads=2))


@pytest.fixture(scope="session")
def rules_runtime(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    """The same pipeline with the LLM switched off: for checks that are about recordings, not analysis."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("callintel-rules"), asr_cpu_threads=2, llm_backend="none")
    return Runtime(settings)


@pytest.fixture(scope="session")
def plain_whisper(runtime: Runtime) -> WhisperModel:
    """faster-whisper as a user would call it: the same model, compute type and threads as the pipeline."""
    from pipeline.models_cache import starter_whisper_dir

    return WhisperModel(
        str(starter_whisper_dir(runtime.settings.model_cache_dir)), device="cpu", compute_type="int8", cpu_threads=2
    )


def plain_text(model: WhisperModel, path: Path) -> str:
    segments, _ = model.transcribe(str(path), beam_size=5, vad_filter=True)
    return " ".join(s.text for s in segments)


def process_one(runtime: Runtime, path: Path, **options: str) -> CallResult:
    [outcome] = process_files([path], CallOptions.build(**options), runtime=runtime)
    assert outcome.error is None, outcome.error
    assert outcome.result is not None
    return outcome.result


@pytest.fixture(scope="session")
def mono_result(rules_runtime: Runtime, data_dir: Path) -> CallResult:
    return process_one(rules_runtime, data_dir / "pyannote_sample.wav", language="en")


@pytest.fixture(scope="session")
def stereo_result(rules_runtime: Runtime, data_dir: Path) -> CallResult:
    return process_one(rules_runtime, data_dir / "fw_stereo_diarization.wav", channels="agent=1,customer=0")


@pytest.fixture(scope="session")
def sample_result(runtime: Runtime, sample_call: Path) -> CallResult:
    return process_one(runtime, sample_call)


def all_text(result: CallResult) -> str:
    return " ".join(u.text for u in result.conversation.utterances)


def check_consistent(result: CallResult) -> None:
    """Invariants every result must hold: grounded evidence, consistent scores, valid JSON."""
    text = all_text(result)
    card = result.analysis.scorecard
    for item in card.items:
        for evidence in item.evidence:
            if evidence.quote is not None:
                assert evidence.quote in text, f"{item.item_id}: quote not in transcript: {evidence.quote!r}"
                assert evidence.start is not None and evidence.start <= result.audio.duration_s + 0.5
        if item.answer == Answer.yes:
            assert item.score == item.weight
        elif item.answer == Answer.no:
            assert item.score == 0
        else:
            assert item.score is None
    decided = [i for i in card.items if i.answer in (Answer.yes, Answer.no)]
    assert card.max_score == pytest.approx(sum(i.weight for i in decided))
    assert card.score == pytest.approx(sum(i.weight for i in decided if i.answer == Answer.yes))
    if card.auto_failed:
        assert card.percent == 0
    elif card.max_score:
        assert card.percent == pytest.approx(100 * card.score / card.max_score, abs=0.05)
    for proposal in result.analysis.proposals:
        for evidence in proposal.evidence:
            if evidence.quote is not None:
                assert evidence.quote in text, f"{proposal.field}: quote not in transcript"
    assert CallResult.model_validate_json(result.model_dump_json()) == result
    starts = [u.start for u in result.conversation.utterances]
    assert starts == sorted(starts)


def test_mono_call_words_speakers_and_roles(mono_result: CallResult, plain_whisper: WhisperModel, data_dir: Path):
    reference, rows = stm_reference(data_dir / "pyannote_sample.stm")
    ours = jiwer.wer(words_of(reference), words_of(mono_result.transcript.text))
    plain = jiwer.wer(words_of(reference), words_of(plain_text(plain_whisper, data_dir / "pyannote_sample.wav")))
    assert ours <= plain + 0.02, f"WER {ours:.3f} vs plain faster-whisper {plain:.3f}"

    conversation = mono_result.conversation
    assert conversation.method == "diarization"
    assert sorted(conversation.roles.values()) == [Role.customer, Role.rep]
    # Each recognised word's speaker, mapped to the reference speaker talking at that moment.
    votes: dict[tuple[str, str], int] = {}
    for utterance in conversation.utterances:
        for word in utterance.words:
            middle = (word.start + word.end) / 2
            for start, end, speaker, _ in rows:
                if start <= middle <= end:
                    votes[(utterance.speaker, speaker)] = votes.get((utterance.speaker, speaker), 0) + 1
                    break
    mapping = {}
    for (ours_label, ref_label), _ in sorted(votes.items(), key=lambda kv: -kv[1]):
        if ours_label not in mapping and ref_label not in mapping.values():
            mapping[ours_label] = ref_label
    agreeing = sum(n for (o, r), n in votes.items() if mapping.get(o) == r)
    assert agreeing / sum(votes.values()) >= 0.9
    assert len(set(mapping.values())) == 2
    check_consistent(mono_result)


def test_stereo_call_one_speaker_per_channel(stereo_result: CallResult, data_dir: Path) -> None:
    lines = dict(line.split("\t") for line in (data_dir / "fw_stereo_diarization.tsv").read_text().splitlines()[1:])
    conversation = stereo_result.conversation
    assert conversation.method == "channels"
    assert stereo_result.transcript.channels == 2
    by_role = {role: " ".join(u.text for u in conversation.utterances if u.role == role) for role in Role}
    # channel 1 (right) is the rep by --channels agent=1,customer=0
    assert jiwer.wer(words_of(lines["right"]), words_of(by_role[Role.rep])) <= 0.2
    assert jiwer.wer(words_of(lines["left"]), words_of(by_role[Role.customer])) <= 0.2
    for utterance in conversation.utterances:
        assert {w.channel for w in utterance.words} == {1 if utterance.role == Role.rep else 0}
    check_consistent(stereo_result)


def test_sample_call_full_analysis(sample_result: CallResult, runtime: Runtime) -> None:
    result = sample_result
    assert result.transcript.language == "en"
    assert result.audio.sample_rate == 8000 and result.audio.channels == 1
    assert 270 < result.audio.duration_s < 285
    assert len(result.transcript.words) > 300
    assert {Role.rep, Role.customer} <= {u.role for u in result.conversation.utterances}
    metrics = result.analysis.metrics
    assert metrics.rep.talk_ratio + metrics.customer.talk_ratio == pytest.approx(1, abs=0.01)
    assert metrics.rep.questions > 0
    card = result.analysis.scorecard
    applicable = [i for i in card.items if i.answer != Answer.na]
    grounded = [i for i in applicable if i.answer in (Answer.yes, Answer.no) and i.evidence]
    assert len(grounded) / len(applicable) >= 0.4, [(i.item_id, i.answer) for i in card.items]
    assert card.decided_share == pytest.approx(
        len([i for i in applicable if i.answer in (Answer.yes, Answer.no)]) / len(applicable), abs=1e-3
    )
    assert result.analysis.summary.text
    assert result.provenance.script_id == card.script_id
    assert {m.stage for m in result.provenance.models} >= {"transcribe", "diarize", "analyze"}
    check_consistent(result)

    with runtime.db.session() as session:
        call = session.get(Call, result.id)
        assert call is not None and call.status == CallStatus.done
        row = session.get(CallResultRow, result.id)
        assert row is not None and row.script_version == card.script_version
        stored = session.query(Proposal).filter_by(call_id=result.id).count()
        assert stored == len(result.analysis.proposals)


def test_bad_recordings_fail_alone_and_keep_the_original(
    rules_runtime: Runtime, tmp_path: Path, data_dir: Path
) -> None:
    runtime = rules_runtime
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(256)) * 4)
    text = tmp_path / "notes.mp3"
    text.write_text("this is not audio\n" * 50)
    missing = tmp_path / "missing.wav"
    good = data_dir / "fw_stereo_diarization.wav"
    outcomes: list[Outcome] = process_files(
        [empty, corrupt, missing, good, text], CallOptions.build(channels="agent=1,customer=0"), runtime=runtime
    )
    by_name = {Path(o.source).name: o for o in outcomes}
    assert by_name["fw_stereo_diarization.wav"].error is None
    assert by_name["missing.wav"].error == "file not found" and by_name["missing.wav"].call_id is None
    assert "empty" in by_name["empty.wav"].error
    for name in ("empty.wav", "corrupt.wav", "notes.mp3"):
        outcome = by_name[name]
        assert outcome.error and "transcribe" in outcome.error
        with runtime.db.session() as session:
            call = session.get(Call, outcome.call_id)
            assert call is not None and call.status == CallStatus.failed
            assert call.error and call.error.startswith("transcribe:")
            assert runtime.storage.exists(call.recording.storage_key)
