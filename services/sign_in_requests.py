"""Sign-ins under way at a provider: what the provider's answer must match, kept until it comes back (once).

The request is found by the `state` the provider hands back and must come back to the browser that left (a cookie
whose SHA-256 the request keeps), so a provider answer captured or planted by someone else signs nobody in.
"""

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from pipeline.db import SignInRequest
from services.identities import SignInRefused

# Long enough to type a password and answer a second factor at the provider.
REQUEST_LIFETIME = timedelta(minutes=10)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def open_request(
    session: Session, *, nonce: str, code_verifier: str, redirect_uri: str, next_path: str
) -> tuple[str, str]:
    """A new request: its `state` for the provider and the token for the browser's cookie."""
    state, browser = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    # Requests never answered (a browser closed at the provider) are swept here rather than by a timer.
    session.execute(delete(SignInRequest).where(SignInRequest.expires_at < now))
    session.add(
        SignInRequest(
            state_hash=_digest(state),
            browser_hash=_digest(browser),
            nonce=nonce,
            code_verifier=code_verifier,
            redirect_uri=redirect_uri,
            next_path=next_path,
            expires_at=now + REQUEST_LIFETIME,
        )
    )
    return state, browser


def take_request(session: Session, state: str, browser: str) -> SignInRequest:
    """The request this answer belongs to, removed so it cannot be used again; SignInRefused when none matches."""
    request = session.get(SignInRequest, _digest(state)) if state else None
    if request is None:
        raise SignInRefused("unknown sign-in request (wrong or reused state): start the sign-in again")
    session.delete(request)
    session.flush()
    if not browser or not hmac.compare_digest(request.browser_hash, _digest(browser)):
        raise SignInRefused("the sign-in came back to another browser than the one that started it")
    if _aware(request.expires_at) < datetime.now(UTC):
        raise SignInRefused("the sign-in request expired: start the sign-in again")
    return request
