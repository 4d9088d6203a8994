"""Who calls belong to: teams with their settings, reps with their extensions and phones, stored scripts."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.db.tables import Base, utcnow


class Team(Base):
    """A sales team and the settings its calls are analysed with (unset: the deployment's defaults)."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    script: Mapped[str | None] = mapped_column(String(256), default=None)
    fields: Mapped[str | None] = mapped_column(String(256), default=None)
    vocabulary: Mapped[list[Any]] = mapped_column(JSON, default=list)
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    summary_template: Mapped[str | None] = mapped_column(String(64), default=None)
    crm: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recogniser: Mapped[str | None] = mapped_column(
        String(512), default=None, doc="The recogniser the team's Russian calls go to ('gigaam', 'tone:PATH', ...)."
    )
    snapshot_time: Mapped[str | None] = mapped_column(
        String(5), default=None, doc="HH:MM in the team's time zone for the daily pipeline snapshot; None: 23:30."
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Rep(Base):
    """A sales rep, found by PBX extension or phone number."""

    __tablename__ = "reps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    email: Mapped[str | None] = mapped_column(String(256), unique=True, default=None)
    extension: Mapped[str | None] = mapped_column(String(32), unique=True, default=None)
    phone: Mapped[str | None] = mapped_column(String(32), unique=True, default=None)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StoredDocument(Base):
    """A call script or CRM field schema uploaded as YAML; each upload is a new version, old ones kept."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("kind", "name", "version", name="uq_documents_kind_name_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))
    version: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
