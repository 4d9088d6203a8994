"""Page text in Russian and English, with each language's plural forms.

Messages live in web/locales/*.yaml, one file per area of the app, each key giving `en` and `ru`. A plural message
gives a list: English [one, other], Russian [one, few, many] ("1 звонок", "2 звонка", "5 звонков"). A key defined
twice across files is an error at load time, so one area cannot silently change another's text.
"""

from functools import lru_cache
from pathlib import Path

import yaml

LOCALES = ("ru", "en")
LOCALE_DIR = Path(__file__).parent / "locales"


class MessageError(ValueError):
    """A broken message catalogue: the file and key are named."""


def russian_plural(n: int) -> int:
    """Index of the Russian form for n: 0 one (1, 21, 101), 1 few (2-4, 22-24), 2 many (0, 5-20, 11-14, 25...)."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return 0
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return 1
    return 2


def english_plural(n: int) -> int:
    return 0 if abs(n) == 1 else 1


_FORMS = {"ru": (russian_plural, 3), "en": (english_plural, 2)}


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str | list[str]]]:
    messages: dict[str, dict[str, str | list[str]]] = {}
    for path in sorted(LOCALE_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, texts in data.items():
            if key in messages:
                raise MessageError(f"{path.name}: message '{key}' is already defined in another file")
            if not isinstance(texts, dict) or set(texts) != set(LOCALES):
                raise MessageError(f"{path.name}: message '{key}' needs exactly the keys {', '.join(LOCALES)}")
            for locale, text in texts.items():
                count = _FORMS[locale][1]
                if isinstance(text, list) and len(text) != count:
                    raise MessageError(f"{path.name}: '{key}' in {locale} needs {count} plural forms")
            messages[key] = texts
    return messages


class Translator:
    """`t('key', name=...)` for text, `tn('key', n)` for a count with its plural form."""

    def __init__(self, locale: str) -> None:
        self.locale = locale if locale in LOCALES else LOCALES[0]

    def _text(self, key: str) -> str | list[str]:
        try:
            return catalogue()[key][self.locale]
        except KeyError:
            raise MessageError(f"no message '{key}' in web/locales") from None

    def t(self, key: str, **values: object) -> str:
        text = self._text(key)
        if isinstance(text, list):
            raise MessageError(f"message '{key}' is a plural: use tn()")
        return text.format(**values) if values else text

    def tn(self, key: str, n: int, **values: object) -> str:
        forms = self._text(key)
        if not isinstance(forms, list):
            raise MessageError(f"message '{key}' is not a plural: use t()")
        plural_of, _ = _FORMS[self.locale]
        return forms[plural_of(n)].format(n=n, **values)
