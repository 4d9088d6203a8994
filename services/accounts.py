"""Accounts: users and their roles, password checks with argon2, browser sessions, API tokens, sign-in limits.

Tokens (session cookies, API tokens) are random and stored only as their SHA-256, so a database dump lets nobody
log in. Each carries the user's session_version from when it was made: deactivating a user or changing their role
moves the version on, and every request compares it. Passwords are argon2id hashes, re-hashed on login when the
library's recommended parameters change.
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.errors import BadInput
from pipeline.db import APIToken, Database, Rep, Team, User, WebSession
from services import audit
from services.attempts import clear, release, reserve, sweep
from services.audit import AuditAction

SESSION_LIFETIME = timedelta(hours=12)
LOGIN_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_LOGIN = 5
MAX_FAILURES_PER_ADDRESS = 20
MIN_PASSWORD_LENGTH = 10
API_TOKEN_PREFIX = "ci_"

_hasher = PasswordHasher()
# Checked when a login names nobody, so a wrong login costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class UserRole(StrEnum):
    rep = "rep"
    rop = "rop"
    admin = "admin"


class AccountError(BadInput, ValueError):
    """A user or token that cannot be made as asked; the message says why."""


class LoginRefused(BadInput):
    """A login turned down; `retry_after_s` is set while the login or address is throttled."""

    def __init__(self, reason: str, retry_after_s: int | None = None) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def create_user(
    session: Session,
    login: str,
    name: str,
    password: str,
    role: UserRole,
    *,
    team: str | None = None,
    rep_id: int | None = None,
    locale: str = "ru",
) -> User:
    """A new user. A rep is linked to their directory entry (whose calls they see); a ROP needs a team."""
    login = login.strip().lower()
    if not login:
        raise AccountError("a login is needed")
    if session.scalar(select(User).where(User.login == login)) is not None:
        raise AccountError(f"login '{login}' is taken")
    if locale not in ("ru", "en"):
        raise AccountError(f"locale is 'ru' or 'en', not '{locale}'")
    team_row = None
    if team is not None:
        team_row = session.scalar(select(Team).where(Team.name == team))
        if team_row is None:
            raise AccountError(f"no team '{team}'")
    rep = None
    if role is UserRole.rep:
        if rep_id is None:
            raise AccountError("a rep's account names their directory entry (rep id)")
        rep = session.get(Rep, rep_id)
        if rep is None:
            raise AccountError(f"no rep {rep_id} in the directory")
        if team_row is None and rep.team_id is not None:
            team_row = session.get(Team, rep.team_id)
    if role is UserRole.rop and team_row is None:
        raise AccountError("a head of sales needs a team")
    user = User(
        login=login,
        name=name.strip() or login,
        password_hash=hash_password(password),
        role=role.value,
        team_id=team_row.id if team_row else None,
        rep_id=rep.id if rep else None,
        locale=locale,
    )
    session.add(user)
    session.flush()
    return user


def user_by_login(session: Session, login: str) -> User:
    user = session.scalar(select(User).where(User.login == login.strip().lower()))
    if user is None:
        raise AccountError(f"no user '{login}'")
    return user


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def deactivate_user(session: Session, user: User) -> None:
    """The user can no longer log in or use their API tokens; their decisions stay in the logs under their name."""
    user.active = False
    _revoke_credentials(session, user)


def _revoke_credentials(session: Session, user: User) -> None:
    # The user's session_version has moved on (see User), so whatever survives here is refused anyway; ending the
    # sessions and marking the tokens revoked also shows it on the admin page.
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    for token in session.scalars(select(APIToken).where(APIToken.user_id == user.id, APIToken.revoked_at.is_(None))):
        token.revoked_at = _now()


def set_role(session: Session, user: User, role: UserRole, *, team: str | None = None) -> None:
    """Give a user another role (a head of sales needs a team); their sessions and API tokens end."""
    team_row = None
    if team:
        team_row = session.scalar(select(Team).where(Team.name == team))
        if team_row is None:
            raise AccountError(f"no team '{team}'")
    if role is UserRole.rep and user.rep_id is None:
        raise AccountError("a rep's account names their directory entry: add it as a new rep user instead")
    if role is UserRole.rop and team_row is None and user.team_id is None:
        raise AccountError("a head of sales needs a team")
    if role.value == user.role and (team_row is None or team_row.id == user.team_id):
        return
    user.role = role.value
    if team_row is not None:
        user.team_id = team_row.id
    _revoke_credentials(session, user)


def sign_in(db: Database, login: str, password: str, address: str) -> User:
    """The user whose login and password these are; LoginRefused otherwise, or while too many attempts were made.

    The attempt is reserved and committed before the password is checked, so concurrent guesses at one login cannot
    get more than MAX_FAILURES_PER_LOGIN checks per window. Success and failure both go to the audit log.
    """
    login = login.strip().lower()[:256]
    login_key, address_key = f"login:{login}", f"address:{address[:64]}"
    with db.session() as session:
        retry_after = reserve(session, login_key, MAX_FAILURES_PER_LOGIN, LOGIN_WINDOW)
        if retry_after is None:
            retry_after = reserve(session, address_key, MAX_FAILURES_PER_ADDRESS, LOGIN_WINDOW)
        if retry_after is not None:
            audit.record(
                session,
                actor_id=None,
                action=AuditAction.sign_in_password_failed,
                target=login,
                detail={"reason": "throttled"},
                ip=address,
            )
    if retry_after is not None:
        raise LoginRefused("too many failed logins; try again later", retry_after)
    with db.session() as session:
        user = session.scalar(select(User).where(User.login == login))
        try:
            password_ok = _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None
        except (VerificationError, InvalidHashError):
            password_ok = False
        if password_ok and user is not None and user.active:
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            clear(session, login_key)
            release(session, address_key)
            sweep(session, LOGIN_WINDOW)
            return user
        audit.record(
            session,
            actor_id=user.id if user else None,
            action=AuditAction.sign_in_password_failed,
            target=login,
            detail={"reason": "inactive" if password_ok else "wrong"},
            ip=address,
        )
    raise LoginRefused("wrong login or password")


def start_session(session: Session, user: User) -> tuple[str, WebSession]:
    """A new browser session: the cookie's token (shown once) and the stored row with its CSRF token."""
    token = secrets.token_urlsafe(32)
    row = WebSession(
        token_hash=token_hash(token),
        user_id=user.id,
        user_version=user.session_version,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=_now() + SESSION_LIFETIME,
    )
    session.add(row)
    # Expired sessions of anyone are swept here rather than by a timer.
    session.execute(delete(WebSession).where(WebSession.expires_at < _now()))
    return token, row


