"""A team's product catalogue as the analyze stage reads it: product name → the other names it goes by."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db import CatalogueProduct


def team_catalogue(session: Session, team_id: int | None) -> dict[str, list[str]]:
    """The team's products in name order, each with its synonyms; empty for a call without a team."""
    if team_id is None:
        return {}
    rows = session.scalars(
        select(CatalogueProduct).where(CatalogueProduct.team_id == team_id).order_by(CatalogueProduct.name)
    ).all()
    return {row.name: list(row.synonyms or []) for row in rows}
