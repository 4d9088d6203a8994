"""Users who sign in through an OpenID Connect provider: found by their account there (issuer and subject), else by
an e-mail the provider vouches for, else made on their first sign-in; their role and team follow the provider's
groups claim as the deployment maps it.

A user made here has no password (their password hash is one no password matches): they sign in through the
provider, which also asks for their second factor.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import BadInput
from pipeline.db import Rep, Team, User, UserIdentity
from pipeline.directory import save_rep, save_team
from services.accounts import UserRole

log = logging.getLogger(__name__)

# Not an argon2 hash, so every password check against it fails.
NO_PASSWORD = "!sso"
# Which role wins when a user's groups name several.
_RANK = {UserRole.rep: 0, UserRole.rop: 1, UserRole.admin: 2}


class SignInRefused(BadInput):
    """The provider vouched for this person, but this deployment does not let them in; the message says why."""


@dataclass(frozen=True)
class ProviderAccount:
    """Who the provider says signed in, from its ID token and user-info claims."""

    issuer: str
    subject: str
    email: str | None = None
    email_verified: bool = False
    name: str | None = None
    username: str | None = None
    locale: str | None = None
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccessRules:
    """How a deployment admits provider accounts (CALLINTEL_SSO_* settings)."""

    roles: Mapping[str, UserRole] = field(default_factory=dict)
    teams: Mapping[str, str] = field(default_factory=dict)
    default_role: UserRole | None = None
    email_domains: tuple[str, ...] = ()
    trust_email: bool = False

    def role_for(self, groups: tuple[str, ...]) -> UserRole | None:
        named = [self.roles[group] for group in groups if group in self.roles]
        return max(named, key=_RANK.__getitem__) if named else None

    def team_for(self, groups: tuple[str, ...]) -> str | None:
        return next((team for group, team in self.teams.items() if group in groups), None)


def _now() -> datetime:
    return datetime.now(UTC)


def _vouched_email(account: ProviderAccount, rules: AccessRules) -> str | None:
    if not account.email or not (account.email_verified or rules.trust_email):
        return None
    return account.email.strip().lower()


def _check_domain(email: str | None, rules: AccessRules) -> None:
    if not rules.email_domains:
        return
    domain = email.rpartition("@")[2] if email else ""
    if domain not in {allowed.strip().lower() for allowed in rules.email_domains}:
        raise SignInRefused(
            f"e-mail domain '{domain or 'none'}' may not sign in here (allowed: {', '.join(rules.email_domains)})"
        )


def _matching_user(session: Session, email: str) -> User | None:
    """The user whose login is this e-mail, else the user of the rep entry with this e-mail."""
    user = session.scalar(select(User).where(User.login == email))
    if user is None:
        user = session.scalar(select(User).join(Rep, User.rep_id == Rep.id).where(Rep.email == email))
    return user


def _free_login(session: Session, wanted: str) -> str:
    login, n = wanted, 1
    while session.scalar(select(User.id).where(User.login == login)) is not None:
        n += 1
        login = f"{wanted}-{n}"
    return login


def _team(session: Session, name: str | None) -> Team | None:
    if name is None:
        return None
    team, created = save_team(session, name)
    if created:
        log.info("sso: made team %r named by the provider's groups", name)
    return team


def _rep_entry(session: Session, user: User, email: str | None, team: Team | None) -> Rep:
    """The directory entry whose calls a rep signing in sees: theirs by e-mail, else a new one."""
    if user.rep_id is not None:
        rep = session.get(Rep, user.rep_id)
        if rep is not None:
            return rep
    if email is None:
        raise SignInRefused("a rep signs in with an e-mail the provider has verified, which links them to their calls")
    existing = session.scalar(select(Rep).where(Rep.email == email))
    taken = existing is not None and session.scalar(select(User.id).where(User.rep_id == existing.id)) is not None
    if taken:
        raise SignInRefused(f"the rep entry with e-mail {email} belongs to another user")
    if existing is not None:
        return existing
    return save_rep(session, user.name, email=email, team=team.name if team else None)


def _apply_access(
    session: Session, user: User, account: ProviderAccount, rules: AccessRules, email: str | None
) -> None:
    """Role and team from the groups claim. With no role mapping, an existing user keeps the role given here."""
    role = rules.role_for(account.groups)
    if role is None and (rules.roles or not user.role):
        role = rules.default_role
        if role is None:
            raise SignInRefused(
                f"no role for this account: its groups ({', '.join(account.groups) or 'none'}) name none of "
                "CALLINTEL_SSO_ROLES and CALLINTEL_SSO_DEFAULT_ROLE is unset"
            )
    team = _team(session, rules.team_for(account.groups))
    role = role or UserRole(user.role)
    if role is UserRole.rep:
        rep = _rep_entry(session, user, email, team)
        user.rep_id = rep.id
        user.team_id = team.id if team else rep.team_id
    elif team is not None:
        user.team_id = team.id
    if role is UserRole.rop and user.team_id is None:
        raise SignInRefused("a head of sales needs a team: map one of their groups in CALLINTEL_SSO_TEAMS")
    # Setting the role moves the user's session version on when it changes, which ends their other sessions.
    user.role = role.value


def sign_in_with_provider(session: Session, account: ProviderAccount, rules: AccessRules) -> User:
    """The user this provider account signs in as, made or linked on first sign-in; SignInRefused otherwise."""
    email = _vouched_email(account, rules)
    _check_domain(email, rules)
    identity = session.scalar(
        select(UserIdentity).where(UserIdentity.issuer == account.issuer, UserIdentity.subject == account.subject)
    )
    user = session.get(User, identity.user_id) if identity is not None else None
    how = "identity"
    if user is None and email is not None:
        user = _matching_user(session, email)
        how = "email"
    if user is None:
        user = User(
            login=_free_login(session, email or (account.username or account.subject).strip().lower()),
            name=(account.name or account.username or email or account.subject).strip()[:256],
            password_hash=NO_PASSWORD,
            role="",
            active=True,
            locale="en" if (account.locale or "").lower().startswith("en") else "ru",
        )
        how = "new"
    if not user.active:
        raise SignInRefused(f"user '{user.login}' is deactivated")
    _apply_access(session, user, account, rules, email)
    if user.id is None:
        session.add(user)
        session.flush()
    if identity is None:
        identity = UserIdentity(user_id=user.id, issuer=account.issuer, subject=account.subject)
        session.add(identity)
    identity.email = email
    identity.last_sign_in_at = _now()
    session.flush()
    log.info("sso: %s signed in as user %d (%s, matched by %s)", account.subject, user.id, user.role, how)
    return user
