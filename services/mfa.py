"""Two-factor sign-in for local accounts: TOTP codes (RFC 6238) from an authenticator app, one-time recovery codes,
and the pending sign-in between a right password and the second factor.

A TOTP code is accepted for the current 30-second step or one step either side (clock drift), and each step once:
a code seen on the wire cannot be replayed. Recovery codes carry 60 random bits and are stored as their SHA-256.
TOTP secrets cannot be hashed (the server computes codes from them): with CALLINTEL_CRM_SECRETS_KEY set they are
stored sealed with it, as CRM secrets are, so a database dump alone does not give away anyone's second factor.
Code checks share the sign-in attempt limit (`services.attempts`): MAX_CODE_FAILURES per user per window.
"""

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pyotp
import segno
from pydantic import SecretStr
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crm_fill.adapters.secrets import SecretBox, SecretKeyError
from models.errors import BadInput
from pipeline.db import Database, LoginChallenge, RecoveryCode, User, UserMFA
from pipeline.settings import Settings
from services.accounts import LOGIN_WINDOW, token_hash
from services.attempts import clear, reserve

ISSUER = "callintel"
STEP_S = 30
DIGITS = 6
MAX_CODE_FAILURES = 5
RECOVERY_CODES = 10
CHALLENGE_LIFETIME = timedelta(minutes=5)
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_RECOVERY_LENGTH = 12  # 31^12: about 60 bits
_SEALED = "sealed:"


CodeCheck = Callable[[Session], str]


class CodeRefused(BadInput):
    """A second-factor code that is wrong, already used, or asked for while the user is throttled."""

    def __init__(self, reason: str, retry_after_s: int | None = None) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def code_at(secret: str, for_time: float, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    """The TOTP code of a base32 secret at a Unix time (RFC 6238; SHA-1 as authenticator apps use)."""
    return pyotp.TOTP(secret, digits=digits, digest=getattr(hashlib, digest), interval=STEP_S).at(for_time)


def attempt_key(user_id: int) -> str:
    return f"mfa:{user_id}"


def required_for(role: str, required_roles: list[str]) -> bool:
    return role in required_roles


class SecondFactorKeyError(BadInput):
    """A sealed TOTP secret that the configured key cannot open (or no key is configured)."""


def _box(settings: Settings) -> SecretBox | None:
    key = settings.crm_secrets_key
    return SecretBox(key) if key is not None and key.get_secret_value().strip() else None


def _stored(settings: Settings, secret: str) -> str:
    box = _box(settings)
    return secret if box is None else _SEALED + box.seal(SecretStr(secret))


def _secret(settings: Settings, row: UserMFA) -> str:
    if not row.secret.startswith(_SEALED):
        return row.secret
    box = _box(settings)
    if box is None:
        raise SecondFactorKeyError(
            f"user {row.user_id}: the TOTP secret is sealed with CALLINTEL_CRM_SECRETS_KEY, which is not set"
        )
    try:
        return box.open(row.secret.removeprefix(_SEALED)).get_secret_value()
    except SecretKeyError:
        raise SecondFactorKeyError(
            f"user {row.user_id}: the TOTP secret cannot be opened with CALLINTEL_CRM_SECRETS_KEY (another key?)"
        ) from None


def enrolled(session: Session, user_id: int) -> bool:
    row = session.get(UserMFA, user_id)
    return row is not None and row.confirmed_at is not None


def begin_enrolment(session: Session, settings: Settings, user: User) -> str:
    """The user's unconfirmed secret (base32), made now unless one is already waiting."""
    row = session.get(UserMFA, user.id)
    if row is None:
        row = UserMFA(user_id=user.id, secret=_stored(settings, pyotp.random_base32()), last_step=0)
        session.add(row)
        session.flush()
    return _secret(settings, row)


def provisioning_uri(secret: str, login: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).provisioning_uri(name=login, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code, drawn on the server (no script, no third party)."""
    return str(segno.make(uri, error="m").svg_inline(scale=4, border=2, dark="#111", light="#fff"))


def _totp_step(secret: str, last_step: int, code: str, now: float) -> int | None:
    current = int(now // STEP_S)
    for step in (current - 1, current, current + 1):
        if step > last_step and hmac.compare_digest(code_at(secret, step * STEP_S), code):
            return step
    return None


def _normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _recovery_code() -> str:
    return "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))


def new_recovery_codes(session: Session, user_id: int) -> list[str]:
    """A fresh set of recovery codes (the old ones stop working); shown once, stored as hashes."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH)) for _ in range(RECOVERY_CODES)
    ]
    session.add_all(RecoveryCode(user_id=user_id, code_hash=token_hash(code)) for code in codes)
    return [f"{code[:4]}-{code[4:8]}-{code[8:]}" for code in codes]


def confirm_enrolment(
    session: Session, settings: Settings, user_id: int, code: str, *, now: float | None = None
) -> list[str]:
    """Turn two-factor sign-in on with the first code from the user's app; the recovery codes to show once."""
    row = session.get(UserMFA, user_id)
    if row is None:
        raise CodeRefused("two-factor sign-in has not been started for this user")
    step = _totp_step(_secret(settings, row), row.last_step, _normalised(code), time.time() if now is None else now)
    if step is None:
        raise CodeRefused("wrong code")
    row.last_step = step
    row.confirmed_at = _now()
    return new_recovery_codes(session, user_id)


def check_code(session: Session, settings: Settings, user_id: int, code: str, *, now: float | None = None) -> str:
    """Accept a TOTP code or an unused recovery code; says which ("totp" or "recovery"), else CodeRefused."""
    row = session.get(UserMFA, user_id)
    if row is None or row.confirmed_at is None:
        raise CodeRefused("two-factor sign-in is not on for this user")
    typed = _normalised(code)
    if typed.isdigit():
        step = _totp_step(_secret(settings, row), row.last_step, typed, time.time() if now is None else now)
        if step is not None:
            row.last_step = step
            return "totp"
        raise CodeRefused("wrong code")
    recovery = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user_id, RecoveryCode.code_hash == token_hash(typed), RecoveryCode.used_at.is_(None)
        )
    )
    if recovery is None:
        raise CodeRefused("wrong code")
    recovery.used_at = _now()
    return "recovery"


