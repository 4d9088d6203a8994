"""Whether an utterance asks something, in punctuated and unpunctuated (speech-recognition) text alike."""

from summarize.metrics import count_questions
from summarize.text import normalize

# Question words that ask wherever they stand: unpunctuated ASR text hides a question inside a sentence ("ну я
# подумаю а подключение сколько по времени").
ASKING = {
    "ru": frozenset({"сколько", "когда", "почему", "зачем", "где", "какой", "ли"}),
    "en": frozenset({"how", "what", "when", "why", "which", "where"}),
}


def asks(text: str, language: str) -> bool:
    """A question by punctuation or its first word (`summarize.metrics.count_questions`), or a question word
    anywhere in it."""
    return bool(count_questions(text, language) or ASKING.get(language, frozenset()) & set(normalize(text, language)))
