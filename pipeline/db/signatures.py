"""Signatures of provider notifications already taken, so a captured request sent again is refused."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.db.tables import Base, utcnow


class SeenSignature(Base):
    """One signed notification a provider sent, by its signature: for providers whose signatures carry no
    timestamp (Zadarma), the only way to tell a replay from the original."""

    __tablename__ = "seen_signatures"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    signature: Mapped[str] = mapped_column(String(128), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