def limited(db: Database, user_id: int, check: CodeCheck) -> str:
    """Run a code check under the attempt limit: the attempt is reserved and committed before the code is looked at,
    and a success clears the count. Returns what `check` returns; CodeRefused when wrong or throttled."""
    key = attempt_key(user_id)
    with db.session() as session:
        retry_after = reserve(session, key, MAX_CODE_FAILURES, LOGIN_WINDOW)
    if retry_after is not None:
        raise CodeRefused("too many wrong codes; try again later", retry_after)
    with db.session() as session:
        outcome = check(session)
        clear(session, key)
    return outcome


def unused_recovery_codes(session: Session, user_id: int) -> int:
    return len(
        session.scalars(
            select(RecoveryCode.id).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        ).all()
    )


def turn_off(session: Session, user_id: int) -> None:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.execute(delete(UserMFA).where(UserMFA.user_id == user_id))


def start_challenge(session: Session, user: User, next_path: str) -> str:
    """A pending sign-in awaiting the second factor: the cookie's token (only its SHA-256 is stored)."""
    token = secrets.token_urlsafe(32)
    session.execute(delete(LoginChallenge).where(LoginChallenge.expires_at < _now()))
    session.add(
        LoginChallenge(
            token_hash=token_hash(token), user_id=user.id, next_path=next_path, expires_at=_now() + CHALLENGE_LIFETIME
        )
    )
    return token


def challenge_user(session: Session, token: str) -> tuple[User, LoginChallenge] | None:
    row = session.get(LoginChallenge, token_hash(token))
    if row is None or _aware(row.expires_at) < _now():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return user, row


def end_challenge(session: Session, token: str) -> None:
    session.execute(delete(LoginChallenge).where(LoginChallenge.token_hash == token_hash(token)))
