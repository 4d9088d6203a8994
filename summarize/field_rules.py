"""Rule-based CRM field proposals: the deterministic extractors a field schema names, run before the LLM is asked.

Each field with an `extractor` gets one proposal per distinct value found, backed by every verbatim quote that
said it (source "rule"). Confidence per extractor:

| extractor | value | confidence |
|---|---|---|
| email | lower-cased address | 0.95 |
| email, dictated | "лена точка смирнова собака мейл ру" (`summarize.spoken_email`), or read back | 0.85 / 0.7 |
| phone | E.164 number | 0.95 |
| money | "50000 RUB": a total, not a unit price (`summarize.extract_money`) | 0.9 with a cue, 0.7 in an answer |
| date | the date phrase as said ("next Tuesday"), resolved by crm_fill | 0.9 with a year, 0.6 relative |
| agreed_date | a date the rep offered and the customer accepted (see `summarize.agreed_dates`) | 0.5–0.85 |
| decision_maker | a role and name, a name as the decider (`summarize.extract_people`), or a phrase's value | 0.7–0.9 |
| organizations | organisations named as used or considered (see `summarize.extract_orgs`) | 0.7–0.85 |
| deal_stage | `closed_lost` after a refusal, `proposal` after a rep's price (see `summarize.deal_stage`) | 0.85, 0.6 |
| name | the name after "my name is", "меня зовут" (0.9), "this is" (0.7), a reply to "your name" (0.8) | 0.7–0.9 |
| identifier | a token of four or more characters with a digit ("cminh730"), read where the field's cue is | 0.85 |
| phrases | the value whose phrase was said (negated mentions do not count) | 0.85; 0.6 when only the rep said it |
| phrases, catalogue | products the customer showed interest in (`summarize.extract_products`) | 0.85 or 0.7 |

A confidence of 0.8 or more is meant to be right at least nine times in ten (the analyze-stage evaluation reports
how often it is, benchmarks/README.md). A phrase value of a field read from both speakers that only the rep said
is kept below that: a rep listing what the product does ("речевая аналитика, оценка звонков, интеграция с CRM") is a
pitch, not the customer's interest, and such values were right about half the time.

Which words are read:
- `speaker` limits an extractor to the rep's or the customer's utterances (and those whose role is unknown, so a
  call whose roles could not be told apart still yields values);
- for money, date and identifier fields, `context_phrases` (language → cue phrases) limits the extractor to the
  utterances that contain a cue, and to the other speaker's answer to a cue said as a request: a question ("When do
  you plan to go live?" — "End of next month.") or words that ask ("give me the order id", "продиктуйте номер").
  The answer is the other speaker's next turn, all of it, even when the asker adds a word first ("please"): this is
  what tells the date of the next step from the expected close date;
- where phrases of two values cover the same words, the longer phrase wins: "решает совет директоров" is a
  committee, not "решает ... директор"; a committee said in the turn where the speaker also names their own part
  ("совет решает, я главврач") wins over "the person on the call";
- a dictated address is 0.85 when the other side says it back word for word, else 0.7; where the customer's own
  words cannot be read whole ("ви точка крылов ну как крылья собака ..."), the rep's read-back in the next turn is
  the customer's address.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from models import Conversation, Evidence, Extractor, FieldProposal, FieldSchema, FieldSpec, Role, Utterance
from summarize.agreed_dates import agreed_dates
from summarize.deal_stage import suggested_stage
from summarize.extract_contacts import answered_name, find_emails, find_identifiers, find_names, find_phones
from summarize.extract_dates import find_dates
from summarize.extract_money import amount_confidence, total_amounts
from summarize.extract_orgs import find_competitors, introduced_names, named_as_competitor
from summarize.extract_people import find_decision_makers
from summarize.extract_products import find_products
from summarize.phrases import PhraseMatch, find_phrases
from summarize.spoken_email import find_spoken_emails, read_back_emails
from summarize.text import normalize

# Words that make a cue a request even without a question mark (ASR text often has none).
_REQUEST = re.compile(
    r"\b(?:(?:could|can|would|will) you|you (?:could|would|can)|may i|can i|please|(?:give|tell|send) me|"
    r"what(?:'s| is| was)|need (?:your|the)|скажите|подскажите|назовите|продиктуйте|уточните|напишите|"
    r"пришлите|пожалуйста|можете|не могли бы|как(?:ой|ая|ое|ие|ую|ого|ов))\b",
    re.IGNORECASE,
)

EMAIL_CONFIDENCE = 0.95
# A dictated address read back the same way by the other side was confirmed on the call; one said once may have
# lost a word to the recogniser or to the reader's boundary.
SPOKEN_EMAIL_CONFIDENCE = 0.7
CONFIRMED_SPOKEN_EMAIL_CONFIDENCE = 0.85
PHONE_CONFIDENCE = 0.95
ABSOLUTE_DATE_CONFIDENCE = 0.9
# A relative date read where a timeline cue is said was right about half the time on the blind set's dev part
# (10 of 19: "в четверг" is often the next call, not the deal's date); one with its year 0.9.
RELATIVE_DATE_CONFIDENCE = 0.6
PHRASE_CONFIDENCE = 0.85
REP_MENTION_CONFIDENCE = 0.6
IDENTIFIER_CONFIDENCE = 0.85
COMMITTEE, ON_THE_CALL = "a committee", "the person on the call"


@dataclass(frozen=True)
class _Found:
    value: str
    confidence: float
    evidence: Evidence


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    value: str
    confidence: float


def _quote(utterance: Utterance, start: int, end: int) -> Evidence:
    """The words of `utterance` that overlap characters [start, end) of its text, as evidence."""
    words, position = [], 0
    for word in utterance.words:
        text = word.text.strip()
        if not text:
            continue
        if position < end and start < position + len(text):
            words.append(word)
        position += len(text) + 1
    return Evidence(
        quote=" ".join(word.text.strip() for word in words),
        start=words[0].start,
        end=words[-1].end,
        role=utterance.role,
    )


def _is_request(text: str) -> bool:
    return "?" in text or _REQUEST.search(text) is not None


def _answer(utterances: Sequence[Utterance], asked: int) -> set[int]:
    """The other speaker's next turn after utterance `asked`: their consecutive utterances, once they start."""
    asker = utterances[asked].speaker
    answer: set[int] = set()
    for index in range(asked + 1, len(utterances)):
        if utterances[index].speaker != asker:
            answer.add(index)
        elif answer or index - asked > 2:
            break
    return answer


