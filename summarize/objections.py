"""Customer objections and whether the rep engaged them, read turn by turn.

An objection is a customer utterance with an objection phrase (the script's `applies_if` phrases and the built-in
`OBJECTION_PHRASES`: price, timing, competitor, no need, trust, a brush-off such as "пришлите на почту"), not
negated. The rep engages it when their reply (within `REPLY_LOOKAHEAD` utterances)
- is no farewell ("всего доброго", "bye"), and
- comes close to a handling example (`yes_at`; an acknowledgement such as "понимаю" is a negative example), or asks
  a question that takes up a word of the objection, or says at least `ARGUMENT_SHARED_WORDS` of its words (or
  close ones): an argument about it; or, where the customer asked nothing, sets a "но" / "but" against it
  ("скинуть могу, но прайс вам ничего не скажет"): a counter-argument, which an acceptance ("понял, ну ладно, тогда
  если надумаете") does not have. After a customer's question, a "но" is part of the answer, not an argument.
A reply of at most `BACKCHANNEL_WORDS` words ("угу, понял") holds the floor without answering, so the rep's next
turn within the look-ahead is read instead.
Length is no sign: on dev, long replies that only accepted the objection and said goodbye ("понял, ну ладно, тогда
если вдруг надумаете...") were as long as real arguments.
"""

from collections.abc import Sequence

from models import Conversation, Role, Utterance
from models.script import ItemExamples
from summarize.meaning import best_candidate, language_of, span_text, windows
from summarize.meaning_model import Words, closeness, shared_words, words_of
from summarize.metrics import count_questions
from summarize.objection_kinds import meant_objections
from summarize.phrases import find_phrases
from summarize.signal_words import OBJECTION_PHRASES
from summarize.text import normalize, tokenize

REPLY_LOOKAHEAD = 3
BACKCHANNEL_WORDS = 3
# A reply engages the objection when it takes up its subject: a question with one of its words ("а что именно
# дорого?" after "дорого", not "а по срокам когда?" after "подумаем"), a statement with this many. On dev, one word
# for statements too, or one for any reply of 12 content words, got fewer objection items right (12 and 14 of 21
# decided, against 15).
ARGUMENT_SHARED_WORDS = 2
# Question words that ask wherever they stand: unpunctuated ASR text hides a question inside a sentence ("ну я
# подумаю а подключение сколько по времени").
_ASKING = {
    "ru": frozenset({"сколько", "когда", "почему", "зачем", "где", "какой", "ли"}),
    "en": frozenset({"how", "what", "when", "why", "which", "where"}),
}
_CONTRASTS = {"ru": frozenset({"но", "однако", "зато"}), "en": frozenset({"but", "however"})}
_FAREWELLS = {
    "ru": ("всего доброго", "до свидания", "хорошего дня", "всего хорошего", "удачи вам"),
    "en": ("goodbye", "bye", "have a good", "have a great", "take care"),
}


def _said_in_any_order(utterance: Utterance, phrases: Sequence[Words], language: str) -> bool:
    """Whether a span of the utterance says every word of a phrase of two words or more, in any order or form."""
    spans = [words_of(span_text(utterance, span), language) for span in windows(utterance)]
    return any(closeness(phrase, span) >= 1.0 for phrase in phrases for span in spans)


def raised_objections(conversation: Conversation, triggers: Sequence[str], after: float | None = None) -> list[int]:
    """Indexes of customer utterances holding an objection, in order: a phrase heard, not negated, or the words of
    a phrase of two words or more in another order ("на почту скиньте" for "скиньте на почту"), which on dev
    brought in objections the fixed order missed."""
    language = language_of(conversation)
    phrases = [*triggers, *OBJECTION_PHRASES.get(language, [])]
    utterances = conversation.utterances
    found = find_phrases(utterances, phrases, language, role=Role.customer)
    raised = {m.utterance_index for m in found if not m.negated and (after is None or m.start >= after)}
    longer = [words for phrase in phrases if len((words := words_of(phrase, language)).lemmas) >= 2]
    raised |= {
        index
        for index, utterance in enumerate(utterances)
        if utterance.role == Role.customer
        and (after is None or utterance.start >= after)
        and _said_in_any_order(utterance, longer, language)
    }
    raised |= set(meant_objections(utterances, language, after))
    return sorted(raised)


def rep_reply(utterances: Sequence[Utterance], index: int) -> int | None:
    """The rep's first utterance after `index` within `REPLY_LOOKAHEAD` utterances, past a backchannel."""
    first = None
    for later in range(index + 1, min(index + 1 + REPLY_LOOKAHEAD, len(utterances))):
        if utterances[later].role != Role.rep:
            continue
        if len(tokenize(utterances[later].text)) > BACKCHANNEL_WORDS:
            return later
        first = first if first is not None else later
    return first


def _farewell(text: str, language: str) -> bool:
    words = " ".join(tokenize(text))
    return any(phrase in words for phrase in _FAREWELLS.get(language, ()))


def engages(reply: Utterance, objection: Utterance, examples: ItemExamples, language: str) -> bool:
    """Whether the rep's reply takes the objection on; see the module's docstring."""
    if _farewell(reply.text, language):
        return False
    candidate = best_candidate([reply], [0], examples, language)
    if candidate is not None and candidate.score >= examples.yes_at:
        return True
    asked = count_questions(objection.text, language) or _ASKING.get(language, frozenset()) & set(
        normalize(objection.text, language)
    )
    if not asked and _CONTRASTS.get(language, frozenset()) & set(tokenize(reply.text)):
        return True
    shared = shared_words(words_of(objection.text, language), words_of(reply.text, language))
    if count_questions(reply.text, language):
        return shared >= 1
    return shared >= ARGUMENT_SHARED_WORDS
