"""A team's product catalogue: the products it sells and their synonyms, set on the admin page and by
`callintel catalogue`. The analyze stage proposes the products field's values from it (crm_fill.schema.with_catalogue),
matched by lemmas, so "кассовые аппараты" finds the product listed as "кассовый аппарат"."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import BadInput
from pipeline.catalogue import team_catalogue
from pipeline.db import CatalogueProduct, Team

MAX_NAME_CHARS = 256
MAX_SYNONYMS = 50


class CatalogueError(BadInput, ValueError):
    """A catalogue change that cannot be made; `problem` names it for translated pages: no_team, no_name,
    long_name, too_many or no_product."""

    def __init__(self, problem: str, message: str) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True)
class Product:
    name: str
    synonyms: list[str]


def _team(session: Session, team: str) -> Team:
    row = session.scalar(select(Team).where(Team.name == team))
    if row is None:
        raise CatalogueError("no_team", f"no team {team!r}")
    return row


def _clean(names: list[str]) -> list[str]:
    """Names trimmed, empty ones and repeats (in any letter case) left out, in the order given."""
    seen: set[str] = set()
    kept = []
    for name in (" ".join(n.split()) for n in names):
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            kept.append(name)
    return kept


def products(session: Session, team: str) -> list[Product]:
    """The team's catalogue, by product name."""
    return [Product(name, synonyms) for name, synonyms in team_catalogue(session, _team(session, team).id).items()]


def set_product(session: Session, team: str, name: str, synonyms: list[str]) -> tuple[Product, bool]:
    """Add a product to the team's catalogue or replace its synonyms; True when added."""
    row = _team(session, team)
    name = " ".join(name.split())
    if not name:
        raise CatalogueError("no_name", "a product needs a name")
    if len(name) > MAX_NAME_CHARS:
        raise CatalogueError("long_name", f"a product name is at most {MAX_NAME_CHARS} characters")
    kept = [s for s in _clean(synonyms) if s.casefold() != name.casefold()]
    if len(kept) > MAX_SYNONYMS or any(len(s) > MAX_NAME_CHARS for s in kept):
        raise CatalogueError("too_many", f"at most {MAX_SYNONYMS} synonyms of at most {MAX_NAME_CHARS} characters")
    product = session.scalar(
        select(CatalogueProduct).where(CatalogueProduct.team_id == row.id, CatalogueProduct.name == name)
    )
    added = product is None
    if product is None:
        product = CatalogueProduct(team_id=row.id, name=name)
        session.add(product)
    product.synonyms = kept
    session.flush()
    return Product(name, kept), added


def remove_product(session: Session, team: str, name: str) -> None:
    row = _team(session, team)
    product = session.scalar(
        select(CatalogueProduct).where(CatalogueProduct.team_id == row.id, CatalogueProduct.name == name.strip())
    )
    if product is None:
        raise CatalogueError("no_product", f"team {team} has no product {name.strip()!r} in its catalogue")
    session.delete(product)
    session.flush()
