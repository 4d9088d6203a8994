"""Script example edits and team product catalogues: what heads of sales teach the analysis in their own words."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.db.tables import Base, utcnow


class ScriptExampleEdit(Base):
    """One example utterance added to or removed from a script item, and the script version that change made."""

    __tablename__ = "script_example_edits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), default=None, index=True)
    script_id: Mapped[str] = mapped_column(String(128), index=True)
    from_version: Mapped[str] = mapped_column(String(32))
    to_version: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[str] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(8), doc="positive or negative")
    change: Mapped[str] = mapped_column(String(8), doc="add or remove")
    text: Mapped[str] = mapped_column(Text)
    call_id: Mapped[str | None] = mapped_column(
        ForeignKey("calls.id", ondelete="SET NULL"), default=None, doc="The call the example was taken from."
    )
    override_id: Mapped[int | None] = mapped_column(
        ForeignKey("item_overrides.id", ondelete="SET NULL"), default=None, doc="The override it came from."
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    actor: Mapped[str] = mapped_column(String(256))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class CatalogueProduct(Base):
    """A product a team sells, with the other names customers and reps call it by."""

    __tablename__ = "catalogue_products"
    __table_args__ = (UniqueConstraint("team_id", "name", name="uq_catalogue_products_team_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(256))
    synonyms: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
