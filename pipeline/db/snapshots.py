"""The daily pipeline snapshots, stored as changes: a deal gets a row only on a day its state (pipeline, stage,
outcome, amount, currency, close date, owner, rep, team or forecast category) differs from its previous row.
Each row holds from its `day` until the day before `until` (the day of the deal's next row; far in the future
while it is the latest), so the pipeline as of any day is the rows with day <= D < until, read off an index."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.db.tables import Base, utcnow

# `until` of a deal's latest row: a real date keeps the as-of condition a plain index range.
OPEN_END = date(9999, 12, 31)
TREND_COLUMNS = ["category", "amount", "currency", "gone", "team_id", "rep_id", "close_date"]


class DealSnapshot(Base):
    """A deal's state from `day` (team-local snapshot day) until the day before `until`."""

    __tablename__ = "deal_snapshots"
    __table_args__ = (
        UniqueConstraint("deal_id", "day", name="uq_deal_snapshots_deal_day"),
        # The trend and the forecast read only these columns: on PostgreSQL an index-only scan answers them.
        Index(
            "ix_deal_snapshots_team_outcome_until",
            "team_id",
            "outcome",
            "until",
            "day",
            postgresql_include=TREND_COLUMNS,
        ),
        Index("ix_deal_snapshots_outcome_until", "outcome", "until", "day", postgresql_include=TREND_COLUMNS),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    until: Mapped[date] = mapped_column(Date, default=OPEN_END)
    team_id: Mapped[int | None] = mapped_column(Integer, default=None)
    rep_id: Mapped[int | None] = mapped_column(Integer, default=None)
    owner_id: Mapped[int | None] = mapped_column(Integer, default=None)
    pipeline_id: Mapped[int | None] = mapped_column(Integer, default=None)
    stage_id: Mapped[int | None] = mapped_column(Integer, default=None)
    outcome: Mapped[str] = mapped_column(String(8), doc="open, won or lost on that day.")
    category: Mapped[str | None] = mapped_column(String(16), default=None, doc="Forecast category of an open deal.")
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    close_date: Mapped[date | None] = mapped_column(Date, default=None)
    gone: Mapped[bool] = mapped_column(Boolean, default=False, doc="Deleted in the CRM (or no longer synced).")


class SnapshotRun(Base):
    """One team's snapshot of one day, taken: a second run of the day finds it and adds nothing."""

    __tablename__ = "snapshot_runs"
    __table_args__ = (UniqueConstraint("team_id", "day", name="uq_snapshot_runs_team_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), default=None)
    day: Mapped[date] = mapped_column(Date)
    deals: Mapped[int] = mapped_column(Integer, default=0, doc="Deals looked at.")
    changed: Mapped[int] = mapped_column(Integer, default=0, doc="Rows written: deals whose state changed.")
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
