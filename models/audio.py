from pydantic import BaseModel, Field


class AudioInfo(BaseModel):
    """What the decoder found in a recording, before any resampling."""

    container: str = Field(description="Container format as the decoder names it, e.g. 'wav', 'mp3', 'ogg'.")
    codec: str = Field(description="Audio codec, e.g. 'pcm_mulaw', 'pcm_s16le', 'opus'.")
    sample_rate: int = Field(gt=0, description="Sample rate of the original recording, Hz.")
    channels: int = Field(ge=1)
    duration_s: float = Field(ge=0)
    size_bytes: int = Field(ge=0)
    sha256: str = Field(description="Hex digest of the original file's bytes; a recording's identity for dedupe.")
