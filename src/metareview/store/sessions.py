"""Signed-in sessions and invitation links, kept in the project's database.

A session token (the cookie's value) and an invitation token are 256 random bits; only their
SHA-256 is stored, so a copy of the database does not sign anyone in. Sessions expire, can be
revoked, and are new at every login; each carries the CSRF token its forms must send back.
Invitations are single use and expire.

>>> from metareview.store.accounts import add_account
>>> from metareview.store.project import Project
>>> project = Project.open("sqlite://")
>>> ana = add_account(project, "ana", "tiger lily 1947", role="lead")
>>> token, session = start_session(project, ana.id)
>>> find_session(project, token).account.username
'ana'
>>> end_session(project, token)
>>> find_session(project, token) is None
True
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update

from metareview.errors import AccessError
from metareview.store.access_schema import accounts, invitations, sessions
from metareview.store.accounts import Account, _account, add_account, check_role
from metareview.store.project import Project
from metareview.store.times import stored_utc

SESSION_LIFETIME = timedelta(hours=12)
INVITATION_LIFETIME = timedelta(days=7)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class Session:
    """A signed-in session: whose, its CSRF token, and when it ends."""

    account: Account
    csrf_token: str
    expires_at: datetime


def start_session(
    project: Project, account_id: int, lifetime: timedelta = SESSION_LIFETIME
) -> tuple[str, Session]:
    """A new session for an account: its secret token (for the cookie) and the session."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    row = {
        "token_hash": _digest(token),
        "account_id": account_id,
        "csrf_token": secrets.token_urlsafe(32),
        "created_at": now,
        "expires_at": now + lifetime,
        "revoked": False,
    }
    with project._write() as connection:
        connection.execute(insert(sessions).values(**row))
    session = find_session(project, token)
    if session is None:
        raise AccessError("the account cannot sign in")
    return token, session


def find_session(project: Project, token: str) -> Session | None:
    """The live session of a token: ``None`` if unknown, expired, revoked, or its account is
    disabled."""
    if not token:
        return None
    query = (
        select(sessions.c.csrf_token, sessions.c.expires_at, sessions.c.revoked, accounts)
        .join(accounts, accounts.c.id == sessions.c.account_id)
        .where(sessions.c.token_hash == _digest(token))
    )
    with project.read_one() as connection:
        row = connection.execute(query).mappings().first()
    if row is None or row["revoked"] or row["disabled"]:
        return None
    expires = stored_utc(row["expires_at"])
    if expires <= datetime.now(UTC):
        return None
    return Session(_account(row), row["csrf_token"], expires)


def end_session(project: Project, token: str) -> None:
    """Revoke a session (logging out); unknown tokens are ignored."""
    with project._write() as connection:
        connection.execute(
            update(sessions).where(sessions.c.token_hash == _digest(token)).values(revoked=True)
        )


def create_invitation(
    project: Project,
    *,
    role: str,
    created_by: str,
    is_admin: bool = False,
    lifetime: timedelta = INVITATION_LIFETIME,
) -> str:
    """A new invitation's secret token: whoever opens its link creates one account with
    ``role`` (and admin rights if ``is_admin``), once, before it expires."""
    role = check_role(role) or ""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    row = {
        "token_hash": _digest(token),
        "role": role,
        "is_admin": is_admin,
        "created_by": created_by,
        "created_at": now,
        "expires_at": now + lifetime,
        "used_by": None,
    }
    with project._write() as connection:
        connection.execute(insert(invitations).values(**row))
    return token


def invitation_role(project: Project, token: str) -> str | None:
    """The role an open invitation grants, or ``None`` if the token is unknown, used or
    expired."""
    with project.engine.connect() as connection:
        row = (
            connection.execute(
                select(invitations).where(invitations.c.token_hash == _digest(token or ""))
            )
            .mappings()
            .first()
        )
    if (
        row is None
        or row["used_by"] is not None
        or stored_utc(row["expires_at"]) <= datetime.now(UTC)
    ):
        return None
    return str(row["role"])


def accept_invitation(project: Project, token: str, username: str, password: str) -> Account:
    """Use an invitation: create the account it offers (refused if used or expired)."""
    now = datetime.now(UTC)
    with project._write() as connection:
        row = (
            connection.execute(
                select(invitations).where(invitations.c.token_hash == _digest(token or ""))
            )
            .mappings()
            .first()
        )
        if row is None or row["used_by"] is not None or stored_utc(row["expires_at"]) <= now:
            raise AccessError("this invitation link is not valid (used, expired or mistyped)")
        connection.execute(
            update(invitations)
            .where(invitations.c.token_hash == row["token_hash"])
            .values(used_by=username)
        )
    try:
        return add_account(project, username, password, role=row["role"], is_admin=row["is_admin"])
    except AccessError:
        with project._write() as connection:  # the account was refused: the link stays usable
            connection.execute(
                update(invitations)
                .where(invitations.c.token_hash == row["token_hash"])
                .values(used_by=None)
            )
        raise
