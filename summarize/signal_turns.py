"""Deal gaps found turn by turn: customer objections and customer questions the rep did not respond to.

Both rules read the rep's *turns* after the customer's utterance: a turn is a run of consecutive rep utterances
(a reply split by a pause is still one reply), ended by anyone else speaking; customer utterances before the rep's
first turn are passed over. Utterances whose role is unknown are neither customer nor rep here. A content word is
a normalised word (see `summarize.text`) of at least three letters, or a number, that is not in the stop list of
`summarize.signal_words`.

Objection left unanswered. A customer utterance holding an objection phrase (`OBJECTION_PHRASES`, plus the
`applies_if` phrases of the call script's objection item) said without negation ("не дорого" is no objection). It
counts as answered when an utterance of the rep's next `OBJECTION_TURNS` turns engages it, as the script's
objection item is decided (`summarize.objections.engages`): close to a handling example (the script item's
examples and phrases, plus `OBJECTION_HANDLING_PHRASES`: "давайте посчитаем", "what specifically", "compared
to"), a question that takes up a word of the objection, or an argument with two of its words ("нет бюджета" →
"по бюджету можем начать с пилота, без бюджета на год"). An acknowledgement ("понимаю", "I hear you") or a
goodbye is no answer.
An objection with no rep turn after it (the call ended on it) is unanswered. One signal per customer utterance;
the evidence quotes the objection's sentence and the beginning of the rep's first reply, when there is one.

Question left unanswered. A customer sentence that is a question (ends in '?' or, unpunctuated, starts with a
question word: `summarize.metrics.count_questions`, or holds "сколько" / "почём" anywhere: `ASKING_ANYWHERE`)
and names a subject: at least `MIN_QUESTION_CONTENT` content words, or one after a question word among its first
two words ("Сколько стоит?"). "Алло?", "How are you?", "Right?" ask for no answer and are passed over. The
question counts as answered when the rep's next turn, read without its own questions,
- shares a content word with the question,
- holds a number, an amount or a date ("от 50 тысяч", "next Tuesday"),
- starts with a yes/no word ("Да, ...", "Sure, ..."), or
- says at least `ANSWER_MIN_WORDS` words (an answer in other words, or a promise to find out);
except that a question asking for a figure ("сколько стоит?", "какой процент?", `FIGURE_QUESTION_WORDS`) is
answered only by a number, an amount or a date, and a reply that puts the question off (`EVASIONS`: "по-разному",
"разберёмся", "сметчик посчитает", "it depends") answers only with one of those.
A turn that only asks back ("Which one do you use?") answers nothing yet: then the rep's following turn is read the
same way. So a question is flagged only when the rep said nothing after it, only asked back, or said a few words on
another subject ("Давайте об этом позже"); false alarms cost reps' trust, so every doubt counts as an answer. One
signal per customer utterance; the evidence quotes the question and the rep's first reply, when there is one.
"""

import re
from collections.abc import Sequence

from models import CallScript, Conversation, DealSignal, DecisionSource, Role, SignalKind, SignalSeverity, Utterance
from models.script import ItemExamples
from summarize.extract_dates import find_dates
from summarize.extract_money import find_money
from summarize.meaning import settings_for
from summarize.metrics import count_questions
from summarize.objections import engages
from summarize.phrases import find_phrases
from summarize.signal_quotes import opening, quote, sentence_at, sentence_text, sentences
from summarize.signal_words import (
    ANSWER_STARTS,
    ASKING_ANYWHERE,
    EVASIONS,
    FIGURE_QUESTION_WORDS,
    OBJECTION_HANDLING_PHRASES,
    OBJECTION_PHRASES,
    QUESTION_WORDS,
    describe,
    stopwords,
)
from summarize.text import normalize, tokenize
from words.numbers import number_at, starts_number, tokens

OBJECTION_TURNS = 2
MIN_QUESTION_CONTENT = 2
ANSWER_MIN_WORDS = 6
OBJECTION_ITEMS = ("objection_handled",)
_DIGIT = re.compile(r"\d")


def content_words(text: str, language: str) -> set[str]:
    stop = stopwords(language)
    return {token for token in normalize(text, language) if token not in stop and (len(token) >= 3 or token.isdigit())}


def _rep_turns(utterances: Sequence[Utterance], index: int, count: int) -> list[list[Utterance]]:
    """The rep's next `count` turns after utterance `index`."""
    turns: list[list[Utterance]] = []
    current: list[Utterance] = []
    for utterance in utterances[index + 1 :]:
        if utterance.role == Role.rep:
            current.append(utterance)
            continue
        if current:
            turns.append(current)
            current = []
            if len(turns) == count:
                return turns
    if current:
        turns.append(current)
    return turns[:count]


def _script_handling(script: CallScript | None, language: str) -> tuple[list[str], ItemExamples]:
    """The script objection item's trigger phrases, and its handling examples with the built-in handling phrases."""
    built_in = OBJECTION_HANDLING_PHRASES.get(language, [])
    item = next((item for item in (script.items() if script else []) if item.id in OBJECTION_ITEMS), None)
    if item is None:
        return [], ItemExamples(positive=list(built_in))
    examples = settings_for(item, language)
    handling = dict.fromkeys([*examples.positive, *item.phrases.get(language, []), *built_in])
    return item.applies_if.get(language, []), examples.model_copy(update={"positive": list(handling)})


