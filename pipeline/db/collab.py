"""What people write about calls and deals: comments (and the notes of a pipeline review, a comment of kind
`review_note` dated by the review), the people each comment mentions, and shared call snippets."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.db.tables import Base, utcnow


class Comment(Base):
    """A comment on exactly one call or one deal; a review note is always on a deal and carries its review date."""

    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint("(call_id IS NULL) <> (deal_id IS NULL)", name="ck_comments_one_subject"),
        Index("ix_comments_call_id", "call_id"),
        Index("ix_comments_deal_id_review_date", "deal_id", "review_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str | None] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), default=None)
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), default=None)
    kind: Mapped[str] = mapped_column(String(16), default="comment", doc="comment or review_note.")
    review_date: Mapped[date | None] = mapped_column(Date, default=None, doc="The review a note was written at.")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    author: Mapped[str] = mapped_column(String(256), doc="The author's name as it was when they wrote it.")
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(default=None)


class CommentMention(Base):
    """A person mentioned in a comment (and notified): what their mentions inbox lists."""

    __tablename__ = "comment_mentions"

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CallSnippet(Base):
    """A shared part of a call, from `start_s` to `end_s` seconds; opened only by those who may see the call."""

    __tablename__ = "call_snippets"
    __table_args__ = (CheckConstraint("start_s >= 0 AND end_s > start_s", name="ck_call_snippets_range"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_by: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
