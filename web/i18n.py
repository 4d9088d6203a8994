"""Page text in Russian and English, with each language's plural forms.

Messages live in web/locales/*.yaml, one file per area of the app, each key giving `en` and `ru`. A plural message
gives a list: English [one, other], Russian [one, few, many] ("1 звонок", "2 звонка", "5 звонков"). A key defined
twice across files is an error at load time, so one area cannot silently change another's text.
"""

from functools import lru_cache
from pathlib import Path

import yaml
from babel import Locale

from models.errors import BadInput

LOCALES = ("ru", "en")
LOCALE_DIR = Path(__file__).parent / "locales"


class MessageError(BadInput, ValueError):
    """A broken message catalogue: the file and key are named."""


# The plural categories each locale's messages list, in order: a plural message gives one form per category.
_FORMS = {"ru": ("one", "few", "many"), "en": ("one", "other")}
_PLURAL_RULES = {locale: Locale.parse(locale).plural_form for locale in LOCALES}


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
                count = len(_FORMS[locale])
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
        category = _PLURAL_RULES[self.locale](n)
        return forms[_FORMS[self.locale].index(category)].format(n=n, **values)
