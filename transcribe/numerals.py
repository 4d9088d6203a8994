"""Numbers a recogniser spells out in words ("двести пятьдесят тысяч") written in digits ("250000"), as Whisper
prints them.

The analysis reads numbers in words as well as in digits (`words.numbers`), but evidence quotes, CRM values and
what a rep reads are clearer in digits, and the same call then reads alike whichever recogniser heard it. Only
runs made wholly of number words become digits: slang ("лям", "косарь"), "к" (also the preposition "to") and
fractions stay words, and so does a lone "один"/"одна"/"one", which is as often "alone" or "a" as the number.
"""

from collections.abc import Sequence

from models import Word
from words.numbers import UNITS, number_at, tokens

_SCALE_WORDS = frozenset({"тысяча", "миллион", "миллиард", "hundred", "thousand", "million", "billion"})
_NUMBER_WORDS = frozenset(UNITS) | _SCALE_WORDS
_AMBIGUOUS_ONE = frozenset({"один", "одна", "одно", "one"})


def numbers_in_digits(words: Sequence[Word]) -> list[Word]:
    """`words` with each run of number words replaced by one word holding its value in digits, timed over the run."""
    text = " ".join(word.text for word in words)
    items = tokens(text)
    # Where each word starts in `text` and which word each character lies in: words are joined by one space.
    starts: list[int] = []
    word_of_char: list[int] = []
    for index, word in enumerate(words):
        starts.append(len(word_of_char))
        word_of_char.extend([index] * (len(word.text) + 1))
    out: list[Word] = []
    taken = 0
    i = 0
    while i < len(items):
        found = _number_run(items, i)
        if found is None:
            i += 1
            continue
        value, after = found
        first, last = word_of_char[items[i].start], word_of_char[items[after - 1].end - 1]
        whole_words = items[i].start == starts[first] and items[after - 1].end == starts[last] + len(words[last].text)
        if not whole_words or first < taken:
            i = after
            continue
        run = words[first : last + 1]
        out.extend(words[taken:first])
        out.append(
            Word(
                text=str(value),
                start=run[0].start,
                end=run[-1].end,
                probability=min(word.probability for word in run),
                channel=run[0].channel,
            )
        )
        taken, i = last + 1, after
    out.extend(words[taken:])
    return out


def _number_run(items: list, i: int) -> tuple[int, int] | None:
    if items[i].norm not in UNITS:
        return None
    found = number_at(items, i)
    if found is None:
        return None
    value, after, _ = found
    if any(item.norm not in _NUMBER_WORDS for item in items[i:after]) or value != int(value):
        return None
    if after == i + 1 and items[i].norm in _AMBIGUOUS_ONE:
        return None
    return int(value), after
