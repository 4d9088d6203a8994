"""Speech recognition on real recordings with the starter Whisper model, measured against plain faster-whisper."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")

import re
import time
from pathlib import Path

import jiwer
import numpy as np
import pytest
from faster_whisper import WhisperModel

from models import Transcript
from tests.support.fixtures_audio import AWS_CALL, MONO_WAV, RUSSIAN_FLAC, RUSSIAN_WAV, STEREO_WAV, normalise
from tests.support.whisper_fixtures import DECODING, THREADS
from transcribe import SAMPLE_RATE, DecodedAudio, UnknownLanguage, decode, transcribe_call
from transcribe.whisper import FasterWhisperBackend

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def _plain_text(model: WhisperModel, path: Path) -> str:
    segments, _ = model.transcribe(str(path), beam_size=5, vad_filter=True)
    return " ".join(segment.text.strip() for segment in segments)


def _wer(reference: str, hypothesis: str) -> float:
    return jiwer.wer(normalise(reference), normalise(hypothesis))


def _stm_text(path: Path) -> str:
    return " ".join(" ".join(line.split()[5:]) for line in path.read_text().splitlines() if line.strip())


def _tsv_texts(path: Path) -> list[str]:
    rows = dict(line.split("\t", 1) for line in path.read_text().splitlines()[1:] if line.strip())
    return [rows["left"], rows["right"]]


def _channel_text(transcript: Transcript, channel: int) -> str:
    return " ".join(word.text for word in transcript.words if word.channel == channel)


def _assert_well_timed(transcript: Transcript) -> None:
    starts = [word.start for word in transcript.words]
    assert starts == sorted(starts)
    for word in transcript.words:
        assert 0 <= word.start <= word.end <= transcript.duration_s
        assert 0 <= word.probability <= 1
        assert word.text == word.text.strip() and word.text


def _excerpt(audio: DecodedAudio, seconds: float) -> DecodedAudio:
    samples = audio.samples[:, : int(seconds * SAMPLE_RATE)]
    return DecodedAudio(
        samples=samples, info=audio.info.model_copy(update={"duration_s": samples.shape[1] / SAMPLE_RATE})
    )


@pytest.fixture(scope="session")
def mono_run(whisper_backend, plain_whisper) -> dict:
    audio = decode(MONO_WAV)
    started = time.perf_counter()
    transcript = transcribe_call(audio, whisper_backend)
    ours_s = time.perf_counter() - started
    started = time.perf_counter()
    plain = _plain_text(plain_whisper, MONO_WAV)
    plain_s = time.perf_counter() - started
    return {"transcript": transcript, "plain": plain, "ours_s": ours_s, "plain_s": plain_s}


@pytest.fixture(scope="session")
def stereo_run(whisper_backend, plain_whisper) -> dict:
    transcript = transcribe_call(decode(STEREO_WAV), whisper_backend)
    return {"transcript": transcript, "plain": _plain_text(plain_whisper, STEREO_WAV)}


@pytest.fixture(scope="session")
def aws_transcript(whisper_backend) -> Transcript:
    return transcribe_call(decode(AWS_CALL), whisper_backend)


def test_mono_call_is_as_accurate_as_plain_faster_whisper(mono_run):
    reference = _stm_text(MONO_WAV.with_suffix(".stm"))
    transcript = mono_run["transcript"]
    ours, plain = _wer(reference, transcript.text), _wer(reference, mono_run["plain"])
    print(
        f"pyannote sample WER: ours {ours:.3f}, plain {plain:.3f}; "
        f"time ours {mono_run['ours_s']:.1f}s, plain {mono_run['plain_s']:.1f}s"
    )
    assert ours <= plain + 0.02
    assert ours < 0.3
    assert transcript.channels == 1
    assert transcript.language == "en" and transcript.language_probability > 0.5
    assert transcript.duration_s == pytest.approx(30.0)
    assert {word.channel for word in transcript.words} == {0}
    _assert_well_timed(transcript)


def test_word_timing_leaves_plain_faster_whispers_words_unchanged(mono_run):
    assert normalise(mono_run["transcript"].text) == normalise(mono_run["plain"])


def test_mono_words_land_in_the_reference_turns(mono_run):
    turns = [line.split() for line in MONO_WAV.with_suffix(".rttm").read_text().splitlines() if line.strip()]
    spans = [(float(turn[3]), float(turn[3]) + float(turn[4])) for turn in turns]
    words = mono_run["transcript"].words
    midpoints = [(word.start + word.end) / 2 for word in words]
    inside = sum(any(start - 0.5 <= mid <= end + 0.5 for start, end in spans) for mid in midpoints)
    assert inside / len(words) > 0.9


def test_stereo_call_recognises_each_side_on_its_own_channel(stereo_run):
    references = _tsv_texts(STEREO_WAV.with_suffix(".tsv"))
    transcript = stereo_run["transcript"]
    assert transcript.channels == 2
    assert transcript.language == "en"
    for channel, reference in enumerate(references):
        channel_wer = _wer(reference, _channel_text(transcript, channel))
        print(f"stereo channel {channel} WER: {channel_wer:.3f}")
        assert channel_wer < 0.3
    both = " ".join(references)
    ours = _wer(both, _channel_text(transcript, 0) + " " + _channel_text(transcript, 1))
    plain = _wer(both, stereo_run["plain"])
    print(f"stereo WER: ours {ours:.3f}, plain (downmixed) {plain:.3f}")
    assert ours <= plain + 0.02
    _assert_well_timed(transcript)


def test_stereo_language_is_detected_once_for_both_sides(whisper_backend, stereo_run):
    audio = decode(STEREO_WAV)
    louder = int(np.argmax(np.sqrt(np.mean(audio.samples**2, axis=1))))
    language, probability = whisper_backend.detect_language(audio.samples[louder])
    transcript = stereo_run["transcript"]
    assert transcript.language == language == "en"
    assert transcript.language_probability == pytest.approx(probability)


def test_a_mono_call_saved_as_stereo_is_recognised_once(whisper_backend):
    mono = decode(RUSSIAN_WAV)
    alone = transcribe_call(mono, whisper_backend, language="ru")
    for second in (mono.samples[0], np.zeros_like(mono.samples[0])):
        stereo = DecodedAudio(samples=np.stack([mono.samples[0], second]), info=mono.info)
        transcript = transcribe_call(stereo, whisper_backend, language="ru")
        assert transcript.channels == 1
        assert [word.text for word in transcript.words] == [word.text for word in alone.words]


def test_russian_speech_gives_cyrillic_words(whisper_backend):
    transcript = transcribe_call(decode(RUSSIAN_WAV), whisper_backend, language="ru")
    reference = RUSSIAN_WAV.with_suffix(".txt").read_text()
    assert transcript.language == "ru"
    assert transcript.words and all(CYRILLIC.search(word.text) for word in transcript.words)
    assert _wer(reference, transcript.text) <= 0.5
    _assert_well_timed(transcript)


def test_russian_is_detected_when_no_language_is_given(whisper_backend):
    transcript = transcribe_call(_excerpt(decode(RUSSIAN_FLAC), 12.0), whisper_backend)
    assert transcript.language == "ru"
    assert transcript.language_probability > 0.5
    cyrillic = sum(bool(CYRILLIC.search(word.text)) for word in transcript.words)
    assert cyrillic / len(transcript.words) > 0.8


def test_vocabulary_steers_recognition(whisper_backend):
    # Whisper base hears "Neither did I" (at 9.8 s) as "I need the design" unless told the phrase.
    opening = _excerpt(decode(MONO_WAV), 15.0)
    transcript = transcribe_call(opening, whisper_backend, vocabulary=["Sheila", "Diane", "Neither did I"])
    assert "neither did i" in normalise(transcript.text)
    assert normalise(transcript.text).startswith("hello hello oh hello i didn't know you were there")


def test_silence_gives_no_words(whisper_backend):
    audio = decode(RUSSIAN_WAV)
    silent = DecodedAudio(samples=np.zeros((1, 3 * SAMPLE_RATE), dtype=np.float32), info=audio.info)
    transcript = transcribe_call(silent, whisper_backend)
    assert transcript.words == []


def test_unknown_language_is_refused(whisper_backend):
    audio = decode(RUSSIAN_WAV)
    with pytest.raises(UnknownLanguage, match="'klingon'"):
        transcribe_call(audio, whisper_backend, language="klingon")


def test_batched_recognition(whisper_dir):
    batched = FasterWhisperBackend(
        whisper_dir, compute_type="int8", cpu_threads=THREADS, batch_size=4, decoding=DECODING
    )
    transcript = transcribe_call(decode(STEREO_WAV), batched)
    for channel, reference in enumerate(_tsv_texts(STEREO_WAV.with_suffix(".tsv"))):
        assert _wer(reference, _channel_text(transcript, channel)) < 0.3
    _assert_well_timed(transcript)


def test_batching_needs_the_vad(whisper_dir):
    with pytest.raises(ValueError, match="vad"):
        FasterWhisperBackend(whisper_dir, compute_type="int8", batch_size=4, vad=False, decoding=DECODING)


def test_backend_names_its_model(whisper_backend, whisper_dir):
    assert whisper_backend.name == str(whisper_dir)
    assert whisper_backend.version.startswith("faster-whisper 1.")


def test_long_phone_call(aws_transcript):
    assert aws_transcript.language == "en"
    assert aws_transcript.channels == 1
    assert aws_transcript.duration_s == pytest.approx(277.66, abs=0.01)
    assert len(aws_transcript.words) > 300
    _assert_well_timed(aws_transcript)
    # Speech runs through the whole call, not just its first minutes.
    assert aws_transcript.words[-1].end > 0.9 * aws_transcript.duration_s
