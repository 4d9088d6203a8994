"""User commands: accounts for the web app (reps, heads of sales, admins) and API tokens for machines."""

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.output import err, fail
from services.accounts import UserRole

users = typer.Typer(help="People who log in to the web app, and API tokens for machines.", no_args_is_help=True)

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input instead of a prompt.")
]


def _cli(**detail: object) -> dict[str, object]:
    # Commands run with database access, not as a user: the log says so.
    return {"via": "command line", **detail}


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("password", hide_input=True, confirmation_prompt=True)


@users.command("add")
def user_add(
    login: str,
    role: Annotated[UserRole, typer.Option(help="rep, rop (head of sales) or admin.")],
    name: Annotated[str, typer.Option(help="Shown name; the login when empty.")] = "",
    team: Annotated[str | None, typer.Option(help="Team (a head of sales needs one).")] = None,
    rep_id: Annotated[int | None, typer.Option(help="A rep's directory id (`callintel rep list`).")] = None,
    locale: Annotated[str, typer.Option(help="Language of the pages: ru or en.")] = "ru",
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a user who logs in with a password."""
    from pipeline.runtime import default_runtime
    from services.accounts import AccountError, create_user
    from services.audit import AuditAction, record

    password = _password(password_stdin)
    try:
        with default_runtime().db.session() as session:
            added = create_user(session, login, name, password, role, team=team, rep_id=rep_id, locale=locale)
            record(
                session,
                actor_id=None,
                action=AuditAction.user_changed,
                target=f"user:{added.id}",
                detail=_cli(added=login),
            )
    except AccountError as exc:
        raise fail(str(exc)) from None
    err.print(f"user {login} added ({role.value})")


@users.command("password")
def user_password(login: str, password_stdin: PasswordStdin = False) -> None:
    """Set a user's password; their open sessions end."""
    from pipeline.runtime import default_runtime
    from services.accounts import AccountError, set_password, user_by_login
    from services.audit import AuditAction, record

    password = _password(password_stdin)
    try:
        with default_runtime().db.session() as session:
            user = user_by_login(session, login)
            set_password(session, user, password)
            record(
                session,
                actor_id=None,
                action=AuditAction.user_changed,
                target=f"user:{user.id}",
                detail=_cli(password="set"),
            )
    except AccountError as exc:
        raise fail(str(exc)) from None
    err.print(f"password of {login} changed")


@users.command("list")
def user_list() -> None:
    """Users, their roles and teams."""
    from sqlalchemy import select

    from pipeline.db import Team, User
    from pipeline.runtime import default_runtime

    table = Table("login", "name", "role", "team", "rep id", "active")
    with default_runtime().db.session() as session:
        rows = session.execute(select(User, Team.name).outerjoin(Team, Team.id == User.team_id).order_by(User.login))
        for user, team in rows:
            table.add_row(user.login, user.name, user.role, team or "", str(user.rep_id or ""), str(user.active))
    Console().print(table)


@users.command("token")
def user_token(
    login: str, name: Annotated[str, typer.Option(help="Which machine uses it, e.g. 'pbx' or 'bi-export'.")]
) -> None:
    """Make an API token that acts as this user; printed once, stored only as a hash."""
    from pipeline.runtime import default_runtime
    from services.accounts import AccountError, make_api_token, user_by_login

    try:
        with default_runtime().db.session() as session:
            token = make_api_token(session, user_by_login(session, login), name)
    except AccountError as exc:
        raise fail(str(exc)) from None
    print(token)


@users.command("revoke-token")
def user_revoke_token(token_id: int) -> None:
    """Revoke an API token by its id (`callintel users tokens`)."""
    from pipeline.runtime import default_runtime
    from services.accounts import AccountError, revoke_api_token

    try:
        with default_runtime().db.session() as session:
            revoke_api_token(session, token_id)
    except AccountError as exc:
        raise fail(str(exc)) from None
    err.print(f"token {token_id} revoked")


@users.command("tokens")
def user_tokens() -> None:
    """API tokens: whose, what for, last used."""
    from sqlalchemy import select

    from pipeline.db import APIToken, User
    from pipeline.runtime import default_runtime

    table = Table("id", "user", "name", "created", "last used", "revoked")
    with default_runtime().db.session() as session:
        for token, login in session.execute(select(APIToken, User.login).join(User).order_by(APIToken.id)):
            table.add_row(
                str(token.id),
                login,
                token.name,
                f"{token.created_at:%Y-%m-%d}",
                f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "",
                f"{token.revoked_at:%Y-%m-%d}" if token.revoked_at else "",
            )
    Console().print(table)


@users.command("role")
def user_role(
    login: str,
    role: Annotated[UserRole, typer.Option(help="rep, rop (head of sales) or admin.")],
    team: Annotated[str | None, typer.Option(help="Team (a head of sales needs one).")] = None,
) -> None:
    """Change a user's role; their sessions and API tokens end at once."""
    from pipeline.runtime import default_runtime
    from services.accounts import AccountError, set_role, user_by_login
    from services.audit import AuditAction, record

    try:
        with default_runtime().db.session() as session:
            user = user_by_login(session, login)
            set_role(session, user, role, team=team)
            record(
                session,
                actor_id=None,
                action=AuditAction.user_changed,
                target=f"user:{user.id}",
                detail=_cli(role=role.value),
            )
    except AccountError as exc:
        raise fail(str(exc)) from None
    err.print(f"{login} is now {role.value}; their sessions and API tokens have ended")
