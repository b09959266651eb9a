"""Workspace accounts: who may sign in, their role in the review, and login throttling.

A person has one role in the review a project holds (``lead``: settings, members, conflicts,
exports; ``reviewer``: screens; ``viewer``: reads dashboards), or none; a server ``admin``
manages accounts. Failed logins are counted per account name (whether or not it exists) and
per client address; past the limit every attempt is refused for a while, with the same answer
for known and unknown names.

>>> from metareview.store.project import Project
>>> project = Project.open("sqlite://")
>>> ana = add_account(project, "ana", "tiger lily 1947", role="lead", is_admin=True)
>>> ana.username, ana.role, ana.is_admin
('ana', 'lead', True)
>>> authenticate(project, "ana", "tiger lily 1947", client="10.0.0.1").username
'ana'
>>> authenticate(project, "ana", "wrong password", client="10.0.0.1")
Traceback (most recent call last):
metareview.errors.AccessError: wrong account name or password
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from metareview.errors import AccessError
from metareview.records.events import parse_enum
from metareview.store.access_schema import accounts, login_failures, sessions
from metareview.store.passwords import check_password, dummy_hash, hash_password, verify_password
from metareview.store.project import Project
from metareview.store.times import StoredDocument, stored_utc


class Role(StrEnum):
    LEAD = "lead"
    REVIEWER = "reviewer"
    VIEWER = "viewer"


#: The roles that may screen (vote, resolve conflicts, extract, assess): the web's route
#: checks (``metareview.web.security.SCREENERS``) and :func:`active_members` use this one rule.
SCREENING_ROLES = frozenset({Role.LEAD.value, Role.REVIEWER.value})


#: Failed logins allowed per account name, and per client address, within the window.
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_CLIENT = 20
FAILURE_WINDOW = timedelta(minutes=15)
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
WRONG_LOGIN = "wrong account name or password"
THROTTLED = "too many failed logins; wait 15 minutes and try again"


@dataclass(frozen=True)
class Account(StoredDocument):
    """One person's account (never carries the password hash)."""

    id: int
    username: str
    role: str | None
    is_admin: bool
    disabled: bool
    created_at: datetime


def check_username(username: str) -> str:
    """A valid account name (letters, digits, ``. _ @ -``; up to 100 characters).

    >>> check_username("a b")
    Traceback (most recent call last):
    metareview.errors.AccessError: an account name has 1 to 100 letters, digits or . _ @ - (starting with a letter or digit); got 'a b'
    """
    if not _USERNAME.match(username):
        raise AccessError(
            "an account name has 1 to 100 letters, digits or . _ @ - (starting with a letter "
            f"or digit); got {username!r}"
        )
    return username


def check_role(role: str | None) -> str | None:
    """``role`` validated against :class:`Role` (``None``: no access to the review)."""
    return None if role is None else parse_enum(Role, role, "role").value


def _account(row: Any) -> Account:
    return Account(
        row["id"],
        row["username"],
        row["role"],
        bool(row["is_admin"]),
        bool(row["disabled"]),
        stored_utc(row["created_at"]),
    )


def add_account(
    project: Project, username: str, password: str, *, role: str | None, is_admin: bool = False
) -> Account:
    """Create an account (the password is checked against the policy, then hashed)."""
    check_username(username)
    role = check_role(role)
    check_password(password, username=username)
    row = {
        "username": username,
        "password_hash": hash_password(password),
        "role": role,
        "is_admin": is_admin,
        "disabled": False,
        "created_at": datetime.now(UTC),
    }
    try:
        with project._write() as connection:
            row["id"] = connection.execute(insert(accounts).values(**row)).inserted_primary_key[0]
    except IntegrityError:
        raise AccessError(f"an account named {username!r} already exists") from None
    return _account(row)


def list_accounts(project: Project) -> tuple[Account, ...]:
    """Every account, by name."""
    with project.engine.connect() as connection:
        rows = connection.execute(select(accounts).order_by(accounts.c.username)).mappings()
        return tuple(_account(row) for row in rows)


