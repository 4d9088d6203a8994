"""A call's recording as browsers play it: MP3 (every desktop and phone browser plays it), made once from the stored
recording and kept in storage next to the call's outputs.

Channels are kept (a stereo call stays stereo, the rep on one side), the sample rate too where MP3 allows it. The
bit rate is constant, so a player can seek by byte offset. Retention deletes this copy with the recording.
"""

import tempfile
from datetime import datetime
from pathlib import Path

import av
from av.audio.resampler import AudioResampler
from sqlalchemy import select

from models.errors import BadInput
from pipeline.db import Call, Recording
from pipeline.runtime import Runtime

MEDIA_TYPE = "audio/mpeg"
BITRATE_PER_CHANNEL = 48_000
# The sample rates MP3 (MPEG-1, 2 and 2.5 layer III) can carry.
_MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)


class PlaybackError(BadInput, RuntimeError):
    """The call's audio cannot be played; the message says why."""


class AudioPurged(PlaybackError):
    """Retention deleted the recording."""

    def __init__(self, call_id: str, purged_at: datetime) -> None:
        super().__init__(
            f"the audio of call {call_id} was deleted by the retention policy on {purged_at:%Y-%m-%d}; "
            "the analysis is kept"
        )
        self.purged_at = purged_at


def playback_key(call_id: str) -> str:
    return f"calls/{call_id}/playback.mp3"


def _rate_for(rate: int) -> int:
    """The MP3 sample rate closest to the recording's without going below it (telephony 8 kHz stays 8 kHz)."""
    return next((allowed for allowed in _MP3_RATES if allowed >= rate), _MP3_RATES[-1])


def encode_mp3(source: Path, target: Path) -> None:
    """Encode `source` (anything FFmpeg decodes) as constant-bit-rate MP3, keeping up to two channels."""
    try:
        with av.open(str(source), metadata_errors="ignore") as inp:
            if not inp.streams.audio:
                raise PlaybackError(f"{source.name}: the recording has no audio stream")
            stream = inp.streams.audio[0]
            channels = min(stream.codec_context.channels or 1, 2)
            layout = "stereo" if channels == 2 else "mono"
            rate = _rate_for(stream.codec_context.sample_rate or 8000)
            with av.open(str(target), mode="w", format="mp3") as out:
                encoder = out.add_stream("libmp3lame", rate=rate, layout=layout)
                encoder.bit_rate = BITRATE_PER_CHANNEL * channels
                resampler = AudioResampler(format="s16p", layout=layout, rate=rate)
                for frame in inp.decode(stream):
                    for converted in resampler.resample(frame):
                        out.mux(encoder.encode(converted))
                for converted in resampler.resample(None):
                    out.mux(encoder.encode(converted))
                out.mux(encoder.encode(None))
    except av.error.FFmpegError as exc:
        raise PlaybackError(f"{source.name}: the recording cannot be decoded: {exc}") from exc


def playback_audio(runtime: Runtime, call_id: str) -> bytes:
    """The call's audio as MP3 bytes, made and stored on first use. Raises LookupError for no such call,
    AudioPurged after retention, PlaybackError for audio that is missing or cannot be decoded."""
    with runtime.db.session() as session:
        row = session.execute(
            select(Recording.storage_key, Recording.purged_at).join(Call).where(Call.id == call_id)
        ).one_or_none()
    if row is None:
        raise LookupError(call_id)
    storage_key, purged_at = row
    if purged_at is not None:
        raise AudioPurged(call_id, purged_at)
    key = playback_key(call_id)
    if runtime.storage.exists(key):
        return runtime.storage.get_bytes(key)
    if not runtime.storage.exists(storage_key):
        raise PlaybackError(f"the recording of call {call_id} is missing from storage")
    with (
        runtime.storage.local_path(storage_key) as source,
        tempfile.TemporaryDirectory(prefix="callintel-playback-") as folder,
    ):
        target = Path(folder) / "playback.mp3"
        encode_mp3(source, target)
        data = target.read_bytes()
    runtime.storage.put_bytes(key, data)
    return data
