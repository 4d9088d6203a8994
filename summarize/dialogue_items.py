"""Script steps read from the exchange between rep and customer, not from one utterance (`ScriptItem.dialogue`).

- introduction: the rep's own name and their company in the rep's first utterances, any order
  (`summarize.introduction`); 'no' when the rep spoke there and one of the two is missing.
- objection: 'yes' when the rep engaged some customer objection (`summarize.objections`: an argument, a question
  about it, an offer; an acknowledgement such as "понимаю" is not one), 'no' when every objection got only an
  acknowledgement, another subject or no reply. N/A is decided before, by `applies_if`.
- next_step: 'yes' only for a next step the customer accepted with a date or time (`summarize.next_step`); a
  declined, vague or undated one, or none proposed where it belongs, is 'no'; an unclear one stays open.
- offer: 'yes' when the rep named a price of their own (`summarize.offer`) or came as close as `yes_at` to an
  example; 'no' when neither, where the rep said at least `LOOKED_MIN_WORDS` words.
- recap: the same with a late rep turn that sums the call up (`summarize.recap`). On the dev part of the blind set
  the 'no's of these two were right on 14 of 16 calls; the candidates' closeness alone could not tell them apart (calls
  without the step scored 0.50-0.73, calls with it 0.38-0.43).
"""

from models import Answer, Conversation, Evidence, Role, ScriptItem
from models.script import Dialogue
from summarize.introduction import introduction
from summarize.meaning import (
    LOOKED_MIN_WORDS,
    MeaningVerdict,
    decide_by_examples,
    language_of,
    settings_for,
    utterance_evidence,
)
from summarize.next_step import Outcome, read_next_step
from summarize.objections import engages, raised_objections, rep_reply
from summarize.offer import rep_price
from summarize.recap import rep_recap

_NEXT_STEP_ANSWERS = {
    Outcome.agreed_dated: Answer.yes,
    Outcome.agreed_undated: Answer.no,
    Outcome.declined: Answer.no,
    Outcome.none: Answer.no,
    Outcome.unclear: Answer.not_determined,
}


def _objection(conversation: Conversation, item: ScriptItem, after: float | None) -> MeaningVerdict | None:
    language = language_of(conversation)
    utterances = conversation.utterances
    examples = settings_for(item, language)
    raised = raised_objections(conversation, item.applies_if.get(language, []), after)
    if not raised:
        return None
    unanswered: tuple[int, int | None] | None = None
    for index in raised:
        reply = rep_reply(utterances, index)
        if reply is not None and engages(utterances[reply], utterances[index], examples, language):
            said: tuple[Evidence, ...] = (utterance_evidence(utterances[index]), utterance_evidence(utterances[reply]))
            return MeaningVerdict(Answer.yes, said, "the rep engaged the customer's objection in the next turn")
        unanswered = unanswered or (index, reply)
    index, reply = unanswered or (raised[0], None)
    said = (utterance_evidence(utterances[index]), *([utterance_evidence(utterances[reply])] if reply else []))
    return MeaningVerdict(Answer.no, said, "each objection got only an acknowledgement, another subject or no reply")


def _next_step(conversation: Conversation, item: ScriptItem, after: float | None) -> MeaningVerdict | None:
    examples = settings_for(item, language_of(conversation))
    if not examples.positive:
        return None
    step = read_next_step(conversation, examples, after)
    return MeaningVerdict(_NEXT_STEP_ANSWERS[step.outcome], step.evidence, step.note)


def _shown_or_absent(
    conversation: Conversation, item: ScriptItem, after: float | None, shown: MeaningVerdict | None
) -> MeaningVerdict | None:
    """`shown` when the step was read from the turns; else 'yes' by the examples, or 'no' where the rep talked."""
    if shown is not None:
        return shown
    by_examples = decide_by_examples(conversation, item, after)
    if by_examples is None or by_examples.answer == Answer.yes:
        return by_examples
    rep_words = sum(len(u.words) for u in conversation.utterances if u.role == Role.rep)
    if rep_words < LOOKED_MIN_WORDS:
        return by_examples
    return MeaningVerdict(Answer.no, by_examples.evidence, f"not found in the rep's turns; {by_examples.note}")


def decide_dialogue(conversation: Conversation, item: ScriptItem, after: float | None) -> MeaningVerdict | None:
    """The item by its `dialogue` kind (see the module's docstring); None when it cannot be read this way."""
    match item.dialogue:
        case Dialogue.introduction:
            return introduction(conversation)
        case Dialogue.objection:
            return _objection(conversation, item, after)
        case Dialogue.next_step:
            return _next_step(conversation, item, after)
        case Dialogue.offer:
            return _shown_or_absent(conversation, item, after, rep_price(conversation, language_of(conversation)))
        case Dialogue.recap:
            return _shown_or_absent(conversation, item, after, rep_recap(conversation, language_of(conversation)))
    return None
