"""Organisations the customer uses or considers instead of the seller: competitors, in any industry.

A name is taken from a sentence of the customer's that says they buy from, work with, compare or were quoted by
someone ("нам «Гранит-Сервис» всё ставил", "бетолит нам цены кидали", "we're also talking to ByteForge Academy"):
- a quoted name («ГемоЛаб», "Acme");
- capitalised words that are not a person's name and do not open the sentence ("We're with Keystone Casualty");
- a lower-case word the Russian dictionary does not know, next to such a cue (ASR text: "в спортлайф хочу").
Not a competitor: a name in a sentence about the customer's own supplier, client or software ("наш поставщик",
"our main supplier", "our customers", "у нас стоит", "программа"), or one the rep used to introduce the seller.
Russian words of a name are brought to the nominative ("в «Кухонном дворе»" → "Кухонный двор").

Confidence: 0.85 for a quoted name, 0.75 for capitalised words (a product or a car model is capitalised too:
"Солярис"), 0.7 for an unknown lower-case word (ASR slang and misheard words are unknown words too).
"""

import re
from dataclasses import dataclass

from words.lemmas import is_known, nominative, person_part

QUOTED_CONFIDENCE = 0.85
CAPITALISED_CONFIDENCE = 0.75
UNKNOWN_WORD_CONFIDENCE = 0.7

_CUES = {
    "ru": re.compile(
        r"(?<![а-яё])(?:работа(?:ем|ли|ют)\s+(?:с|со|в)|сотруднича\w+|бер[её]м\s+у|закупа\w+|с\s+ними|от\s+них"
        r"|обслужива\w+|вед[её]т|ведут|ставил\w*|смотр(?:им|ели|ел|ела|ю)|рассматрива\w+|сравнива\w+|предлага\w+"
        r"|присла\w+|присыла\w+|считал\w*|насчита\w+|кида\w+|дешевле|дороже|скидк\w+|перейти|уходить|договор\s+с"
        r"|пробова\w+|пользова\w+|пользу\w+|использу\w+|плат(?:им|или|ит)|полис\w*\s+в|советова\w+|конкурент\w*"
        r"|хочу\s+(?:зайти|пойти)|мы\s+в|мы\s+уже\s+в|бер[её]м|покупа(?:ем|ли)|заказ(?:али|ывали|ываем)|ход(?:им|или)"
        r"|наблюда(?:емся|лись)|лечи(?:мся|лись)|убира(?:ет|ют|ли)|вози(?:т|ли)|возят)(?![а-яё])",
        re.IGNORECASE,
    ),
    "en": re.compile(
        r"\b(?:(?:we're|we are|i'm|i am)\s+(?:with|on)|using|use|look(?:ed|ing)\s+(?:at|into)|talking to|tried|quote"
        r"|quoted|compar\w+|switch\w*"
        r"|cheaper|leaning|handles|considering|competitor|went with|go with|signed with)\b",
        re.IGNORECASE,
    ),
}
_OWN = re.compile(
    r"(?<![а-яёa-z])(?:поставщик\w*|клиент\w*|заказчик\w*|покупател\w*|программ\w*|систем\w*|у\s+нас\s+стоит"
    r"|supplier\w*|vendor of ours|customers?|clients?|retailers?|software|system)(?![а-яёa-z])",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?…]+[.!?…]*")