def _readable(
    conversation: Conversation, spec: FieldSpec, language: str
) -> tuple[list[Utterance], dict[int, list[int]]]:
    """The utterances the field's extractor reads, and for those that say one of its cue phrases themselves
    (rather than answer a cue) the character offsets of the cues, by position in `conversation`."""
    utterances = conversation.utterances
    if spec.speaker in {Role.rep, Role.customer}:
        wanted = {Role(spec.speaker), Role.unknown}
        allowed = {i for i, u in enumerate(utterances) if u.role in wanted}
    else:
        allowed = set(range(len(utterances)))
    cues = spec.context_phrases if spec.extractor != Extractor.phrases else {}
    if not cues:
        return [utterances[i] for i in sorted(allowed)], {i: [] for i in allowed}
    phrases = cues.get(language[:2]) or [phrase for group in cues.values() for phrase in group]
    offsets: dict[int, list[int]] = {}
    for match in find_phrases(utterances, phrases, language):
        text = utterances[match.utterance_index].text
        offsets.setdefault(match.utterance_index, []).append(max(text.find(match.quote), 0))
    answers = {
        index for asked in offsets if _is_request(utterances[asked].text) for index in _answer(utterances, asked)
    }
    allowed &= set(offsets) | answers
    return [utterances[i] for i in sorted(allowed)], {i: offsets[i] for i in allowed if i in offsets}


def _spans(spec: FieldSpec, language: str) -> Callable[[str, list[int] | None], list[_Span]]:
    """The extractor's mentions in one utterance's text, given where the utterance says the field's cues (None: it
    only answers one)."""
    if spec.extractor == Extractor.money:
        return lambda text, cued: [
            _Span(m.start, m.end, m.value, confidence)
            for m in total_amounts(text)
            if (confidence := amount_confidence(text, m, cued)) > 0
        ]
    if spec.extractor == Extractor.date:
        return lambda text, _cued: [
            _Span(m.start, m.end, m.phrase, RELATIVE_DATE_CONFIDENCE if m.relative else ABSOLUTE_DATE_CONFIDENCE)
            for m in find_dates(text)
        ]
    if spec.extractor == Extractor.decision_maker:
        return lambda text, _cued: [
            _Span(m.start, m.end, m.value, m.confidence) for m in find_decision_makers(text, language)
        ]
    if spec.extractor == Extractor.name:
        return lambda text, _cued: [_Span(m.start, m.end, m.value, m.confidence) for m in find_names(text, language)]
    if spec.extractor == Extractor.identifier:
        cues = spec.context_phrases.get(language[:2]) or [p for group in spec.context_phrases.values() for p in group]
        return lambda text, _cued: [
            _Span(m.start, m.end, m.value, IDENTIFIER_CONFIDENCE) for m in find_identifiers(text, cues)
        ]
    if spec.extractor == Extractor.phone:
        return lambda text, _cued: [
            _Span(m.start, m.end, m.value, PHONE_CONFIDENCE) for m in find_phones(text, language)
        ]
    return lambda text, _cued: (
        [_Span(m.start, m.end, m.value, EMAIL_CONFIDENCE) for m in find_emails(text)]
        + [_Span(m.start, m.end, m.value, SPOKEN_EMAIL_CONFIDENCE) for m in find_spoken_emails(text)]
    )