def session_user(session: Session, token: str) -> tuple[User, WebSession] | None:
    row = session.get(WebSession, token_hash(token))
    if row is None or _aware(row.expires_at) < _now():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active or row.user_version != user.session_version:
        return None
    # Sliding expiry: a session lasts SESSION_LIFETIME past its last use.
    row.expires_at = _now() + SESSION_LIFETIME
    return user, row


def end_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


def make_api_token(session: Session, user: User, name: str) -> str:
    """A new API token acting as `user`; the only time its text is available."""
    if not name.strip():
        raise AccountError("an API token needs a name saying which machine uses it")
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        APIToken(user_id=user.id, name=name.strip(), token_hash=token_hash(token), user_version=user.session_version)
    )
    session.flush()
    return token


def token_user(session: Session, token: str) -> tuple[User, APIToken] | None:
    row = session.scalar(select(APIToken).where(APIToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active or row.user_version != user.session_version:
        return None
    row.last_used_at = _now()
    return user, row


def revoke_api_token(session: Session, token_id: int) -> None:
    row = session.get(APIToken, token_id)
    if row is None:
        raise AccountError(f"no API token {token_id}")
    row.revoked_at = _now()


def any_users(session: Session) -> bool:
    return session.scalar(select(User.id).limit(1)) is not None
