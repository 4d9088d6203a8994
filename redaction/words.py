"""Redacting recognised words, where one number is often several words ("+7 915 123 45 67" is five).

The words of one speaker (or one channel) are read as one text, so a number is found even when it runs across
words or across turns. The words a span touches are merged into one word carrying the placeholder, timed from the
first word's start to the last word's end with the lowest of their probabilities, so timestamps stay ordered and
still cover what was said; text of a touched word outside the span ("номер:" in "номер:+79161234567") is kept.
"""

from models import Word
from redaction.redactor import Redactor, replace_spans


def redact_word_sequences(sequences: list[list[Word]], redactor: Redactor, language: str) -> list[list[Word]]:
    """The sequences (turns of one speaker, in order) with personal data redacted; untouched words are kept as
    they are, and each sequence keeps its own words."""
    return [[word for _, word in words] for words in redact_indexed(sequences, redactor, language)]


def redact_indexed(sequences: list[list[Word]], redactor: Redactor, language: str) -> list[list[tuple[int, Word]]]:
    """As `redact_word_sequences`, each word paired with the index of the first word it stands for."""
    places: list[tuple[int, int, int, int]] = []
    texts: list[str] = []
    cursor = 0
    for seq_index, words in enumerate(sequences):
        for word_index, word in enumerate(words):
            text = word.text.strip()
            if not text:
                continue
            places.append((seq_index, word_index, cursor, cursor + len(text)))
            texts.append(text)
            cursor += len(text) + 1
    joined = " ".join(texts)
    spans = redactor.find(joined, language)
    if not spans:
        return [list(enumerate(words)) for words in sequences]
    touched: dict[tuple[int, int], int] = {}
    for seq_index, word_index, start, end in places:
        for found, span in enumerate(spans):
            if span.start < end and start < span.end:
                touched[(seq_index, word_index)] = found
                break
    positions = {(s, w): (start, end) for s, w, start, end in places}
    result: list[list[tuple[int, Word]]] = []
    for seq_index, words in enumerate(sequences):
        out: list[tuple[int, Word]] = []
        group: list[int] = []
        for word_index in range(len(words) + 1):
            if group and word_index < len(words) and (seq_index, word_index) not in positions:
                continue  # an empty word inside a number goes with it
            span_index = touched.get((seq_index, word_index))
            if group and (span_index is None or span_index != touched[(seq_index, group[-1])]):
                start, end = positions[(seq_index, group[0])][0], positions[(seq_index, group[-1])][1]
                text = replace_spans(joined[start:end], spans, offset=start)
                out.append((group[0], _merged([words[i] for i in group], text)))
                group = []
            if word_index == len(words):
                break
            if span_index is None:
                out.append((word_index, words[word_index]))
            else:
                group.append(word_index)
        result.append(out)
    return result


def _merged(group: list[Word], text: str) -> Word:
    return Word(
        text=text,
        start=group[0].start,
        end=max(word.end for word in group),
        probability=min(word.probability for word in group),
        channel=group[0].channel,
    )
