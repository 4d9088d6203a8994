"""Decoding any telephony recording into 16 kHz float samples, one row per channel.

PyAV carries its own FFmpeg, so WAV (PCM, mu-law, A-law), MP3, OGG (Vorbis, Opus), M4A/AAC and FLAC decode with no
system packages. Channels stay separate: a stereo call usually holds one speaker per channel, and mixing them would
throw that away.
"""

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from av.audio.stream import AudioStream
from av.container import InputContainer

from models import AudioInfo
from models.errors import BadInput

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
MAX_CHANNELS = 2


class AudioError(BadInput, ValueError):
    """A recording that cannot be decoded; the message names the file and the problem."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class DecodedAudio:
    samples: np.ndarray
    """float32, shape (channels, n), at SAMPLE_RATE, values in [-1, 1]."""
    info: AudioInfo

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / SAMPLE_RATE


def decode(path: Path) -> DecodedAudio:
    """Decode a recording, keep at most its first two channels and resample each to 16 kHz."""
    path = Path(path)
    if not path.is_file():
        raise AudioError(path, "file not found")
    size = path.stat().st_size
    if size == 0:
        raise AudioError(path, "empty file")
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore")
    except av.error.FFmpegError as error:
        raise AudioError(path, f"not an audio file / unsupported format ({_reason(error)})") from error
    with container:
        if not container.streams.audio:
            found = ", ".join(f"{s.type} '{s.codec_context.name}'" for s in container.streams) or "no streams"
            raise AudioError(path, f"no audio stream (not an audio file / unsupported format: {found})")
        stream = container.streams.audio[0]
        codec = stream.codec_context
        channels = codec.channels
        if codec.sample_rate <= 0 or channels <= 0:
            raise AudioError(path, f"corrupt audio: the stream claims {codec.sample_rate} Hz and {channels} channels")
        samples = _decode_stream(path, container, stream)
    info = AudioInfo(
        container=_container_name(container.format.name, path),
        codec=codec.codec.canonical_name,
        sample_rate=codec.sample_rate,
        channels=channels,
        duration_s=samples.shape[1] / SAMPLE_RATE,
        size_bytes=size,
        sha256=_sha256(path),
    )
    return DecodedAudio(samples=samples, info=info)


def _decode_stream(path: Path, container: InputContainer, stream: AudioStream) -> np.ndarray:
    # 16-bit output, like faster-whisper's own decoder: the same file then gives the same words through either path.
    # The input layout is kept, so no channels are mixed.
    resampler = av.AudioResampler(format="s16", layout=None, rate=SAMPLE_RATE)
    pieces: list[np.ndarray] = []
    skipped = 0
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            break
        except av.error.FFmpegError as error:
            raise AudioError(path, f"corrupt audio: {_reason(error)}") from error
        try:
            frames = packet.decode()
        except av.error.FFmpegError:
            # One damaged packet in a long call should not cost the whole recording.
            skipped += 1
            continue
        for frame in frames:
            frame.pts = None
            pieces.extend(_planar(resampled) for resampled in resampler.resample(frame))
    pieces.extend(_planar(resampled) for resampled in resampler.resample(None))
    if skipped:
        logger.warning("skipped %d undecodable packets in %s", skipped, path)
    if sum(piece.shape[1] for piece in pieces) == 0:
        problem = f"{skipped} packets could not be decoded" if skipped else "the audio stream holds no samples"
        raise AudioError(path, f"corrupt audio: {problem}")
    # One conversion at a time, in place where possible: on an hour-long call each copy is hundreds of MB.
    pcm = np.concatenate(pieces, axis=1)
    pieces.clear()
    samples = pcm.astype(np.float32)
    del pcm
    samples /= 32768.0
    return samples


def _planar(frame: av.AudioFrame) -> np.ndarray:
    """Interleaved 16-bit samples → one row per channel, at most MAX_CHANNELS rows."""
    channels = len(frame.layout.channels)
    return frame.to_ndarray().reshape(-1, channels).T[:MAX_CHANNELS]


def _container_name(format_name: str, path: Path) -> str:
    """FFmpeg names some demuxers by family ('mov,mp4,m4a,...'); pick the member the file's extension names."""
    names = format_name.split(",")
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in names else names[0]


def _reason(error: av.error.FFmpegError) -> str:
    return error.strerror or type(error).__name__


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
