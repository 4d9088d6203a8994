"""Which money mentions are a total someone could spend, and how sure a rule can be of one.

Amounts are read by `words.money.find_money`. A money field proposes the totals said in the words it reads: an
amount in a negated clause ("не 500, а 700 тысяч") or a price of one item, seat or person ("по две тысячи за
человека") is not a budget, and neither is a limit of someone's authority ("anything over 25,000 has to be
approved", "всё, что больше ста тысяч, через директора"). The speaker is chosen by the field (`speaker: customer`
for the budget: a price the rep quotes is not what the customer can spend). The amount of a range is its upper
end, what the customer said they could go up to ("от шестидесяти до восьмидесяти тысяч" → 80000).

Confidence, measured on the blind set's dev part (benchmarks/blind_eval.py):
- 0.9 for an amount in a sentence that says one of the field's cues ("бюджет", "заложено", "в пределах",
  "budget", "up to"), unless a price word follows it ("... в месяц получается, это дорого");
- 0.7 for an amount read only because it answers a cue said by the other side ("А какой бюджет?" — "ну тысяч
  четыреста"): the answer may be about something else;
- with no cues in the field, 0.9 with a currency said and 0.7 without.
"""

import re

from words.money import MoneyMention, find_money

# summarize.summary_gate reads numbers with the money tokeniser under these names.

CUED_CONFIDENCE = 0.9
ANSWER_CONFIDENCE = 0.7
_THRESHOLD = re.compile(
    r"(?:anything|everything|whatever|all)\s+(?:over|above|more than)\s*$"
    r"|(?:вс[её]|то),?\s+что\s+(?:больше|выше|свыше|дороже)\s*$",
    re.IGNORECASE,
)
# "тыща двести в месяц получается ... дорого": a price worked out or complained of, not what the speaker can spend.
_PRICE_AFTER = re.compile(
    r"^\W*(?:\w+\W+){0,3}?(?:получается|выходит|выйдет|дорого|дороговато|comes to|would cost|is too much)\b",
    re.IGNORECASE,
)
# "больше ... не потянем" is a ceiling the customer sets: a budget, unlike "всё, что больше ..., через директора".
_CEILING_AFTER = re.compile(r"^[^.!?]{0,40}\b(?:не|not|n't)\b", re.IGNORECASE)


def total_amounts(text: str) -> list[MoneyMention]:
    """The amounts in `text` that name a total: not negated, not a price per unit."""
    return [mention for mention in find_money(text) if not mention.negated and not mention.per_unit]


def _same_sentence(text: str, first: int, second: int) -> bool:
    low, high = sorted((first, second))
    return not re.search(r"[.!?…]", text[low:high])


def amount_confidence(text: str, mention: MoneyMention, cues: list[int] | None) -> float:
    """How sure a rule is that `mention` is the field's amount; 0 when it is a threshold of authority, not a sum.

    `cues`: where in `text` the field's cues are said; None when the utterance only answers a cue; [] for a field
    with no cues.
    """
    before, after = text[: mention.start], text[mention.end :]
    if _THRESHOLD.search(before) and not _CEILING_AFTER.match(after):
        return 0.0
    if _PRICE_AFTER.match(after):
        return ANSWER_CONFIDENCE
    if cues is None:
        return ANSWER_CONFIDENCE
    if not cues:
        return CUED_CONFIDENCE if mention.currency else ANSWER_CONFIDENCE
    return CUED_CONFIDENCE if any(_same_sentence(text, cue, mention.start) for cue in cues) else ANSWER_CONFIDENCE
