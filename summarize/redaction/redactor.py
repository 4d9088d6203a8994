"""Which personal data to redact, and redacting it in one text."""

from dataclasses import dataclass

from summarize.redaction.emails import find_emails
from summarize.redaction.entities import PiiSpan, PiiType
from summarize.redaction.numbers import find_numbers


def find_pii(text: str, language: str, entities: frozenset[PiiType] = frozenset(PiiType)) -> list[PiiSpan]:
    """Non-overlapping spans of personal data of the given types, in text order (the longer of two that overlap)."""
    found: list[PiiSpan] = []
    if PiiType.email in entities:
        found += find_emails(text)
    found += [span for span in find_numbers(text, language) if span.type in entities]
    kept: list[PiiSpan] = []
    for span in sorted(found, key=lambda s: (s.start, -(s.end - s.start))):
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept


def replace_spans(text: str, spans: list[PiiSpan], offset: int = 0) -> str:
    """`text` with each span (positions relative to `offset`) replaced by its placeholder; spans are clipped to the
    text, so a number that continues past either end is still replaced where it shows."""
    parts: list[str] = []
    cursor = 0
    for span in spans:
        start, end = max(span.start - offset, 0), min(span.end - offset, len(text))
        if start >= end or start < cursor:
            continue
        parts += [text[cursor:start], span.type.placeholder]
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)


@dataclass(frozen=True)
class Redactor:
    """What a deployment redacts. `keep_proposed_contacts`: a proposed CRM value that is, on its own, one phone
    number or e-mail address is what the rep approves into the CRM's contact field, so it is shown as it is."""

    entities: frozenset[PiiType] = frozenset(PiiType)
    keep_proposed_contacts: bool = True

    def find(self, text: str, language: str) -> list[PiiSpan]:
        return find_pii(text, language, self.entities)

    def text(self, text: str, language: str) -> str:
        return replace_spans(text, self.find(text, language))

    def is_contact(self, value: str, language: str) -> bool:
        """Whether `value` is exactly one phone number or e-mail address (surrounding spaces aside)."""
        stripped = value.strip()
        spans = find_pii(stripped, language, frozenset({PiiType.phone, PiiType.email}))
        return len(spans) == 1 and spans[0].start == 0 and spans[0].end == len(stripped)
