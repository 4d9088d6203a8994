"""Long calls: the transcript is split into parts that each fit the model's context, each part is asked the same
request (constrained to the same schema), and the answers are merged into one answer of that schema.

A part is a run of whole utterances whose prompt fits both budgets: `max_chars` of transcript and the backend's
`max_prompt_tokens` counted by its own tokenizer (`count_tokens`). An utterance too long for any prompt on its own
is cut between words. The merge is deterministic, and keeps the trust rule: a claim counts only with its quote
found in the transcript, and the whole call is searched, so a quote from any part grounds.
- script items: a grounded 'yes' from any part wins (the rep did it somewhere), then a grounded 'no', then 'n/a';
- CRM fields: the first part's grounded value;
- summary: the parts' texts in call order, their key points, the last part's next step;
- note template sections: every part's answer is kept, in call order, for `summarize.sections` to ground and join.
A backend that batches (the transformers one) decodes the parts together, `PART_BATCH` at a time.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from models import Conversation, Utterance
from summarize.grounding import ground_quote
from summarize.llm.base import BatchingBackend, LLMBackend, LLMError
from summarize.prompt import KEY_POINTS, Prompt, transcript_lines

logger = logging.getLogger(__name__)

PromptFor = Callable[[Conversation, tuple[int, int] | None], Prompt]
# Parts decoded together by a batching backend: enough to fill a GPU for the starter model, few enough that a
# batch of full-context prompts stays within a CPU worker's memory.
PART_BATCH = 4
# Parts are measured with the longest part header they could get, so numbering never pushes one over budget.
_WIDEST_PART = (999, 999)


@dataclass(frozen=True)
class ChunkedAnswer:
    """The merged answer (None when every part failed), how many parts the call was read in, and the section
    answers per section id, one per part that answered."""

    answer: dict | None
    parts: int
    sections: dict[str, list[object]]


def _part(conversation: Conversation, utterances: list[Utterance]) -> Conversation:
    return conversation.model_copy(update={"utterances": utterances})


def _pieces(utterance: Utterance, fits: Callable[[list[Utterance]], bool]) -> list[Utterance]:
    """An utterance cut between words into pieces that each fit a prompt alone."""
    pieces: list[Utterance] = []
    words = list(utterance.words)
    while words:
        size = len(words)
        while size > 1:
            piece = utterance.model_copy(update={"words": words[:size], "end": words[size - 1].end})
            if fits([piece]):
                break
            size //= 2
        taken = words[:size]
        pieces.append(utterance.model_copy(update={"start": taken[0].start, "end": taken[-1].end, "words": taken}))
        words = words[size:]
    return pieces


def split_conversation(conversation: Conversation, fits: Callable[[Conversation], bool]) -> list[Conversation]:
    """The call as consecutive parts, each as long as `fits` allows; one part when the whole call fits."""
    if fits(conversation) or not conversation.utterances:
        return [conversation]

    def fits_alone(utterances: list[Utterance]) -> bool:
        return fits(_part(conversation, utterances))

    parts: list[list[Utterance]] = []
    current: list[Utterance] = []
    for utterance in conversation.utterances:
        if current and fits_alone([*current, utterance]):
            current.append(utterance)
            continue
        if current:
            parts.append(current)
        if fits_alone([utterance]):
            current = [utterance]
            continue
        *whole, current = [[piece] for piece in _pieces(utterance, fits_alone)]
        parts += whole
    if current:
        parts.append(current)
    return [_part(conversation, utterances) for utterances in parts]


def _grounds(conversation: Conversation, answer: object) -> bool:
    quote = answer.get("quote") if isinstance(answer, dict) else None
    return isinstance(quote, str) and bool(quote.strip()) and ground_quote(conversation, quote) is not None


def _merge_item(conversation: Conversation, answers: list[object]) -> object:
    for verdict in ("yes", "no"):
        for answer in answers:
            if isinstance(answer, dict) and answer.get("answer") == verdict and _grounds(conversation, answer):
                return answer
    for answer in answers:
        if isinstance(answer, dict) and answer.get("answer") == "n/a":
            return answer
    decided = [a for a in answers if isinstance(a, dict) and a.get("answer") in ("yes", "no")]
    return decided[0] if decided else (answers[0] if answers else None)


def _merge_field(conversation: Conversation, answers: list[object]) -> object:
    valued = [a for a in answers if isinstance(a, dict) and a.get("value") not in (None, "")]
    grounded = [a for a in valued if _grounds(conversation, a)]
    kept = grounded or valued
    return kept[0] if kept else None


def merge_answers(conversation: Conversation, answers: Sequence[dict]) -> dict:
    """One answer from the answers of the call's parts (in call order), as if the whole call had been read at once."""
    if len(answers) == 1:
        return answers[0]
    summaries = [a.get("summary") or {} for a in answers]
    texts = [str(s.get("text") or "").strip() for s in summaries]
    points = [str(p).strip() for s in summaries for p in s.get("key_points") or [] if str(p).strip()]
    next_steps = [s.get("next_step") for s in summaries if s.get("next_step")]
    item_ids = dict.fromkeys(key for a in answers for key in a.get("items") or {})
    field_names = dict.fromkeys(key for a in answers for key in a.get("fields") or {})
    return {
        "summary": {
            "text": " ".join(text for text in texts if text),
            "key_points": list(dict.fromkeys(points))[: KEY_POINTS * 2],
            "next_step": next_steps[-1] if next_steps else None,
        },
        "items": {
            item: _merge_item(conversation, [(a.get("items") or {}).get(item) for a in answers]) for item in item_ids
        },
        "fields": {
            name: _merge_field(conversation, [(a.get("fields") or {}).get(name) for a in answers])
            for name in field_names
        },
    }


