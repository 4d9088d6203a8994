"""Redacting a processed call for showing or publishing: transcript, turns, summary, scorecard, deal-gap signals and
proposals.

Proposed CRM values are redacted like any text, except a value that is on its own one phone number or e-mail
address while the redactor keeps proposed contacts: that is the contact the rep approves into the CRM. Their
quotes are redacted all the same. Call details from the PBX (numbers dialled, rep, CRM ids) are not speech and are
left as they are.
"""

from models import (
    Analysis,
    CallResult,
    Conversation,
    DealSignal,
    Evidence,
    FieldProposal,
    ItemResult,
    Summary,
    Transcript,
)
from models.proposal import FieldValue
from models.summary import CallCard
from redaction.redactor import Redactor
from redaction.words import redact_indexed, redact_word_sequences


def redact_transcript(transcript: Transcript, redactor: Redactor) -> Transcript:
    """Each channel's words are read on their own, so words of two speakers never make one number; a merged word
    takes the place of the first word it replaces."""
    by_channel: dict[int, list[int]] = {}
    for index, word in enumerate(transcript.words):
        by_channel.setdefault(word.channel, []).append(index)
    placed = []
    for indices in by_channel.values():
        (redacted,) = redact_indexed([[transcript.words[i] for i in indices]], redactor, transcript.language)
        placed += [(indices[first], word) for first, word in redacted]
    placed.sort(key=lambda item: item[0])
    return transcript.model_copy(update={"words": [word for _, word in placed]})


def redact_conversation(conversation: Conversation, redactor: Redactor) -> Conversation:
    """Each speaker's turns are read as one text, so a number split by the other speaker's "ага" is still found."""
    by_speaker: dict[str, list[int]] = {}
    for index, utterance in enumerate(conversation.utterances):
        by_speaker.setdefault(utterance.speaker, []).append(index)
    utterances = list(conversation.utterances)
    for indices in by_speaker.values():
        sequences = [conversation.utterances[i].words for i in indices]
        redacted = redact_word_sequences(sequences, redactor, conversation.language)
        for index, words in zip(indices, redacted, strict=True):
            utterances[index] = utterances[index].model_copy(update={"words": words})
    return conversation.model_copy(update={"utterances": utterances})


def redact_evidence(evidence: list[Evidence], redactor: Redactor, language: str) -> list[Evidence]:
    return [
        item.model_copy(update={"quote": redactor.text(item.quote, language)}) if item.quote else item
        for item in evidence
    ]


def redact_proposal_value(value: FieldValue, redactor: Redactor, language: str) -> FieldValue:
    if isinstance(value, list):
        return [_redact_value_text(item, redactor, language) for item in value]
    if not isinstance(value, str):
        return value
    return _redact_value_text(value, redactor, language)


def _redact_value_text(text: str, redactor: Redactor, language: str) -> str:
    if redactor.keep_proposed_contacts and redactor.is_contact(text, language):
        return text
    return redactor.text(text, language)


def redact_proposal(proposal: FieldProposal, redactor: Redactor, language: str) -> FieldProposal:
    return proposal.model_copy(
        update={
            "value": redact_proposal_value(proposal.value, redactor, language),
            "evidence": redact_evidence(proposal.evidence, redactor, language),
        }
    )


def _redact_card(card: CallCard, redactor: Redactor, language: str) -> CallCard:
    lines = [
        line.model_copy(
            update={
                "text": redactor.text(line.text, language),
                "evidence": redact_evidence(line.evidence, redactor, language),
            }
        )
        for line in card.lines
    ]
    return card.model_copy(update={"lines": lines})


def _redact_summary(summary: Summary, redactor: Redactor, language: str) -> Summary:
    return summary.model_copy(
        update={
            "text": redactor.text(summary.text, language),
            "key_points": [redactor.text(point, language) for point in summary.key_points],
            "next_step": redactor.text(summary.next_step, language) if summary.next_step else summary.next_step,
            "evidence": redact_evidence(summary.evidence, redactor, language),
            "card": _redact_card(summary.card, redactor, language) if summary.card else summary.card,
            "sections": [
                section.model_copy(
                    update={
                        "text": redactor.text(section.text, language) if section.text else section.text,
                        "evidence": redact_evidence(section.evidence, redactor, language),
                    }
                )
                for section in summary.sections
            ],
        }
    )


def _redact_item(item: ItemResult, redactor: Redactor, language: str) -> ItemResult:
    evidence = redact_evidence(item.evidence, redactor, language)
    return item.model_copy(update={"note": redactor.text(item.note, language), "evidence": evidence})


def _redact_signal(signal: DealSignal, redactor: Redactor, language: str) -> DealSignal:
    subject = redactor.text(signal.subject, language) if signal.subject else signal.subject
    evidence = redact_evidence(signal.evidence, redactor, language)
    return signal.model_copy(update={"subject": subject, "evidence": evidence})


def redact_analysis(analysis: Analysis, redactor: Redactor, language: str) -> Analysis:
    """`language` is the call's: it decides how phone numbers said without a country code are read."""
    scorecard = analysis.scorecard.model_copy(
        update={"items": [_redact_item(item, redactor, language) for item in analysis.scorecard.items]}
    )
    return analysis.model_copy(
        update={
            "summary": _redact_summary(analysis.summary, redactor, language),
            "scorecard": scorecard,
            "proposals": [redact_proposal(p, redactor, language) for p in analysis.proposals],
            "signals": [_redact_signal(signal, redactor, language) for signal in analysis.signals],
        }
    )


def redact_result(result: CallResult, redactor: Redactor) -> CallResult:
    """A copy of `result` fit to show or publish; `result` itself is left as it is. A redactor that has not yet read
    this call's numbers (`redactor_for_result`) reads them first."""
    if not redactor.learned:
        redactor = redactor_for_result(result, redactor)
    return result.model_copy(
        update={
            "transcript": redact_transcript(result.transcript, redactor),
            "conversation": redact_conversation(result.conversation, redactor),
            "analysis": redact_analysis(result.analysis, redactor, result.conversation.language),
        }
    )


def redactor_for_result(result: CallResult, redactor: Redactor) -> Redactor:
    """`redactor` for this call: its country, and the numbers said on it, whose parts in quotes, in the summary or
    read back by the other speaker are redacted too."""
    redactor = redactor.for_call(result.call)
    channels: dict[int, list[str]] = {}
    for word in result.transcript.words:
        channels.setdefault(word.channel, []).append(word.text.strip())
    speakers: dict[str, list[str]] = {}
    for utterance in result.conversation.utterances:
        speakers.setdefault(utterance.speaker, []).append(utterance.text)
    texts = [" ".join(words) for words in [*channels.values(), *speakers.values()]]
    return redactor.knowing(texts, result.conversation.language)
