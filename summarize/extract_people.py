"""Who decides on the customer's side: a person named with their role ("подписывает у нас главный инженер Виктор
Семёнович Лаптев", "решать будет жена, Лена", "it has to be approved by Dana Whitfield, our VP of People").

Read in the sentences a decision-maker field reads (the cue "решает", "подписывает", "approve" said in them, or the
customer's answer to "кто у вас принимает решение?"). A mention is a role word ("финансовый директор", "главный
инженер", "муж", "owner", "CFO") with the name said right before or after it. Names are found by pymorphy3's name
dictionary (first names, patronymics, surnames), which works on lower-case ASR text where NER finds nothing, and, in
English, by capitals. The value is the role and the name as said, in the call's language, the Russian words brought
to the nominative ("к финансовому директору, Алле Викторовне Зуевой" → "финансовый директор Алла Викторовна Зуева").

A first name said, capitalised, right before or after "решает", "подпишет", "утверждает" ("Решает Лариса, она у нас
главная по кухне") is the decider even with no role: the name, 0.85.

Confidence: 0.9 for a role and a name; 0.7 for a role alone (on the dev part about half were the decider: "партнёры"
said in passing). "The person on the call" and
"a committee" come from the field's phrases (`value_phrases`), not from here.
"""

import re
from dataclasses import dataclass

from words.lemmas import is_noun, nominative, person_part

ROLE_AND_NAME_CONFIDENCE = 0.9
ROLE_CONFIDENCE = 0.7
NAME_CONFIDENCE = 0.85
_DECIDES = re.compile(
    r"(?<![а-яё])(?:решает|решит|решать будет|подписывает|подпишет|утверждает|утвердит|согласовывает)(?![а-яё])",
    re.IGNORECASE,
)

_ROLES_RU = (
    r"(?:(?:генеральн|финансов|коммерческ|техническ|исполнительн|операционн|креативн)\w*\s+)?директор\w*"
    r"(?:\s+по\s+(?:персоналу|финансам|закупкам|развитию|производству|продажам|маркетингу))?"
    r"|генеральн(?:ый|ого|ому|ым)|гендиректор\w*|главврач\w*|главн\w+\s+(?:инженер|бухгалтер|врач|механик|технолог"
    r"|энергетик|архитектор)\w*|бухгалтер\w*|руководител\w+|начальник\w*(?:\s+(?:отдела|цеха|производства|склада"
    r"|смены|снабжения))?|совладел\w+|собственни\w+|владел\w+|хозя(?:ин|йка|ина|йки|ину|йку)|учредител\w+"
    r"|партн[её]р\w*|инвестор\w*|шеф\w*|заведующ\w+|председател\w+|президент\w*|снабжен\w+|закупщик\w*"
    r"|муж|мужа|мужу|мужем|жена|жены|жене|жену|женой|супруг\w*|т[её]щ\w+|свекров\w+|свекр\w*|брат\w*|сестр\w+"
    r"|сын|сына|сыну|доч\w+|отец|отца|отцу|мать|матери|мама|мамы|маме|папа|папы|папе"
    r"|совет\w*\s+(?:директоров|учредителей|акционеров|партн[её]ров)|правлени\w+"
)
_ROLES_EN = (
    r"(?:ceo|cfo|coo|cto|cio|cmo|vp(?:\s+of\s+\w+)?|vice\s+president(?:\s+of\s+\w+)?|head\s+of\s+\w+"
    r"|(?:managing\s+|finance\s+|financial\s+|general\s+|operations\s+|it\s+|sales\s+|executive\s+)?director"
    r"(?:\s+of\s+\w+)?|co-?owner|owner|co-?founder|founder|president|business\s+partner|partners?|board|committee"
    r"|boss|(?:office|general|ops|operations|plant|store|practice|finance)\s+manager|controller|wife|husband"
    r"|spouse|dad|mom|father|mother|brother|sister|principal|superintendent)"
)
_ROLE = {
    "ru": re.compile(rf"(?<![а-яё])(?:{_ROLES_RU})(?![а-яё])", re.IGNORECASE),
    "en": re.compile(rf"\b{_ROLES_EN}\b", re.IGNORECASE),
}
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)?")
# Words that end a name: a capitalised English word after them is a new sentence, not a surname.
_NOT_NAME_EN = frozenset({
    "i", "i'm", "he", "she", "we", "they", "it", "our", "my", "the", "a", "an", "and", "but", "so", "yes", "no",
    "okay", "ok", "well", "that", "this", "who", "anything", "everything", "sure", "yeah", "he's", "she's",
})  # fmt: skip
# "муж в это не лезет", "he's not involved": a person named to say they do not decide.
_STAYS_OUT = re.compile(r"[^.!?,;]{0,25}?\b(?:не|not|isn't|doesn't|never)\b", re.IGNORECASE)
# "я владелица", "I'm the owner": the person on the call, proposed from the field's phrases.
_SELF = re.compile(r"(?:\bя|\bi'm|\bi am)\s+(?:же\s+|тут\s+|the\s+|a\s+)?$", re.IGNORECASE)
_NAME_WINDOW = (
    5  # words between a role and its name ("Виталий Андреевич, технический директор": 0; "жена будет, Лена": 1)
)


