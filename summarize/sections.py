"""Filling a note template's sections for one call.

A section takes, in order: the LLM's text when its quote is found in the transcript (`ground_quote`); else the
extractive fill: the evidence of the rule proposals for the section's CRM fields (budget from the money extractor,
the decision maker from its phrases...) and the utterances holding the section's evidence phrases, quoted verbatim;
else it stays "not discussed" (text None). An LLM text whose quote is missing or not in the transcript is dropped
and counted, never shown: a section is never filled with words the call does not back.
"""

from collections.abc import Mapping, Sequence

from models import Conversation, Evidence, FieldProposal, NoteTemplate, SummarySection, TemplateSection, Utterance
from summarize.grounding import ground_quote
from summarize.phrases import find_phrases


def section_requests(template: NoteTemplate, language: str) -> list[tuple[str, str]]:
    """(section id, instruction) pairs for the LLM request, in the template language closest to `language`."""
    code = template.language_for(language)
    return [(section.id, section.instruction[code]) for section in template.sections]


def _utterance_evidence(utterance: Utterance) -> Evidence:
    return Evidence(quote=utterance.text, start=utterance.start, end=utterance.end, role=utterance.role)


def _keep(evidence: list[Evidence], found: Evidence) -> None:
    """Add a quote, or widen the one it overlaps: two parts quoting one sentence give one piece of evidence."""
    start, end = found.start or 0.0, found.end or 0.0
    for index, kept in enumerate(evidence):
        if start <= (kept.end or 0.0) and (kept.start or 0.0) <= end:
            if end - start > (kept.end or 0.0) - (kept.start or 0.0):
                evidence[index] = found
            return
    evidence.append(found)


def _llm_section(
    conversation: Conversation, section: TemplateSection, title: str, answers: Sequence[object]
) -> tuple[SummarySection | None, int]:
    """The section from the LLM's answers (one per part of the call, in call order), and how many were dropped."""
    texts: list[str] = []
    evidence: list[Evidence] = []
    dropped = 0
    for answer in answers:
        if not isinstance(answer, dict) or not str(answer.get("text") or "").strip():
            continue
        quote = answer.get("quote")
        found = ground_quote(conversation, quote) if isinstance(quote, str) and quote.strip() else None
        if found is None:
            dropped += 1
            continue
        text = str(answer["text"]).strip()
        if text not in texts:
            texts.append(text)
        _keep(evidence, found)
    if not texts:
        return None, dropped
    return SummarySection(id=section.id, title=title, text=" ".join(texts), evidence=evidence, source="llm"), dropped


def _holding(conversation: Conversation, evidence: Evidence) -> int | None:
    """The utterance a rule's evidence was taken from."""
    for index, utterance in enumerate(conversation.utterances):
        inside = evidence.start is not None and utterance.start <= evidence.start <= utterance.end
        if inside and evidence.quote and evidence.quote in utterance.text:
            return index
    return None


def extractive_section(
    conversation: Conversation,
    section: TemplateSection,
    language: str,
    title: str,
    proposals: Sequence[FieldProposal] = (),
) -> SummarySection:
    """The section from rule results and evidence phrases, quoting whole utterances; 'not discussed' if none.

    Utterances behind the rule proposals of the section's CRM fields come first, then those holding its phrases;
    at most `max_quotes` of them, shown in call order.
    """
    chosen: list[int] = []
    for proposal in proposals:
        if proposal.field in section.crm_fields:
            chosen += [i for e in proposal.evidence if (i := _holding(conversation, e)) is not None]
    phrases = section.phrases.get(language) or []
    matches = find_phrases(conversation.utterances, phrases, language, role=section.speaker)
    chosen += [m.utterance_index for m in matches if not m.negated]
    kept = sorted(list(dict.fromkeys(chosen))[: section.max_quotes])
    if not kept:
        return SummarySection(id=section.id, title=title)
    utterances = [conversation.utterances[index] for index in kept]
    return SummarySection(
        id=section.id,
        title=title,
        text=" … ".join(u.text for u in utterances),
        evidence=[_utterance_evidence(u) for u in utterances],
        source="extractive",
    )


def fill_sections(
    conversation: Conversation,
    template: NoteTemplate,
    language: str,
    answers: Mapping[str, Sequence[object]] | None,
    proposals: Sequence[FieldProposal] = (),
) -> tuple[list[SummarySection], int]:
    """Every section of `template`, titled in the summary's language, and the count of LLM texts dropped.

    `answers` maps a section id to the LLM's answers for it (one per part of the call); None when there is no usable
    LLM answer. Phrases are looked for in the call's own language.
    """
    code = template.language_for(language)
    call_language = conversation.language.split("-")[0].lower()
    filled: list[SummarySection] = []
    dropped = 0
    for section in template.sections:
        title = section.title[code]
        from_llm, lost = _llm_section(conversation, section, title, (answers or {}).get(section.id) or [])
        dropped += lost
        filled.append(from_llm or extractive_section(conversation, section, call_language, title, proposals))
    return filled, dropped