def active_members(project: Project, *, roles: Iterable[str]) -> frozenset[str]:
    """The names of the review's active members with one of ``roles``: accounts with such a
    role in it that are not disabled. A disabled account, or one removed from the review
    (role ``None``), is not one; with ``roles=SCREENING_ROLES``, nor is a viewer, who cannot
    screen.

    >>> from metareview.store.project import Project
    >>> project = Project.open("sqlite://")
    >>> for name, role in (("lena", "lead"), ("rita", "reviewer"), ("vic", "viewer"),
    ...                    ("ravi", "reviewer"), ("otto", None)):
    ...     _ = add_account(project, name, "tiger lily 1947", role=role)
    >>> _ = set_disabled(project, "rita")
    >>> sorted(active_members(project, roles=tuple(Role)))
    ['lena', 'ravi', 'vic']
    >>> sorted(active_members(project, roles=SCREENING_ROLES))
    ['lena', 'ravi']
    """
    query = select(accounts.c.username).where(
        accounts.c.role.in_([check_role(role) for role in roles]), accounts.c.disabled.is_(False)
    )
    with project.engine.connect() as connection:
        return frozenset(connection.execute(query).scalars())


def count_accounts(project: Project) -> int:
    """How many accounts exist (none: the workspace needs its setup link)."""
    with project.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(accounts)).scalar_one())


def find_account(project: Project, username: str) -> Account | None:
    """The account of that name, or ``None``."""
    with project.engine.connect() as connection:
        row = (
            connection.execute(select(accounts).where(accounts.c.username == username))
            .mappings()
            .first()
        )
    return _account(row) if row else None


def get_account(project: Project, username: str) -> Account:
    """The account of that name; :class:`~metareview.errors.AccessError` if there is none."""
    account = find_account(project, username)
    if account is None:
        raise AccessError(f"no account named {username!r}")
    return account


def _change(project: Project, username: str, values: dict[str, Any], *, revoke: bool) -> Account:
    account = get_account(project, username)
    with project._write() as connection:
        connection.execute(update(accounts).where(accounts.c.id == account.id).values(**values))
        if revoke:
            connection.execute(
                update(sessions).where(sessions.c.account_id == account.id).values(revoked=True)
            )
    return get_account(project, username)


def set_password(project: Project, username: str, password: str) -> Account:
    """Give an account a new password and sign it out everywhere."""
    check_password(password, username=username)
    return _change(project, username, {"password_hash": hash_password(password)}, revoke=True)


def set_disabled(project: Project, username: str, disabled: bool = True) -> Account:
    """Disable (or re-enable) an account; disabling signs it out everywhere."""
    return _change(project, username, {"disabled": disabled}, revoke=disabled)


def set_role(project: Project, username: str, role: str | None) -> Account:
    """Change an account's role in the review (``None``: remove it from the review)."""
    return _change(project, username, {"role": check_role(role)}, revoke=False)


def set_admin(project: Project, username: str, is_admin: bool) -> Account:
    """Make an account a server admin (or no longer one)."""
    return _change(project, username, {"is_admin": is_admin}, revoke=False)


def _recent_failures(project: Project, key: str, now: datetime) -> int:
    query = select(func.count()).where(
        login_failures.c.key == key, login_failures.c.at > now - FAILURE_WINDOW
    )
    with project.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def authenticate(project: Project, username: str, password: str, *, client: str) -> Account:
    """The account whose name and password these are, if it may sign in.

    Refusals say only :data:`WRONG_LOGIN` (a wrong password, an unknown or disabled account:
    the answer does not reveal which) or :data:`THROTTLED` (too many recent failures for this
    name or this client address, known or not).
    """
    now = datetime.now(UTC)
    keys = (f"name:{username.lower()}", f"client:{client}")
    if (
        _recent_failures(project, keys[0], now) >= MAX_FAILURES_PER_NAME
        or _recent_failures(project, keys[1], now) >= MAX_FAILURES_PER_CLIENT
    ):
        raise AccessError(THROTTLED)
    with project.engine.connect() as connection:
        row = (
            connection.execute(select(accounts).where(accounts.c.username == username))
            .mappings()
            .first()
        )
    stored = row["password_hash"] if row else dummy_hash()
    if verify_password(stored, password) and row is not None and not row["disabled"]:
        with project._write() as connection:
            connection.execute(delete(login_failures).where(login_failures.c.key == keys[0]))
        return _account(row)
    with project._write() as connection:
        connection.execute(insert(login_failures), [{"key": k, "at": now} for k in keys])
    raise AccessError(WRONG_LOGIN)
