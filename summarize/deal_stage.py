"""The deal stage a call suggests, read from how it ended, only where the call says it plainly.

- `closed_lost`: the customer refused the offer itself, not just a meeting or a date ("нам это не интересно", "больше
  не звоните", "решили не брать"): a customer utterance close in meaning (`summarize.objection_kinds.meant_kind`)
  to a refusal;
- `proposal`: the rep named a price of their own (`summarize.offer.rep_price`) and the customer did not refuse.

Anything else (a first qualifying talk, a negotiation, a deal won) is left to a person or the LLM. On the dev part
of the blind set, a refusal read this way was labelled `closed_lost` on both calls where it was heard, and a rep's
price was labelled `proposal` on 19 of 27 calls (the rest needs analysis or negotiation), hence the confidences.
"""

from dataclasses import dataclass

from models import Conversation, Evidence, Role
from summarize.meaning import utterance_evidence
from summarize.objection_kinds import meant_kind
from summarize.offer import rep_price

LOST = "closed_lost"
PROPOSAL = "proposal"
LOST_CONFIDENCE = 0.85
PROPOSAL_CONFIDENCE = 0.6

REFUSALS: dict[str, dict[str, tuple[str, ...]]] = {
    "ru": {
        "refusal": (
            "нам это не интересно",
            "мы отказываемся",
            "больше не звоните",
            "выбрали другую компанию",
            "решили не брать",
            "не будем подключать",
            "нам не подходит",
            "остаемся со своим поставщиком",
        ),
    },
    "en": {
        "refusal": (
            "not interested",
            "decided to go with another company",
            "don't call again",
            "we'll pass on this",
            "not going to buy",
            "stay with our current provider",
        ),
    },
}


@dataclass(frozen=True)
class StageSuggestion:
    value: str
    confidence: float
    evidence: Evidence


def suggested_stage(conversation: Conversation, language: str, allowed: list[str]) -> StageSuggestion | None:
    """The stage the call suggests among `allowed` (see the module's docstring), or None."""
    kinds = REFUSALS.get(language, {})
    for utterance in conversation.utterances:
        if utterance.role == Role.customer and meant_kind(utterance, kinds, language) is not None:
            if LOST in allowed:
                return StageSuggestion(LOST, LOST_CONFIDENCE, utterance_evidence(utterance))
            return None
    priced = rep_price(conversation, language)
    if priced is not None and PROPOSAL in allowed:
        return StageSuggestion(PROPOSAL, PROPOSAL_CONFIDENCE, priced.evidence[0])
    return None
