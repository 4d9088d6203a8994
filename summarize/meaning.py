"""The `meaning` method: a script item decided by how close what was said comes to the item's example utterances.

Every utterance of the item's speaker (from the applicability trigger on, when the item has one) is cut into spans
of `WINDOW` words, and each span is scored against the item's `examples` for the call's language with
`summarize.meaning_model.closeness`: its best `positive` closeness, unless a `negative` example (a near miss) comes
at least as close — then it scores just under `yes_at`. An item without examples for the language, or one read
from the dialogue, uses its `phrases` as positive examples.

- 'yes' when the best span reaches `yes_at`: it is the evidence;
- 'no' only when the item's moment was looked at (the speaker said at least `LOOKED_MIN_WORDS` words there) and no
  span reached `no_below`: nothing close was said;
- otherwise not decided: the best span is the evidence and the note says how close it came, so a reviewer (or
  the LLM) sees what almost counted.

An item with `answers` examples is also read from the dialogue: a question of the speaker's (by punctuation or a
question word) that the other side answers, in their next turn, as close as `yes_at` to an answer example did the
step however it was asked ("а по деньгам как планируете?" answered "лимит шестьдесят тысяч в месяц"): 'yes', with
the question and the answer as evidence.

Items with a `dialogue` kind are read from both sides' turns instead (`summarize.dialogue_items`).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from models import Answer, Conversation, Evidence, Role, ScriptItem, Utterance
from models.script import ItemExamples
from summarize.meaning_model import Words, closeness, words_of
from summarize.questions import asks

LOOKED_MIN_WORDS = 20
WINDOW = 8
NEAR_MISS_GAP = 0.01


@dataclass(frozen=True)
class MeaningVerdict:
    answer: Answer
    evidence: tuple[Evidence, ...]
    note: str


@dataclass(frozen=True)
class Candidate:
    """The closest span of words: utterance `index`, words `span` (start, end)."""

    index: int
    score: float
    span: tuple[int, int]


def language_of(conversation: Conversation) -> str:
    return conversation.language.split("-")[0].lower()


def utterance_evidence(utterance: Utterance, span: tuple[int, int] | None = None) -> Evidence:
    """The utterance, or the words `span` of it, as a quote with its times."""
    if span is None or not utterance.words:
        return Evidence(quote=utterance.text.strip(), start=utterance.start, end=utterance.end, role=utterance.role)
    words = utterance.words[span[0] : span[1]]
    quote = " ".join(word.text.strip() for word in words)
    return Evidence(quote=quote, start=words[0].start, end=words[-1].end, role=utterance.role)


def settings_for(item: ScriptItem, language: str) -> ItemExamples:
    """The item's examples for `language`; a dialogue item's phrases count as positive examples too (an item
    decided by phrases first has already tried them, and short ones such as "как вы сейчас" cover too much)."""
    own = item.examples.get(language) or ItemExamples()
    if item.dialogue is None and own.positive:
        return own
    return own.model_copy(update={"positive": [*own.positive, *item.phrases.get(language, [])]})


def score(said: Words, yes: Sequence[Words], no: Sequence[Words], yes_at: float) -> float:
    """How close one utterance comes to the step; see the module's docstring."""
    best_yes = max((closeness(example, said) for example in yes), default=0.0)
    best_no = max((closeness(example, said) for example in no), default=0.0)
    if no and best_no >= best_yes:
        return min(best_yes, yes_at - NEAR_MISS_GAP)
    return best_yes


def windows(utterance: Utterance) -> list[tuple[int, int]]:
    """Spans of at most `WINDOW` words, overlapping by half: a step is said within a few words, and a span is a
    precise quote. On dev, whole turns and 8-word spans ranked calls equally on average (AUC 0.85), but spans
    separated the current-situation step far better (0.88 against 0.72): a long turn covers a little of every
    example."""
    count = len(utterance.words)
    if count <= WINDOW:
        return [(0, count)]
    step = WINDOW // 2
    return [(start, min(start + WINDOW, count)) for start in range(0, count - step, step)]


def span_text(utterance: Utterance, span: tuple[int, int]) -> str:
    return " ".join(word.text.strip() for word in utterance.words[span[0] : span[1]])


