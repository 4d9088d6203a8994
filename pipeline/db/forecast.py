"""What the pipeline review keeps beside the deals: each team's target per period (in one currency) and the log of
forecast category overrides (the latest per deal is in force)."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.db.tables import Base, utcnow


class PipelineTarget(Base):
    """What a team should win in a period (both ends included), in the team's currency for that period."""

    __tablename__ = "pipeline_targets"
    __table_args__ = (
        UniqueConstraint("team_id", "period_start", "period_end", name="uq_pipeline_targets_team_period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    currency: Mapped[str] = mapped_column(String(3), doc="ISO 4217; the KPIs of the period sum deals in it.")
    set_by: Mapped[str] = mapped_column(String(256))
    set_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ForecastOverride(Base):
    """One change of a deal's forecast category by hand: who, when, from what, to what and why. Rows are only
    added; the deal's newest row is its category until the next."""

    __tablename__ = "forecast_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    previous: Mapped[str] = mapped_column(String(16), doc="The category in force before.")
    category: Mapped[str] = mapped_column(
        String(16), doc="commit, best_case, pipeline, omitted; auto: back to the rule."
    )
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    actor: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), doc="The actor's role when they overrode: rep, rop or admin.")
    at: Mapped[datetime] = mapped_column(default=utcnow)
