"""E-mail addresses, written ("ivan@mail.ru") or as speech recognition writes them when they are spelled out:
"ivan dot petrov at gmail dot com", "иван собака mail точка ru", "иван собака мейл точка ру".

A spoken address needs a known top-level domain at its end, and an English "at" is not taken after words that
usually stand before "at" in a sentence ("look at google dot com"), so ordinary speech is not redacted.
"""

import re

from redaction.entities import PiiSpan, PiiType

_WRITTEN = re.compile(r"(?<![\w.+-])[\w.+-]+\s?@\s?[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?!\w)", re.IGNORECASE)

_DOT = r"(?:\.|\s+(?:dot|точка|дот)\s+)"
_JOIN = (
    r"(?:[._-]|\s+(?:dot|точка|дот|underscore|нижнее\s+подч[её]ркивание|подч[её]ркивание|dash|hyphen|дефис|тире)\s+)"
)
_AT = r"(?:\s?@\s?|\s+(?P<at>at|собака|собачка)\s+)"
_TLD = (
    r"(?:ru|ру|com|ком|net|нет|org|орг|рф|su|io|info|инфо|biz|ua|by|kz|me|co|uk|de|pro|online|ai|dev|app|tech|"
    r"us|eu|edu|gov)"
)
_WORD = r"[^\W_]+"
_SPOKEN = re.compile(
    rf"(?<![\w.+'-])(?P<local>{_WORD}(?:{_JOIN}{_WORD})*){_AT}{_WORD}(?:{_DOT}{_WORD})*?{_DOT}{_TLD}(?!\w)",
    re.IGNORECASE,
)
# Words that stand before "at" in an ordinary English sentence, never a mailbox name on their own.
_NOT_A_MAILBOX = frozenset({
    "i", "me", "you", "we", "us", "he", "him", "she", "her", "it", "they", "them", "is", "are", "was", "were",
    "be", "been", "am", "look", "looking", "looked", "see", "meet", "met", "work", "works", "worked", "working",
    "find", "found", "visit", "go", "going", "available", "online", "site", "website", "here", "there", "that",
    "this", "not", "just", "only", "everything", "everyone", "someone",
})  # fmt: skip


def find_emails(text: str) -> list[PiiSpan]:
    spans = [PiiSpan(m.start(), m.end(), PiiType.email) for m in _WRITTEN.finditer(text)]
    for match in _SPOKEN.finditer(text):
        english_at = (match.group("at") or "").lower() == "at"
        if english_at and match.group("local").lower() in _NOT_A_MAILBOX:
            continue
        spans.append(PiiSpan(match.start(), match.end(), PiiType.email))
    return spans
