"""Passwords: the policy (8 characters or more, not a common password) and argon2id hashing.

There is no composition rule (NIST SP 800-63B): length and a list of leaked passwords do more
for security than demanding digits and symbols.

>>> stored = hash_password("correct horse battery")
>>> stored.startswith("$argon2id$")
True
>>> verify_password(stored, "correct horse battery"), verify_password(stored, "wrong")
(True, False)
>>> check_password("Password1")
Traceback (most recent call last):
metareview.errors.AccessError: that password is on the list of common passwords; choose another
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from metareview.errors import AccessError

MIN_LENGTH = 8
MAX_LENGTH = 1024  # argon2 takes any length; a bound keeps a login from costing a megabyte


@cache
def _hasher() -> PasswordHasher:
    # argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): a login costs
    # about 0.1 s of one core, so a small team server on two cores stays responsive.
    return PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


@cache
def common_passwords() -> frozenset[str]:
    """The refused passwords (lower case), from the list shipped with metareview."""
    text = files("metareview.store").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def check_password(password: str, *, username: str = "") -> None:
    """Refuse a password that is too short, too long, common, or the account's name.

    >>> check_password("short")
    Traceback (most recent call last):
    metareview.errors.AccessError: a password needs at least 8 characters
    >>> check_password("tiger lily 1947")
    """
    if len(password) < MIN_LENGTH:
        raise AccessError(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise AccessError(f"a password may have at most {MAX_LENGTH} characters")
    lowered = password.lower()
    if lowered in common_passwords():
        raise AccessError("that password is on the list of common passwords; choose another")
    if username and lowered == username.lower():
        raise AccessError("a password must differ from the account's name")


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted; the parameters are stored in the hash)."""
    return _hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches the stored hash (never raises on a wrong password)."""
    try:
        return _hasher().verify(stored, password[:MAX_LENGTH])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@cache
def dummy_hash() -> str:
    """A hash to check against when an account does not exist, so that a failed login takes
    as long whether or not the name is known."""
    return hash_password("no such account")
