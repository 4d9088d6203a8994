"""Customer objections recognised by meaning: short descriptions of each kind, in plain words, compared with what the
customer said through `summarize.meaning_model.closeness` (lemmas, and navec word vectors for Russian).

The kinds are the ones a sales team meets (price, timing, a competitor, no need, trust, a brush-off: asking for an
e-mail or promising to call back instead of talking). A description names the objection with at least two words
that carry it, so that one common word ("не", "сейчас") never makes an objection on its own. A span of the
customer's words that comes `KIND_CLOSE` close to a description is an objection of that kind; the phrase lists
(`OBJECTION_PHRASES`, a script's `applies_if`) still catch the fixed wordings.
"""

from collections.abc import Sequence
from functools import lru_cache

from models import Role, Utterance
from summarize.meaning import span_text, windows
from summarize.meaning_model import Words, closeness, words_of

# On the dev part of the blind set, at 0.7 as at 0.75 no customer utterance of a call written without an objection
# came this close; the first descriptions, made of one word that carries the kind ("не до этого"), matched ordinary
# talk, hence two such words each.
KIND_CLOSE = 0.75

OBJECTION_KINDS: dict[str, dict[str, tuple[str, ...]]] = {
    "ru": {
        "price": (
            "цена слишком высокая",
            "для нас дорого стоит",
            "денег на это нет",
            "бюджет не позволяет",
            "дешевле предлагают другие",
            "не потянем по деньгам",
        ),
        "timing": (
            "сейчас неподходящее время",
            "вернемся к разговору позже",
            "сейчас нет времени",
            "отложим на следующий год",
            "сейчас заняты другим",
        ),
        "competitor": (
            "уже работаем с другой компанией",
            "уже есть свой поставщик",
            "рассматриваем другие предложения",
            "сравниваем разные предложения",
            "текущий подрядчик устраивает",
        ),
        "no_need": (
            "не нуждаемся в этом",
            "справимся своими силами",
            "сотрудник сам может сделать",
            "зачем нам платить",
            "не вижу смысла менять",
        ),
        "trust": (
            "ничего о вас не слышали",
            "вам не доверяю",
            "боюсь обмана",
            "какие гарантии дадите",
            "плохой опыт раньше",
        ),
        "brush_off": (
            "пришлите информацию на почту",
            "сам перезвоню потом",
            "надо подумать",
            "обсудим и сообщим",
        ),
    },
    "en": {
        "price": (
            "price is too high",
            "costs too much",
            "no money for this",
            "budget does not allow",
            "cheaper elsewhere",
        ),
        "timing": ("not the right time", "come back later", "no time right now", "postpone until next year"),
        "competitor": (
            "already work with another company",
            "already have a supplier",
            "looking at other offers",
            "comparing other vendors",
            "happy with current provider",
        ),
        "no_need": ("we don't need this", "handle it ourselves", "see no reason to change", "why pay for it"),
        "trust": ("never heard of your company", "don't trust", "bad experience before", "what guarantee"),
        "brush_off": ("email me the information", "send me some info", "I'll call you back", "need to think"),
    },
}


@lru_cache(maxsize=16)
def _descriptions(kinds: tuple[tuple[str, tuple[str, ...]], ...], language: str) -> tuple[tuple[str, Words], ...]:
    return tuple((kind, words_of(text, language)) for kind, texts in kinds for text in texts)


def meant_kind(utterance: Utterance, kinds: dict[str, tuple[str, ...]], language: str) -> str | None:
    """The kind whose description the utterance's closest span comes `KIND_CLOSE` close to, or None."""
    descriptions = _descriptions(tuple(kinds.items()), language)
    best, found = 0.0, None
    for span in windows(utterance):
        said = words_of(span_text(utterance, span), language)
        for name, description in descriptions:
            value = closeness(description, said)
            if value > best:
                best, found = value, name
    return found if best >= KIND_CLOSE else None


def objection_kind(utterance: Utterance, language: str) -> str | None:
    """The kind of objection a customer's utterance raises by meaning, or None."""
    if utterance.role != Role.customer:
        return None
    return meant_kind(utterance, OBJECTION_KINDS.get(language, {}), language)


def meant_objections(utterances: Sequence[Utterance], language: str, after: float | None = None) -> list[int]:
    """Indexes of customer utterances that raise an objection by meaning."""
    return [
        index
        for index, utterance in enumerate(utterances)
        if (after is None or utterance.start >= after) and objection_kind(utterance, language) is not None
    ]
