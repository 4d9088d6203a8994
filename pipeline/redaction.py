"""What of a call is shown or published: the stored result is raw (analysis reads it), every view of it goes
through here, redacted as the settings say (`CALLINTEL_REDACT_PII`, `_REDACT_ENTITIES`, `_REDACT_PROPOSED_CONTACTS`)."""

from models import Analysis, CallInfo, CallResult, Evidence, TranscriptAnalysis
from models.proposal import FieldValue
from pipeline.settings import Settings
from redaction.redactor import Redactor
from redaction.result import (
    redact_analysis,
    redact_conversation,
    redact_evidence,
    redact_proposal_value,
    redact_result,
    redactor_for_result,
)


def redactor_for(settings: Settings, call: CallInfo | None = None, said: CallResult | None = None) -> Redactor | None:
    """None when redaction is switched off. With `call`, phone numbers are read in the country of its numbers;
    with `said` (the call's stored result), parts of the numbers said on the call are redacted too."""
    if not settings.redact_pii:
        return None
    redactor = Redactor(
        frozenset(settings.redact_entities), keep_proposed_contacts=not settings.redact_proposed_contacts
    )
    if said is not None:
        return redactor_for_result(said, redactor)
    return redactor.for_call(call) if call is not None else redactor


def shown_result(result: CallResult, settings: Settings) -> CallResult:
    return shown_call(result, redactor_for(settings))


def shown_call(result: CallResult, redactor: Redactor | None) -> CallResult:
    """`result` as shown (`redactor` None: redaction is off)."""
    return result if redactor is None else redact_result(result, redactor)


def shown_analysis(analysis: Analysis, call: CallInfo, language: str, settings: Settings) -> Analysis:
    redactor = redactor_for(settings, call)
    return analysis if redactor is None else redact_analysis(analysis, redactor, language)


def shown_value(value: FieldValue, redactor: Redactor | None, language: str) -> FieldValue:
    """A proposed CRM value as a rep sees it (`redactor` None: redaction is off)."""
    return value if redactor is None else redact_proposal_value(value, redactor, language)


def shown_evidence(evidence: list[Evidence], redactor: Redactor | None, language: str) -> list[Evidence]:
    return evidence if redactor is None else redact_evidence(evidence, redactor, language)


def shown_transcript_analysis(result: TranscriptAnalysis, settings: Settings) -> TranscriptAnalysis:
    """An analysed transcript as shown: its conversation and analysis redacted like a processed call's."""
    redactor = redactor_for(settings, result.call)
    if redactor is None:
        return result
    language = result.conversation.language
    return result.model_copy(
        update={
            "conversation": redact_conversation(result.conversation, redactor),
            "analysis": redact_analysis(result.analysis, redactor, language),
        }
    )
