"""@mentions in a comment: `@login`, or `@"Full Name"` for a name with spaces; matched without regard to case
against active users' logins, then their names (a name two users share mentions neither)."""

import re
from collections.abc import Iterable

from pipeline.db import User

_MENTION = re.compile(r'@"([^"\n]{1,256})"|(?<![\w@])@([\w][\w.+-]*)')


def mentioned_words(text: str) -> list[str]:
    """The mentioned logins or names, in order of appearance, each once."""
    found: list[str] = []
    for quoted, bare in _MENTION.findall(text):
        word = (quoted or bare.rstrip(".-")).strip().casefold()
        if word and word not in found:
            found.append(word)
    return found


def resolve_mentions(text: str, users: Iterable[User]) -> tuple[list[User], list[str]]:
    """The users the text mentions, and the words that named nobody (or more than one person)."""
    active = [user for user in users if user.active]
    by_login = {user.login.casefold(): user for user in active}
    by_name: dict[str, list[User]] = {}
    for person in active:
        by_name.setdefault(person.name.casefold(), []).append(person)
    people: list[User] = []
    unknown: list[str] = []
    for word in mentioned_words(text):
        named = by_name.get(word, [])
        user: User | None = by_login.get(word) or (named[0] if len(named) == 1 else None)
        if user is None:
            unknown.append(word)
        elif user not in people:
            people.append(user)
    return people, unknown