def _read_back(conversation: Conversation, spec: FieldSpec) -> list[_Found]:
    """For an address the customer gives: the rep's read-back of a dictation that cannot be read whole."""
    if spec.speaker != Role.customer:
        return []
    utterances = conversation.utterances
    return [
        _Found(m.value, SPOKEN_EMAIL_CONFIDENCE, _quote(utterances[index], m.start, m.end))
        for index, m in read_back_emails(utterances)
    ]


def _confirmed(conversation: Conversation, found: list[_Found]) -> list[_Found]:
    """Dictated addresses that the other side also said, word for word, raised to the confirmed confidence."""
    said_by: dict[str, set[Role | None]] = {}
    for utterance in conversation.utterances:
        for mention in find_spoken_emails(utterance.text):
            said_by.setdefault(mention.value, set()).add(utterance.role)
    return [
        _Found(item.value, CONFIRMED_SPOKEN_EMAIL_CONFIDENCE, item.evidence)
        if item.confidence == SPOKEN_EMAIL_CONFIDENCE and len(said_by.get(item.value, ())) > 1
        else item
        for item in found
    ]


def _from_text(
    utterances: Sequence[Utterance], cued: dict[int, list[int]], spec: FieldSpec, language: str
) -> list[_Found]:
    spans = _spans(spec, language)
    return [
        _Found(span.value, span.confidence, _quote(utterance, span.start, span.end))
        for utterance in utterances
        for span in spans(utterance.text, cued.get(id(utterance)))
    ]


def _name_answers(conversation: Conversation, utterances: Sequence[Utterance]) -> list[_Found]:
    """Bare names replying to the other speaker's request for one ("May I have your name?" — "Crystal Minh")."""
    found = []
    readable = {id(u) for u in utterances}
    for question, answer in zip(conversation.utterances, conversation.utterances[1:], strict=False):
        if id(answer) not in readable or question.speaker == answer.speaker:
            continue
        mention = answered_name(question.text, answer.text)
        if mention is not None:
            found.append(_Found(mention.value, mention.confidence, _quote(answer, mention.start, mention.end)))
    return found


def _beside_phrases(conversation: Conversation, phrased: list[_Found], named: list[_Found]) -> list[_Found]:
    """Phrase values, and the named roles not said inside one of those phrases ("решает совет директоров" is a
    committee, not a role "совет директоров")."""

    def inside(item: _Found) -> bool:
        start, end = item.evidence.start or 0.0, item.evidence.end or 0.0
        return any((other.evidence.start or 0.0) <= start and end <= (other.evidence.end or 0.0) for other in phrased)

    # "у нас совет решает, я главврач": a committee said beside the speaker's own part is the committee.
    def turn(item: _Found) -> int | None:
        said_at = item.evidence.start or 0.0
        return next((i for i, u in enumerate(conversation.utterances) if u.start <= said_at <= u.end), None)

    committee = {turn(item) for item in phrased if item.value == COMMITTEE}
    phrased = [item for item in phrased if item.value != ON_THE_CALL or turn(item) not in committee]
    return phrased + [item for item in named if not inside(item)]


def _agreed(conversation: Conversation, cue_offsets: dict[int, list[int]]) -> list[_Found]:
    utterances = conversation.utterances
    return [
        _Found(found.phrase, found.confidence, _quote(utterances[found.utterance], found.start, found.end))
        for found in agreed_dates(utterances, cue_offsets)
    ]


def _known_competitors(utterances: Sequence[Utterance], spec: FieldSpec, language: str) -> list[_Found]:
    """The field's known names (its phrases), where said as used or considered: "работаем в Битрикс24", not "звонки
    у нас в Битриксе"."""
    return [
        found
        for utterance in utterances
        for found in _from_phrases([utterance], spec, language)
        if found.evidence.quote is not None and named_as_competitor(utterance.text, found.evidence.quote, language)
    ]


def _competitors(
    conversation: Conversation, utterances: Sequence[Utterance], spec: FieldSpec, language: str
) -> list[_Found]:
    """Organisations named as used or considered, leaving out those the rep named the seller by in their opening
    and the field's known names (found by their phrases, under the value's own spelling)."""
    opening = [u.text for u in conversation.utterances if u.role == Role.rep][:2]
    known = {
        phrase.casefold() for groups in spec.value_phrases.values() for group in groups.values() for phrase in group
    }
    seller = introduced_names(opening, language) | known
    return [
        _Found(m.value, m.confidence, _quote(utterance, m.start, m.end))
        for utterance in utterances
        for m in find_competitors(utterance.text, language, seller)
    ]


