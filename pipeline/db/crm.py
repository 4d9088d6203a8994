"""CRM accounts that a team's approved values are written back to."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pipeline.db.directory import Team
from pipeline.db.tables import Base, utcnow


class CRMConnection(Base):
    """One team's account in one CRM: where it is, its sealed credentials and how our fields map onto its own."""

    __tablename__ = "crm_connections"
    __table_args__ = (UniqueConstraint("team_id", "kind", name="uq_crm_connections_team_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(1024))
    secrets: Mapped[dict[str, Any]] = mapped_column(
        JSON, doc="The adapter's connection settings, every token and secret sealed with the CRM secrets key."
    )
    field_map: Mapped[dict[str, Any]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    team: Mapped[Team] = relationship()


class CRMRateLimit(Base):
    """One CRM account's request rate, shared by every worker process (`pipeline.crm_rate`)."""

    __tablename__ = "crm_rate_limits"

    account: Mapped[str] = mapped_column(
        String(64), primary_key=True, doc="SHA-256 of the account's base URL, which for some CRMs carries a secret."
    )
    next_at: Mapped[float] = mapped_column(
        Float, doc="Unix time (the database's clock) one interval after the latest reserved request slot."
    )
