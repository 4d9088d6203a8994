"""Who uses the web app and the API: users with roles, their sessions and API tokens, sign-in attempt counters,
and the second factor (TOTP) with its recovery codes."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from pipeline.db.tables import Base, utcnow


class User(Base):
    """A person who logs in: a rep (linked to their directory entry), a head of sales (ROP) or an admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(256), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(8))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), default=None, index=True)
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="SET NULL"), default=None, unique=True)
    locale: Mapped[str] = mapped_column(String(8), default="ru")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    session_version: Mapped[int] = mapped_column(
        Integer, default=1, doc="Sessions and API tokens made under another version are refused on every request."
    )

    @validates("role", "active")
    def _revoke_on_change(self, key: str, value: object) -> object:
        # Whatever changes a role or deactivates a user (a page, the CLI, a sign-in provider's claims), the user's
        # sessions and tokens stop working at once.
        if self.id is not None and getattr(self, key) != value:
            self.session_version = (self.session_version or 1) + 1
        return value


class WebSession(Base):
    """A logged-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_version: Mapped[int] = mapped_column(Integer, default=1, doc="The user's session_version when it began.")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class APIToken(Base):
    """A machine's bearer token acting as one user; shown once when made, stored as its SHA-256."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_version: Mapped[int] = mapped_column(Integer, default=1, doc="The user's session_version when it was made.")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class AttemptCounter(Base):
    """Sign-in attempts within the current window for one key (a login, a client address, a user's second factor).

    An attempt is reserved by one atomic upsert before the password or code is checked, so concurrent guesses
    cannot all slip under the limit; a success clears the key.
    """

    __tablename__ = "attempt_counters"

    key: Mapped[str] = mapped_column(String(320), primary_key=True)
    window_start: Mapped[datetime] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer)


class UserMFA(Base):
    """A user's TOTP secret (RFC 6238); `confirmed_at` is set once a code from their authenticator was accepted."""

    __tablename__ = "user_mfa"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[str] = mapped_column(
        String(256), doc="Base32 TOTP secret; 'sealed:' and Fernet text when CALLINTEL_CRM_SECRETS_KEY is set."
    )
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_step: Mapped[int] = mapped_column(Integer, default=0, doc="The last accepted time step: a code works once.")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecoveryCode(Base):
    """A one-time code that stands in for the authenticator; stored as its SHA-256."""

    __tablename__ = "mfa_recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class LoginChallenge(Base):
    """A sign-in whose password was right and whose second factor is still due; the cookie holds a random token."""

    __tablename__ = "login_challenges"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    next_path: Mapped[str] = mapped_column(String(1024), default="/")
    expires_at: Mapped[datetime] = mapped_column()
