"""Customer objections and whether the rep engaged them, read turn by turn.

An objection is a customer utterance with an objection phrase (the script's `applies_if` phrases and the built-in
`OBJECTION_PHRASES`: price, timing, competitor, no need, trust, a brush-off such as "пришлите на почту"), not
negated, or one said in other words (`summarize.objection_kinds`). Two turns raise nothing: one that takes up the
rep's own proposal ("ну скиньте" after "давайте я на почту скину"), and one naming what the customer can spend,
asked for or said before the rep named a price ("больше пятидесяти в месяц не потянем" is a budget). On the new
dev calls, both had been read as objections the rep then "engaged" by writing the address down or quoting a price.

The rep engages an objection when their reply (within `REPLY_LOOKAHEAD` utterances)
- is no farewell ("всего доброго", "bye"), no summing-up ("итак, подытожу": it restates, it argues nothing) and
  more than the objection's own words said back ("да, пришлю ссылку" after "пришлите ссылку"), and
- comes close to a handling example (`yes_at`) and closer than to every negative one (an acknowledgement such as
  "понял"); or names an amount: terms of the rep's own, a cheaper plan;
  or asks a question that takes up a word of the objection, or says at least `ARGUMENT_SHARED_WORDS` of its words
  (or close ones): an argument about it; or, where the customer asked nothing, sets a "но" / "but" against it
  ("скинуть могу, но прайс вам ничего не скажет"): a counter-argument, which an acceptance ("понял, ну ладно, тогда
  если надумаете") does not have, and which pressing on ("понимаю, но давайте всё-таки встретимся") is not: the
  writers of the dev calls marked such replies as not handling the objection. After a customer's question, a "но"
  is part of the answer, not an argument.
A reply of at most `BACKCHANNEL_WORDS` words ("угу, понял") holds the floor without answering, so the rep's next
turn within the look-ahead is read instead.
Length is no sign: on dev, long replies that only accepted the objection and said goodbye ("понял, ну ладно, тогда
если вдруг надумаете...") were as long as real arguments.
"""

from collections.abc import Sequence

from models import Conversation, Role, Utterance
from models.script import ItemExamples
from summarize.meaning import language_of, span_text, windows
from summarize.meaning_model import Words, closeness, shared_words, words_of
from summarize.objection_kinds import meant_objections
from summarize.phrases import find_phrases
from summarize.questions import asks
from summarize.recap import summing_up
from summarize.signal_words import OBJECTION_PHRASES
from summarize.text import tokenize
from words.money import find_money

REPLY_LOOKAHEAD = 3
BACKCHANNEL_WORDS = 3
# A reply engages the objection when it takes up its subject: a question with one of its words ("а что именно
# дорого?" after "дорого", not "а по срокам когда?" after "подумаем"), a statement with this many. On dev, one word
# for statements too, or one for any reply of 12 content words, got fewer objection items right (12 and 14 of 21
# decided, against 15).
ARGUMENT_SHARED_WORDS = 2
_CONTRASTS = {"ru": frozenset({"но", "однако", "зато"}), "en": frozenset({"but", "however"})}
# Words that open the rep's own proposal again after a contrast ("но давайте", "но может всё-таки", "but let's").
_PRESSING = {
    "ru": frozenset({"давайте", "давай", "может", "таки", "предлагаю"}),
    "en": frozenset({"let's", "lets", "maybe", "still", "anyway"}),
}
_FAREWELLS = {
    "ru": ("всего доброго", "до свидания", "хорошего дня", "всего хорошего", "удачи вам"),
    "en": ("goodbye", "bye", "have a good", "have a great", "take care"),
}


def _said_in_any_order(utterance: Utterance, phrases: Sequence[Words], language: str) -> bool:
    """Whether a span of the utterance says every word of a phrase of two words or more, in any order or form."""
    spans = [words_of(span_text(utterance, span), language) for span in windows(utterance)]
    return any(closeness(phrase, span) >= 1.0 for phrase in phrases for span in spans)


def _previous_rep(utterances: Sequence[Utterance], index: int) -> Utterance | None:
    return next((u for u in reversed(utterances[:index]) if u.role == Role.rep), None)


def _takes_up(phrase: Words, rep: Utterance | None, language: str) -> bool:
    """Whether the rep's last turn said every word of the phrase: "ну скиньте" after "давайте я на почту скину"
    accepts the rep's own proposal, it raises nothing."""
    return rep is not None and set(phrase.lemmas) <= set(words_of(rep.text, language).lemmas)