def _products(conversation: Conversation, spec: FieldSpec, language: str) -> list[_Found]:
    """The catalogue's products the customer showed interest in (see `summarize.extract_products`)."""
    catalogue = {
        value: by_language.get(language[:2]) or [phrase for group in by_language.values() for phrase in group]
        for value, by_language in spec.value_phrases.items()
    }
    utterances = conversation.utterances
    return [
        _Found(m.value, m.confidence, _quote(utterances[m.utterance], m.start, m.end))
        for m in find_products(utterances, catalogue, language)
    ]


def _specific(matches: Sequence[tuple[str, PhraseMatch]], language: str) -> list[tuple[str, PhraseMatch]]:
    """Matches not covered by a longer phrase of another value on the same words."""

    def size(match: PhraseMatch) -> int:
        return len(normalize(match.phrase, language))

    def covered(value: str, match: PhraseMatch) -> bool:
        return any(
            other_value != value
            and other.utterance_index == match.utterance_index
            and other.start <= match.start
            and match.end <= other.end
            and size(other) > size(match)
            for other_value, other in matches
        )

    return [(value, match) for value, match in matches if not covered(value, match)]


def _from_phrases(utterances: Sequence[Utterance], spec: FieldSpec, language: str) -> list[_Found]:
    heard: list[tuple[str, PhraseMatch]] = []
    for value, by_language in spec.value_phrases.items():
        phrases = by_language.get(language[:2]) or [phrase for group in by_language.values() for phrase in group]
        heard.extend((value, match) for match in find_phrases(utterances, phrases, language) if not match.negated)
    one_side = spec.speaker in {Role.rep, Role.customer}
    found: list[_Found] = []
    for value, match in _specific(heard, language):
        role = utterances[match.utterance_index].role
        evidence = Evidence(quote=match.quote, start=match.start, end=match.end, role=role)
        confidence = PHRASE_CONFIDENCE if one_side or role != Role.rep else REP_MENTION_CONFIDENCE
        if all(item.value != value or item.evidence != evidence for item in found):
            found.append(_Found(value, confidence, evidence))
    found.sort(key=lambda item: item.evidence.start or 0.0)
    return found


def _proposals(field: str, found: Sequence[_Found]) -> list[FieldProposal]:
    """One proposal per distinct value (dates compared case-insensitively), in order of first mention."""
    grouped: dict[str, list[_Found]] = {}
    for item in found:
        grouped.setdefault(item.value.casefold(), []).append(item)
    return [
        FieldProposal(
            field=field,
            value=items[0].value,
            evidence=[item.evidence for item in items],
            confidence=max(item.confidence for item in items),
            source="rule",
        )
        for items in grouped.values()
    ]


def extract_fields(conversation: Conversation, schema: FieldSchema, language: str) -> list[FieldProposal]:
    """Rule-based proposals for every field of `schema` that names an extractor, in schema order."""
    proposals: list[FieldProposal] = []
    for spec in schema.fields:
        if spec.extractor is None:
            continue
        utterances, cue_offsets = _readable(conversation, spec, language)
        cued = {id(conversation.utterances[i]): offsets for i, offsets in cue_offsets.items()}
        if spec.extractor == Extractor.phrases and spec.catalogue:
            found = _products(conversation, spec, language)
        elif spec.extractor == Extractor.phrases:
            found = _from_phrases(utterances, spec, language)
        elif spec.extractor == Extractor.agreed_date:
            found = _agreed(conversation, cue_offsets)
        elif spec.extractor == Extractor.deal_stage:
            stage = suggested_stage(conversation, language, spec.allowed_values)
            found = [_Found(stage.value, stage.confidence, stage.evidence)] if stage else []
        elif spec.extractor == Extractor.decision_maker:
            found = _beside_phrases(
                conversation, _from_phrases(utterances, spec, language), _from_text(utterances, cued, spec, language)
            )
        elif spec.extractor == Extractor.organizations:
            found = _known_competitors(utterances, spec, language) + _competitors(
                conversation, utterances, spec, language
            )
        else:
            found = _from_text(utterances, cued, spec, language)
        if spec.extractor == Extractor.email:
            found = _confirmed(conversation, found + _read_back(conversation, spec))
        if spec.extractor == Extractor.name:
            found += _name_answers(conversation, utterances)
        proposals.extend(_proposals(spec.name, found))
    return proposals