_QUOTED = re.compile(r"[«\"“]([^»\"”]{2,40})[»\"”]")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|\d+[^\W_]*")
_FUNCTION_EN = frozenset({
    "i", "i'm", "we", "we're", "they", "our", "my", "the", "a", "an", "and", "but", "so", "okay", "well", "honestly",
    "yeah", "yes", "no", "what", "that", "this", "it", "is", "he", "she", "you",
})  # fmt: skip
_UNKNOWN_REACH = 1  # words between a cue and an unknown word that may be a name ("смотрим вот бетолит")
_SELLER_SUBJECT = re.compile(r"(?<![а-яёa-z])(?:вы|you)(?:\s+\S+){0,2}\s*$", re.IGNORECASE)
_NAME_REACH = 4  # words between a cue and a capitalised name ("Нам «Гранит-Сервис» всё ставил")
_ACRONYM = re.compile(r"[A-ZА-ЯЁ]{1,4}\d*|[A-Za-z]\d+")  # "ДМС", "API", "X7": products and terms, not companies
_CASE_PREPOSITION = re.compile(r"(?<![а-яё])(?:в|во|у|от|с|со|к|из|при)\s*[«\"“]?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class OrgMention:
    start: int
    end: int
    value: str
    confidence: float


def _nominative_name(name: str, language: str) -> str:
    if not language.startswith("ru"):
        return name
    return " ".join(nominative(word) for word in name.split())


def _capitalised(sentence: str, offset: int, language: str) -> list[tuple[int, int, str]]:
    """Runs of capitalised words that are not a person's name and do not open the sentence."""
    runs: list[tuple[int, int, str]] = []
    current: list[re.Match[str]] = []
    words = list(_WORD.finditer(sentence))

    def close() -> None:
        if current:
            runs.append((offset + current[0].start(), offset + current[-1].end(), " ".join(m.group() for m in current)))

    for index, word in enumerate(words):
        text = word.group()
        name_like = (
            index > 0
            and text[:1].isupper()
            and not _ACRONYM.fullmatch(text)
            and text.lower() not in _FUNCTION_EN
            and (person_part(text) is None if language.startswith("ru") else True)
        )
        if name_like:
            current.append(word)
        else:
            close()
            current = []
    close()
    return runs


def _near(sentence: str, start: int, end: int, cues: list[re.Match[str]], reach: int) -> bool:
    """Whether a cue is within `reach` words of [start, end)."""
    return any(len(_WORD.findall(sentence[min(end, cue.end()) : max(start, cue.start())])) <= reach for cue in cues)


def _unknown_near_cue(sentence: str, offset: int, cues: list[re.Match[str]]) -> list[tuple[int, int, str]]:
    """Lower-case words the dictionary does not know, next to a cue; hyphenated ones ("чек-апу", "трейд-ина") are
    colloquial borrowings far more often than names."""
    found = []
    for word in _WORD.finditer(sentence):
        text = word.group()
        if len(text) < 5 or not re.fullmatch(r"[а-яё]+", text) or is_known(text):
            continue
        if _near(sentence, word.start(), word.end(), cues, _UNKNOWN_REACH):
            found.append((offset + word.start(), offset + word.end(), text.capitalize()))
    return found


def _customer_cues(sentence: str, cues: re.Pattern[str]) -> list[re.Match[str]]:
    """The cues in `sentence` whose subject is not the seller ("вы нам присылали" is the rep's own offer)."""
    return [cue for cue in cues.finditer(sentence) if not _SELLER_SUBJECT.search(sentence[: cue.start()])]


def named_as_competitor(text: str, quote: str, language: str) -> bool:
    """Whether `quote` (a known competitor's name found in `text`) is said next to a cue of using or comparing, in
    a sentence not about the customer's own suppliers, clients or software."""
    position = text.find(quote)
    if position < 0:
        return False
    cues = _CUES["ru" if language.startswith("ru") else "en"]
    for sentence in _SENTENCE.finditer(text):
        if sentence.start() <= position < sentence.end():
            body = sentence.group()
            start = position - sentence.start()
            found = _customer_cues(body, cues)
            return not _OWN.search(body) and _near(body, start, start + len(quote), found, _NAME_REACH)
    return False


def _base_form(name: str, before: str) -> str:
    """A name's last word without the case ending a preposition gave it ("в «РосГаранте»" → "РосГарант"), when
    the dictionary does not know the word (known words are brought to the nominative instead)."""
    last = name.split()[-1]
    if not _CASE_PREPOSITION.search(before) or is_known(last) or not re.search(r"[а-яё]", last):
        return name
    stem = re.sub(r"(?<=[бвгджзклмнпрстфхцчшщ])(?:ом|ой|е|у|а|ы)$", "", last)
    return name[: len(name) - len(last)] + stem


def find_competitors(text: str, language: str, exclude: frozenset[str] = frozenset()) -> list[OrgMention]:
    """Organisations `text` speaks of using or considering, not in `exclude` (lower-case names to leave out)."""
    cues = _CUES["ru" if language.startswith("ru") else "en"]
    mentions: list[OrgMention] = []
    for sentence in _SENTENCE.finditer(text):
        body = sentence.group()
        found_cues = _customer_cues(body, cues)
        if not found_cues or _OWN.search(body):
            continue
        candidates = [
            (sentence.start() + m.start(1), sentence.start() + m.end(1), m.group(1), QUOTED_CONFIDENCE)
            for m in _QUOTED.finditer(body)
        ]
        candidates += [
            (*run, CAPITALISED_CONFIDENCE)
            for run in _capitalised(body, sentence.start(), language)
            if _near(body, run[0] - sentence.start(), run[1] - sentence.start(), found_cues, _NAME_REACH)
        ]
        if language.startswith("ru"):
            candidates += [(*w, UNKNOWN_WORD_CONFIDENCE) for w in _unknown_near_cue(body, sentence.start(), found_cues)]
        for start, end, name, confidence in candidates:
            value = _base_form(_nominative_name(name.strip(), language), text[:start])
            if value.casefold() in exclude or any(m.start <= start < m.end for m in mentions):
                continue
            mentions.append(OrgMention(start, end, value, confidence))
    return mentions


def introduced_names(texts: list[str], language: str) -> frozenset[str]:
    """Lower-case names said in `texts` (the rep's opening words, where the seller's company is named)."""
    names: set[str] = set()
    for text in texts:
        names.update(m.group(1).casefold() for m in _QUOTED.finditer(text))
        names.update(run[2].casefold() for run in _capitalised(text, 0, language))
        names.update(
            m.group().casefold() for m in _WORD.finditer(text) if m.group().isalpha() and not is_known(m.group())
        )
    return frozenset(_nominative_name(name, language).casefold() for name in names) | frozenset(names)
