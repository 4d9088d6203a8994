"""The contracts every stage speaks: calls, transcripts, scripts, scorecards, CRM proposals, results."""

from models.audio import AudioInfo
from models.call import CallDirection, CallInfo, ChannelLayout
from models.conversation import Conversation, NonSpeaker, Role, Utterance
from models.errors import BadInput, CallintelError, Unavailable, worth_retrying
from models.events import CallFailed, CallProcessed, Event
from models.evidence import Evidence
from models.fields import Extractor, FieldSchema, FieldSpec, FieldType
from models.incoming import IncomingCall
from models.metrics import ConversationMetrics, RoleMetrics
from models.note_template import NoteTemplate, TemplateSection
from models.proposal import FieldProposal, ProposalStatus
from models.result import Analysis, CallResult, ModelInfo, Provenance, Recognition, TranscriptAnalysis
from models.scorecard import Answer, DecisionSource, ItemResult, NoScoreReason, Scorecard, SectionResult
from models.script import CallScript, Method, MetricCondition, ScriptItem, ScriptSection
from models.signals import DealSignal, SignalKind, SignalSeverity
from models.stage import CallStatus, Stage
from models.summary import Summary, SummarySection
from models.transcript import Transcript, Word

__all__ = [
    "Analysis",
    "Answer",
    "AudioInfo",
    "BadInput",
    "CallDirection",
    "CallFailed",
    "CallInfo",
    "CallProcessed",
    "CallResult",
    "CallScript",
    "CallStatus",
    "CallintelError",
    "ChannelLayout",
    "Conversation",
    "ConversationMetrics",
    "DealSignal",
    "DecisionSource",
    "Event",
    "Evidence",
    "Extractor",
    "FieldProposal",
    "FieldSchema",
    "FieldSpec",
    "FieldType",
    "IncomingCall",
    "ItemResult",
    "Method",
    "MetricCondition",
    "ModelInfo",
    "NoScoreReason",
    "NonSpeaker",
    "NoteTemplate",
    "ProposalStatus",
    "Provenance",
    "Recognition",
    "Role",
    "RoleMetrics",
    "Scorecard",
    "ScriptItem",
    "ScriptSection",
    "SectionResult",
    "SignalKind",
    "SignalSeverity",
    "Stage",
    "Summary",
    "SummarySection",
    "TemplateSection",
    "Transcript",
    "TranscriptAnalysis",
    "Unavailable",
    "Utterance",
    "Word",
    "worth_retrying",
]
