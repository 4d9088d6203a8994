"""Which personal data to redact, and redacting it in one text."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import phonenumbers

from models import CallInfo
from redaction.emails import find_emails
from redaction.entities import PiiSpan, PiiType
from redaction.numbers import digits_of, find_numbers


def find_pii(
    text: str,
    language: str,
    entities: frozenset[PiiType] = frozenset(PiiType),
    region: str | None = None,
    known: Mapping[str, PiiType] | None = None,
) -> list[PiiSpan]:
    """Non-overlapping spans of personal data of the given types, in text order (the longer of two that overlap);
    `region` is the call's country, where phone numbers said without a country code are read first; `known`, the
    digits of numbers found elsewhere in the call, whose parts are redacted too."""
    found: list[PiiSpan] = []
    if PiiType.email in entities:
        found += find_emails(text)
    found += [span for span in find_numbers(text, language, region, known) if span.type in entities]
    kept: list[PiiSpan] = []
    for span in sorted(found, key=lambda s: (s.start, -(s.end - s.start))):
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept


def call_region(call: CallInfo) -> str | None:
    """The country of the call's phone numbers as the PBX gave them ("+44 ..." → "GB"), if any says one."""
    for number in (call.from_number, call.to_number):
        if number and number.strip().startswith("+"):
            try:
                region = phonenumbers.region_code_for_number(phonenumbers.parse(number))
            except phonenumbers.NumberParseException:
                continue
            if region and region != "ZZ":
                return region
    return None


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
    number or e-mail address is what the rep approves into the CRM's contact field, so it is shown as it is.
    `region`: the country of the call being redacted (`for_call`); `known`: digits of the numbers said on it
    (`knowing`), so that parts of them are redacted too."""

    entities: frozenset[PiiType] = frozenset(PiiType)
    keep_proposed_contacts: bool = True
    region: str | None = None
    known: tuple[tuple[str, PiiType], ...] = ()
    learned: bool = False
    """Whether `knowing` has read the call already, so redacting its result reads it no second time."""

    def for_call(self, call: CallInfo) -> "Redactor":
        """This redactor for one call: its numbers' country is where phone numbers without a code are read."""
        return replace(self, region=call_region(call))

    def knowing(self, texts: Iterable[str], language: str) -> "Redactor":
        """This redactor, also redacting parts of the numbers found in `texts` (what was said on the call)."""
        known = dict(self.known)
        for text in texts:
            for span in find_pii(text, language, self.entities - {PiiType.email}, self.region):
                known.setdefault(digits_of(text[span.start : span.end]), span.type)
        return replace(self, known=tuple(known.items()), learned=True)

    def find(self, text: str, language: str) -> list[PiiSpan]:
        return find_pii(text, language, self.entities, self.region, dict(self.known))

    def text(self, text: str, language: str) -> str:
        return replace_spans(text, self.find(text, language))

    def is_contact(self, value: str, language: str) -> bool:
        """Whether `value` is exactly one phone number or e-mail address (surrounding spaces aside)."""
        stripped = value.strip()
        spans = find_pii(stripped, language, frozenset({PiiType.phone, PiiType.email}), self.region)
        return len(spans) == 1 and spans[0].start == 0 and spans[0].end == len(stripped)
