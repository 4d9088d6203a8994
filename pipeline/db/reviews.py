"""What people decided about the AI's work: reps' decisions on proposed CRM values and ROPs' scorecard overrides.

Both are append-only logs; they are how the product measures its own analysis (acceptance and override rates).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.db.tables import Base, utcnow


class FieldDecisionLog(Base):
    """One decision on one proposed CRM value: who, when, what the AI proposed and what was kept."""

    __tablename__ = "field_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(128), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    ai_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    final_value: Mapped[Any] = mapped_column(JSON, nullable=True, doc="None when rejected.")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    actor: Mapped[str] = mapped_column(String(256), doc="The user's login or the API token's name, kept if both go.")
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ItemOverride(Base):
    """A head of sales replacing the answer of one scorecard item, with the reason; the latest one counts."""

    __tablename__ = "item_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(128), index=True)
    script_id: Mapped[str] = mapped_column(String(128))
    script_version: Mapped[str] = mapped_column(String(32))
    ai_answer: Mapped[dict[str, Any]] = mapped_column(JSON)
    answer: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    actor: Mapped[str] = mapped_column(String(256))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