def best_candidate(
    utterances: Sequence[Utterance], indexes: Sequence[int], examples: ItemExamples, language: str
) -> Candidate | None:
    yes = [words_of(text, language) for text in examples.positive]
    no = [words_of(text, language) for text in examples.negative]
    best: Candidate | None = None
    for index in indexes:
        for span in windows(utterances[index]):
            value = score(words_of(span_text(utterances[index], span), language), yes, no, examples.yes_at)
            if best is None or value > best.score:
                best = Candidate(index, value, span)
    return best


def speaker_indexes(conversation: Conversation, speaker: Role, after: float | None) -> list[int]:
    return [
        index
        for index, utterance in enumerate(conversation.utterances)
        if (speaker == Role.unknown or utterance.role == speaker) and (after is None or utterance.start >= after)
    ]


def verdict(
    conversation: Conversation,
    candidate: Candidate | None,
    examples: ItemExamples,
    looked: bool,
    context: Sequence[Evidence] = (),
) -> MeaningVerdict:
    """yes / no / not decided from the best candidate, by the thresholds in the module's docstring."""
    if candidate is None:
        if looked:
            return MeaningVerdict(Answer.no, tuple(context), "nothing said where the step belongs")
        return MeaningVerdict(Answer.not_determined, tuple(context), "the part of the call for this step is not heard")
    said = utterance_evidence(conversation.utterances[candidate.index], candidate.span)
    closest = f"closest utterance scores {candidate.score:.2f}"
    if candidate.score >= examples.yes_at:
        return MeaningVerdict(Answer.yes, (*context, said), f"said in other words: {closest}")
    if candidate.score < examples.no_below and looked:
        note = f"nothing close was said ({closest}, under {examples.no_below:g})"
        return MeaningVerdict(Answer.no, tuple(context), note)
    return MeaningVerdict(Answer.not_determined, (*context, said), f"maybe: {closest}, not {examples.yes_at:g}")


def _near_miss(utterance: Utterance, yes: Sequence[Words], no: Sequence[Words], language: str) -> bool:
    """Whether a negative example comes at least as close as any positive one ("когда вам удобно созвониться" for
    the timeline): its answer answers something else."""
    if not no:
        return False
    spans = [words_of(span_text(utterance, span), language) for span in windows(utterance)]
    best_no = max(closeness(example, span) for example in no for span in spans)
    return best_no > 0 and best_no >= max((closeness(example, span) for example in yes for span in spans), default=0.0)


def _answered_question(
    conversation: Conversation, indexes: Sequence[int], examples: ItemExamples, language: str
) -> tuple[Evidence, Evidence, float] | None:
    """The speaker's first question whose reply comes `yes_at` close to an answer example; see the docstring."""
    if not examples.answers:
        return None
    answers = [words_of(text, language) for text in examples.answers]
    yes = [words_of(text, language) for text in examples.positive]
    no = [words_of(text, language) for text in examples.negative]
    utterances = conversation.utterances
    for index in indexes:
        if not asks(utterances[index].text, language) or _near_miss(utterances[index], yes, no, language):
            continue
        reply = next(
            (
                later
                for later in range(index + 1, min(index + 3, len(utterances)))
                if utterances[later].role not in (utterances[index].role, Role.unknown)
            ),
            None,
        )
        if reply is None:
            continue
        value = max(
            closeness(answer, words_of(span_text(utterances[reply], span), language))
            for answer in answers
            for span in windows(utterances[reply])
        )
        if value >= examples.yes_at:
            return utterance_evidence(utterances[index]), utterance_evidence(utterances[reply]), value
    return None


def decide_by_examples(
    conversation: Conversation, item: ScriptItem, after: float | None, context: Sequence[Evidence] = ()
) -> MeaningVerdict | None:
    """The item by closeness to its examples; None when it has none for the call's language."""
    language = language_of(conversation)
    examples = settings_for(item, language)
    if not examples.positive:
        return None
    indexes = speaker_indexes(conversation, item.speaker, after)
    words = sum(len(conversation.utterances[index].words) for index in indexes)
    candidate = best_candidate(conversation.utterances, indexes, examples, language)
    found = verdict(conversation, candidate, examples, words >= LOOKED_MIN_WORDS, context)
    if (
        found.answer == Answer.yes
        or (answered := _answered_question(conversation, indexes, examples, language)) is None
    ):
        return found
    question, reply, value = answered
    note = f"a question answered as the step's answers say ({value:.2f})"
    return MeaningVerdict(Answer.yes, (*context, question, reply), note)