@dataclass(frozen=True)
class PersonMention:
    start: int
    end: int
    value: str
    confidence: float


def _names_near(text: str, language: str, start: int, end: int) -> tuple[int, int, list[str]] | None:
    """The run of name words closest to the role at [start, end), within `_NAME_WINDOW` words: (start, end, words)."""
    words = list(_WORD.finditer(text))
    # Only within the role's sentence: "...Битрикс24. Решение принимает директор." names nobody.
    before = [w for w in words if w.end() <= start and not re.search(r"[.!?]", text[w.end() : start])]
    after = [w for w in words if w.start() >= end and not re.search(r"[.!?]", text[end : w.start()])]
    before, after = before[-_NAME_WINDOW:], after[:_NAME_WINDOW]

    def is_name(match: re.Match[str], previous: re.Match[str] | None) -> bool:
        word = match.group()
        if language.startswith("ru"):
            return person_part(word) is not None
        sentence_start = previous is None or bool(re.search(r"[.!?]\s*$", text[previous.end() : match.start()]))
        return word[:1].isupper() and word.lower() not in _NOT_NAME_EN and not sentence_start

    def run(candidates: list[re.Match[str]], forward: bool) -> list[re.Match[str]]:
        ordered = candidates if forward else list(reversed(candidates))
        found: list[re.Match[str]] = []
        for match in ordered:
            index = words.index(match)
            previous = words[index - 1] if index else None
            if is_name(match, previous):
                found.append(match)
            elif found:
                break
        return found if forward else list(reversed(found))

    for forward, candidates in ((True, after), (False, before)):
        found = run(candidates, forward)
        if found:
            return found[0].start(), found[-1].end(), [m.group() for m in found][:3]
    return None


def _role_words(role: str, language: str) -> str:
    """The role in the nominative up to its head noun; what follows the noun stays as said ("директору по
    персоналу" → "директор по персоналу")."""
    if not language.startswith("ru"):
        return role
    words, head_done = [], False
    for word in role.split():
        words.append(word.lower() if head_done else nominative(word.lower()))
        head_done = head_done or is_noun(word)
    return " ".join(words)


def _named_deciders(text: str) -> list[PersonMention]:
    """A first name said as the one who decides, signs or approves, with no role ("Решает Лариса", "Олег подпишет")."""
    mentions = []
    for verb in _DECIDES.finditer(text):
        words = list(_WORD.finditer(text))
        near = [w for w in words if w.end() <= verb.start()][-1:] + [w for w in words if w.start() >= verb.end()][:1]
        for word in near:
            if person_part(word.group()) == "Name" and word.group()[:1].isupper():
                start, end = min(word.start(), verb.start()), max(word.end(), verb.end())
                mentions.append(PersonMention(start, end, nominative(word.group(), person=True), NAME_CONFIDENCE))
                break
    return mentions


def find_decision_makers(text: str, language: str) -> list[PersonMention]:
    """Each role named in `text`, with the name said next to it, as a decision-maker value; in Russian also a first
    name said as the one who decides."""
    pattern = _ROLE["ru" if language.startswith("ru") else "en"]
    mentions = _named_deciders(text) if language.startswith("ru") else []
    for role in pattern.finditer(text):
        if _STAYS_OUT.match(text, role.end()) or _SELF.search(text[: role.start()]):
            continue
        name = _names_near(text, language, role.start(), role.end())
        value = _role_words(role.group(), language)
        if name is None:
            mentions.append(PersonMention(role.start(), role.end(), value, ROLE_CONFIDENCE))
            continue
        first, last, parts = name
        if language.startswith("ru"):
            parts = [nominative(part, person=True) for part in parts]
        value = f"{value} {' '.join(parts)}"
        mentions.append(PersonMention(min(first, role.start()), max(last, role.end()), value, ROLE_AND_NAME_CONFIDENCE))
    return mentions
