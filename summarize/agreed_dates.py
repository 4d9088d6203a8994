"""The date of an agreed step: a date the rep offers and the customer accepts ("В четверг, двенадцатого, в семь
тридцать. Подходит?" — "Да, нормально"), not a date said beside it.

A date counts when:
- the rep says it in an utterance that offers or books something (a question, "давайте", "пришлю", "how about",
  or a step cue) and the customer's next turn opens with a yes ("да, давайте", "sounds good") and no no ("нет",
  "не надо", "я сам позвоню", "maybe", "наверное") in its first words: the rep's offers and recaps;
- the customer says it in a sentence with a step cue (the field's `context_phrases`: "созвонимся", "call") that is
  not a maybe or a no.
A date told of as past ("предложение, которое в среду отправлял") is not a step's. A step the customer declines
or leaves open has no date: the field then gets none, so a rep never approves a date
for a step that was not agreed. Confidence: 0.85 for a date with its day ("тридцатого апреля", "July seventh"), 0.7
for a weekday or a relative day ("во вторник", "tomorrow"; a recap's "on Tuesday" is less sure than the offer's
date); of several, the best and then the last said is kept. A deadline ("до пятницы", "by end of July") is not
proposed: on the dev part none was the step's day.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from models import Role, Utterance
from summarize.extract_dates import find_dates
from words.lemmas import is_past_verb

# Measured on the blind set's dev part (40 calls): dates with their day were right 5 times in 6, weekdays and
# relative days 7 in 12 (a recap's "on Tuesday" resolves to the wrong week), deadlines ("до конца июля", "until
# January fifteenth") 0 in 5: a deadline is a plan's or an offer's, not a step's day, and is not proposed.
DAY_CONFIDENCE = 0.85
WEEKDAY_CONFIDENCE = 0.7
_DEADLINE = re.compile(r"^(?:до|к|by|until|till|before)\s", re.IGNORECASE)
_DAY = re.compile(
    r"\d|январ|феврал|март|апрел|ма[йяе]|июн|июл|август|сентябр|октябр|ноябр|декабр|january|february"
    r"|march|april|may|june|july|august|september|october|november|december",
    re.IGNORECASE,
)
_OPENING_WORDS = 8
_YES = re.compile(
    r"(?<![а-яёa-z])(?:да|давайте|давай|хорошо|ок|окей|договорились|подходит|удобно|отлично|можно|конечно|идет|идёт"
    r"|пойдет|пойдёт|ладно|согласен|согласна|годится|записывайте|жду|yes|yeah|yep|sure|sounds good|works|great"
    r"|perfect|okay|ok|fine|deal|absolutely|definitely|that's fine|let's do it)(?![а-яёa-z])",
    re.IGNORECASE,
)
_NO = re.compile(
    r"(?<![а-яёa-z])(?:нет|не надо|не нужно|не стоит|не получится|не смогу|не могу|не думаю|не знаю|посмотрим"
    r"|подумаю|подумаем|может быть|может|наверное|я сам\w* (?:позвоню|наберу|свяжусь)|сама позвоню|сам позвоню"
    r"|no|not|can't|won't|don't|maybe|i'll call you|i'll let you know|we'll see|not sure)(?![а-яёa-z])",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?…]+[.!?…]*")
# A rep's utterance that offers or books something: a date in any other ("акция до конца февраля") is a side date
# even when the customer's next words are a yes to something else.
_OFFER = re.compile(
    r"\?|(?<![а-яёa-z])(?:давайте|могу|можем|предлагаю|запишу|записал\w*|подъед\w+|приед\w+|пришл\w+|отправл\w+"
    r"|созвон\w+|перезвон\w+|набер\w+|встреч\w+|подходит|удобно|жду|ждём|how about|would|can we|let's|i'll|we'll"
    r"|works for you|does .{0,20} work|meet|call|send|schedule|book\w*)(?![а-яёa-z])",
    re.IGNORECASE,
)
_PAST_EN = re.compile(r"\b(?:last|ago|yesterday|was|were|sent|spoke|met|did|\w+ed)\b", re.IGNORECASE)
_PAST_REACH = 4  # words on either side of a date where a past verb makes it a past date ("в среду отправлял")
# Past forms that agree on what comes ("тогда договорились, в среду", "as we agreed, Thursday").
_AGREEING = frozenset({"договорились", "договорилась", "договорился", "решили", "условились", "agreed", "scheduled"})
# A whole year or quarter is a plan's horizon, not the day a step happens.
_HORIZON = re.compile(r"год|year|квартал|quarter", re.IGNORECASE)


@dataclass(frozen=True)
class AgreedDate:
    utterance: int
    start: int
    end: int
    phrase: str
    confidence: float


def _opening(text: str) -> str:
    return " ".join(text.split()[:_OPENING_WORDS])


def _reply(utterances: Sequence[Utterance], index: int) -> str | None:
    """The other speaker's next turn after utterance `index`, all of it."""
    speaker = utterances[index].speaker
    reply: list[str] = []
    for utterance in utterances[index + 1 :]:
        if utterance.speaker == speaker:
            if reply:
                break
            continue
        reply.append(utterance.text)
    return " ".join(reply) if reply else None


def _accepted(utterances: Sequence[Utterance], index: int) -> bool:
    reply = _reply(utterances, index)
    if reply is None:
        return False
    opening = _opening(reply)
    return bool(_YES.search(opening)) and not _NO.search(opening)


def _past(sentence: str, start: int, end: int) -> bool:
    """Whether the date at [start, end) is told of as past ("предложение, которое в среду отправлял", "we talked
    last Tuesday"): a date resolved forward from the call would then be a wrong one."""
    before = [w for w in sentence[:start].split()[-_PAST_REACH:] if w.strip(",.?!").lower() not in _AGREEING]
    after = [w for w in sentence[end:].split()[:_PAST_REACH] if w.strip(",.?!").lower() not in _AGREEING]
    near = " ".join(before + after)
    return bool(_PAST_EN.search(near)) or any(is_past_verb(word.strip(",.?!")) for word in before + after)


def _confidence(phrase: str) -> float:
    return DAY_CONFIDENCE if _DAY.search(phrase) else WEEKDAY_CONFIDENCE


def agreed_dates(utterances: Sequence[Utterance], cues: dict[int, list[int]]) -> list[AgreedDate]:
    """The dates of steps agreed in `utterances`; `cues` gives, by utterance position, where step cues are said."""
    found = []
    for index, utterance in enumerate(utterances):
        by_rep = utterance.role == Role.rep
        if by_rep and not _accepted(utterances, index):
            continue
        for sentence in _SENTENCE.finditer(utterance.text):
            cued = any(sentence.start() <= offset < sentence.end() for offset in cues.get(index, []))
            if by_rep and not (cued or _OFFER.search(utterance.text)):
                continue
            if not by_rep and (not cued or _NO.search(sentence.group())):
                continue
            for mention in find_dates(sentence.group()):
                if _HORIZON.search(mention.phrase) or _DEADLINE.match(mention.phrase):
                    continue
                if _past(sentence.group(), mention.start, mention.end):
                    continue
                start, end = sentence.start() + mention.start, sentence.start() + mention.end
                found.append(AgreedDate(index, start, end, mention.phrase, _confidence(mention.phrase)))
    return found