def _states_budget(utterances: Sequence[Utterance], index: int, language: str) -> bool:
    """Whether the customer's turn names what they can spend before the rep named any price, or when the rep just
    asked without naming one: "больше пятидесяти в месяц не потянем" is then their budget, not a price objection."""
    if not any(not mention.negated for mention in find_money(utterances[index].text)):
        return False
    rep = _previous_rep(utterances, index)
    if rep is not None and asks(rep.text, language) and not find_money(rep.text):
        return True
    return not any(u.role == Role.rep and find_money(u.text) for u in utterances[:index])


def raised_objections(conversation: Conversation, triggers: Sequence[str], after: float | None = None) -> list[int]:
    """Indexes of customer utterances holding an objection, in order: a phrase heard, not negated, or the words of
    a phrase of two words or more in another order ("на почту скиньте" for "скиньте на почту"), which on dev
    brought in objections the fixed order missed; or one said in other words (`summarize.objection_kinds`).
    A phrase the rep's last turn said first, and the budget the customer names, raise nothing."""
    language = language_of(conversation)
    phrases = [*triggers, *OBJECTION_PHRASES.get(language, [])]
    utterances = conversation.utterances
    found = find_phrases(utterances, phrases, language, role=Role.customer)
    raised = {
        m.utterance_index
        for m in found
        if not m.negated
        and (after is None or m.start >= after)
        and not _takes_up(words_of(m.phrase, language), _previous_rep(utterances, m.utterance_index), language)
    }
    longer = [words for phrase in phrases if len((words := words_of(phrase, language)).lemmas) >= 2]
    for index, utterance in enumerate(utterances):
        if utterance.role != Role.customer or (after is not None and utterance.start < after):
            continue
        rep = _previous_rep(utterances, index)
        if any(
            _said_in_any_order(utterance, [phrase], language) and not _takes_up(phrase, rep, language)
            for phrase in longer
        ):
            raised.add(index)
    raised |= set(meant_objections(utterances, language, after))
    return sorted(index for index in raised if not _states_budget(utterances, index, language))


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


def _best(reply: Utterance, texts: Sequence[str], language: str) -> float:
    examples = [words_of(text, language) for text in texts]
    spans = [words_of(span_text(reply, span), language) for span in windows(reply)]
    return max((closeness(example, span) for example in examples for span in spans), default=0.0)


def _after_contrast(reply: str, language: str) -> list[str] | None:
    """The words after the reply's first contrast word, or None when it sets nothing against the objection."""
    words = tokenize(reply)
    contrasts = _CONTRASTS.get(language, frozenset())
    first = next((position for position, word in enumerate(words) if word in contrasts), None)
    return None if first is None else words[first + 1 :]


def _counters(reply: str, language: str) -> bool:
    """A contrast that argues ("скинуть могу, но прайс вам ничего не скажет"), not one that only presses on with the
    rep's own proposal ("понимаю, но давайте всё-таки встретимся"): pressing is no answer to the objection."""
    after = _after_contrast(reply, language)
    if not after:
        return False
    return not _PRESSING.get(language, frozenset()) & set(after)


def _echo(reply: Words, objection: Words) -> bool:
    """Whether the reply only says the objection's words back ("да, пришлю ссылку" after "пришлите ссылку"): it
    takes nothing up that the customer did not say."""
    return all(
        lemma in objection.lemmas for lemma, weight in zip(reply.lemmas, reply.weights, strict=True) if weight >= 1
    )


def engages(
    reply: Utterance,
    objection: Utterance,
    examples: ItemExamples,
    language: str,
) -> bool:
    """Whether the rep's reply takes the objection on; see the module's docstring."""
    if _farewell(reply.text, language):
        return False
    handling = _best(reply, examples.positive, language)
    if handling >= examples.yes_at and handling > _best(reply, examples.negative, language):
        return True
    if summing_up(reply.text, language):
        return False
    if any(not mention.negated for mention in find_money(reply.text)):
        return True  # an offer on terms of the rep's own: a plan with its price, a cheaper option
    if not asks(objection.text, language) and _counters(reply.text, language):
        return True
    objection_words, reply_words = words_of(objection.text, language), words_of(reply.text, language)
    if _echo(reply_words, objection_words):
        return False
    shared = shared_words(objection_words, reply_words)
    if asks(reply.text, language):
        return shared >= 1
    return shared >= ARGUMENT_SHARED_WORDS
