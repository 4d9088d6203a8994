"""The terms a call's recogniser is biased towards, gathered from what the product knows before the call.

In order of priority, since a recogniser that holds fewer terms keeps the first (`transcribe.biasing.fit_terms`):

1. the linked CRM deal: its contacts' names (the customer) and the deal's name (CRMs usually name a deal after the
   customer's company) — few, and said on this very call;
2. the rep's name;
3. the deployment's vocabulary (`CALLINTEL_VOCABULARY`: the company's own name and the names it goes by);
4. the team's vocabulary, as the team set it;
5. the team's product catalogue: each product's name, then all the synonyms.

Repeats are dropped (any letter case, spacing ignored), keeping a term's first, highest place.
"""

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db import CRMContact, Deal, DealCall, DealContact

MAX_TERM_CHARS = 100
"""A longer 'name' (a deal titled with a whole sentence) would crowd out real names in the prompt."""


def deal_names(session: Session, call_id: str) -> list[str]:
    """The names of the customer and their company from the deal the call is linked to; none without a link."""
    link = session.get(DealCall, call_id)
    if link is None:
        return []
    deal = session.get(Deal, link.deal_id)
    if deal is None or deal.deleted:
        return []
    contacts = session.scalars(
        select(CRMContact.name)
        .join(DealContact, DealContact.contact_id == CRMContact.id)
        .where(DealContact.deal_id == deal.id)
        .order_by(CRMContact.id)
    )
    return [*contacts, deal.name]


def bias_terms(
    *,
    deal: Sequence[str] = (),
    rep: str | None = None,
    company: Sequence[str] = (),
    vocabulary: Sequence[str] = (),
    catalogue: dict[str, list[str]] | None = None,
) -> list[str]:
    """The call's bias list, highest priority first, each term once."""
    products = catalogue or {}
    synonyms = [synonym for names in products.values() for synonym in names]
    return _unique([*deal, *([rep] if rep else []), *company, *vocabulary, *products, *synonyms])


def _unique(terms: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for term in (" ".join(t.split()) for t in terms):
        if term and len(term) <= MAX_TERM_CHARS and term.casefold() not in seen:
            seen.add(term.casefold())
            kept.append(term)
    return kept
