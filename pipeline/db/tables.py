from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


class Recording(Base):
    """An original recording, stored once per distinct content."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    storage_key: Mapped[str] = mapped_column(String(512))
    original_name: Mapped[str] = mapped_column(String(512))
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    purged_at: Mapped[datetime | None] = mapped_column(default=None, doc="When retention deleted the audio.")


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("provider", "external_id", name="uq_calls_provider_external_id"),
        # One call per distinct content taken in, even when announcements race (see content_sha256).
        UniqueConstraint("content_sha256", name="uq_calls_content_sha256"),
        # The team views filter a team's or a rep's calls by date.
        Index("ix_calls_team_id_created_at", "team_id", "created_at"),
        Index("ix_calls_rep_id_created_at", "rep_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"))
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="SET NULL"), default=None, index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), default=None, index=True)
    provider: Mapped[str] = mapped_column(String(64), default="upload")
    external_id: Mapped[str | None] = mapped_column(String(255), default=None)
    content_sha256: Mapped[str | None] = mapped_column(
        String(64),
        default=None,
        doc="The recording's content while this call holds it (taken in by intake); cleared when retention deletes "
        "the audio, so the same audio may come in again as a new call. Local files processed by hand leave it unset.",
    )
    status: Mapped[str] = mapped_column(String(16), index=True)
    next_stage: Mapped[str | None] = mapped_column(String(32), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enqueued_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    recording: Mapped[Recording] = relationship()


class StageRun(Base):
    """One attempt at one stage of one call: the call's timeline."""

    __tablename__ = "stage_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    duration_s: Mapped[float | None] = mapped_column(Float, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class CallResultRow(Base):
    """The latest analysis of a call, keyed by what produced it."""

    __tablename__ = "call_results"

    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    result_key: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(8))
    duration_s: Mapped[float] = mapped_column(Float)
    script_id: Mapped[str] = mapped_column(String(128), index=True)
    script_version: Mapped[str] = mapped_column(String(32))
    fields_id: Mapped[str] = mapped_column(String(128))
    fields_version: Mapped[str] = mapped_column(String(32))
    config_hash: Mapped[str] = mapped_column(String(16))
    score_percent: Mapped[float | None] = mapped_column(Float, default=None)
    auto_failed: Mapped[bool] = mapped_column(default=False)
    rep_talk_ratio: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Proposal(Base):
    """A proposed CRM field value awaiting the rep's decision."""

    __tablename__ = "proposals"
    __table_args__ = (UniqueConstraint("call_id", "field", name="uq_proposals_call_field"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(128))
    value: Mapped[Any] = mapped_column(JSON)
    ai_value: Mapped[Any] = mapped_column(
        JSON, nullable=True, default=None, doc="What the analysis proposed, kept through the rep's edits."
    )
    confidence: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[list[Any]] = mapped_column(JSON)