def objections_unanswered(
    conversation: Conversation, language: str, message_language: str, script: CallScript | None = None
) -> list[DealSignal]:
    """One signal per customer utterance whose objection the rep's next turns neither handle nor take up."""
    triggers, handling = _script_handling(script, language)
    phrases = [*OBJECTION_PHRASES.get(language, []), *triggers]
    utterances = conversation.utterances
    signals: list[DealSignal] = []
    seen: set[int] = set()
    for match in find_phrases(utterances, phrases, language, role=Role.customer):
        if match.negated or match.utterance_index in seen:
            continue
        seen.add(match.utterance_index)
        utterance = utterances[match.utterance_index]
        said = sentence_at(utterance, match.start)
        turns = _rep_turns(utterances, match.utterance_index, OBJECTION_TURNS)
        replies = [reply for turn in turns for reply in turn]
        if any(engages(reply, utterance, handling, language) for reply in replies):
            continue
        subject = sentence_text(said)
        evidence = [quote(said, utterance), *(opening(replies[0]) if replies else [])]
        reply = (
            "the call ended without a rep reply"
            if not replies
            else f"the rep's next {len(turns)} turn(s) only acknowledge it, change the subject or say goodbye"
        )
        signals.append(
            DealSignal(
                kind=SignalKind.objection_unanswered,
                severity=SignalSeverity.high,
                message=describe(SignalKind.objection_unanswered, subject, message_language),
                language=message_language,
                subject=subject,
                evidence=evidence,
                source=DecisionSource.rule,
                note=f"objection heard: {match.phrase}; {reply}",
            )
        )
    return signals


def _asks_something(words: str, language: str) -> bool:
    """Whether a question sentence names a subject, rather than checking the line or being polite."""
    subject = content_words(words, language)
    if len(subject) >= MIN_QUESTION_CONTENT:
        return True
    # "А сколько стоит?": the question word may follow a conjunction.
    opening_words = normalize(words, language)[:2]
    return bool(subject) and any(word in QUESTION_WORDS.get(language, frozenset()) for word in opening_words)


def _statement(turn: Sequence[Utterance], language: str) -> str:
    """The turn without its question sentences: asking back answers nothing."""
    said = [sentence_text(group) for reply in turn for group in sentences(reply)]
    return " ".join(text for text in said if not count_questions(text, language))


def _answers(statement: str, question: str, language: str) -> bool:
    if not statement:
        return False
    if _DIGIT.search(statement) or find_dates(statement) or find_money(statement) or _figure_in_words(statement):
        return True
    if FIGURE_QUESTION_WORDS.get(language, frozenset()) & set(normalize(question, language)):
        return False
    if _evades(statement, language):
        return False
    if content_words(question, language) & content_words(statement, language):
        return True
    first = tokenize(statement)[:1]
    if first and first[0] in ANSWER_STARTS.get(language, frozenset()):
        return True
    return len(tokenize(statement)) >= ANSWER_MIN_WORDS


def _is_question(text: str, language: str) -> bool:
    return bool(count_questions(text, language)) or bool(
        ASKING_ANYWHERE.get(language, frozenset()) & set(normalize(text, language))
    )


def _evades(statement: str, language: str) -> bool:
    said = f" {' '.join(normalize(statement, language))} "
    return any(f" {' '.join(normalize(phrase, language))} " in said for phrase in EVASIONS.get(language, []))


def _figure_in_words(statement: str) -> bool:
    """A number said in words ("триста девяносто", "two percent"), which `find_money` reads only as money."""
    items = tokens(statement)
    return any(starts_number(items, i) and number_at(items, i) is not None for i in range(len(items)))


def questions_unanswered(conversation: Conversation, language: str, message_language: str) -> list[DealSignal]:
    """One signal per customer utterance with a question that the rep's reply does not answer."""
    utterances = conversation.utterances
    signals: list[DealSignal] = []
    for index, utterance in enumerate(utterances):
        if utterance.role != Role.customer:
            continue
        asked = [
            group
            for group in sentences(utterance)
            if _is_question(sentence_text(group), language) and _asks_something(sentence_text(group), language)
        ]
        if not asked:
            continue
        question = " ".join(sentence_text(group) for group in asked)
        turns = _rep_turns(utterances, index, count=2)
        statements = [_statement(turn, language) for turn in turns]
        # The second turn is read only when the first just asked back.
        read = statements[:1] if statements and statements[0] else statements
        if any(_answers(statement, question, language) for statement in read):
            continue
        evidence = [quote(group, utterance) for group in asked]
        if turns:
            evidence += opening(turns[0][0])
        note = (
            "the call ended without a rep reply"
            if not turns
            else f"the rep's next {len(read)} turn(s) neither take up the question nor give an answer"
        )
        signals.append(
            DealSignal(
                kind=SignalKind.question_unanswered,
                severity=SignalSeverity.medium,
                message=describe(SignalKind.question_unanswered, question, message_language),
                language=message_language,
                subject=question,
                evidence=evidence,
                source=DecisionSource.rule,
                note=note,
            )
        )
    return signals
