"""Single sign-on: which account at which OpenID Connect provider is which user, and the sign-ins under way."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.db.tables import Base, utcnow


class UserIdentity(Base):
    """A user's account at a provider, named as the provider names it: its issuer and the subject within it."""

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_user_identities_issuer_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(512))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignInRequest(Base):
    """A browser sent to the provider and not back yet: what its answer must match.

    Found by the `state` the provider hands back (stored as its SHA-256); `browser_hash` is the SHA-256 of a
    cookie set on the browser that left, so an answer brought back by another browser is refused. Used once.
    """

    __tablename__ = "sign_in_requests"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    browser_hash: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    redirect_uri: Mapped[str] = mapped_column(String(1024))
    next_path: Mapped[str] = mapped_column(String(1024), default="/")
    expires_at: Mapped[datetime] = mapped_column(index=True)
