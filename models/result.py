from datetime import datetime

from pydantic import BaseModel, Field

from models.audio import AudioInfo
from models.call import CallInfo
from models.conversation import Conversation
from models.metrics import ConversationMetrics
from models.proposal import FieldProposal
from models.scorecard import Scorecard
from models.signals import DealSignal
from models.summary import Summary
from models.transcript import Transcript


class ModelInfo(BaseModel):
    stage: str
    name: str
    version: str = Field(description="Package version or weights revision that produced the output.")


class Recognition(BaseModel):
    """Which recogniser heard the call, and why: the language it was routed by and the terms it was biased towards."""

    language: str
    language_probability: float = Field(ge=0, le=1)
    language_detected: bool = Field(description="False when the call's or its team's language was set.")
    recogniser: str = Field(description="The recogniser's configured name: whisper, gigaam, tone.")
    model: str
    bias_terms: int = Field(
        default=0,
        ge=0,
        description="How many terms the call's bias list held (a recogniser may take fewer: the first).",
    )


class Provenance(BaseModel):
    """What produced a result, so results of different versions are never mixed silently."""

    callintel_version: str
    models: list[ModelInfo]
    script_id: str
    script_version: str
    fields_id: str
    fields_version: str
    config_hash: str
    recognition: Recognition | None = Field(default=None, description="None for results from before routing.")


class Analysis(BaseModel):
    """The analyze stage's output."""

    metrics: ConversationMetrics
    summary: Summary
    scorecard: Scorecard
    proposals: list[FieldProposal]
    signals: list[DealSignal] = Field(
        default_factory=list, description="Deal gaps found on the call; see summarize/signals.py for the rules."
    )
    dropped_claims: int = Field(ge=0, description="LLM claims dropped because their quote is not in the transcript.")
    llm_model: ModelInfo | None = None


class CallResult(BaseModel):
    id: str = Field(description="callintel's own id for the call.")
    call: CallInfo
    audio: AudioInfo
    transcript: Transcript
    conversation: Conversation
    analysis: Analysis
    provenance: Provenance
    purged_at: datetime | None = Field(
        default=None, description="When retention removed the transcript and audio; the analysis is kept."
    )


class TranscriptAnalysis(BaseModel):
    """`callintel analyze`'s output: a transcript made elsewhere, analysed as a recording's conversation would be."""

    source: str = Field(description="The transcript file it was read from.")
    call: CallInfo
    conversation: Conversation
    analysis: Analysis
    provenance: Provenance