def _replies(llm: LLMBackend, prompts: list[Prompt], max_tokens: int) -> list[dict | LLMError]:
    """Each part's answer or error. A backend that batches gets the parts PART_BATCH at a time: on a GPU a batch
    costs about what one request does."""
    same_schema = all(prompt.schema == prompts[0].schema for prompt in prompts)
    if len(prompts) > 1 and same_schema and isinstance(llm, BatchingBackend):
        replies: list[dict | LLMError] = []
        for start in range(0, len(prompts), PART_BATCH):
            group = prompts[start : start + PART_BATCH]
            try:
                replies.extend(
                    llm.generate_json_batch([(p.system, p.user) for p in group], group[0].schema, max_tokens=max_tokens)
                )
            except LLMError as exc:
                replies.extend([exc] * len(group))
        return replies
    replies = []
    for prompt in prompts:
        try:
            replies.append(llm.generate_json(prompt.system, prompt.user, prompt.schema, max_tokens=max_tokens))
        except LLMError as exc:
            replies.append(exc)
    return replies


def ask_in_parts(
    llm: LLMBackend,
    conversation: Conversation,
    prompt_for: PromptFor,
    *,
    language: str,
    max_chars: int,
    max_tokens: int,
    call_id: str | None = None,
) -> ChunkedAnswer:
    """Ask the LLM about the whole call, in as many parts as its context needs, and merge the answers.

    `prompt_for(part, (index, total))` builds the request for one part (`None` for a call read whole). A part whose
    request fails is left out; when every part fails the answer is None and the rules' results stand.
    """

    def fits(part: Conversation) -> bool:
        transcript = sum(len(line) + 1 for line in transcript_lines(part, language, max_chars=10**9))
        if transcript > max_chars:
            return False
        prompt = prompt_for(part, _WIDEST_PART)
        return llm.count_tokens(prompt.system, prompt.user) <= llm.max_prompt_tokens

    if not fits(conversation.model_copy(update={"utterances": []})):
        logger.warning(
            "call %s: the request without any transcript is already over the LLM's prompt budget of %d tokens; "
            "rules and an extractive summary stand",
            call_id,
            llm.max_prompt_tokens,
        )
        return ChunkedAnswer(None, 1, {})
    parts = split_conversation(conversation, fits)
    prompts = [prompt_for(part, (index, len(parts)) if len(parts) > 1 else None) for index, part in enumerate(parts, 1)]
    answers: list[dict] = []
    for index, reply in enumerate(_replies(llm, prompts, max_tokens), start=1):
        if isinstance(reply, LLMError):
            logger.warning("LLM request failed for call %s (part %d of %d): %s", call_id, index, len(parts), reply)
        else:
            answers.append(reply)
    if len(parts) > 1:
        logger.info("call %s read in %d parts, %d answered", call_id, len(parts), len(answers))
    sections: dict[str, list[object]] = {}
    for answer in answers:
        for section_id, section in (answer.get("sections") or {}).items():
            sections.setdefault(section_id, []).append(section)
    merged = merge_answers(conversation, answers) if answers else None
    return ChunkedAnswer(merged, len(parts), sections)
