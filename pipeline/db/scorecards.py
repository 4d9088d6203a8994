"""Each analysed call's scorecard answers and deal-gap signals as rows, so team views add them up in SQL.

The analyze stage writes them with the call's result and replaces them when the call is analysed again. Signal text
is stored as it is shown (redacted as the settings said at analysis time).
"""

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.db.tables import Base


class ScorecardItemRow(Base):
    """One script item's answer on one call."""

    __tablename__ = "scorecard_items"
    __table_args__ = (Index("ix_scorecard_items_item_id_answer", "item_id", "answer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(128))
    section_id: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(String(16), doc="yes, no, n/a or not_determined.")
    score: Mapped[float | None] = mapped_column(Float, default=None)
    weight: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16))
    auto_fail: Mapped[bool] = mapped_column(Boolean, default=False)


class CallSignalRow(Base):
    """One deal gap found on one call."""

    __tablename__ = "call_signals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8), index=True)
    text: Mapped[str] = mapped_column(Text)
