"""The one LLM request per call: instructions, the transcript, the open script items and CRM fields, and the JSON
schema the answer must follow (the backend enforces it by constrained decoding).

A call too long for one request is read in parts (`summarize.chunks`), each within `max_chars`; a transcript
given here that is still longer is cut: its beginning and its end are kept (greeting and qualification open a call,
the offer and next step close it) and the middle is replaced by one marked gap line.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from models import Conversation, FieldSpec, FieldType, Role, ScriptItem

# Every string is bounded, so the longest answer a model can give fits the token budget: a small model otherwise
# tends to run on inside one string until the budget is spent and the JSON is never closed.
SUMMARY_CHARS = 400
KEY_POINTS = 3
KEY_POINT_CHARS = 100
NEXT_STEP_CHARS = 120
QUOTE_CHARS = 100
VALUE_CHARS = 80
SECTION_CHARS = 200
_LABELS = {
    "ru": {Role.rep: "МЕНЕДЖЕР", Role.customer: "КЛИЕНТ", Role.unknown: "НЕИЗВЕСТНО"},
    "en": {Role.rep: "REP", Role.customer: "CUSTOMER", Role.unknown: "UNKNOWN"},
}
_TEXT = {
    "ru": {
        "system": (
            "Ты анализируешь записи продающих звонков. Отвечай только JSON по заданной схеме, на русском языке. "
            "Каждый ответ подтверждай точной цитатой из расшифровки (слова как в расшифровке, без меток). "
            "Если в расшифровке нет ответа, пиши not_determined и null."
        ),
        "transcript": "Расшифровка звонка:",
        "gap": "[... середина звонка пропущена ...]",
        "summary": (
            "Составь краткое резюме звонка (text), до 3 ключевых пунктов (key_points) и следующий шаг (next_step)."
        ),
        "items": "Ответь на вопросы о работе менеджера (yes, no, n/a или not_determined) и дай цитату (quote):",
        "fields": "Заполни поля CRM значениями из разговора (value) с цитатой (quote); null, если не сказано:",
        "allowed": "допустимые значения",
        "sections": ("Заполни разделы заметки (text) с цитатой (quote); null, если в звонке этого не обсуждали:"),
        "part": "Это часть {index} из {total} длинного звонка: отвечай только по этой части.",
    },
    "en": {
        "system": (
            "You analyse recordings of sales calls. Answer only with JSON following the given schema, in English. "
            "Back every answer with an exact quote from the transcript (its words as written, without labels). "
            "When the transcript does not answer, give not_determined and null."
        ),
        "transcript": "Call transcript:",
        "gap": "[... middle of the call left out ...]",
        "summary": (
            "Write a short summary of the call (text), up to 3 key points (key_points) and the next step (next_step)."
        ),
        "items": "Answer these questions about the rep (yes, no, n/a or not_determined) with a quote (quote):",
        "fields": "Fill these CRM fields from the conversation (value) with a quote (quote); null when not said:",
        "allowed": "allowed values",
        "sections": "Fill these note sections (text) with a quote (quote); null when the call did not discuss it:",
        "part": "This is part {index} of {total} of a long call: answer from this part only.",
    },
}


@dataclass(frozen=True)
class Prompt:
    system: str
    user: str
    schema: dict
    item_ids: tuple[str, ...]
    field_names: tuple[str, ...]


def prompt_language(language: str) -> str:
    code = language.split("-")[0].lower()
    return code if code in _TEXT else "en"


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes:02d}:{rest:02d}"


def transcript_lines(conversation: Conversation, language: str, max_chars: int) -> list[str]:
    """'[mm:ss] REP: ...' lines, cut to `max_chars` by dropping the middle of the call."""
    labels = _LABELS[prompt_language(language)]
    lines = [f"[{_clock(u.start)}] {labels[u.role]}: {u.text}" for u in conversation.utterances if u.text]
    if sum(len(line) + 1 for line in lines) <= max_chars:
        return lines
    gap = _TEXT[prompt_language(language)]["gap"]
    budget = max_chars - len(gap) - 1
    head: list[str] = []
    tail: list[str] = []
    used = 0
    low, high = 0, len(lines) - 1
    # Alternate between the call's opening and its close so both keep their share.
    while low <= high:
        line = lines[low] if len(head) <= len(tail) else lines[high]
        if used + len(line) + 1 > budget:
            break
        used += len(line) + 1
        if len(head) <= len(tail):
            head.append(line)
            low += 1
        else:
            tail.insert(0, line)
            high -= 1
    if not head and lines:
        head = [lines[0][: max(budget, 0)]]
    return [*head, gap, *tail]


def _nullable(max_chars: int) -> dict:
    return {"anyOf": [{"type": "string", "maxLength": max_chars}, {"type": "null"}]}


def _item_schema(item: ScriptItem) -> dict:
    answers = ["yes", "no", "n/a", "not_determined"] if item.allow_na else ["yes", "no", "not_determined"]
    return {
        "type": "object",
        "properties": {"answer": {"type": "string", "enum": answers}, "quote": _nullable(QUOTE_CHARS)},
        "required": ["answer", "quote"],
    }


def _field_schema(spec: FieldSpec) -> dict:
    value: dict = _nullable(VALUE_CHARS)
    if spec.type == FieldType.enum:
        value = {"anyOf": [{"type": "string", "enum": list(spec.allowed_values)}, {"type": "null"}]}
    return {
        "type": "object",
        "properties": {"value": value, "quote": _nullable(QUOTE_CHARS)},
        "required": ["value", "quote"],
    }


def _section_schema() -> dict:
    return {
        "type": "object",
        "properties": {"text": _nullable(SECTION_CHARS), "quote": _nullable(QUOTE_CHARS)},
        "required": ["text", "quote"],
    }


def answer_schema(
    items: Sequence[ScriptItem], fields: Sequence[FieldSpec], sections: Sequence[tuple[str, str]] = ()
) -> dict:
    """The JSON schema of the whole answer: summary, one entry per open item, one per asked field, and one per note
    template section when a template is used."""
    schema: dict = {
        "type": "object",
        "properties": {
            "summary": {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "maxLength": SUMMARY_CHARS},
                    "key_points": {
                        "type": "array",
                        "items": {"type": "string", "maxLength": KEY_POINT_CHARS},
                        "maxItems": KEY_POINTS,
                    },
                    "next_step": _nullable(NEXT_STEP_CHARS),
                },
                "required": ["text", "key_points", "next_step"],
            },
            "items": {
                "type": "object",
                "properties": {item.id: _item_schema(item) for item in items},
                "required": [item.id for item in items],
            },
            "fields": {
                "type": "object",
                "properties": {spec.name: _field_schema(spec) for spec in fields},
                "required": [spec.name for spec in fields],
            },
        },
        "required": ["summary", "items", "fields"],
    }
    if sections:
        schema["properties"]["sections"] = {
            "type": "object",
            "properties": {section_id: _section_schema() for section_id, _ in sections},
            "required": [section_id for section_id, _ in sections],
        }
        schema["required"].append("sections")
    return schema


def build_prompt(
    conversation: Conversation,
    items: Sequence[ScriptItem],
    fields: Sequence[FieldSpec],
    *,
    language: str,
    max_chars: int = 6000,
    sections: Sequence[tuple[str, str]] = (),
    part: tuple[int, int] | None = None,
) -> Prompt:
    """The request for one call, in `language` ('ru' or 'en'; other languages are asked in English).

    `sections` are a note template's (id, instruction) pairs; `part` is (index, total) when `conversation` is one
    part of a long call.
    """
    text = _TEXT[prompt_language(language)]
    parts = [text["part"].format(index=part[0], total=part[1])] if part is not None else []
    parts += [text["transcript"], *transcript_lines(conversation, language, max_chars), "", text["summary"]]
    if sections:
        parts += ["", text["sections"], *(f"- {section_id}: {instruction}" for section_id, instruction in sections)]
    if items:
        parts += ["", text["items"], *(f"- {item.id}: {item.question}" for item in items)]
    if fields:
        parts += ["", text["fields"]]
        for spec in fields:
            allowed = f" ({text['allowed']}: {', '.join(spec.allowed_values)})" if spec.allowed_values else ""
            parts.append(f"- {spec.name}: {spec.question}{allowed}")
    return Prompt(
        system=text["system"],
        user="\n".join(parts),
        schema=answer_schema(items, fields, sections),
        item_ids=tuple(item.id for item in items),
        field_names=tuple(spec.name for spec in fields),
    )
