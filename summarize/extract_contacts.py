"""Phone numbers and e-mail addresses said on a call.

Phones are found by `phonenumbers` (valid numbers only, in Russian and international formats; a number without a
country code is read in the region of the call's language) and kept in E.164 form ("+79161234567"). Digits right after
words that introduce an order, invoice, contract or tax number are not a phone, even when they would dial.
E-mail addresses are kept lower-cased.
"""

import re
from dataclasses import dataclass

import phonenumbers

_REGIONS = {"ru": "RU", "en": "US"}
_NOT_A_PHONE = re.compile(
    r"(?:order|invoice|account|contract|ticket|case|reference|ref|inn|"
    r"заказ\w*|сч[её]т\w*|договор\w*|инн|артикул\w*|накладн\w*|заявк\w*)"
    r"(?:\s+(?:number|no\.?|#|номер|n|№))?\s*[:#№]?\s*$",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zа-я]{2,}", re.IGNORECASE)


@dataclass(frozen=True)
class ContactMention:
    start: int
    end: int
    value: str


def find_phones(text: str, language: str) -> list[ContactMention]:
    region = _REGIONS.get(language[:2], "RU")
    mentions = []
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
        if _NOT_A_PHONE.search(text[: match.start]):
            continue
        number = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        mentions.append(ContactMention(match.start, match.end, number))
    return mentions


def find_emails(text: str) -> list[ContactMention]:
    return [ContactMention(m.start(), m.end(), m.group().lower()) for m in _EMAIL.finditer(text)]
